//===- NNOps.cpp - nn dialect: shape rules, verifiers and folders ---------===//

#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace gradc::nn;

#include "gradc/Dialect/NN/IR/NNEnums.cpp.inc"

#define GET_OP_CLASSES
#include "gradc/Dialect/NN/IR/NNOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

std::optional<SmallVector<int64_t>>
gradc::nn::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l != r && l != 1 && r != 1)
      return std::nullopt;
    result[i] = l == 1 ? r : l;
  }
  return result;
}

static RankedTensorType tensorOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

static RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type element) {
  return RankedTensorType::get(shape, element);
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [index, dim] : llvm::enumerate(shape))
    text += (index ? ", " : "") + std::to_string(dim);
  return text + "]";
}

/// Output extent of a sliding window: (in + 2 pad - window) / stride + 1, or
/// std::nullopt when the window does not fit.
static std::optional<int64_t> windowOutputSize(int64_t in, int64_t window,
                                               int64_t stride, int64_t pad) {
  int64_t padded = in + 2 * pad;
  if (window <= 0 || stride <= 0 || padded < window)
    return std::nullopt;
  return (padded - window) / stride + 1;
}

static LogicalResult checkPair(std::optional<Location> loc, StringRef what,
                               ArrayRef<int64_t> values, int64_t minimum) {
  if (values.size() != 2)
    return emitOptionalError(loc, "expected '", what, "' to have 2 entries, found ",
                             values.size());
  for (int64_t value : values)
    if (value < minimum)
      return emitOptionalError(loc, "expected '", what, "' entries >= ", minimum,
                               ", found ", shapeString(values));
  return success();
}

/// Spatial output shape of a convolution or pooling window over [.., H, W].
static FailureOr<SmallVector<int64_t>>
windowOutputShape(std::optional<Location> loc, ArrayRef<int64_t> inputHW,
                  ArrayRef<int64_t> window, ArrayRef<int64_t> stride,
                  ArrayRef<int64_t> padding) {
  SmallVector<int64_t> out;
  for (int i = 0; i < 2; ++i) {
    auto size = windowOutputSize(inputHW[i], window[i], stride[i], padding[i]);
    if (!size) {
      (void)emitOptionalError(
          loc, "window ", shapeString(window), " with padding ",
          shapeString(padding), " does not fit the spatial input ",
          shapeString(inputHW));
      return failure();
    }
    out.push_back(*size);
  }
  return out;
}

static LogicalResult requireRank(std::optional<Location> loc, StringRef what,
                                 RankedTensorType type, int64_t rank) {
  if (type.getRank() != rank)
    return emitOptionalError(loc, "expected ", what, " of rank ", rank,
                             ", found ", type);
  return success();
}

static LogicalResult requireSameElementType(std::optional<Location> loc,
                                            StringRef what, Type expected,
                                            RankedTensorType found) {
  if (found.getElementType() != expected)
    return emitOptionalError(loc, "expected ", what, " with element type ",
                             expected, ", found ", found);
  return success();
}

static LogicalResult requireShape(std::optional<Location> loc, StringRef what,
                                  ArrayRef<int64_t> expected,
                                  RankedTensorType found) {
  if (found.getShape() != expected)
    return emitOptionalError(loc, "expected ", what, " of shape ",
                             shapeString(expected), ", found ", found);
  return success();
}

//===----------------------------------------------------------------------===//
// Folding helpers
//===----------------------------------------------------------------------===//

/// The splat value of a float constant operand, if it is one.
static std::optional<double> splatFloat(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat() || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToDouble();
}

static DenseElementsAttr splatOf(Type type, double value) {
  auto tensor = cast<RankedTensorType>(type);
  auto floatType = cast<FloatType>(tensor.getElementType());
  APFloat number(value);
  bool losesInfo = false;
  number.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                 &losesInfo);
  return DenseElementsAttr::get(tensor, number);
}

/// Folds a float elementwise unary op applied to a splat constant.
static OpFoldResult foldUnarySplat(Attribute operand, Type resultType,
                                   llvm::function_ref<double(double)> fn) {
  if (auto value = splatFloat(operand))
    return splatOf(resultType, fn(*value));
  return {};
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getValue().getType());
  return success();
}

LogicalResult ConstantOp::verify() {
  if (!isa<RankedTensorType>(getValue().getType()))
    return emitOpError() << "expected a ranked tensor value, found "
                         << getValue().getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Broadcasting binary ops, compare, select
//===----------------------------------------------------------------------===//

static LogicalResult inferBroadcast(std::optional<Location> loc,
                                    ArrayRef<RankedTensorType> operands,
                                    Type element, SmallVectorImpl<Type> &types) {
  SmallVector<int64_t> shape(operands.front().getShape());
  for (RankedTensorType operand : operands.drop_front()) {
    auto joined = broadcastShapes(shape, operand.getShape());
    if (!joined)
      return emitOptionalError(loc, "operands are not broadcast-compatible: ",
                               operands.front(), " and ", operand);
    shape = *joined;
  }
  types.push_back(tensorOf(shape, element));
  return success();
}

static LogicalResult inferBinary(std::optional<Location> loc, Value lhs, Value rhs,
                                 SmallVectorImpl<Type> &types) {
  RankedTensorType l = tensorOf(lhs), r = tensorOf(rhs);
  if (l.getElementType() != r.getElementType())
    return emitOptionalError(loc, "expected operands of the same element type, found ",
                             l, " and ", r);
  return inferBroadcast(loc, {l, r}, l.getElementType(), types);
}

#define NN_BINARY_INFER(OpClass)                                               \
  LogicalResult OpClass::inferReturnTypes(MLIRContext *,                       \
                                          std::optional<Location> loc,         \
                                          Adaptor adaptor,                     \
                                          SmallVectorImpl<Type> &types) {      \
    return inferBinary(loc, adaptor.getLhs(), adaptor.getRhs(), types);        \
  }
NN_BINARY_INFER(AddOp)
NN_BINARY_INFER(SubOp)
NN_BINARY_INFER(MulOp)
NN_BINARY_INFER(DivOp)
NN_BINARY_INFER(MaximumOp)
NN_BINARY_INFER(MinimumOp)
NN_BINARY_INFER(PowOp)
#undef NN_BINARY_INFER

/// Folds `x op splat(identity)` to `x` when that does not change the type,
/// and two splat float constants to a splat of the result.
static OpFoldResult foldBinary(Value lhs, Attribute lhsAttr, Attribute rhsAttr,
                               Type resultType, std::optional<double> identity,
                               llvm::function_ref<double(double, double)> fn) {
  auto l = splatFloat(lhsAttr), r = splatFloat(rhsAttr);
  if (l && r)
    return splatOf(resultType, fn(*l, *r));
  if (identity && r && *r == *identity && lhs.getType() == resultType)
    return lhs;
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (auto result = foldBinary(getLhs(), adaptor.getLhs(), adaptor.getRhs(),
                               getType(), 0.0, std::plus<double>()))
    return result;
  // Addition commutes: the canonical operand order puts constants on the right,
  // but fold before canonicalization too.
  return foldBinary(getRhs(), adaptor.getRhs(), adaptor.getLhs(), getType(), 0.0,
                    std::plus<double>());
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldBinary(getLhs(), adaptor.getLhs(), adaptor.getRhs(), getType(), 0.0,
                    std::minus<double>());
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (auto result = foldBinary(getLhs(), adaptor.getLhs(), adaptor.getRhs(),
                               getType(), 1.0, std::multiplies<double>()))
    return result;
  return foldBinary(getRhs(), adaptor.getRhs(), adaptor.getLhs(), getType(), 1.0,
                    std::multiplies<double>());
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldBinary(getLhs(), adaptor.getLhs(), adaptor.getRhs(), getType(), 1.0,
                    std::divides<double>());
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  return foldBinary(getLhs(), adaptor.getLhs(), adaptor.getRhs(), getType(), 1.0,
                    [](double a, double b) { return std::pow(a, b); });
}

OpFoldResult MaximumOp::fold(FoldAdaptor adaptor) {
  if (getLhs() == getRhs() && getLhs().getType() == getType())
    return getLhs();
  return foldBinary(getLhs(), adaptor.getLhs(), adaptor.getRhs(), getType(),
                    std::nullopt, [](double a, double b) {
                      return std::isnan(a) || std::isnan(b) ? NAN : std::fmax(a, b);
                    });
}

OpFoldResult MinimumOp::fold(FoldAdaptor adaptor) {
  if (getLhs() == getRhs() && getLhs().getType() == getType())
    return getLhs();
  return foldBinary(getLhs(), adaptor.getLhs(), adaptor.getRhs(), getType(),
                    std::nullopt, [](double a, double b) {
                      return std::isnan(a) || std::isnan(b) ? NAN : std::fmin(a, b);
                    });
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType l = tensorOf(adaptor.getLhs()), r = tensorOf(adaptor.getRhs());
  if (l.getElementType() != r.getElementType())
    return emitOptionalError(loc, "expected operands of the same element type, found ",
                             l, " and ", r);
  return inferBroadcast(loc, {l, r}, IntegerType::get(context, 1), types);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType cond = tensorOf(adaptor.getCond());
  RankedTensorType t = tensorOf(adaptor.getOnTrue());
  RankedTensorType f = tensorOf(adaptor.getOnFalse());
  if (t.getElementType() != f.getElementType())
    return emitOptionalError(loc, "expected values of the same element type, found ",
                             t, " and ", f);
  return inferBroadcast(loc, {cond, t, f}, t.getElementType(), types);
}

OpFoldResult SelectOp::fold(FoldAdaptor adaptor) {
  if (getOnTrue() == getOnFalse() && getOnTrue().getType() == getType())
    return getOnTrue();
  auto cond = dyn_cast_or_null<DenseElementsAttr>(adaptor.getCond());
  if (!cond || !cond.isSplat())
    return {};
  Value chosen = cond.getSplatValue<bool>() ? getOnTrue() : getOnFalse();
  return chosen.getType() == getType() ? chosen : OpFoldResult();
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getX().getType() == getType())
    return getX();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getX());
  Type to = getType().getElementType();
  if (!dense || !dense.isSplat() || !isa<FloatType>(to))
    return {};
  Type from = dense.getElementType();
  double value;
  if (isa<FloatType>(from))
    value = dense.getSplatValue<APFloat>().convertToDouble();
  else if (from.isInteger(1))
    value = dense.getSplatValue<bool>() ? 1.0 : 0.0;
  else
    value = static_cast<double>(dense.getSplatValue<APInt>().getSExtValue());
  return splatOf(getType(), value);
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

OpFoldResult gradc::nn::foldUnaryFunction(UnaryFunctionOpInterface op, Attribute operand) {
  return foldUnarySplat(operand, op->getResult(0).getType(),
                        [&](double x) { return op.evaluate(x); });
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  RankedTensorType in = tensorOf(getX()), out = tensorOf(getResult());
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "expected result element type " << in.getElementType()
                         << ", found " << out.getElementType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "expected a result with " << in.getNumElements()
                         << " elements like the operand " << in << ", found "
                         << out << " with " << out.getNumElements();
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getX().getType() == getType())
    return getX();
  if (auto inner = getX().getDefiningOp<ReshapeOp>()) {
    getXMutable().assign(inner.getX());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getX()))
    return dense.reshape(getType());
  return {};
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType in = tensorOf(adaptor.getX());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return emitOptionalError(loc, "expected a permutation of ", in.getRank(),
                             " dimensions, found ", shapeString(perm));
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t dim : perm) {
    if (dim < 0 || dim >= in.getRank() || seen[dim])
      return emitOptionalError(loc, "expected a permutation of [0, ", in.getRank(),
                               "), found ", shapeString(perm));
    seen[dim] = true;
    shape.push_back(in.getDimSize(dim));
  }
  types.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  bool identity = llvm::all_of(llvm::enumerate(getPermutation()), [](auto entry) {
    return static_cast<int64_t>(entry.index()) == entry.value();
  });
  if (identity)
    return getX();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getX());
  if (dense && dense.isSplat())
    return dense.resizeSplat(getType());
  return {};
}

LogicalResult BroadcastToOp::verify() {
  RankedTensorType in = tensorOf(getX()), out = tensorOf(getResult());
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "expected result element type " << in.getElementType()
                         << ", found " << out.getElementType();
  auto joined = broadcastShapes(in.getShape(), out.getShape());
  if (!joined || ArrayRef<int64_t>(*joined) != out.getShape())
    return emitOpError() << "expected a result shape that " << in
                         << " broadcasts to, found " << out;
  return success();
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getX().getType() == getType())
    return getX();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getX());
  if (dense && dense.isSplat())
    return dense.resizeSplat(getType());
  return {};
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "expected at least one input, found none");
  RankedTensorType first = tensorOf(adaptor.getInputs().front());
  int64_t rank = first.getRank();
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, "expected axis in [0, ", rank, "), found ", axis);
  SmallVector<int64_t> shape(first.getShape());
  for (Value input : adaptor.getInputs().drop_front()) {
    RankedTensorType type = tensorOf(input);
    if (type.getElementType() != first.getElementType() || type.getRank() != rank)
      return emitOptionalError(loc, "expected inputs like ", first, ", found ", type);
    for (int64_t dim = 0; dim < rank; ++dim) {
      if (dim == axis)
        continue;
      if (type.getDimSize(dim) != first.getDimSize(dim))
        return emitOptionalError(loc, "expected inputs to agree in dimension ", dim,
                                 ": ", first, " and ", type);
    }
    shape[axis] += type.getDimSize(axis);
  }
  types.push_back(tensorOf(shape, first.getElementType()));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  return {};
}

LogicalResult SliceOp::verify() {
  RankedTensorType in = tensorOf(getX()), out = tensorOf(getResult());
  if (in.getElementType() != out.getElementType() || in.getRank() != out.getRank())
    return emitOpError() << "expected a result of the operand's rank and element "
                            "type, found "
                         << out << " for " << in;
  ArrayRef<int64_t> start = getStart();
  if (static_cast<int64_t>(start.size()) != in.getRank())
    return emitOpError() << "expected " << in.getRank() << " start indices, found "
                         << start.size();
  for (int64_t dim = 0; dim < in.getRank(); ++dim)
    if (start[dim] < 0 || start[dim] + out.getDimSize(dim) > in.getDimSize(dim))
      return emitOpError() << "window " << shapeString(start) << " + "
                           << shapeString(out.getShape())
                           << " exceeds the operand shape "
                           << shapeString(in.getShape()) << " in dimension " << dim;
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getX().getType() == getType())
    return getX();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getX());
  if (dense && dense.isSplat())
    return dense.resizeSplat(getType());
  return {};
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

static LogicalResult inferReduce(std::optional<Location> loc, Value x,
                                 ArrayRef<int64_t> axes, bool keepDims,
                                 SmallVectorImpl<Type> &types) {
  RankedTensorType in = tensorOf(x);
  for (auto [index, axis] : llvm::enumerate(axes))
    if (axis < 0 || axis >= in.getRank() || (index && axes[index - 1] >= axis))
      return emitOptionalError(loc, "expected sorted, distinct axes in [0, ",
                               in.getRank(), "), found ", shapeString(axes));
  SmallVector<int64_t> shape;
  for (int64_t dim = 0; dim < in.getRank(); ++dim) {
    if (!llvm::is_contained(axes, dim))
      shape.push_back(in.getDimSize(dim));
    else if (keepDims)
      shape.push_back(1);
  }
  types.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

#define NN_REDUCE(OpClass)                                                     \
  LogicalResult OpClass::inferReturnTypes(MLIRContext *,                       \
                                          std::optional<Location> loc,         \
                                          Adaptor adaptor,                     \
                                          SmallVectorImpl<Type> &types) {      \
    return inferReduce(loc, adaptor.getX(), adaptor.getAxes(),                 \
                       adaptor.getKeepDims(), types);                          \
  }                                                                            \
  OpFoldResult OpClass::fold(FoldAdaptor) {                                    \
    if (getAxes().empty() && getX().getType() == getType())                    \
      return getX();                                                           \
    return {};                                                                 \
  }
NN_REDUCE(ReduceSumOp)
NN_REDUCE(ReduceMeanOp)
NN_REDUCE(ReduceMaxOp)
#undef NN_REDUCE

LogicalResult ArgmaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType in = tensorOf(adaptor.getX());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= in.getRank())
    return emitOptionalError(loc, "expected axis in [0, ", in.getRank(),
                             "), found ", axis);
  SmallVector<int64_t> shape(in.getShape());
  shape.erase(shape.begin() + axis);
  types.push_back(tensorOf(shape, IntegerType::get(context, 32)));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType a = tensorOf(adaptor.getLhs()), b = tensorOf(adaptor.getRhs());
  if (a.getRank() < 2 || b.getRank() < 2)
    return emitOptionalError(loc, "expected operands of rank >= 2, found ", a,
                             " and ", b);
  if (a.getElementType() != b.getElementType())
    return emitOptionalError(loc, "expected operands of the same element type, found ",
                             a, " and ", b);
  ArrayRef<int64_t> as = a.getShape(), bs = b.getShape();
  int64_t m = as[as.size() - 2], k = as.back();
  if (adaptor.getTransposeLhs())
    std::swap(m, k);
  int64_t k2 = bs[bs.size() - 2], n = bs.back();
  if (adaptor.getTransposeRhs())
    std::swap(k2, n);
  if (k != k2)
    return emitOptionalError(loc, "contracting dimensions differ: ", k, " in ", a,
                             " and ", k2, " in ", b);
  auto batch = broadcastShapes(as.drop_back(2), bs.drop_back(2));
  if (!batch)
    return emitOptionalError(loc, "batch dimensions are not broadcast-compatible: ",
                             a, " and ", b);
  SmallVector<int64_t> shape(*batch);
  shape.append({m, n});
  types.push_back(tensorOf(shape, a.getElementType()));
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType x = tensorOf(adaptor.getX()), w = tensorOf(adaptor.getWeight());
  if (failed(requireRank(loc, "input", x, 2)) ||
      failed(requireRank(loc, "weight", w, 2)) ||
      failed(requireSameElementType(loc, "weight", x.getElementType(), w)))
    return failure();
  if (x.getDimSize(1) != w.getDimSize(1))
    return emitOptionalError(loc, "input features differ: input ", x,
                             " has ", x.getDimSize(1), ", weight ", w, " expects ",
                             w.getDimSize(1));
  if (Value bias = adaptor.getBias()) {
    RankedTensorType b = tensorOf(bias);
    if (failed(requireSameElementType(loc, "bias", x.getElementType(), b)) ||
        failed(requireShape(loc, "bias", {w.getDimSize(0)}, b)))
      return failure();
  }
  types.push_back(tensorOf({x.getDimSize(0), w.getDimSize(0)}, x.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// Checks conv2d operands and returns the output shape [N, O, OH, OW].
static FailureOr<SmallVector<int64_t>>
conv2dOutputShape(std::optional<Location> loc, RankedTensorType x,
                  RankedTensorType w, ArrayRef<int64_t> stride,
                  ArrayRef<int64_t> padding) {
  if (failed(requireRank(loc, "input", x, 4)) ||
      failed(requireRank(loc, "weight", w, 4)) ||
      failed(requireSameElementType(loc, "weight", x.getElementType(), w)) ||
      failed(checkPair(loc, "stride", stride, 1)) ||
      failed(checkPair(loc, "padding", padding, 0)))
    return failure();
  if (x.getDimSize(1) != w.getDimSize(1)) {
    (void)emitOptionalError(loc, "input channels differ: input ", x, " has ",
                            x.getDimSize(1), ", weight ", w, " expects ",
                            w.getDimSize(1));
    return failure();
  }
  auto spatial = windowOutputShape(loc, x.getShape().drop_front(2),
                                   w.getShape().drop_front(2), stride, padding);
  if (failed(spatial))
    return failure();
  return SmallVector<int64_t>{x.getDimSize(0), w.getDimSize(0), (*spatial)[0],
                              (*spatial)[1]};
}

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType x = tensorOf(adaptor.getX()), w = tensorOf(adaptor.getWeight());
  auto shape = conv2dOutputShape(loc, x, w, adaptor.getStride(), adaptor.getPadding());
  if (failed(shape))
    return failure();
  if (Value bias = adaptor.getBias()) {
    RankedTensorType b = tensorOf(bias);
    if (failed(requireSameElementType(loc, "bias", x.getElementType(), b)) ||
        failed(requireShape(loc, "bias", {w.getDimSize(0)}, b)))
      return failure();
  }
  types.push_back(tensorOf(*shape, x.getElementType()));
  return success();
}

LogicalResult Conv2DBackwardInputOp::verify() {
  Location loc = getLoc();
  RankedTensorType dy = tensorOf(getDy()), w = tensorOf(getWeight()), dx = tensorOf(getResult());
  if (failed(requireSameElementType(loc, "result", dy.getElementType(), dx)))
    return failure();
  auto shape = conv2dOutputShape(loc, dx, w, getStride(), getPadding());
  if (failed(shape))
    return failure();
  return requireShape(loc, "result gradient", *shape, dy);
}

LogicalResult Conv2DBackwardFilterOp::verify() {
  Location loc = getLoc();
  RankedTensorType x = tensorOf(getX()), dy = tensorOf(getDy()), dw = tensorOf(getResult());
  auto shape = conv2dOutputShape(loc, x, dw, getStride(), getPadding());
  if (failed(shape))
    return failure();
  return requireShape(loc, "result gradient", *shape, dy);
}

/// Checks pooling operands and returns the output shape [N, C, OH, OW].
static FailureOr<SmallVector<int64_t>>
pool2dOutputShape(std::optional<Location> loc, RankedTensorType x,
                  ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                  ArrayRef<int64_t> padding) {
  if (failed(requireRank(loc, "input", x, 4)) ||
      failed(checkPair(loc, "kernel", kernel, 1)) ||
      failed(checkPair(loc, "stride", stride, 1)) ||
      failed(checkPair(loc, "padding", padding, 0)))
    return failure();
  for (int i = 0; i < 2; ++i) {
    if (2 * padding[i] > kernel[i]) {
      (void)emitOptionalError(loc, "expected padding at most half the kernel ",
                              shapeString(kernel), ", found ", shapeString(padding));
      return failure();
    }
  }
  auto spatial =
      windowOutputShape(loc, x.getShape().drop_front(2), kernel, stride, padding);
  if (failed(spatial))
    return failure();
  return SmallVector<int64_t>{x.getDimSize(0), x.getDimSize(1), (*spatial)[0],
                              (*spatial)[1]};
}

#define NN_POOL_INFER(OpClass)                                                 \
  LogicalResult OpClass::inferReturnTypes(MLIRContext *,                       \
                                          std::optional<Location> loc,         \
                                          Adaptor adaptor,                     \
                                          SmallVectorImpl<Type> &types) {      \
    RankedTensorType x = tensorOf(adaptor.getX());                             \
    auto shape = pool2dOutputShape(loc, x, adaptor.getKernel(),                \
                                   adaptor.getStride(), adaptor.getPadding()); \
    if (failed(shape))                                                         \
      return failure();                                                        \
    types.push_back(tensorOf(*shape, x.getElementType()));                     \
    return success();                                                          \
  }
NN_POOL_INFER(MaxPool2DOp)
NN_POOL_INFER(AvgPool2DOp)
#undef NN_POOL_INFER

LogicalResult MaxPool2DBackwardOp::verify() {
  Location loc = getLoc();
  RankedTensorType x = tensorOf(getX()), dy = tensorOf(getDy());
  if (getType() != x)
    return emitOpError() << "expected result type " << x << ", found " << getType();
  if (failed(requireSameElementType(loc, "result gradient", x.getElementType(), dy)))
    return failure();
  auto shape = pool2dOutputShape(loc, x, getKernel(), getStride(), getPadding());
  if (failed(shape))
    return failure();
  return requireShape(loc, "result gradient", *shape, dy);
}

LogicalResult AvgPool2DBackwardOp::verify() {
  Location loc = getLoc();
  RankedTensorType dy = tensorOf(getDy()), dx = tensorOf(getResult());
  if (failed(requireSameElementType(loc, "result", dy.getElementType(), dx)))
    return failure();
  auto shape = pool2dOutputShape(loc, dx, getKernel(), getStride(), getPadding());
  if (failed(shape))
    return failure();
  return requireShape(loc, "result gradient", *shape, dy);
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

/// Checks per-channel operands of batch norm against x ([N, C] or [N, C, H, W]).
static LogicalResult checkChannelOperands(std::optional<Location> loc,
                                          RankedTensorType x,
                                          ArrayRef<std::pair<StringRef, Value>> perChannel) {
  if (x.getRank() != 2 && x.getRank() != 4)
    return emitOptionalError(loc, "expected input of rank 2 or 4, found ", x);
  for (auto [name, value] : perChannel) {
    RankedTensorType type = tensorOf(value);
    if (failed(requireSameElementType(loc, name, x.getElementType(), type)) ||
        failed(requireShape(loc, name, {x.getDimSize(1)}, type)))
      return failure();
  }
  return success();
}

static LogicalResult checkEps(Operation *op, double eps) {
  if (!(eps > 0.0))
    return op->emitOpError() << "expected eps > 0, found " << eps;
  return success();
}

LogicalResult BatchNormTrainOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  RankedTensorType x = tensorOf(adaptor.getX());
  if (failed(checkChannelOperands(loc, x,
                                  {{"gamma", adaptor.getGamma()},
                                   {"beta", adaptor.getBeta()},
                                   {"running_mean", adaptor.getRunningMean()},
                                   {"running_var", adaptor.getRunningVar()}})))
    return failure();
  Type channel = tensorOf(adaptor.getGamma());
  types.append({x, channel, channel, channel, channel});
  return success();
}

LogicalResult BatchNormTrainOp::verify() {
  double momentum = getMomentum().convertToDouble();
  if (!(momentum >= 0.0 && momentum <= 1.0))
    return emitOpError() << "expected momentum in [0, 1], found " << momentum;
  RankedTensorType x = tensorOf(getX());
  if (x.getNumElements() == 0)
    return emitOpError() << "expected a non-empty input, found " << x;
  if (x.getNumElements() / x.getDimSize(1) < 2)
    return emitOpError() << "expected more than one value per channel, found "
                         << getX().getType();
  return checkEps(*this, getEps().convertToDouble());
}

LogicalResult BatchNormEvalOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  RankedTensorType x = tensorOf(adaptor.getX());
  if (failed(checkChannelOperands(loc, x,
                                  {{"gamma", adaptor.getGamma()},
                                   {"beta", adaptor.getBeta()},
                                   {"running_mean", adaptor.getRunningMean()},
                                   {"running_var", adaptor.getRunningVar()}})))
    return failure();
  types.push_back(x);
  return success();
}

LogicalResult BatchNormEvalOp::verify() {
  return checkEps(*this, getEps().convertToDouble());
}

LogicalResult BatchNormBackwardOp::inferReturnTypes(MLIRContext *,
                                                    std::optional<Location> loc,
                                                    Adaptor adaptor,
                                                    SmallVectorImpl<Type> &types) {
  RankedTensorType x = tensorOf(adaptor.getX());
  if (tensorOf(adaptor.getDy()) != x)
    return emitOptionalError(loc, "expected result gradient of type ", x, ", found ",
                             adaptor.getDy().getType());
  if (failed(checkChannelOperands(loc, x,
                                  {{"gamma", adaptor.getGamma()},
                                   {"mean", adaptor.getMean()},
                                   {"var", adaptor.getVar()}})))
    return failure();
  Type channel = tensorOf(adaptor.getGamma());
  types.append({x, channel, channel});
  return success();
}

LogicalResult BatchNormBackwardOp::verify() {
  return checkEps(*this, getEps().convertToDouble());
}

static LogicalResult checkLastDimOperands(std::optional<Location> loc,
                                          RankedTensorType x,
                                          ArrayRef<std::pair<StringRef, Value>> operands) {
  if (x.getRank() < 1)
    return emitOptionalError(loc, "expected input of rank >= 1, found ", x);
  for (auto [name, value] : operands) {
    RankedTensorType type = tensorOf(value);
    if (failed(requireSameElementType(loc, name, x.getElementType(), type)) ||
        failed(requireShape(loc, name, {x.getShape().back()}, type)))
      return failure();
  }
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType x = tensorOf(adaptor.getX());
  if (failed(checkLastDimOperands(
          loc, x, {{"gamma", adaptor.getGamma()}, {"beta", adaptor.getBeta()}})))
    return failure();
  types.push_back(x);
  return success();
}

LogicalResult LayerNormOp::verify() {
  return checkEps(*this, getEps().convertToDouble());
}

LogicalResult LayerNormBackwardOp::inferReturnTypes(MLIRContext *,
                                                    std::optional<Location> loc,
                                                    Adaptor adaptor,
                                                    SmallVectorImpl<Type> &types) {
  RankedTensorType x = tensorOf(adaptor.getX());
  if (tensorOf(adaptor.getDy()) != x)
    return emitOptionalError(loc, "expected result gradient of type ", x, ", found ",
                             adaptor.getDy().getType());
  if (failed(checkLastDimOperands(loc, x, {{"gamma", adaptor.getGamma()}})))
    return failure();
  Type row = tensorOf(adaptor.getGamma());
  types.append({x, row, row});
  return success();
}

LogicalResult LayerNormBackwardOp::verify() {
  return checkEps(*this, getEps().convertToDouble());
}

//===----------------------------------------------------------------------===//
// Softmax, losses and metrics
//===----------------------------------------------------------------------===//

static LogicalResult verifyAxis(Operation *op, RankedTensorType type, int64_t axis) {
  if (axis < 0 || axis >= type.getRank())
    return op->emitOpError() << "expected axis in [0, " << type.getRank()
                             << "), found " << axis;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, tensorOf(getResult()), getAxis());
}
LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, tensorOf(getResult()), getAxis());
}

static LogicalResult checkLogitsAndLabels(std::optional<Location> loc,
                                          RankedTensorType logits,
                                          RankedTensorType labels) {
  if (failed(requireRank(loc, "logits", logits, 2)))
    return failure();
  return requireShape(loc, "labels", {logits.getDimSize(0)}, labels);
}

LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(MLIRContext *,
                                                      std::optional<Location> loc,
                                                      Adaptor adaptor,
                                                      SmallVectorImpl<Type> &types) {
  RankedTensorType logits = tensorOf(adaptor.getLogits());
  if (failed(checkLogitsAndLabels(loc, logits, tensorOf(adaptor.getLabels()))))
    return failure();
  types.push_back(tensorOf({}, logits.getElementType()));
  return success();
}

LogicalResult SoftmaxCrossEntropyBackwardOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType logits = tensorOf(adaptor.getLogits());
  if (failed(checkLogitsAndLabels(loc, logits, tensorOf(adaptor.getLabels()))) ||
      failed(requireSameElementType(loc, "loss gradient", logits.getElementType(),
                                    tensorOf(adaptor.getDloss()))))
    return failure();
  types.push_back(logits);
  return success();
}

LogicalResult ConfusionMatrixOp::inferReturnTypes(MLIRContext *context,
                                                  std::optional<Location> loc,
                                                  Adaptor adaptor,
                                                  SmallVectorImpl<Type> &types) {
  RankedTensorType predictions = tensorOf(adaptor.getPredictions());
  if (failed(requireRank(loc, "predictions", predictions, 1)) ||
      failed(requireShape(loc, "labels", predictions.getShape(),
                          tensorOf(adaptor.getLabels()))))
    return failure();
  int64_t classes = adaptor.getNumClasses();
  if (classes <= 0)
    return emitOptionalError(loc, "expected num_classes > 0, found ", classes);
  types.push_back(tensorOf({classes, classes}, IntegerType::get(context, 32)));
  return success();
}

//===----------------------------------------------------------------------===//
// Embedding
//===----------------------------------------------------------------------===//

LogicalResult GatherRowsOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  RankedTensorType table = tensorOf(adaptor.getTable());
  if (failed(requireRank(loc, "table", table, 2)))
    return failure();
  SmallVector<int64_t> shape(tensorOf(adaptor.getIds()).getShape());
  shape.push_back(table.getDimSize(1));
  types.push_back(tensorOf(shape, table.getElementType()));
  return success();
}

LogicalResult ScatterAddRowsOp::verify() {
  Location loc = getLoc();
  RankedTensorType table = tensorOf(getResult()), updates = tensorOf(getUpdates());
  if (failed(requireRank(loc, "result", table, 2)) ||
      failed(requireSameElementType(loc, "result", updates.getElementType(), table)))
    return failure();
  SmallVector<int64_t> shape(tensorOf(getIds()).getShape());
  shape.push_back(table.getDimSize(1));
  return requireShape(loc, "updates", shape, updates);
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0.0 && p <= 1.0))
    return emitOpError() << "expected drop probability p in [0, 1], found " << p;
  return success();
}

OpFoldResult DropoutOp::fold(FoldAdaptor) {
  if (getP().isZero())
    return getX();
  return {};
}
