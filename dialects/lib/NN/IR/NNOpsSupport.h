//===- NNOpsSupport.h - shape and folding helpers of the nn ops -*- C++ -*-===//
//
// Internal to the nn dialect: what the ops' shape rules, verifiers and
// folders share (NNOps.cpp: elementwise and shape ops; NNLayerOps.cpp:
// products, convolutions, pooling, normalization, losses, embedding,
// dropout).
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_DIALECT_NN_IR_NNOPSSUPPORT_H
#define GRADC_DIALECT_NN_IR_NNOPSSUPPORT_H

#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"

#include <optional>
#include <string>

namespace gradc::nn::detail {

using namespace mlir;

inline RankedTensorType tensorOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

inline RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type element) {
  return RankedTensorType::get(shape, element);
}

inline std::string shapeString(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [index, dim] : llvm::enumerate(shape))
    text += (index ? ", " : "") + std::to_string(dim);
  return text + "]";
}

/// Output extent of a sliding window: (in + 2 pad - window) / stride + 1, or
/// std::nullopt when the window does not fit.
inline std::optional<int64_t> windowOutputSize(int64_t in, int64_t window,
                                               int64_t stride, int64_t pad) {
  int64_t padded = in + 2 * pad;
  if (window <= 0 || stride <= 0 || padded < window)
    return std::nullopt;
  return (padded - window) / stride + 1;
}

inline LogicalResult checkPair(std::optional<Location> loc, StringRef what,
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
inline FailureOr<SmallVector<int64_t>>
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

inline LogicalResult requireRank(std::optional<Location> loc, StringRef what,
                                 RankedTensorType type, int64_t rank) {
  if (type.getRank() != rank)
    return emitOptionalError(loc, "expected ", what, " of rank ", rank,
                             ", found ", type);
  return success();
}

inline LogicalResult requireSameElementType(std::optional<Location> loc,
                                            StringRef what, Type expected,
                                            RankedTensorType found) {
  if (found.getElementType() != expected)
    return emitOptionalError(loc, "expected ", what, " with element type ",
                             expected, ", found ", found);
  return success();
}

inline LogicalResult requireShape(std::optional<Location> loc, StringRef what,
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
inline std::optional<double> splatFloat(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat() || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToDouble();
}

inline DenseElementsAttr splatOf(Type type, double value) {
  auto tensor = cast<RankedTensorType>(type);
  auto floatType = cast<FloatType>(tensor.getElementType());
  APFloat number(value);
  bool losesInfo = false;
  number.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                 &losesInfo);
  return DenseElementsAttr::get(tensor, number);
}

/// Folds a float elementwise unary op applied to a splat constant.
inline OpFoldResult foldUnarySplat(Attribute operand, Type resultType,
                                   llvm::function_ref<double(double)> fn) {
  if (auto value = splatFloat(operand))
    return splatOf(resultType, fn(*value));
  return {};
}

} // namespace gradc::nn::detail

#endif // GRADC_DIALECT_NN_IR_NNOPSSUPPORT_H
