//===- Autodiff.cpp - symbolic reverse-mode differentiation ---------------===//

#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Dialect/NN/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

namespace gradc {
#define GEN_PASS_DEF_AUTODIFF
#include "gradc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;
using namespace gradc::nn;

namespace {

StringAttr argString(func::FuncOp func, unsigned index, StringRef name) {
  return func.getArgAttrOfType<StringAttr>(index, name);
}

bool isTrainableParam(func::FuncOp func, unsigned index) {
  return argumentRole(func, index) == Role::Param &&
         !func.getArgAttr(index, NNDialect::kFrozenAttrName);
}

/// " (of net.onnx: node '/fc/Gemm' (Gemm))" for an op an imported graph's
/// node became (its location's name), else "".
std::string origin(Operation *op) {
  if (auto named = dyn_cast<NameLoc>(op->getLoc()))
    return " (of " + named.getName().str() + ")";
  return "";
}

/// Where a gradient could not flow: names the op that turned parameter-
/// dependent values into something without a derivative.
InFlightDiagnostic reportBlockedPath(Value value, Operation *consumer) {
  if (Operation *producer = value.getDefiningOp()) {
    if (!isa<DifferentiableOpInterface>(producer)) {
      InFlightDiagnostic diag = producer->emitError()
                                << "'" << producer->getName() << "'" << origin(producer)
                                << " is not differentiable, but the loss depends "
                                   "on trainable parameters through it";
      diag.attachNote(consumer->getLoc()) << "used here on the way to the loss";
      return diag;
    }
  }
  return consumer->emitError()
         << "the loss depends on trainable parameters through a "
         << value.getType() << " operand of '" << consumer->getName()
         << "', which carries no gradient";
}

class Differentiator {
public:
  Differentiator(func::FuncOp forward) : forward(forward) {}

  LogicalResult run(StringRef gradName);

private:
  LogicalResult findLoss();
  void analyzeActivity(Block &body, Value loss);
  LogicalResult backpropagate(ArrayRef<Operation *> forwardOps, OpBuilder &builder);
  void accumulate(Value value, Value grad, OpBuilder &builder);

  func::FuncOp forward;
  unsigned lossIndex = 0;
  llvm::DenseSet<Value> varied;  // depends on a trainable parameter
  llvm::DenseSet<Value> useful;  // the loss depends on it
  llvm::DenseMap<Value, Value> grads;

  bool isActive(Value value) const {
    return varied.contains(value) && useful.contains(value);
  }
};

LogicalResult Differentiator::findLoss() {
  std::optional<unsigned> found;
  for (unsigned i = 0, e = forward.getNumResults(); i < e; ++i) {
    if (resultRole(forward, i) != Role::Loss)
      continue;
    if (found)
      return forward.emitError() << "expected one result with nn.role = #nn.role<loss>, "
                                    "found results #"
                                 << *found << " and #" << i;
    found = i;
  }
  if (!found)
    return forward.emitError()
           << "expected a result with nn.role = #nn.role<loss> to differentiate, found none";
  auto type = dyn_cast<RankedTensorType>(forward.getResultTypes()[*found]);
  if (!type || type.getRank() != 0 || !isa<FloatType>(type.getElementType()))
    return forward.emitError() << "expected the loss to be a rank-0 float tensor, found "
                               << forward.getResultTypes()[*found];
  lossIndex = *found;
  return success();
}

void Differentiator::analyzeActivity(Block &body, Value loss) {
  for (BlockArgument arg : body.getArguments())
    if (isTrainableParam(forward, arg.getArgNumber()))
      varied.insert(arg);
  for (Operation &op : body)
    if (llvm::any_of(op.getOperands(), [&](Value v) { return varied.contains(v); }))
      varied.insert(op.getResults().begin(), op.getResults().end());

  useful.insert(loss);
  for (Operation &op : llvm::reverse(body))
    if (llvm::any_of(op.getResults(), [&](Value v) { return useful.contains(v); }))
      useful.insert(op.getOperands().begin(), op.getOperands().end());
}

void Differentiator::accumulate(Value value, Value grad, OpBuilder &builder) {
  auto [it, inserted] = grads.try_emplace(value, grad);
  if (!inserted)
    it->second = builder.create<AddOp>(grad.getLoc(), it->second, grad);
}

LogicalResult Differentiator::backpropagate(ArrayRef<Operation *> forwardOps,
                                            OpBuilder &builder) {
  for (Operation *op : llvm::reverse(forwardOps)) {
    SmallVector<Value> resultGrads;
    bool anyGrad = false;
    for (Value result : op->getResults()) {
      Value grad = isActive(result) ? grads.lookup(result) : Value();
      resultGrads.push_back(grad);
      anyGrad |= static_cast<bool>(grad);
    }
    if (!anyGrad)
      continue;

    auto differentiable = dyn_cast<DifferentiableOpInterface>(op);
    if (!differentiable) {
      InFlightDiagnostic diag = op->emitError()
                                << "'" << op->getName() << "'" << origin(op)
                                << " is not differentiable, but the loss depends on "
                                   "trainable parameters through it";
      return failure();
    }
    SmallVector<Value> operandGrads;
    if (failed(differentiable.buildVJP(builder, resultGrads, operandGrads)))
      return failure();
    if (operandGrads.size() != op->getNumOperands())
      return op->emitError() << "internal error: the derivative of '" << op->getName()
                             << "' built " << operandGrads.size()
                             << " operand gradients for " << op->getNumOperands()
                             << " operands";
    for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
      if (!isActive(operand))
        continue;
      Value grad = operandGrads[index];
      if (!grad) {
        if (differentiable.isNonDifferentiableOperand(index))
          continue;
        return reportBlockedPath(operand, op);
      }
      if (grad.getType() != operand.getType())
        return op->emitError() << "internal error: gradient of type " << grad.getType()
                               << " for operand #" << index << " of type "
                               << operand.getType();
      accumulate(operand, grad, builder);
    }
  }
  return success();
}

/// Names the op computing the gradient of each named forward value
/// `grad_<name>`, as generated code then names its buffer; the other ops of
/// the backward pass, which derivative rules build at the location of the op
/// they differentiate, do not keep its model name. Forward ops are visited in
/// order, so a gradient shared by several values takes the last one's name
/// the same way every time.
void nameGradients(Block &body, ArrayRef<Operation *> forwardOps,
                   const llvm::DenseMap<Value, Value> &grads) {
  llvm::SmallPtrSet<Operation *, 32> forward(forwardOps.begin(), forwardOps.end());
  for (Operation &op : body)
    if (!forward.contains(&op))
      if (auto named = dyn_cast<NameLoc>(op.getLoc()))
        op.setLoc(named.getChildLoc());
  for (Operation *op : forwardOps) {
    auto name = dyn_cast<NameLoc>(op->getLoc());
    if (!name)
      continue;
    for (Value result : op->getResults()) {
      Value grad = grads.lookup(result);
      Operation *backward = grad ? grad.getDefiningOp() : nullptr;
      if (!backward || forward.contains(backward))
        continue;
      Location inner = backward->getLoc();
      if (auto named = dyn_cast<NameLoc>(inner))
        inner = named.getChildLoc();
      backward->setLoc(NameLoc::get(
          StringAttr::get(backward->getContext(), "grad_" + name.getName().str()), inner));
    }
  }
}

/// Erases ops of `block` whose results are unused and which have no effects:
/// derivative rules build gradients for every operand, active or not.
void eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (op.use_empty() && !op.hasTrait<OpTrait::IsTerminator>() && isPure(&op))
      op.erase();
}

LogicalResult Differentiator::run(StringRef gradName) {
  if (forward.isExternal() || !llvm::hasSingleElement(forward.getBody()))
    return forward.emitError() << "expected a function with one block to differentiate";
  if (failed(findLoss()))
    return failure();
  // Gradients, optimizer state and checkpoints find parameters by name.
  llvm::StringMap<unsigned> named;
  for (unsigned i = 0, e = forward.getNumArguments(); i < e; ++i) {
    StringAttr name = argString(forward, i, NNDialect::kNameAttrName);
    std::optional<Role> role = argumentRole(forward, i);
    if (!name || (role != Role::Param && role != Role::Buffer))
      continue;
    auto [it, inserted] = named.try_emplace(name.getValue(), i);
    if (!inserted)
      return forward.emitError() << "arguments #" << it->second << " and #" << i
                                 << " are both named '" << name.getValue()
                                 << "'; every parameter and buffer needs its own nn.name";
  }
  auto module = forward->getParentOfType<ModuleOp>();
  if (module.lookupSymbol(gradName))
    return forward.emitError() << "cannot create @" << gradName
                               << ": the module already has a symbol of that name";

  func::FuncOp gradFunc = forward.clone();
  gradFunc.setSymName(gradName);
  module.insert(std::next(Block::iterator(forward)), gradFunc);

  Block &body = gradFunc.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value loss = ret.getOperand(lossIndex);
  analyzeActivity(body, loss);

  SmallVector<Operation *> forwardOps;
  for (Operation &op : body.without_terminator())
    forwardOps.push_back(&op);

  OpBuilder builder(ret);
  auto lossType = cast<RankedTensorType>(loss.getType());
  grads[loss] = builder.create<ConstantOp>(
      ret.getLoc(), DenseElementsAttr::get(
                        lossType, FloatAttr::get(lossType.getElementType(), 1.0)));
  if (failed(backpropagate(forwardOps, builder))) {
    gradFunc.erase();
    return failure();
  }
  nameGradients(body, forwardOps, grads);

  SmallVector<Value> results(ret.getOperands());
  SmallVector<Attribute> resultAttrs;
  for (unsigned i = 0, e = forward.getNumResults(); i < e; ++i)
    resultAttrs.push_back(forward.getResultAttrDict(i)
                              ? Attribute(forward.getResultAttrDict(i))
                              : DictionaryAttr::get(forward.getContext()));
  MLIRContext *context = forward.getContext();
  for (BlockArgument arg : body.getArguments()) {
    unsigned index = arg.getArgNumber();
    if (!isTrainableParam(forward, index))
      continue;
    Value grad = grads.lookup(arg);
    StringAttr name = argString(forward, index, NNDialect::kNameAttrName);
    if (!grad) {
      auto type = cast<RankedTensorType>(arg.getType());
      grad = builder.create<ConstantOp>(
          arg.getLoc(),
          DenseElementsAttr::get(type, FloatAttr::get(type.getElementType(), 0.0)));
      forward.emitWarning() << "the loss does not depend on parameter "
                            << (name ? name.getValue() : StringRef("#" + std::to_string(index)))
                            << "; its gradient is zero";
    }
    results.push_back(grad);
    SmallVector<NamedAttribute> attrs{
        NamedAttribute(StringAttr::get(context, NNDialect::kRoleAttrName),
                       RoleAttr::get(context, Role::Grad))};
    if (name)
      attrs.emplace_back(StringAttr::get(context, NNDialect::kNameAttrName), name);
    resultAttrs.push_back(DictionaryAttr::get(context, attrs));
  }
  builder.create<func::ReturnOp>(ret.getLoc(), results);
  ret.erase();
  gradFunc.setFunctionType(
      FunctionType::get(context, gradFunc.getArgumentTypes(), ValueRange(results).getTypes()));
  gradFunc.setAllResultAttrs(resultAttrs);
  eraseDeadOps(body);
  return success();
}

struct AutodiffPass : public gradc::impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>(entry);
    if (!forward) {
      module.emitError() << "no function @" << entry << " to differentiate";
      return signalPassFailure();
    }
    if (failed(Differentiator(forward).run(gradName)))
      signalPassFailure();
  }
};

} // namespace
