//===- NNToKern.cpp - nn entry points to kernels over buffers -------------===//

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Conversion/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"

namespace gradc {
#define GEN_PASS_DEF_LOWERTOKERN
#include "gradc/Conversion/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;

namespace {

MemRefType bufferType(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

StringRef stringAttr(DictionaryAttr dict, StringRef name) {
  auto attr = dict ? dict.getAs<StringAttr>(name) : StringAttr();
  return attr ? attr.getValue() : StringRef();
}

class FunctionLowering {
public:
  explicit FunctionLowering(func::FuncOp func) : func(func) {}
  LogicalResult run();

private:
  LogicalResult planDestinations();
  Value destinationFor(Value result, OpBuilder &builder, Location loc);

  func::FuncOp func;
  func::FuncOp lowered;
  /// Where each returned value must end up: argument indices of `lowered`.
  llvm::DenseMap<Value, SmallVector<unsigned>> destinations;
  /// For in-place updates: the position of the last op reading the argument.
  llvm::DenseMap<unsigned, unsigned> lastRead;
  llvm::DenseMap<Operation *, unsigned> position;
  IRMapping mapping;
  SmallVector<std::pair<Value, unsigned>> pendingCopies;
  llvm::DenseSet<unsigned> writtenArgs;
};

LogicalResult FunctionLowering::planDestinations() {
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  MLIRContext *context = func.getContext();
  Builder b(context);

  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    argTypes.push_back(bufferType(func.getArgumentTypes()[i]));
    argAttrs.push_back(func.getArgAttrDict(i) ? func.getArgAttrDict(i)
                                              : b.getDictionaryAttr({}));
  }
  for (unsigned r = 0; r < func.getNumResults(); ++r) {
    DictionaryAttr attrs = func.getResultAttrDict(r);
    std::optional<nn::Role> role = nn::resultRole(func, r);
    StringRef name = stringAttr(attrs, nn::NNDialect::kNameAttrName);
    Value value = ret.getOperand(r);
    // What an update writes: the argument of that name and kind (a gradient
    // argument of @apply_update shares its parameter's name but is never
    // written).
    std::optional<nn::Role> updated = role == nn::Role::ParamUpdate ? nn::Role::Param
                                      : role == nn::Role::OptStateUpdate
                                          ? std::optional(nn::Role::OptState)
                                      : role == nn::Role::BufferUpdate
                                          ? std::optional(nn::Role::Buffer)
                                          : std::nullopt;
    if (updated) {
      std::optional<unsigned> target;
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        if (func.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kNameAttrName) &&
            func.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kNameAttrName)
                    .getValue() == name &&
            nn::argumentRole(func, i) == *updated)
          target = i;
      if (!target)
        return func.emitError() << "the update of '" << name
                                << "' has no argument of that name to write";
      destinations[value].push_back(*target);
      continue;
    }
    nn::Role out = role.value_or(nn::Role::Output);
    if (name.empty())
      name = nn::stringifyRole(out);
    SmallVector<NamedAttribute> outAttrs{
        b.getNamedAttr(kern::kOutAttrName, nn::RoleAttr::get(b.getContext(), out)),
        b.getNamedAttr(nn::NNDialect::kNameAttrName, b.getStringAttr(name))};
    destinations[value].push_back(argTypes.size());
    argTypes.push_back(bufferType(value.getType()));
    argAttrs.push_back(b.getDictionaryAttr(outAttrs));
  }

  OpBuilder builder(func);
  lowered = builder.create<func::FuncOp>(func.getLoc(), func.getSymName(),
                                         builder.getFunctionType(argTypes, {}));
  lowered.setAllArgAttrs(argAttrs);
  Block *entry = lowered.addEntryBlock();
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    entry->getArgument(i).setLoc(func.getArgument(i).getLoc());
    mapping.map(func.getArgument(i), entry->getArgument(i));
  }

  // Reads of each argument (directly or through reshapes), by op position.
  unsigned index = 0;
  llvm::DenseMap<Value, unsigned> aliasOf;
  for (BlockArgument arg : body.getArguments())
    aliasOf[arg] = arg.getArgNumber();
  for (Operation &op : body.without_terminator()) {
    position[&op] = index;
    for (Value operand : op.getOperands()) {
      auto it = aliasOf.find(operand);
      if (it != aliasOf.end())
        lastRead[it->second] = index;
    }
    if (isa<nn::ReshapeOp>(op) && aliasOf.count(op.getOperand(0)))
      aliasOf[op.getResult(0)] = aliasOf[op.getOperand(0)];
    ++index;
  }
  return success();
}

/// The buffer an op writes `result` into: the first destination it may write
/// directly, or a temporary that is copied to the destinations at the end.
Value FunctionLowering::destinationFor(Value result, OpBuilder &builder, Location loc) {
  Operation *op = result.getDefiningOp();
  auto it = destinations.find(result);
  Value direct;
  if (it != destinations.end()) {
    for (unsigned target : it->second) {
      bool inPlaceInput = target < func.getNumArguments();
      bool safe = !writtenArgs.contains(target);
      if (inPlaceInput) {
        auto read = lastRead.find(target);
        bool readsLater = read != lastRead.end() && read->second > position[op];
        bool readsHere = read != lastRead.end() && read->second == position[op];
        bool elementwise = isa<nn::ElementwiseOpInterface>(op);
        safe = safe && !readsLater && (!readsHere || elementwise) &&
               !op->hasTrait<OpTrait::ConstantLike>();
      }
      if (!direct && safe) {
        direct = lowered.getArgument(target);
        writtenArgs.insert(target);
      } else {
        pendingCopies.emplace_back(result, target);
        writtenArgs.insert(target);
      }
    }
  }
  if (direct)
    return direct;
  return builder.create<kern::AllocOp>(loc, bufferType(result.getType()), IntegerAttr());
}

LogicalResult FunctionLowering::run() {
  if (failed(planDestinations()))
    return failure();
  Block &body = func.getBody().front();
  OpBuilder builder = OpBuilder::atBlockBegin(&lowered.getBody().front());
  for (Operation &op : body.without_terminator()) {
    Location loc = op.getLoc();
    if (auto reshape = dyn_cast<nn::ReshapeOp>(op)) {
      Value view = builder.create<kern::ViewOp>(loc, bufferType(reshape.getType()),
                                                mapping.lookup(reshape.getX()));
      mapping.map(reshape.getResult(), view);
      if (destinations.count(reshape.getResult()))
        for (unsigned target : destinations[reshape.getResult()])
          pendingCopies.emplace_back(reshape.getResult(), target);
      continue;
    }
    if (op.getDialect() != op.getContext()->getLoadedDialect<nn::NNDialect>())
      return op.emitError() << "cannot lower '" << op.getName() << "' to kernels";
    SmallVector<Value> ins, outs;
    for (Value operand : op.getOperands())
      ins.push_back(mapping.lookup(operand));
    for (Value result : op.getResults()) {
      Value out = destinationFor(result, builder, loc);
      mapping.map(result, out);
      outs.push_back(out);
    }
    builder.create<kern::KernelOp>(loc, &op, ins, outs);
  }
  // Values returned as arguments themselves, or written elsewhere first.
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (auto [value, target] : pendingCopies)
    builder.create<kern::CopyOp>(ret.getLoc(), mapping.lookup(value),
                                 lowered.getArgument(target));
  for (Value value : ret.getOperands())
    if (isa<BlockArgument>(value))
      for (unsigned target : destinations[value])
        if (target != cast<BlockArgument>(value).getArgNumber())
          builder.create<kern::CopyOp>(ret.getLoc(), mapping.lookup(value),
                                       lowered.getArgument(target));
  builder.create<func::ReturnOp>(ret.getLoc());
  func.erase();
  return success();
}

struct LowerToKernPass : public gradc::impl::LowerToKernBase<LowerToKernPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> funcs(getOperation().getOps<func::FuncOp>());
    for (func::FuncOp func : funcs)
      if (failed(FunctionLowering(func).run()))
        return signalPassFailure();
  }
};

} // namespace
