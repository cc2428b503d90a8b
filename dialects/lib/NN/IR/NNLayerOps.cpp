//===- NNLayerOps.cpp - shape rules and verifiers of layer-level nn ops ---===//
//
// Matrix products, convolutions and pooling, normalization, softmax, losses
// and metrics, embeddings, attention, recurrent layers and dropout.
//
//===----------------------------------------------------------------------===//

#include "NNOpsSupport.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace gradc::nn;
using namespace gradc::nn::detail;

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
// Attention
//===----------------------------------------------------------------------===//

/// The shapes of an attention's q, k and v: q [B, Tq, C], k and v [B, Tk, C]
/// of one float type, `heads` dividing C, Tq = Tk when causal. Appends the
/// result [B, Tq, C] and the logsumexp [B, heads, Tq] (f64 whatever the
/// operands' type) to `types` if given.
static LogicalResult checkAttentionOperands(std::optional<Location> loc, Value qValue,
                                            Value kValue, Value vValue, int64_t heads,
                                            bool causal,
                                            SmallVectorImpl<Type> *types) {
  RankedTensorType q = tensorOf(qValue), k = tensorOf(kValue), v = tensorOf(vValue);
  if (failed(requireRank(loc, "q", q, 3)) || failed(requireRank(loc, "k", k, 3)) ||
      failed(requireSameElementType(loc, "k", q.getElementType(), k)) ||
      failed(requireSameElementType(loc, "v", q.getElementType(), v)) ||
      failed(requireShape(loc, "v", k.getShape(), v)))
    return failure();
  int64_t batch = q.getDimSize(0), queries = q.getDimSize(1), width = q.getDimSize(2);
  if (k.getDimSize(0) != batch || k.getDimSize(2) != width)
    return emitOptionalError(loc, "expected k of shape [", batch, ", Tk, ", width,
                             "] to match q ", q, ", found ", k);
  if (heads <= 0 || width % heads != 0)
    return emitOptionalError(loc, "expected heads to divide the width ", width,
                             ", found heads = ", heads);
  if (causal && k.getDimSize(1) != queries)
    return emitOptionalError(loc, "causal attention needs as many keys as queries, found ",
                             queries, " queries and ", k.getDimSize(1), " keys");
  if (types)
    types->append({q, tensorOf({batch, heads, queries}, Float64Type::get(q.getContext()))});
  return success();
}

static LogicalResult checkScale(Operation *op, double scale) {
  if (!(scale > 0.0 && std::isfinite(scale)))
    return op->emitOpError() << "expected a finite scale > 0, found " << scale;
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return checkAttentionOperands(loc, adaptor.getQ(), adaptor.getK(), adaptor.getV(),
                                adaptor.getHeads(), adaptor.getCausal(), &types);
}

LogicalResult AttentionOp::verify() {
  return checkScale(*this, getScale().convertToDouble());
}

LogicalResult AttentionBackwardOp::inferReturnTypes(MLIRContext *,
                                                    std::optional<Location> loc,
                                                    Adaptor adaptor,
                                                    SmallVectorImpl<Type> &types) {
  SmallVector<Type> forward;
  if (failed(checkAttentionOperands(loc, adaptor.getQ(), adaptor.getK(), adaptor.getV(),
                                    adaptor.getHeads(), adaptor.getCausal(), &forward)) ||
      failed(requireShape(loc, "y", cast<RankedTensorType>(forward[0]).getShape(),
                          tensorOf(adaptor.getY()))) ||
      failed(requireShape(loc, "dy", cast<RankedTensorType>(forward[0]).getShape(),
                          tensorOf(adaptor.getDy()))) ||
      failed(requireShape(loc, "logsumexp", cast<RankedTensorType>(forward[1]).getShape(),
                          tensorOf(adaptor.getLogsumexp()))))
    return failure();
  Type q = adaptor.getQ().getType(), kv = adaptor.getK().getType();
  types.append({q, kv, kv});
  return success();
}

LogicalResult AttentionBackwardOp::verify() {
  return checkScale(*this, getScale().convertToDouble());
}

//===----------------------------------------------------------------------===//
// Recurrent layers
//===----------------------------------------------------------------------===//

/// The operands of a recurrent layer of `gates` gates: x [B, T, in],
/// w_ih [gates·H, in], w_hh [gates·H, H], and (when given) b_ih and b_hh
/// [gates·H], of one float type. Sets `hidden` to H.
static LogicalResult checkRecurrentOperands(std::optional<Location> loc, int64_t gates,
                                            Value xValue, Value wIhValue, Value wHhValue,
                                            Value bIh, Value bHh, int64_t &hidden) {
  RankedTensorType x = tensorOf(xValue), wIh = tensorOf(wIhValue), wHh = tensorOf(wHhValue);
  Type element = x.getElementType();
  if (failed(requireRank(loc, "x", x, 3)) || failed(requireRank(loc, "w_ih", wIh, 2)) ||
      failed(requireRank(loc, "w_hh", wHh, 2)) ||
      failed(requireSameElementType(loc, "w_ih", element, wIh)) ||
      failed(requireSameElementType(loc, "w_hh", element, wHh)))
    return failure();
  hidden = wHh.getDimSize(1);
  if (hidden <= 0 || wHh.getDimSize(0) != gates * hidden)
    return emitOptionalError(loc, "expected w_hh of shape [", gates, "·H, H], found ", wHh);
  if (failed(requireShape(loc, "w_ih", {gates * hidden, x.getDimSize(2)}, wIh)))
    return failure();
  for (auto [name, bias] : {std::pair<StringRef, Value>{"b_ih", bIh}, {"b_hh", bHh}})
    if (bias && (failed(requireSameElementType(loc, name, element, tensorOf(bias))) ||
                 failed(requireShape(loc, name, {gates * hidden}, tensorOf(bias)))))
      return failure();
  return success();
}

/// The results' types of a recurrent layer: y [B, T, H], then one
/// [T, B, width] tensor per entry of `widths` (multiples of H).
static void appendRecurrentResults(Value xValue, int64_t hidden, ArrayRef<int64_t> widths,
                                   SmallVectorImpl<Type> &types) {
  RankedTensorType x = tensorOf(xValue);
  int64_t batch = x.getDimSize(0), steps = x.getDimSize(1);
  types.push_back(tensorOf({batch, steps, hidden}, x.getElementType()));
  for (int64_t width : widths)
    types.push_back(tensorOf({steps, batch, width * hidden}, x.getElementType()));
}

/// The backward's saved operands against what the forward produced, and the
/// gradients' types (those of x, w_ih, w_hh and twice the bias).
static LogicalResult inferRecurrentBackward(std::optional<Location> loc, int64_t gates,
                                            Value x, Value wIh, Value wHh,
                                            ArrayRef<std::pair<StringRef, Value>> saved,
                                            ArrayRef<int64_t> widths,
                                            SmallVectorImpl<Type> &types) {
  int64_t hidden = 0;
  if (failed(checkRecurrentOperands(loc, gates, x, wIh, wHh, Value(), Value(), hidden)))
    return failure();
  SmallVector<Type> forward;
  appendRecurrentResults(x, hidden, widths, forward);
  // saved: y, the saved tensors, then dy (shaped as y); forward: y and the
  // saved tensors.
  for (auto [index, entry] : llvm::enumerate(saved)) {
    Type expected = index < forward.size() ? forward[index] : forward[0];
    if (failed(requireShape(loc, entry.first, cast<RankedTensorType>(expected).getShape(),
                            tensorOf(entry.second))) ||
        failed(requireSameElementType(loc, entry.first, tensorOf(x).getElementType(),
                                      tensorOf(entry.second))))
      return failure();
  }
  Type bias = tensorOf({gates * hidden}, tensorOf(x).getElementType());
  types.append({x.getType(), wIh.getType(), wHh.getType(), bias, bias});
  return success();
}

LogicalResult LstmOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor, SmallVectorImpl<Type> &types) {
  int64_t hidden = 0;
  if (failed(checkRecurrentOperands(loc, 4, adaptor.getX(), adaptor.getWIh(),
                                    adaptor.getWHh(), adaptor.getBIh(), adaptor.getBHh(),
                                    hidden)))
    return failure();
  appendRecurrentResults(adaptor.getX(), hidden, {4, 1}, types);
  return success();
}

LogicalResult LstmBackwardOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  return inferRecurrentBackward(loc, 4, adaptor.getX(), adaptor.getWIh(), adaptor.getWHh(),
                                {{"y", adaptor.getY()},
                                 {"gates", adaptor.getGates()},
                                 {"cells", adaptor.getCells()},
                                 {"dy", adaptor.getDy()}},
                                {4, 1}, types);
}

LogicalResult GruOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor, SmallVectorImpl<Type> &types) {
  int64_t hidden = 0;
  if (failed(checkRecurrentOperands(loc, 3, adaptor.getX(), adaptor.getWIh(),
                                    adaptor.getWHh(), adaptor.getBIh(), adaptor.getBHh(),
                                    hidden)))
    return failure();
  appendRecurrentResults(adaptor.getX(), hidden, {4}, types);
  return success();
}

LogicalResult GruBackwardOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferRecurrentBackward(loc, 3, adaptor.getX(), adaptor.getWIh(), adaptor.getWHh(),
                                {{"y", adaptor.getY()},
                                 {"gates", adaptor.getGates()},
                                 {"dy", adaptor.getDy()}},
                                {4}, types);
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
