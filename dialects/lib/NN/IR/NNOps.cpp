//===- NNOps.cpp - nn dialect: shape rules, verifiers and folders ---------===//
//
// Constants, elementwise ops, shape ops and reductions; the layer-level ops
// are in NNLayerOps.cpp.
//

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

#include "NNOpsSupport.h"

using namespace gradc::nn::detail;

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

