//===- Normalization.cpp - Interpreting norms, softmax, losses, metrics ---===//
//
// Statistics are computed in two passes (mean, then the mean squared
// deviation), and the backward ops use the closed forms of the gradients of
// their forward ops with the statistics depending on x.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "mlir/IR/Diagnostics.h"

#include <cmath>

using namespace mlir;

namespace gradc::interp::detail {

//===----------------------------------------------------------------------===//
// Batch normalization
//===----------------------------------------------------------------------===//

namespace {
/// x ([N, C] or [N, C, H, W]) seen as [N, C, S] with S the spatial size;
/// every channel has count = N * S values.
struct ChannelView {
  int64_t n, c, s;

  explicit ChannelView(llvm::ArrayRef<int64_t> shape)
      : n(shape[0]), c(shape[1]), s(shape.size() == 4 ? shape[2] * shape[3] : 1) {}

  int64_t count() const { return n * s; }
  int64_t at(int64_t i, int64_t channel, int64_t j) const {
    return (i * c + channel) * s + j;
  }

  /// Calls `body(offset)` for every element of `channel`.
  template <typename Body> void forEach(int64_t channel, Body body) const {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < s; ++j)
        body(at(i, channel, j));
  }
};

struct Moments {
  double mean, var; // var is the biased (population) variance
};
} // namespace

static Moments channelMoments(const ChannelView &view, const Tensor &x,
                              int64_t channel) {
  double count = static_cast<double>(view.count()), sum = 0.0, squares = 0.0;
  view.forEach(channel, [&](int64_t offset) { sum += x.data[offset]; });
  double mean = sum / count;
  view.forEach(channel, [&](int64_t offset) {
    double deviation = x.data[offset] - mean;
    squares += deviation * deviation;
  });
  return {mean, squares / count};
}

FailureOr<Results> evalBatchNormTrain(nn::BatchNormTrainOp op, Operands in) {
  const Tensor &x = *in[0], &gamma = *in[1], &beta = *in[2];
  const Tensor &runningMean = *in[3], &runningVar = *in[4];
  double eps = op.getEps().convertToDouble();
  double momentum = op.getMomentum().convertToDouble();
  ChannelView view(shapeOf(x));
  double count = static_cast<double>(view.count());

  Results results;
  for (Value result : op->getResults())
    results.push_back(zeros(result.getType()));
  Tensor &y = results[0], &mean = results[1], &var = results[2];
  Tensor &newMean = results[3], &newVar = results[4];
  for (int64_t channel = 0; channel < view.c; ++channel) {
    Moments moments = channelMoments(view, x, channel);
    double invStd = 1.0 / std::sqrt(moments.var + eps);
    view.forEach(channel, [&](int64_t offset) {
      y.data[offset] =
          (x.data[offset] - moments.mean) * invStd * gamma.data[channel] +
          beta.data[channel];
    });
    mean.data[channel] = moments.mean;
    var.data[channel] = moments.var;
    // The running variance uses the unbiased estimate, as PyTorch does.
    double unbiased = moments.var * count / (count - 1.0);
    newMean.data[channel] =
        (1.0 - momentum) * runningMean.data[channel] + momentum * moments.mean;
    newVar.data[channel] =
        (1.0 - momentum) * runningVar.data[channel] + momentum * unbiased;
  }
  return results;
}

FailureOr<Tensor> evalBatchNormEval(nn::BatchNormEvalOp op, Operands in) {
  const Tensor &x = *in[0], &gamma = *in[1], &beta = *in[2];
  const Tensor &runningMean = *in[3], &runningVar = *in[4];
  double eps = op.getEps().convertToDouble();
  ChannelView view(shapeOf(x));
  Tensor y = zeros(op.getType());
  for (int64_t channel = 0; channel < view.c; ++channel) {
    double invStd = 1.0 / std::sqrt(runningVar.data[channel] + eps);
    view.forEach(channel, [&](int64_t offset) {
      y.data[offset] = (x.data[offset] - runningMean.data[channel]) * invStd *
                           gamma.data[channel] +
                       beta.data[channel];
    });
  }
  return y;
}

FailureOr<Results> evalBatchNormBackward(nn::BatchNormBackwardOp op, Operands in) {
  const Tensor &x = *in[0], &dy = *in[1], &gamma = *in[2];
  const Tensor &mean = *in[3], &var = *in[4];
  double eps = op.getEps().convertToDouble();
  ChannelView view(shapeOf(x));
  double count = static_cast<double>(view.count());

  Results results;
  for (Value result : op->getResults())
    results.push_back(zeros(result.getType()));
  Tensor &dx = results[0], &dgamma = results[1], &dbeta = results[2];
  for (int64_t channel = 0; channel < view.c; ++channel) {
    // y = xhat * gamma + beta with xhat = (x - mean) * invStd, where mean and
    // var are the batch statistics of x itself.
    double invStd = 1.0 / std::sqrt(var.data[channel] + eps);
    auto xhat = [&](int64_t offset) {
      return (x.data[offset] - mean.data[channel]) * invStd;
    };
    double sumDy = 0.0, sumDyXhat = 0.0;
    view.forEach(channel, [&](int64_t offset) {
      sumDy += dy.data[offset];
      sumDyXhat += dy.data[offset] * xhat(offset);
    });
    dbeta.data[channel] = sumDy;
    dgamma.data[channel] = sumDyXhat;
    double scale = gamma.data[channel] * invStd / count;
    view.forEach(channel, [&](int64_t offset) {
      dx.data[offset] =
          scale * (count * dy.data[offset] - sumDy - xhat(offset) * sumDyXhat);
    });
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Layer normalization
//===----------------------------------------------------------------------===//

/// Mean and biased variance of row `row` (of `width` elements) of x.
static Moments rowMoments(const Tensor &x, int64_t row, int64_t width) {
  double sum = 0.0, squares = 0.0;
  for (int64_t d = 0; d < width; ++d)
    sum += x.data[row * width + d];
  double mean = sum / static_cast<double>(width);
  for (int64_t d = 0; d < width; ++d) {
    double deviation = x.data[row * width + d] - mean;
    squares += deviation * deviation;
  }
  return {mean, squares / static_cast<double>(width)};
}

FailureOr<Tensor> evalLayerNorm(nn::LayerNormOp op, Operands in) {
  const Tensor &x = *in[0], &gamma = *in[1], &beta = *in[2];
  double eps = op.getEps().convertToDouble();
  Tensor y = zeros(op.getType());
  int64_t width = shapeOf(x).back();
  int64_t rows = width == 0 ? 0 : static_cast<int64_t>(x.data.size()) / width;
  for (int64_t row = 0; row < rows; ++row) {
    Moments moments = rowMoments(x, row, width);
    double invStd = 1.0 / std::sqrt(moments.var + eps);
    for (int64_t d = 0; d < width; ++d) {
      int64_t offset = row * width + d;
      y.data[offset] =
          (x.data[offset] - moments.mean) * invStd * gamma.data[d] + beta.data[d];
    }
  }
  return y;
}

FailureOr<Results> evalLayerNormBackward(nn::LayerNormBackwardOp op, Operands in) {
  const Tensor &x = *in[0], &dy = *in[1], &gamma = *in[2];
  double eps = op.getEps().convertToDouble();
  Results results;
  for (Value result : op->getResults())
    results.push_back(zeros(result.getType()));
  Tensor &dx = results[0], &dgamma = results[1], &dbeta = results[2];
  int64_t width = shapeOf(x).back();
  int64_t rows = width == 0 ? 0 : static_cast<int64_t>(x.data.size()) / width;
  double count = static_cast<double>(width);
  for (int64_t row = 0; row < rows; ++row) {
    Moments moments = rowMoments(x, row, width);
    double invStd = 1.0 / std::sqrt(moments.var + eps);
    auto xhat = [&](int64_t d) {
      return (x.data[row * width + d] - moments.mean) * invStd;
    };
    // dxhat = dy * gamma; dx = invStd / D * (D dxhat - sum(dxhat) - xhat sum(dxhat xhat)).
    double sumDxhat = 0.0, sumDxhatXhat = 0.0;
    for (int64_t d = 0; d < width; ++d) {
      double dxhat = dy.data[row * width + d] * gamma.data[d];
      sumDxhat += dxhat;
      sumDxhatXhat += dxhat * xhat(d);
      dgamma.data[d] += dy.data[row * width + d] * xhat(d);
      dbeta.data[d] += dy.data[row * width + d];
    }
    for (int64_t d = 0; d < width; ++d) {
      double dxhat = dy.data[row * width + d] * gamma.data[d];
      dx.data[row * width + d] =
          invStd / count * (count * dxhat - sumDxhat - xhat(d) * sumDxhatXhat);
    }
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

FailureOr<Tensor> evalSoftmax(Operation *op, Operands in) {
  const Tensor &x = *in[0];
  bool logarithm = isa<nn::LogSoftmaxOp>(op);
  int64_t axis = logarithm ? cast<nn::LogSoftmaxOp>(op).getAxis()
                           : cast<nn::SoftmaxOp>(op).getAxis();
  Tensor result = zeros(op->getResult(0).getType());
  llvm::ArrayRef<int64_t> shape = shapeOf(x);
  int64_t extent = shape[axis], inner = stridesOf(shape)[axis];
  int64_t outer = extent * inner == 0 ? 0 : static_cast<int64_t>(x.data.size()) /
                                                (extent * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto offset = [&](int64_t k) { return (o * extent + k) * inner + i; };
      double max = -INFINITY;
      for (int64_t k = 0; k < extent; ++k)
        max = nanMax(max, x.data[offset(k)]);
      double sum = 0.0;
      for (int64_t k = 0; k < extent; ++k)
        sum += std::exp(x.data[offset(k)] - max);
      for (int64_t k = 0; k < extent; ++k) {
        double shifted = x.data[offset(k)] - max;
        result.data[offset(k)] =
            logarithm ? shifted - std::log(sum) : std::exp(shifted) / sum;
      }
    }
  return result;
}

/// Checks that every label lies in [0, classes).
/// Labels in [0, classes), or the ignored index when the loss has one.
static LogicalResult checkLabels(Operation *op, const Tensor &labels, int64_t classes,
                                 std::optional<int64_t> ignore = std::nullopt) {
  for (auto [sample, label] : llvm::enumerate(labels.data))
    if ((label < 0 || label >= static_cast<double>(classes)) &&
        !(ignore && label == static_cast<double>(*ignore)))
      return emitError(op->getLoc())
             << "label " << static_cast<int64_t>(label) << " of sample " << sample
             << " is out of range [0, " << classes << ")";
  return success();
}

/// log(sum_j e^row_j), shifted by the row maximum so that nothing overflows.
static double logSumExp(const double *row, int64_t classes) {
  double max = -INFINITY;
  for (int64_t c = 0; c < classes; ++c)
    max = nanMax(max, row[c]);
  double sum = 0.0;
  for (int64_t c = 0; c < classes; ++c)
    sum += std::exp(row[c] - max);
  return max + std::log(sum);
}

FailureOr<Tensor> evalSoftmaxCrossEntropy(nn::SoftmaxCrossEntropyOp op, Operands in) {
  // logits [N, C], labels [N]: mean over the samples not ignored of
  // -log softmax(logits)[label] (NaN when every one is).
  const Tensor &logits = *in[0], &labels = *in[1];
  int64_t batch = shapeOf(logits)[0], classes = shapeOf(logits)[1];
  std::optional<int64_t> ignore = op.getIgnoreIndex();
  if (failed(checkLabels(op, labels, classes, ignore)))
    return failure();
  Tensor loss = zeros(op.getType());
  double total = 0.0;
  int64_t counted = 0;
  for (int64_t i = 0; i < batch; ++i) {
    if (ignore && labels.data[i] == static_cast<double>(*ignore))
      continue;
    const double *row = logits.data.data() + i * classes;
    total += logSumExp(row, classes) - row[static_cast<int64_t>(labels.data[i])];
    ++counted;
  }
  loss.data[0] = total / static_cast<double>(counted);
  return loss;
}

FailureOr<Tensor>
evalSoftmaxCrossEntropyBackward(nn::SoftmaxCrossEntropyBackwardOp op, Operands in) {
  // (softmax(logits) - onehot(labels)) * dloss / N over the N samples not
  // ignored; zero rows for the ignored ones.
  const Tensor &logits = *in[0], &labels = *in[1];
  double dloss = in[2]->data[0];
  int64_t batch = shapeOf(logits)[0], classes = shapeOf(logits)[1];
  std::optional<int64_t> ignore = op.getIgnoreIndex();
  if (failed(checkLabels(op, labels, classes, ignore)))
    return failure();
  auto ignored = [&](int64_t i) {
    return ignore && labels.data[i] == static_cast<double>(*ignore);
  };
  int64_t counted = 0;
  for (int64_t i = 0; i < batch; ++i)
    counted += ignored(i) ? 0 : 1;
  Tensor dlogits = zeros(op.getType());
  for (int64_t i = 0; i < batch; ++i) {
    if (ignored(i))
      continue;
    const double *row = logits.data.data() + i * classes;
    double lse = logSumExp(row, classes);
    int64_t label = static_cast<int64_t>(labels.data[i]);
    for (int64_t c = 0; c < classes; ++c) {
      double softmax = std::exp(row[c] - lse);
      double onehot = c == label ? 1.0 : 0.0;
      dlogits.data[i * classes + c] =
          (softmax - onehot) * dloss / static_cast<double>(counted);
    }
  }
  return dlogits;
}

//===----------------------------------------------------------------------===//
// Metrics
//===----------------------------------------------------------------------===//

FailureOr<Tensor> evalConfusionMatrix(nn::ConfusionMatrixOp op, Operands in) {
  const Tensor &predictions = *in[0], &labels = *in[1];
  int64_t classes = op.getNumClasses();
  Tensor counts = zeros(op.getType());
  auto inRange = [&](double value) {
    return value >= 0 && value < static_cast<double>(classes);
  };
  for (auto [prediction, label] : llvm::zip_equal(predictions.data, labels.data))
    if (inRange(prediction) && inRange(label))
      counts.data[static_cast<int64_t>(label) * classes +
                  static_cast<int64_t>(prediction)] += 1.0;
  return counts;
}

} // namespace gradc::interp::detail
