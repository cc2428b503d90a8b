//===- MLIRGen.cpp - model statements to nn-dialect functions -------------===//
//
// Blocks, statements, names and the entry functions (@forward, @forward_eval,
// @forward_eval_one) with their argument attributes; built-ins are in
// Builtins.cpp, the train section in TrainSettings.cpp.
//===----------------------------------------------------------------------===//

#include "gradc/MLIRGen/MLIRGen.h"
#include "ModelBuilder.h"

#include "gradc/Support/InternalError.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace gradc;
using namespace gradc::detail;

namespace {
/// Deep block nesting is reported rather than allowed to exhaust the stack.
constexpr size_t kMaxBlockDepth = 64;
/// Statements run while unrolling 'repeat' and inlining blocks (a 'repeat'
/// iteration counts as one): a bound on the work a model file can ask for.
constexpr int64_t kMaxUnrolledStatements = 100000;
} // namespace

bool ModelBuilder::checkSize(Type type, const Location &at) {
  int64_t count = 1;
  for (int64_t dim : cast<RankedTensorType>(type).getShape()) {
    if (llvm::MulOverflow(count, dim, count) || count > kMaxElements) {
      error(at, typeString(type) + " is too large: a tensor holds at most 2^60 elements");
      return false;
    }
  }
  return true;
}

ModelBuilder::ModelBuilder(ModuleOp module, const FileAST &file,
                           DiagnosticEngine &diag, int64_t batch, bool f64, Mode mode,
                           llvm::StringRef funcName)
    : diag(diag), builder(module.getContext()), batch(batch), mode(mode),
      module(module), file(file), f64(f64), funcName(funcName.str()) {}

mlir::Location ModelBuilder::loc(const Location &l) {
  mlir::Location at = FileLineColLoc::get(builder.getContext(), l.getFilename(), l.line, l.col);
  if (!locationName.empty())
    return NameLoc::get(builder.getStringAttr(locationName), at);
  return at;
}

std::string ModelBuilder::numberString(double value) {
  // The shortest form that reads back as the same double.
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  return text;
}

std::string ModelBuilder::typeString(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return "a non-tensor";
  std::string text;
  llvm::raw_string_ostream os(text);
  Type element = tensor.getElementType();
  if (element.isF32())
    os << "f32";
  else if (element.isF64())
    os << "f64";
  else if (element.isInteger(1))
    os << "bool";
  else
    os << "i" << element.getIntOrFloatBitWidth();
  os << "[";
  llvm::interleaveComma(tensor.getShape(), os);
  os << "]";
  return text;
}

Type ModelBuilder::floatType(Type declared) {
  if (declared.isF32() && f64)
    return builder.getF64Type();
  return declared;
}

Operation *ModelBuilder::finishInferred(Operation *op, const Location &at) {
  SmallVector<Type> types;
  auto infer = cast<InferTypeOpInterface>(op);
  // Route the dialect's explanation to the model file's diagnostics.
  std::string message;
  {
    ScopedDiagnosticHandler capture(builder.getContext(), [&](mlir::Diagnostic &d) {
      if (message.empty())
        message = d.str();
      return success();
    });
    if (succeeded(infer.inferReturnTypes(builder.getContext(), op->getLoc(),
                                         op->getOperands(),
                                         op->getRawDictionaryAttrs(),
                                         op->getPropertiesStorage(),
                                         op->getRegions(), types))) {
      for (auto [result, type] : llvm::zip(op->getResults(), types))
        result.setType(type);
      if (llvm::all_of(types, [&](Type type) { return checkSize(type, at); }))
        return op;
      op->erase();
      return nullptr;
    }
  }
  error(at, message.empty() ? "invalid operands" : message);
  op->erase();
  return nullptr;
}

Value ModelBuilder::scalar(Type elementType, double value, const Location &at) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute attr = isa<FloatType>(elementType)
                       ? Attribute(FloatAttr::get(elementType, value))
                       : Attribute(IntegerAttr::get(elementType,
                                                    static_cast<int64_t>(value)));
  return builder.create<nn::ConstantOp>(loc(at), DenseElementsAttr::get(type, attr));
}

Value ModelBuilder::addArgument(Type type, const Location &at,
                                ArrayRef<NamedAttribute> attrs) {
  argAttrs.push_back(builder.getDictionaryAttr(attrs));
  return entry->addArgument(type, loc(at));
}

void ModelBuilder::nameValue(const Val &value, llvm::StringRef name) {
  Operation *op = value.isTensor() ? value.tensor.getDefiningOp() : nullptr;
  if (!op || isa<NameLoc>(op->getLoc()))
    return;
  op->setLoc(NameLoc::get(builder.getStringAttr(name), op->getLoc()));
}

std::string ModelBuilder::place(const Location &at) const {
  return llvm::sys::path::filename(at.getFilename()).str() + ":" + std::to_string(at.line);
}

void ModelBuilder::ignoreLabel(Value labels, int64_t index) {
  while (Operation *producer = labels.getDefiningOp()) {
    if (!isa<nn::ReshapeOp, nn::TransposeOp>(producer))
      return;
    labels = producer->getOperand(0);
  }
  auto arg = dyn_cast<BlockArgument>(labels);
  if (!arg || arg.getOwner() != entry)
    return;
  NamedAttrList attrs(argAttrs[arg.getArgNumber()]);
  attrs.set(nn::NNDialect::kIgnoreIndexAttrName, builder.getI64IntegerAttr(index));
  argAttrs[arg.getArgNumber()] = attrs.getDictionary(builder.getContext());
}

void ModelBuilder::requireValues(Value value, double low, double high, bool highOpen,
                                 bool integral, const std::string &use) {
  // Reshapes and transposes move values, they do not change them.
  while (Operation *producer = value.getDefiningOp()) {
    if (!isa<nn::ReshapeOp, nn::TransposeOp>(producer))
      return;
    value = producer->getOperand(0);
  }
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != entry)
    return;
  auto role = argAttrs[arg.getArgNumber()].getAs<nn::RoleAttr>(nn::NNDialect::kRoleAttrName);
  std::optional<nn::Role> kind = role ? std::optional(role.getValue()) : std::nullopt;
  if (kind != nn::Role::Input && kind != nn::Role::Label)
    return;
  auto [it, added] =
      argRanges.try_emplace(arg.getArgNumber(),
                            AcceptedValues{low, high, highOpen, integral, use});
  if (added)
    return;
  // Two uses: the values must suit both.
  AcceptedValues &range = it->second;
  if (low > range.low)
    range.low = low;
  if (high < range.high || (high == range.high && highOpen)) {
    range.high = high;
    range.highOpen = highOpen;
    range.use = use;
  }
  range.integral = range.integral || integral;
}

std::optional<RankedTensorType> ModelBuilder::declaredType(const TensorTypeAST &type) {
  SmallVector<int64_t> shape;
  for (const DimAST &dim : type.dims)
    shape.push_back(dim.isBatch ? batch : dim.size);
  Type element;
  switch (type.elementType) {
  case ElementType::F32:
    element = floatType(builder.getF32Type());
    break;
  case ElementType::F64:
    element = builder.getF64Type();
    break;
  case ElementType::I32:
    element = builder.getI32Type();
    break;
  }
  auto result = RankedTensorType::get(shape, element);
  if (!checkSize(result, type.loc))
    return std::nullopt;
  return result;
}

/// `param NAME: TYPE init: INIT`: an argument of role param named as the
/// model (or the block instance, prefixed) names it, initialized by `zeros`,
/// `ones`, `normal(std)` or `uniform(bound)`.
Val ModelBuilder::genParam(const ParamStmtAST &stmt) {
  const std::string name = current->instance->prefix + stmt.getName().str();
  const TensorTypeAST &typeAst = stmt.getType();
  bool ok = true;
  SmallVector<int64_t> shape;
  for (const DimAST &dim : typeAst.dims) {
    if (dim.isBatch) {
      error(dim.loc, "a parameter's shape cannot hold the batch B: 'param " +
                         stmt.getName().str() + "' is the same for every batch size");
      ok = false;
    }
    shape.push_back(dim.size);
  }
  if (typeAst.elementType == ElementType::I32) {
    error(typeAst.loc, "a parameter is learned, so it is f32 or f64, not i32");
    ok = false;
  }
  std::optional<std::string> init;
  std::optional<double> scale;
  const ExprAST *initExpr = stmt.getInit();
  if (!initExpr) {
    error(stmt.getNameLoc(), "'param " + stmt.getName().str() +
                                 "' needs an initializer: init: zeros, ones, normal(std) or "
                                 "uniform(bound)");
    ok = false;
  } else if (auto *named = dyn_cast<NameExprAST>(initExpr);
             named && (named->getName() == "zeros" || named->getName() == "ones")) {
    init = named->getName().str();
  } else if (auto *call = dyn_cast<CallExprAST>(initExpr);
             call && (call->getCallee() == "normal" || call->getCallee() == "uniform") &&
             call->getArgs().size() == 1 && call->getNamedArgs().empty()) {
    const std::string what = call->getCallee() == "normal" ? "normal's standard deviation"
                                                           : "uniform's bound";
    scale = evalNumber(*call->getArgs().front(), what);
    if (scale && !(*scale > 0 && std::isfinite(*scale))) {
      error(call->getArgs().front()->getLoc(),
            what + " must be positive, got " + numberString(*scale));
      scale.reset();
    }
    if (scale)
      init = call->getCallee().str();
    else
      ok = false;
  } else {
    error(initExpr->getLoc(), "unknown initializer for a parameter; expected zeros, ones, "
                              "normal(std) or uniform(bound)");
    ok = false;
  }
  // A second declaration in one scope is a redefinition (reported as such);
  // in another iteration of a `repeat` it would make a second tensor of the
  // same name.
  if (paramArgs.count(name) && !current->lookup(stmt.getName()) && !current->instance->shared) {
    error(stmt.getNameLoc(), "parameter '" + name + "' is declared again; inside 'repeat', "
                             "declare it in a block, whose every call has its own");
    ok = false;
  }
  if (!ok)
    return Val::poison();
  Type element = floatType(typeAst.elementType == ElementType::F64 ? builder.getF64Type()
                                                                   : builder.getF32Type());
  SmallVector<NamedAttribute> extra;
  if (scale)
    extra.push_back(builder.getNamedAttr(nn::NNDialect::kInitScaleAttrName,
                                         builder.getF64FloatAttr(*scale)));
  Value value = newParam(name, shape, element, *init, nn::Role::Param, stmt.getNameLoc(), extra);
  return Val::ofTensor(value);
}

Value ModelBuilder::param(const std::string &layer, llvm::StringRef suffix,
                          ArrayRef<int64_t> shape, Type elementType,
                          llvm::StringRef init, nn::Role role,
                          const Location &at, std::optional<double> scale) {
  SmallVector<NamedAttribute> extra;
  if (scale)
    extra.push_back(builder.getNamedAttr(nn::NNDialect::kInitScaleAttrName,
                                         builder.getF64FloatAttr(*scale)));
  return newParam(layer + "." + suffix.str(), shape, elementType, init, role, at, extra);
}

Value ModelBuilder::newParam(const std::string &name, ArrayRef<int64_t> shape,
                             Type elementType, llvm::StringRef init, nn::Role role,
                             const Location &at, ArrayRef<NamedAttribute> extra) {
  auto type = RankedTensorType::get(shape, elementType);
  // A shared block instance's later call: the first call's tensor.
  if (auto known = paramArgs.find(name);
      known != paramArgs.end() && current && current->instance && current->instance->shared) {
    BlockArgument first = entry->getArgument(known->second);
    if (role == nn::Role::Buffer)
      error(at, "'" + name + "' is a running statistic, which each call of a block updates; "
                "a shared block instance cannot hold batch_norm");
    if (first.getType() == type)
      return first;
    // Reported, and a tensor of its own made, so that the layer builds.
    error(at, "the shared block instance makes '" + name + "' " + typeString(type) +
                  " here, but " + typeString(first.getType()) +
                  " at its first call: every call must give it inputs of the same shapes");
    return addArgument(type, at, {});
  }
  // Reported, and built all the same: the function is dropped for the error.
  checkSize(type, at);
  SmallVector<NamedAttribute> attrs{
      builder.getNamedAttr(nn::NNDialect::kRoleAttrName,
                           nn::RoleAttr::get(builder.getContext(), role)),
      builder.getNamedAttr(nn::NNDialect::kNameAttrName, builder.getStringAttr(name)),
      builder.getNamedAttr(nn::NNDialect::kInitAttrName, builder.getStringAttr(init))};
  attrs.append(extra.begin(), extra.end());
  paramArgs[name] = entry->getNumArguments();
  return addArgument(type, at, attrs);
}

std::optional<std::string> ModelBuilder::layerName(llvm::StringRef kind,
                                                   const CallExprAST &call,
                                                   const BlockAST *block, bool *shared) {
  Instance &instance = *current->instance;
  const bool explicitName = call.findNamedArg("name") != nullptr;
  std::string name;
  Location at = call.getLoc();
  if (const NamedArgAST *named = call.findNamedArg("name")) {
    auto *str = dyn_cast<StringExprAST>(named->value.get());
    if (!str || str->getValue().empty() ||
        str->getValue().find_first_of(". \t") != llvm::StringRef::npos) {
      error(named->loc, "'name' expects a non-empty string without '.' or spaces");
      return std::nullopt;
    }
    name = instance.prefix + str->getValue().str();
    at = named->loc;
  } else {
    int64_t &count = instance.layerCounts[kind];
    name = instance.prefix + kind.str() + "_" + std::to_string(count++);
  }
  auto known = block ? blockInstances.find(name) : blockInstances.end();
  const bool repeats = known != blockInstances.end() && known->second == block &&
                       (explicitName || instance.shared);
  if (!instance.layerNames.insert(name).second && !repeats) {
    error(at, "duplicate layer name '" + name + "'" +
                  (block && known != blockInstances.end() && known->second == block
                       ? "; to share the instance's parameters, call it with name: \"" +
                             StringRef(name).substr(instance.prefix.size()).str() + "\""
                       : std::string()));
    return std::nullopt;
  }
  if (block && !repeats)
    blockInstances[name] = block;
  if (shared)
    *shared = repeats;
  return name;
}

Value ModelBuilder::rngKey(const Location &at) {
  if (!key)
    key = addArgument(RankedTensorType::get({}, builder.getI64Type()), at,
                      {builder.getNamedAttr(nn::NNDialect::kRoleAttrName,
                                            nn::RoleAttr::get(builder.getContext(),
                                                              nn::Role::Rng))});
  return key;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Val ModelBuilder::eval(const ExprAST &expr) {
  if (auto *number = dyn_cast<NumberExprAST>(&expr))
    return Val::ofNumber(number->getValue(), number->isInteger());
  if (auto *name = dyn_cast<NameExprAST>(&expr)) {
    if (Val *value = current->lookup(name->getName()))
      return *value;
    if (name->getName() == "B")
      return Val::ofNumber(static_cast<double>(batch), true);
    error(expr.getLoc(), "unknown name '" + name->getName() + "'");
    return Val::poison();
  }
  if (auto *unary = dyn_cast<UnaryExprAST>(&expr))
    return evalUnary(*unary);
  if (auto *binary = dyn_cast<BinaryExprAST>(&expr))
    return evalBinary(*binary);
  if (auto *call = dyn_cast<CallExprAST>(&expr))
    return evalCall(*call);
  if (auto *index = dyn_cast<IndexExprAST>(&expr))
    return evalIndex(*index);
  if (isa<StringExprAST>(expr)) {
    error(expr.getLoc(), "a string is not a value here");
    return Val::poison();
  }
  error(expr.getLoc(), "a list is not a value here; lists are shapes or "
                       "permutations of reshape and transpose");
  return Val::poison();
}

std::optional<Value> ModelBuilder::evalTensor(const ExprAST &expr, llvm::StringRef what) {
  Val value = eval(expr);
  if (value.poisoned)
    return std::nullopt;
  if (!value.isTensor()) {
    error(expr.getLoc(), "expected " + what + " to be a tensor, got the number " +
                             numberString(*value.number));
    return std::nullopt;
  }
  return value.tensor;
}

std::optional<double> ModelBuilder::evalNumber(const ExprAST &expr, llvm::StringRef what) {
  Val value = eval(expr);
  if (value.poisoned)
    return std::nullopt;
  if (value.isTensor()) {
    error(expr.getLoc(), "expected " + what + " to be a number, got the tensor " +
                             typeString(value.tensor.getType()));
    return std::nullopt;
  }
  return *value.number;
}

std::optional<int64_t> ModelBuilder::evalInt(const ExprAST &expr, llvm::StringRef what,
                                             int64_t minimum) {
  Val value = eval(expr);
  if (value.poisoned)
    return std::nullopt;
  if (value.isTensor() || !value.integer) {
    error(expr.getLoc(), "expected " + what + " to be an integer, got " +
                             (value.isTensor() ? typeString(value.tensor.getType())
                                               : "the number " +
                                                     numberString(*value.number)));
    return std::nullopt;
  }
  // Integers travel as doubles, exact up to 2^53.
  if (std::fabs(*value.number) > 9007199254740992.0) {
    error(expr.getLoc(), "expected " + what + " to be at most 2^53, got " +
                             numberString(*value.number));
    return std::nullopt;
  }
  int64_t result = static_cast<int64_t>(*value.number);
  if (result < minimum) {
    error(expr.getLoc(), "expected " + what + " >= " + std::to_string(minimum) +
                             ", got " + std::to_string(result));
    return std::nullopt;
  }
  return result;
}

/// `x[...]`, as NumPy and torch index with unit steps: an index takes one
/// position of its dimension and drops it, a slice `start:stop` keeps the
/// positions in [start, stop); negative positions count from the end, slice
/// bounds are clamped to the dimension (as Python's), dimensions left out
/// are kept whole. An nn.slice, then an nn.reshape that drops the indexed
/// dimensions.
Val ModelBuilder::evalIndex(const IndexExprAST &expr) {
  std::optional<Value> x = evalTensor(expr.getBase(), "the indexed value");
  if (!x)
    return Val::poison();
  auto type = cast<RankedTensorType>(x->getType());
  ArrayRef<SubscriptAST> subs = expr.getSubscripts();
  if (static_cast<int64_t>(subs.size()) > type.getRank()) {
    error(expr.getLoc(), std::to_string(subs.size()) + " subscripts for " +
                             typeString(type) + ", which has " +
                             std::to_string(type.getRank()) + " dimensions");
    return Val::poison();
  }
  SmallVector<int64_t> start, sizes, kept;
  bool ok = true;
  for (int64_t dim = 0; dim < type.getRank(); ++dim) {
    const int64_t extent = type.getDimSize(dim);
    if (dim >= static_cast<int64_t>(subs.size())) {
      start.push_back(0);
      sizes.push_back(extent);
      kept.push_back(extent);
      continue;
    }
    const SubscriptAST &sub = subs[dim];
    const std::string where = "dimension " + std::to_string(dim) + " of " + typeString(type);
    auto position = [&](const ExprPtr &bound, StringRef what,
                        int64_t fallback) -> std::optional<int64_t> {
      if (!bound)
        return fallback;
      std::optional<int64_t> value =
          evalInt(*bound, what, std::numeric_limits<int64_t>::min() / 2);
      if (!value)
        return std::nullopt;
      return *value < 0 ? *value + extent : *value;
    };
    if (!sub.isSlice) {
      std::optional<int64_t> at = position(sub.index, "an index", 0);
      if (!at) {
        ok = false;
        continue;
      }
      if (*at < 0 || *at >= extent) {
        error(sub.loc, "index " + std::to_string(*at < 0 ? *at - extent : *at) +
                           " is out of range for " + where + " (size " +
                           std::to_string(extent) + ")");
        ok = false;
        continue;
      }
      start.push_back(*at);
      sizes.push_back(1);
      continue;
    }
    std::optional<int64_t> from = position(sub.start, "a slice's start", 0);
    std::optional<int64_t> to = position(sub.stop, "a slice's stop", extent);
    if (!from || !to) {
      ok = false;
      continue;
    }
    int64_t first = std::clamp<int64_t>(*from, 0, extent);
    int64_t last = std::clamp<int64_t>(*to, 0, extent);
    if (last <= first) {
      error(sub.loc, "the slice of " + where + " is empty: it keeps positions [" +
                         std::to_string(first) + ", " + std::to_string(last) +
                         "); tensors have no empty dimensions");
      ok = false;
      continue;
    }
    start.push_back(first);
    sizes.push_back(last - first);
    kept.push_back(last - first);
  }
  if (!ok)
    return Val::poison();
  Value result = *x;
  if (ArrayRef<int64_t>(sizes) != type.getShape())
    result = builder.create<nn::SliceOp>(loc(expr.getLoc()),
                                         RankedTensorType::get(sizes, type.getElementType()),
                                         result, builder.getDenseI64ArrayAttr(start));
  if (kept.size() != sizes.size())
    result = builder.create<nn::ReshapeOp>(
        loc(expr.getLoc()), RankedTensorType::get(kept, type.getElementType()), result);
  return Val::ofTensor(result);
}

Val ModelBuilder::evalUnary(const UnaryExprAST &expr) {
  Val operand = eval(expr.getOperand());
  if (operand.poisoned)
    return operand;
  if (!operand.isTensor())
    return Val::ofNumber(-*operand.number, operand.integer);
  if (!isa<FloatType>(cast<RankedTensorType>(operand.tensor.getType()).getElementType())) {
    error(expr.getLoc(), "cannot negate " + typeString(operand.tensor.getType()) +
                             ": arithmetic needs f32 or f64 tensors");
    return Val::poison();
  }
  return Val::ofTensor(builder.create<nn::NegOp>(loc(expr.getLoc()), operand.tensor));
}

Val ModelBuilder::evalBinary(const BinaryExprAST &expr) {
  Val lhs = eval(expr.getLHS());
  Val rhs = eval(expr.getRHS());
  if (lhs.poisoned || rhs.poisoned)
    return Val::poison();
  char op = expr.getOp();
  if (!lhs.isTensor() && !rhs.isTensor()) {
    double a = *lhs.number, b = *rhs.number;
    bool integer = lhs.integer && rhs.integer && op != '/';
    switch (op) {
    case '+':
      return Val::ofNumber(a + b, integer);
    case '-':
      return Val::ofNumber(a - b, integer);
    case '*':
      return Val::ofNumber(a * b, integer);
    default:
      if (b == 0.0) {
        error(expr.getLoc(), "division by zero");
        return Val::poison();
      }
      return Val::ofNumber(a / b, false);
    }
  }
  Type element = cast<RankedTensorType>((lhs.isTensor() ? lhs : rhs).tensor.getType())
                     .getElementType();
  for (const Val *side : {&lhs, &rhs}) {
    if (side->isTensor() &&
        !isa<FloatType>(cast<RankedTensorType>(side->tensor.getType()).getElementType())) {
      error(expr.getLoc(), std::string("'") + op + "' needs f32 or f64 tensors, got " +
                               typeString(side->tensor.getType()));
      return Val::poison();
    }
  }
  Value a = lhs.isTensor() ? lhs.tensor : scalar(element, *lhs.number, expr.getLoc());
  Value b = rhs.isTensor() ? rhs.tensor : scalar(element, *rhs.number, expr.getLoc());
  auto ta = cast<RankedTensorType>(a.getType()), tb = cast<RankedTensorType>(b.getType());
  if (ta.getElementType() != tb.getElementType()) {
    error(expr.getLoc(), std::string("operands of '") + op +
                             "' have different element types: " + typeString(ta) +
                             " and " + typeString(tb));
    return Val::poison();
  }
  if (!nn::broadcastShapes(ta.getShape(), tb.getShape())) {
    error(expr.getLoc(), std::string("shapes of '") + op + "' do not broadcast: " +
                             typeString(ta) + " and " + typeString(tb));
    return Val::poison();
  }
  Location at = expr.getLoc();
  Value result;
  switch (op) {
  case '+':
    result = create1<nn::AddOp>(at, a, b);
    break;
  case '-':
    result = create1<nn::SubOp>(at, a, b);
    break;
  case '*':
    result = create1<nn::MulOp>(at, a, b);
    break;
  default:
    result = create1<nn::DivOp>(at, a, b);
    break;
  }
  return result ? Val::ofTensor(result) : Val::poison();
}

std::string ModelBuilder::instancePrefix() const {
  return current && current->instance ? current->instance->prefix : std::string();
}

Val ModelBuilder::evalCall(const CallExprAST &call) {
  if (const BlockAST *block = file.findBlock(call.getCallee()))
    return callBlock(*block, call);
  if (const ImportAST *import = file.findImport(call.getCallee()))
    return callImport(*this, *import, call);
  bool handled = false;
  Val result = callBuiltin(*this, call, handled);
  if (handled)
    return result;
  std::string closest = closestBuiltinName(call.getCallee());
  error(call.getLoc(), "unknown layer or function '" + call.getCallee() + "'" +
                           (closest.empty() ? "" : "; did you mean '" + closest + "'?"));
  return Val::poison();
}

Val ModelBuilder::callBlock(const BlockAST &block, const CallExprAST &call) {
  if (llvm::is_contained(activeBlocks, &block)) {
    error(call.getLoc(), "block '" + block.getName() +
                             "' is used inside itself; blocks cannot be recursive");
    return Val::poison();
  }
  if (activeBlocks.size() >= kMaxBlockDepth) {
    error(call.getLoc(), "blocks are nested more than " +
                             std::to_string(kMaxBlockDepth) + " deep");
    return Val::poison();
  }
  if (call.getArgs().size() != block.getParams().size()) {
    error(call.getLoc(), "block '" + block.getName() + "' takes " +
                             std::to_string(block.getParams().size()) +
                             " arguments, got " + std::to_string(call.getArgs().size()));
    return Val::poison();
  }
  for (const NamedArgAST &named : call.getNamedArgs()) {
    if (named.name != "name") {
      error(named.loc, "unknown argument '" + named.name + "' of block '" +
                           block.getName() + "'; blocks take positional arguments "
                                             "and 'name:'");
      return Val::poison();
    }
  }
  Scope callee;
  for (auto [param, arg] : llvm::zip(block.getParams(), call.getArgs())) {
    Val value = eval(*arg);
    if (value.poisoned)
      return value;
    callee.names[param.name] = value;
  }
  bool shared = false;
  std::optional<std::string> name = layerName(block.getName(), call, &block, &shared);
  if (!name)
    return Val::poison();
  // Block instances are counted apart from layers of the same name.
  Instance instance;
  instance.prefix = *name + ".";
  instance.shared = shared;
  callee.instance = &instance;

  Scope *caller = current;
  current = &callee;
  activeBlocks.push_back(&block);
  bool ok = genStatements(block.getBody(), callee);
  Val result = ok ? eval(block.getResult()) : Val::poison();
  activeBlocks.pop_back();
  current = caller;
  return result;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool ModelBuilder::countStatement(const Location &at) {
  if (++unrolledStatements <= kMaxUnrolledStatements)
    return true;
  if (unrolledStatements == kMaxUnrolledStatements + 1)
    error(at, "the model is too large: more than " +
                  std::to_string(kMaxUnrolledStatements) +
                  " statements after unrolling 'repeat' and blocks");
  return false;
}

bool ModelBuilder::genStatements(ArrayRef<StmtPtr> body, Scope &scope) {
  bool ok = true;
  for (const StmtPtr &stmt : body) {
    if (!countStatement(stmt->getLoc()))
      return false;
    ok &= genStatement(*stmt, scope);
    if (diag.errorLimitReached())
      return false;
  }
  return ok;
}

bool ModelBuilder::genStatement(const StmtAST &stmt, Scope &scope) {
  const Location &loc = stmt.getLoc();
  CompilerScope compiling("generating IR", "", loc.getFilename(), loc.line, loc.col);
  auto defineName = [&](llvm::StringRef name, const Location &at, Val value) {
    if (name == "B") {
      error(at, "'B' is the batch size and cannot be redefined; choose another name");
      return false;
    }
    if (scope.lookup(name)) {
      error(at, "'" + name + "' is already defined; assign to it without 'let'");
      return false;
    }
    scope.names[name] = value;
    return true;
  };

  switch (stmt.getKind()) {
  case StmtAST::Stmt_Input:
  case StmtAST::Stmt_Label: {
    bool isLabel = stmt.getKind() == StmtAST::Stmt_Label;
    llvm::StringRef name;
    const TensorTypeAST *typeAst;
    Location nameLoc;
    std::optional<int64_t> classes;
    if (isLabel) {
      auto &label = cast<LabelStmtAST>(stmt);
      name = label.getName();
      typeAst = &label.getType();
      nameLoc = label.getNameLoc();
      classes = label.getClasses();
    } else {
      auto &input = cast<InputStmtAST>(stmt);
      name = input.getName();
      typeAst = &input.getType();
      nameLoc = input.getNameLoc();
    }
    auto type = declaredType(*typeAst);
    if (!type) {
      defineName(name, nameLoc, Val::poison());
      return false;
    }
    if (classes && !type->getElementType().isInteger(32)) {
      error(typeAst->loc, "'classes' needs integer class labels (i32), but '" + name +
                              "' is " + typeString(*type));
      // Defined all the same, so that its uses do not report it unknown.
      defineName(name, nameLoc, Val::poison());
      return false;
    }
    SmallVector<NamedAttribute> attrs{
        builder.getNamedAttr(nn::NNDialect::kRoleAttrName,
                             nn::RoleAttr::get(builder.getContext(),
                                               isLabel ? nn::Role::Label : nn::Role::Input)),
        builder.getNamedAttr(nn::NNDialect::kNameAttrName, builder.getStringAttr(name))};
    if (classes)
      attrs.push_back(builder.getNamedAttr(nn::NNDialect::kClassesAttrName,
                                           builder.getI64IntegerAttr(*classes)));
    Val value = Val::ofTensor(addArgument(*type, nameLoc, attrs));
    value.classes = classes;
    return defineName(name, nameLoc, value);
  }
  case StmtAST::Stmt_Let: {
    auto &let = cast<LetStmtAST>(stmt);
    if (let.getNames().size() > 1) {
      auto *call = dyn_cast<CallExprAST>(&let.getValue());
      const ImportAST *import = call ? file.findImport(call->getCallee()) : nullptr;
      if (call && import && !file.findBlock(call->getCallee())) {
        // `let logits, aux = net(x)`: an imported graph's outputs, in order.
        std::optional<SmallVector<Value>> outputs =
            callImportOutputs(*this, *import, *call, let.getNames().size());
        if (!outputs)
          return false;
        for (auto [name, output] : llvm::zip(let.getNames(), *outputs)) {
          Val value = Val::ofTensor(output);
          nameValue(value, name.name);
          defineName(name.name, name.loc, value);
        }
        return true;
      }
      if (!call || call->getCallee() != "split" || file.findBlock("split")) {
        error(let.getValue().getLoc(),
              "'let' binds " + std::to_string(let.getNames().size()) +
                  " names, but only split(...) and imported graphs give several tensors");
        return false;
      }
      std::optional<SmallVector<Value>> parts = splitTensors(*this, *call);
      if (!parts)
        return false;
      if (parts->size() != let.getNames().size()) {
        error(let.getLoc(), "split gives " + std::to_string(parts->size()) +
                                " tensors, but 'let' names " +
                                std::to_string(let.getNames().size()));
        return false;
      }
      for (auto [name, part] : llvm::zip(let.getNames(), *parts)) {
        Val value = Val::ofTensor(part);
        nameValue(value, name.name);
        defineName(name.name, name.loc, value);
      }
      return true;
    }
    Val value = eval(let.getValue());
    nameValue(value, let.getName());
    defineName(let.getName(), let.getNameLoc(), value);
    return !value.poisoned;
  }
  case StmtAST::Stmt_Assign: {
    auto &assign = cast<AssignStmtAST>(stmt);
    Val *target = scope.lookup(assign.getName());
    Val value = eval(assign.getValue());
    if (!target) {
      error(assign.getLoc(), "unknown name '" + assign.getName() +
                                 "'; introduce it with 'let'");
      return false;
    }
    nameValue(value, assign.getName());
    *target = value;
    return !value.poisoned;
  }
  case StmtAST::Stmt_Repeat: {
    auto &repeat = cast<RepeatStmtAST>(stmt);
    if (!repeat.getIndex().empty() &&
        (scope.lookup(repeat.getIndex()) || repeat.getIndex() == "B")) {
      error(repeat.getIndexLoc(), "'" + repeat.getIndex().str() +
                                      "' is already defined; name the repeat's index "
                                      "another way");
      return false;
    }
    for (int64_t i = 0; i < repeat.getCount(); ++i) {
      if (!countStatement(stmt.getLoc()))
        return false;
      // Names introduced by 'let' live for one iteration; assignments to
      // outer names carry over.
      Scope iteration;
      iteration.parent = &scope;
      iteration.instance = scope.instance;
      if (!repeat.getIndex().empty())
        iteration.names[repeat.getIndex()] = Val::ofNumber(static_cast<double>(i), true);
      Scope *outer = current;
      current = &iteration;
      bool ok = genStatements(repeat.getBody(), iteration);
      current = outer;
      if (!ok)
        return false;
    }
    return true;
  }
  case StmtAST::Stmt_Loss: {
    auto &lossStmt = cast<LossStmtAST>(stmt);
    if (loss) {
      error(stmt.getLoc(), "the model already has a loss (here: " +
                               std::to_string(lossLoc.line) + ":" +
                               std::to_string(lossLoc.col) +
                               "); write one loss, e.g. the sum of several");
      return false;
    }
    lossLoc = stmt.getLoc();
    auto value = evalTensor(lossStmt.getValue(), "the loss");
    if (!value)
      return false;
    auto type = cast<RankedTensorType>(value->getType());
    if (type.getRank() != 0 || !isa<FloatType>(type.getElementType())) {
      error(lossStmt.getValue().getLoc(),
            "the loss must be a scalar (f32[] or f64[]), got " + typeString(type) +
                "; reduce it with mean() or sum()");
      return false;
    }
    loss = *value;
    // Without an `output` statement, inference returns the loss's prediction.
    defaultOutput = lossPrediction;
    return true;
  }
  case StmtAST::Stmt_Metric:
    return genMetric(*this, cast<MetricStmtAST>(stmt).getCall());
  case StmtAST::Stmt_Output: {
    if (hasOutput) {
      error(stmt.getLoc(), "the model already has an output (here: " +
                               std::to_string(outputLoc.line) + ":" +
                               std::to_string(outputLoc.col) + ")");
      return false;
    }
    hasOutput = true;
    outputLoc = stmt.getLoc();
    auto value = evalTensor(cast<OutputStmtAST>(stmt).getValue(), "the output");
    if (!value)
      return false;
    addResult(*value, nn::Role::Output, "output");
    return true;
  }
  case StmtAST::Stmt_Freeze: {
    auto &freeze = cast<FreezeStmtAST>(stmt);
    freezes.push_back({freeze.getLayer().str(), freeze.getLayerLoc(), freeze.isGlob()});
    return true;
  }
  case StmtAST::Stmt_Param: {
    auto &param = cast<ParamStmtAST>(stmt);
    // Defined even when it failed, so that its uses do not report it unknown.
    Val value = genParam(param);
    return defineName(param.getName(), param.getNameLoc(), value) && !value.poisoned;
  }
  }
  return false;
}

void ModelBuilder::applyFreezes() {
  for (const Freeze &freeze : freezes) {
    // A glob matches a parameter's name or a layer holding it (one of the
    // name's dotted prefixes): "layer1.*", "stem", "fc?".
    std::optional<llvm::GlobPattern> glob;
    if (freeze.glob) {
      auto created = llvm::GlobPattern::create(freeze.layer, /*MaxSubPatterns=*/64);
      if (!created) {
        error(freeze.at, "invalid pattern \"" + freeze.layer + "\": " +
                             llvm::toString(created.takeError()));
        continue;
      }
      glob = std::move(*created);
    }
    auto matches = [&](llvm::StringRef name) {
      if (!glob)
        return name == freeze.layer || name.starts_with(freeze.layer + ".");
      for (size_t dot = name.find('.'); dot != llvm::StringRef::npos;
           dot = name.find('.', dot + 1))
        if (glob->match(name.take_front(dot)))
          return true;
      return glob->match(name);
    };
    bool found = false;
    for (auto &[name, index] : paramArgs) {
      if (!matches(name))
        continue;
      found = true;
      NamedAttrList attrs(argAttrs[index]);
      attrs.set(nn::NNDialect::kFrozenAttrName, builder.getUnitAttr());
      argAttrs[index] = attrs.getDictionary(builder.getContext());
    }
    if (found)
      continue;
    if (!freeze.glob) {
      error(freeze.at, "'freeze " + freeze.layer + "' names no layer with parameters and no 'param'");
      continue;
    }
    std::string names;
    size_t listed = 0;
    for (auto &[name, index] : paramArgs) {
      if (listed++ == 6) {
        names += ", ...";
        break;
      }
      names += (names.empty() ? "" : ", ") + name;
    }
    error(freeze.at, "'freeze \"" + freeze.layer + "\"' matches no parameter" +
                         (names.empty() ? std::string() : " (the model's are " + names + ")"));
  }
}

bool ModelBuilder::build() {
  const ModelAST &model = file.getModel();
  builder.setInsertionPointToEnd(module.getBody());
  func = builder.create<func::FuncOp>(loc(model.getLoc()), funcName,
                                      builder.getFunctionType({}, {}));
  entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);

  Scope scope;
  scope.instance = &modelInstance;
  current = &scope;
  bool ok = genStatements(model.getBody(), scope);
  if (ok && !loss) {
    error(model.getLoc(), "model '" + model.getName() +
                              "' has no loss; add a 'loss' statement");
    ok = false;
  }
  applyFreezes();
  if (!ok || diag.hasErrors()) {
    func.erase();
    return false;
  }

  SmallVector<Value> values{*loss};
  SmallVector<Attribute> attrs{builder.getDictionaryAttr(
      {builder.getNamedAttr(nn::NNDialect::kRoleAttrName,
                            nn::RoleAttr::get(builder.getContext(), nn::Role::Loss))})};
  if (!hasOutput && defaultOutput)
    addResult(defaultOutput, nn::Role::Output, "output");
  for (const ModelResult &result : results) {
    values.push_back(result.value);
    attrs.push_back(builder.getDictionaryAttr(
        {builder.getNamedAttr(nn::NNDialect::kRoleAttrName,
                              nn::RoleAttr::get(builder.getContext(), result.role)),
         builder.getNamedAttr(nn::NNDialect::kNameAttrName,
                              builder.getStringAttr(result.name))}));
  }
  builder.create<func::ReturnOp>(loc(model.getLoc()), values);
  func.setFunctionType(builder.getFunctionType(entry->getArgumentTypes(),
                                               ValueRange(values).getTypes()));
  for (const auto &[index, range] : argRanges) {
    NamedAttrList withRange(argAttrs[index]);
    withRange.set(nn::NNDialect::kRangeAttrName,
                  builder.getDictionaryAttr(
                      {builder.getNamedAttr("low", builder.getF64FloatAttr(range.low)),
                       builder.getNamedAttr("high", builder.getF64FloatAttr(range.high)),
                       builder.getNamedAttr("high_open", builder.getBoolAttr(range.highOpen)),
                       builder.getNamedAttr("integral", builder.getBoolAttr(range.integral)),
                       builder.getNamedAttr("use", builder.getStringAttr(range.use))}));
    argAttrs[index] = withRange.getDictionary(builder.getContext());
  }
  func.setAllArgAttrs(ArrayRef<DictionaryAttr>(argAttrs));
  func.setAllResultAttrs(attrs);
  return true;
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> gradc::mlirGen(MLIRContext &context, const FileAST &file,
                                     llvm::SourceMgr &sourceMgr,
                                     DiagnosticEngine &diag,
                                     const MLIRGenOptions &options) {
  context.getOrLoadDialect<nn::NNDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  const ModelAST &model = file.getModel();
  OpBuilder builder(&context);
  auto fileLoc = FileLineColLoc::get(&context, file.getFilename(), model.getLoc().line,
                                     model.getLoc().col);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);

  for (const std::unique_ptr<BlockAST> &block : file.getBlocks())
    if (detail::isBuiltinName(block->getName()))
      diag.error(block->getLoc(), "block '" + block->getName() +
                                      "' has the name of a built-in; rename it");

  int64_t batch = nn::train_defaults::kBatch;
  std::vector<std::string> dataNames;
  size_t labelCount = 0;
  for (const StmtPtr &stmt : model.getBody()) {
    if (auto *input = dyn_cast<InputStmtAST>(stmt.get()))
      dataNames.push_back(input->getName().str());
    if (auto *label = dyn_cast<LabelStmtAST>(stmt.get())) {
      dataNames.push_back(label->getName().str());
      ++labelCount;
    }
  }
  std::optional<nn::TrainAttr> train = genTrainSettings(context, file.getTrain(), diag,
                                                         options.batch, batch, dataNames,
                                                         labelCount);
  if (train && !checkSequenceData(file, *train, diag))
    return nullptr;
  if (train && options.ranks > 1) {
    // Data-parallel training: `batch` stays the global batch in nn.train, and
    // every entry point is built at one rank's share of it.
    if (batch % options.ranks != 0) {
      const TrainSettingAST *setting =
          file.getTrain() ? file.getTrain()->findSetting("batch") : nullptr;
      std::string what = options.batch ? "--batch " + std::to_string(batch)
                         : setting     ? "batch " + std::to_string(batch)
                                       : "the default batch " + std::to_string(batch);
      diag.error(setting && !options.batch ? setting->loc : model.getLoc(),
                 what + " does not split into " + std::to_string(options.ranks) +
                     " equal per-rank batches for --ranks " +
                     std::to_string(options.ranks) +
                     "; choose a batch that is a multiple of the number of ranks");
      return nullptr;
    }
    train = nn::TrainAttr::get(
        &context, train->getOptimizer(), train->getBatch(), train->getEpochs(), train->getLr(),
        train->getSeed(), train->getValidation(), train->getL1(), train->getL2(),
        train->getClipGradNorm(), train->getClipGradValue(), train->getSchedule(),
        train->getData(), train->getTest(), train->getEarlyStopping(), train->getCheckpoint(),
        options.ranks);
    batch /= options.ranks;
  }

  struct Variant {
    const char *name;
    Mode mode;
    int64_t batch;
    const char *what;
  };
  const Variant variants[] = {
      {"forward", Mode::Train, batch, nullptr},
      {"forward_eval", Mode::Eval, batch, "the evaluation-mode model"},
      {"forward_eval_one", Mode::Eval, 1, "the batch-1 evaluation model"},
  };
  for (const Variant &variant : variants) {
    unsigned errorsBefore = diag.getNumErrors();
    ModelBuilder mb(*module, file, diag, variant.batch, options.f64, variant.mode,
                    variant.name);
    if (!mb.build()) {
      if (variant.what && diag.getNumErrors() > errorsBefore)
        diag.note(model.getLoc(), llvm::Twine("while building ") + variant.what +
                                      " (batch " + std::to_string(variant.batch) +
                                      "); write the batch size as B");
      return nullptr;
    }
  }
  if (!train || diag.hasErrors())
    return nullptr;
  (*module)->setAttr("nn.model", builder.getStringAttr(model.getName()));
  (*module)->setAttr(nn::NNDialect::kTrainAttrName, *train);
  if (const TrainAST *section = file.getTrain())
    (*module)->setAttr(nn::NNDialect::kLocAttrName,
                       FileLineColLoc::get(&context, file.getFilename(), section->getLoc().line,
                                           section->getLoc().col));

  // Anything the checks above missed is still reported at its model line.
  std::string message;
  Location where;
  ScopedDiagnosticHandler capture(&context, [&](mlir::Diagnostic &d) {
    if (auto fileLoc = d.getLocation()->findInstanceOf<FileLineColLoc>()) {
      Location at;
      at.file = std::make_shared<std::string>(fileLoc.getFilename().str());
      at.line = fileLoc.getLine();
      at.col = fileLoc.getColumn();
      unsigned buffer = sourceMgr.getMainFileID();
      at.smLoc = sourceMgr.FindLocForLineAndColumn(buffer, at.line, at.col);
      diag.error(at, d.str());
    } else {
      diag.error(model.getLoc(), d.str());
    }
    return success();
  });
  if (failed(verify(*module)))
    return nullptr;
  return module;
}
