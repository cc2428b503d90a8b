//===- Interpreter.cpp - Evaluating functions of an nn module -------------===//

#include "gradc/Interpreter/Interpreter.h"

#include "Kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstdint>
#include <limits>

using namespace mlir;

namespace gradc::interp {
namespace detail {

//===----------------------------------------------------------------------===//
// Shape and indexing helpers
//===----------------------------------------------------------------------===//

Tensor zeros(Type type) {
  auto tensorType = cast<RankedTensorType>(type);
  return {tensorType,
          std::vector<double>(static_cast<size_t>(tensorType.getNumElements()), 0.0)};
}

llvm::ArrayRef<int64_t> shapeOf(const Tensor &tensor) {
  return tensor.type.getShape();
}

llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t dim = static_cast<int64_t>(shape.size()) - 2; dim >= 0; --dim)
    strides[dim] = strides[dim + 1] * shape[dim + 1];
  return strides;
}

llvm::SmallVector<int64_t> unravel(int64_t offset, llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t dim = static_cast<int64_t>(shape.size()) - 1; dim >= 0; --dim) {
    index[dim] = offset % shape[dim];
    offset /= shape[dim];
  }
  return index;
}

int64_t broadcastOffset(llvm::ArrayRef<int64_t> resultIndex,
                        llvm::ArrayRef<int64_t> operandShape) {
  size_t lead = resultIndex.size() - operandShape.size();
  int64_t offset = 0;
  for (size_t dim = 0; dim < operandShape.size(); ++dim) {
    int64_t index = operandShape[dim] == 1 ? 0 : resultIndex[lead + dim];
    offset = offset * operandShape[dim] + index;
  }
  return offset;
}

double nanMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a > b ? a : b;
}

double nanMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a < b ? a : b;
}

double wrapToI32(int64_t value) {
  return static_cast<double>(
      static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(value))));
}

bool isExactI64(double value) {
  // Every integral double in [-2^63, 2^63) is an i64 held exactly.
  return std::isfinite(value) && std::trunc(value) == value &&
         value >= -0x1p63 && value < 0x1p63;
}

} // namespace detail

using namespace detail;

//===----------------------------------------------------------------------===//
// Arguments and results
//===----------------------------------------------------------------------===//

/// Whether the interpreter can hold values of `type`: a statically shaped
/// ranked tensor of f32, f64, i1, i32 or i64.
static bool isSupportedType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return false;
  Type element = tensor.getElementType();
  return element.isF32() || element.isF64() || element.isInteger(1) ||
         element.isInteger(32) || element.isInteger(64);
}

/// The most elements one value may have: 2 GiB of doubles. Larger values
/// would exhaust memory, which code built without exceptions cannot report.
static constexpr int64_t kMaxElements = int64_t{1} << 28;

/// Checks that values of tensor type `type` fit the interpreter's limit.
static LogicalResult checkSize(Location loc, Type type) {
  int64_t count = 1;
  for (int64_t extent : cast<RankedTensorType>(type).getShape())
    if (llvm::MulOverflow(count, extent, count) || count > kMaxElements)
      return emitError(loc) << "a value of type " << type << " has more than 2^28 "
                            << "elements, more than the interpreter holds";
  return success();
}

/// Whether `value` is an element of `elementType` as the interpreter holds it.
static bool isValidElement(Type elementType, double value) {
  if (elementType.isInteger(1))
    return value == 0.0 || value == 1.0;
  if (elementType.isInteger(32))
    return std::trunc(value) == value && value >= INT32_MIN && value <= INT32_MAX;
  if (elementType.isInteger(64))
    return isExactI64(value);
  return true;
}

static LogicalResult checkArgument(Location loc, StringRef funcName, unsigned index,
                                   Type expected, const Tensor &arg) {
  if (!arg.type)
    return emitError(loc) << "argument #" << index << " of '@" << funcName
                          << "': expected " << expected
                          << ", found a tensor without a type";
  if (arg.type != expected)
    return emitError(loc) << "argument #" << index << " of '@" << funcName
                          << "': expected " << expected << ", found " << arg.type;
  int64_t count = arg.type.getNumElements();
  if (static_cast<int64_t>(arg.data.size()) != count)
    return emitError(loc) << "argument #" << index << " of '@" << funcName
                          << "': a value of type " << expected << " has " << count
                          << " elements, found " << arg.data.size();
  Type element = arg.type.getElementType();
  for (auto [offset, value] : llvm::enumerate(arg.data))
    if (!isValidElement(element, value))
      return emitError(loc) << "argument #" << index << " of '@" << funcName
                            << "': element " << offset << " is " << value
                            << ", not a value of " << element;
  return success();
}

/// Rounds the elements of an f32 tensor to float; other types hold exact values.
static void roundToElementType(Tensor &tensor) {
  if (!tensor.type.getElementType().isF32())
    return;
  for (double &value : tensor.data)
    value = static_cast<float>(value);
}

//===----------------------------------------------------------------------===//
// Op dispatch
//===----------------------------------------------------------------------===//

static FailureOr<Results> single(FailureOr<Tensor> result) {
  if (failed(result))
    return failure();
  Results results;
  results.push_back(std::move(*result));
  return results;
}

static FailureOr<Results> evaluateOp(Operation *op, Operands in) {
  using namespace gradc::nn;
  return llvm::TypeSwitch<Operation *, FailureOr<Results>>(op)
      .Case([&](ConstantOp o) { return single(evalConstant(o)); })
      .Case<AddOp, SubOp, MulOp, DivOp, MaximumOp, MinimumOp, PowOp>(
          [&](Operation *o) { return single(evalBinary(o, in)); })
      .Case([&](CompareOp o) { return single(evalCompare(o, in)); })
      .Case([&](SelectOp o) { return single(evalSelect(o, in)); })
      .Case([&](CastOp o) { return single(evalCast(o, in)); })
      .Case([&](UnaryFunctionOpInterface o) { return single(evalUnary(o, in)); })
      .Case([&](LeakyReluOp o) { return single(evalLeakyRelu(o, in)); })
      .Case([&](ReshapeOp o) { return single(evalReshape(o, in)); })
      .Case([&](TransposeOp o) { return single(evalTranspose(o, in)); })
      .Case([&](BroadcastToOp o) { return single(evalBroadcastTo(o, in)); })
      .Case([&](ConcatOp o) { return single(evalConcat(o, in)); })
      .Case([&](SliceOp o) { return single(evalSlice(o, in)); })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>(
          [&](Operation *o) { return single(evalReduce(o, in)); })
      .Case([&](ArgmaxOp o) { return single(evalArgmax(o, in)); })
      .Case([&](MatmulOp o) { return single(evalMatmul(o, in)); })
      .Case([&](LinearOp o) { return single(evalLinear(o, in)); })
      .Case([&](Conv2DOp o) { return single(evalConv2D(o, in)); })
      .Case([&](Conv2DBackwardInputOp o) { return single(evalConv2DBackwardInput(o, in)); })
      .Case([&](Conv2DBackwardFilterOp o) { return single(evalConv2DBackwardFilter(o, in)); })
      .Case([&](MaxPool2DOp o) { return single(evalMaxPool2D(o, in)); })
      .Case([&](AvgPool2DOp o) { return single(evalAvgPool2D(o, in)); })
      .Case([&](MaxPool2DBackwardOp o) { return single(evalMaxPool2DBackward(o, in)); })
      .Case([&](AvgPool2DBackwardOp o) { return single(evalAvgPool2DBackward(o, in)); })
      .Case([&](BatchNormTrainOp o) { return evalBatchNormTrain(o, in); })
      .Case([&](BatchNormEvalOp o) { return single(evalBatchNormEval(o, in)); })
      .Case([&](BatchNormBackwardOp o) { return evalBatchNormBackward(o, in); })
      .Case([&](LayerNormOp o) { return single(evalLayerNorm(o, in)); })
      .Case([&](LayerNormBackwardOp o) { return evalLayerNormBackward(o, in); })
      .Case<SoftmaxOp, LogSoftmaxOp>(
          [&](Operation *o) { return single(evalSoftmax(o, in)); })
      .Case([&](SoftmaxCrossEntropyOp o) { return single(evalSoftmaxCrossEntropy(o, in)); })
      .Case([&](SoftmaxCrossEntropyBackwardOp o) {
        return single(evalSoftmaxCrossEntropyBackward(o, in));
      })
      .Case([&](ConfusionMatrixOp o) { return single(evalConfusionMatrix(o, in)); })
      .Case([&](GatherRowsOp o) { return single(evalGatherRows(o, in)); })
      .Case([&](ScatterAddRowsOp o) { return single(evalScatterAddRows(o, in)); })
      .Case([&](DropoutOp o) { return single(evalDropout(o, in)); })
      .Case([&](AttentionOp o) { return evalAttention(o, in); })
      .Case([&](AttentionBackwardOp o) { return evalAttentionBackward(o, in); })
      .Case([&](LstmOp o) { return evalLstm(o, in); })
      .Case([&](LstmBackwardOp o) { return evalLstmBackward(o, in); })
      .Case([&](GruOp o) { return evalGru(o, in); })
      .Case([&](GruBackwardOp o) { return evalGruBackward(o, in); })
      .Default([&](Operation *o) -> FailureOr<Results> {
        return emitError(o->getLoc())
               << "the interpreter does not support '" << o->getName() << "'";
      });
}

//===----------------------------------------------------------------------===//
// Function calls
//===----------------------------------------------------------------------===//

namespace {

/// Runs function bodies op by op; func.call recurses into the callee.
class Evaluator {
public:
  explicit Evaluator(ModuleOp module) : symbols(module) {}

  FailureOr<std::vector<Tensor>> call(func::FuncOp func, llvm::ArrayRef<Tensor> args,
                                      unsigned depth);

private:
  /// Deeper calls than this can only come from recursion, which no nn
  /// program uses; refusing them keeps a recursive module from overflowing
  /// the stack.
  static constexpr unsigned kMaxCallDepth = 64;

  SymbolTable symbols;
};

} // namespace

FailureOr<std::vector<Tensor>> Evaluator::call(func::FuncOp func,
                                               llvm::ArrayRef<Tensor> args,
                                               unsigned depth) {
  StringRef name = func.getSymName();
  if (func.isExternal())
    return emitError(func.getLoc()) << "cannot run '@" << name
                                    << "': it is a declaration without a body";
  if (!func.getBody().hasOneBlock())
    return emitError(func.getLoc()) << "cannot run '@" << name
                                    << "': its body has more than one block";
  FunctionType type = func.getFunctionType();
  for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults())) {
    if (!isSupportedType(t))
      return emitError(func.getLoc())
             << "cannot run '@" << name << "': type " << t
             << " is not a static tensor of f32, f64, i1, i32 or i64";
    if (failed(checkSize(func.getLoc(), t)))
      return failure();
  }
  if (args.size() != type.getNumInputs())
    return emitError(func.getLoc()) << "'@" << name << "' expects "
                                    << type.getNumInputs() << " arguments, found "
                                    << args.size();

  llvm::DenseMap<Value, Tensor> values;
  Block &body = func.getBody().front();
  for (auto [index, arg] : llvm::enumerate(args)) {
    if (failed(checkArgument(func.getLoc(), name, index, type.getInput(index), arg)))
      return failure();
    Tensor value = arg;
    roundToElementType(value);
    values[body.getArgument(index)] = std::move(value);
  }

  for (Operation &op : body) {
    llvm::SmallVector<const Tensor *> operands;
    for (Value operand : op.getOperands()) {
      auto it = values.find(operand);
      if (it == values.end())
        return emitError(op.getLoc()) << "operand of '" << op.getName()
                                      << "' has no value";
      operands.push_back(&it->second);
    }

    if (isa<func::ReturnOp>(op)) {
      std::vector<Tensor> results;
      for (const Tensor *operand : operands)
        results.push_back(*operand);
      return results;
    }

    if (!isa<func::CallOp>(op) && !isa_and_nonnull<nn::NNDialect>(op.getDialect()))
      return emitError(op.getLoc())
             << "the interpreter does not support '" << op.getName() << "'";
    for (Type type : op.getResultTypes()) {
      if (!isSupportedType(type))
        return emitError(op.getLoc())
               << "the interpreter does not hold values of type " << type;
      if (failed(checkSize(op.getLoc(), type)))
        return failure();
    }

    FailureOr<Results> results = failure();
    if (auto callOp = dyn_cast<func::CallOp>(op)) {
      auto callee = symbols.lookup<func::FuncOp>(callOp.getCallee());
      if (!callee)
        return emitError(op.getLoc()) << "no function named '@" << callOp.getCallee()
                                      << "' to call";
      if (depth + 1 >= kMaxCallDepth)
        return emitError(op.getLoc()) << "calls nest deeper than " << kMaxCallDepth
                                      << " levels; is '@" << callOp.getCallee()
                                      << "' recursive?";
      std::vector<Tensor> callArgs;
      for (const Tensor *operand : operands)
        callArgs.push_back(*operand);
      auto callResults = call(callee, callArgs, depth + 1);
      if (failed(callResults))
        return failure();
      results = Results(std::make_move_iterator(callResults->begin()),
                        std::make_move_iterator(callResults->end()));
    } else {
      results = evaluateOp(&op, operands);
    }
    if (failed(results))
      return failure();

    if (results->size() != op.getNumResults())
      return emitError(op.getLoc())
             << "internal error: evaluating '" << op.getName() << "' gave "
             << results->size() << " results, expected " << op.getNumResults();
    for (auto [result, tensor] : llvm::zip_equal(op.getResults(), *results)) {
      if (tensor.type != result.getType() ||
          static_cast<int64_t>(tensor.data.size()) != tensor.type.getNumElements())
        return emitError(op.getLoc())
               << "internal error: evaluating '" << op.getName() << "' gave "
               << tensor.data.size() << " elements, expected " << result.getType();
      roundToElementType(tensor);
      values[result] = std::move(tensor);
    }
  }
  return emitError(func.getLoc()) << "'@" << name << "' ends without func.return";
}

//===----------------------------------------------------------------------===//
// Interpreter
//===----------------------------------------------------------------------===//

Interpreter::Interpreter(ModuleOp module) : module(module) {}

FailureOr<std::vector<Tensor>> Interpreter::run(llvm::StringRef funcName,
                                                llvm::ArrayRef<Tensor> args) {
  if (!verified)
    verified = succeeded(verify(module));
  if (!*verified)
    return emitError(module.getLoc()) << "cannot run a module that fails to verify";
  auto func = module.lookupSymbol<func::FuncOp>(funcName);
  if (!func)
    return emitError(module.getLoc()) << "no function named '@" << funcName
                                      << "' in the module";
  return Evaluator(module).call(func, args, 0);
}

} // namespace gradc::interp
