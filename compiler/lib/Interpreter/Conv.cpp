//===- Conv.cpp - Interpreting matmul, linear, conv2d and pooling ---------===//
//
// Layouts are NCHW. The backward ops are written as the forward loops with
// the accumulation turned around, so that each is visibly the exact
// gradient of its forward op.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <cmath>

using namespace mlir;

namespace gradc::interp::detail {

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

FailureOr<Tensor> evalMatmul(nn::MatmulOp op, Operands in) {
  const Tensor &a = *in[0], &b = *in[1];
  Tensor result = zeros(op.getType());
  llvm::ArrayRef<int64_t> aShape = shapeOf(a), bShape = shapeOf(b),
                          cShape = shapeOf(result);
  // The stored matrices: a is aRows x aCols, b is bRows x bCols.
  int64_t aRows = aShape[aShape.size() - 2], aCols = aShape.back();
  int64_t bRows = bShape[bShape.size() - 2], bCols = bShape.back();
  bool transposeA = op.getTransposeLhs(), transposeB = op.getTransposeRhs();
  int64_t m = cShape[cShape.size() - 2], n = cShape.back();
  int64_t k = transposeA ? aRows : aCols;

  llvm::ArrayRef<int64_t> batchShape = cShape.drop_back(2);
  int64_t batches = 1;
  for (int64_t extent : batchShape)
    batches *= extent;
  for (int64_t batch = 0; batch < batches; ++batch) {
    llvm::SmallVector<int64_t> batchIndex = unravel(batch, batchShape);
    int64_t aBase = broadcastOffset(batchIndex, aShape.drop_back(2)) * aRows * aCols;
    int64_t bBase = broadcastOffset(batchIndex, bShape.drop_back(2)) * bRows * bCols;
    int64_t cBase = batch * m * n;
    auto lhs = [&](int64_t i, int64_t p) {
      return transposeA ? a.data[aBase + p * aCols + i] : a.data[aBase + i * aCols + p];
    };
    auto rhs = [&](int64_t p, int64_t j) {
      return transposeB ? b.data[bBase + j * bCols + p] : b.data[bBase + p * bCols + j];
    };
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0.0;
        for (int64_t p = 0; p < k; ++p)
          sum += lhs(i, p) * rhs(p, j);
        result.data[cBase + i * n + j] = sum;
      }
  }
  return result;
}

FailureOr<Tensor> evalLinear(nn::LinearOp op, Operands in) {
  // x is [N, in], weight [out, in], bias [out].
  const Tensor &x = *in[0], &weight = *in[1];
  const Tensor *bias = in.size() > 2 ? in[2] : nullptr;
  Tensor result = zeros(op.getType());
  int64_t batch = shapeOf(x)[0], features = shapeOf(x)[1], outputs = shapeOf(weight)[0];
  for (int64_t i = 0; i < batch; ++i)
    for (int64_t o = 0; o < outputs; ++o) {
      double sum = bias ? bias->data[o] : 0.0;
      for (int64_t f = 0; f < features; ++f)
        sum += x.data[i * features + f] * weight.data[o * features + f];
      result.data[i * outputs + o] = sum;
    }
  return result;
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

namespace {
/// The loop nest of conv2d: x [N, C, H, W], weight [O, C, KH, KW],
/// y [N, O, OH, OW]. forEachTap calls `tap(xOffset, wOffset, yOffset)` for
/// every product y[n, o, oh, ow] += x[n, c, h, w] * weight[o, c, kh, kw]
/// with (h, w) = (oh * sh + kh - ph, ow * sw + kw - pw) inside the input;
/// taps on the zero padding contribute nothing and are skipped.
struct ConvGeometry {
  int64_t n, c, h, w;     // input
  int64_t o, kh, kw;      // filter
  int64_t oh, ow;         // output
  int64_t sh, sw, ph, pw; // stride, padding

  template <typename Tap> void forEachTap(Tap tap) const {
    for (int64_t in = 0; in < n; ++in)
      for (int64_t io = 0; io < o; ++io)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t x = 0; x < ow; ++x)
            for (int64_t ic = 0; ic < c; ++ic)
              for (int64_t ky = 0; ky < kh; ++ky)
                for (int64_t kx = 0; kx < kw; ++kx) {
                  int64_t row = y * sh + ky - ph, col = x * sw + kx - pw;
                  if (row < 0 || row >= h || col < 0 || col >= w)
                    continue;
                  tap(((in * c + ic) * h + row) * w + col,
                      ((io * c + ic) * kh + ky) * kw + kx,
                      ((in * o + io) * oh + y) * ow + x);
                }
  }
};
} // namespace

static ConvGeometry convGeometry(llvm::ArrayRef<int64_t> x, llvm::ArrayRef<int64_t> weight,
                                 llvm::ArrayRef<int64_t> y, llvm::ArrayRef<int64_t> stride,
                                 llvm::ArrayRef<int64_t> padding) {
  return {x[0],      x[1],      x[2],       x[3],      weight[0],
          weight[2], weight[3], y[2],       y[3],      stride[0],
          stride[1], padding[0], padding[1]};
}

FailureOr<Tensor> evalConv2D(nn::Conv2DOp op, Operands in) {
  const Tensor &x = *in[0], &weight = *in[1];
  const Tensor *bias = in.size() > 2 ? in[2] : nullptr;
  Tensor y = zeros(op.getType());
  ConvGeometry g = convGeometry(shapeOf(x), shapeOf(weight), shapeOf(y),
                                op.getStride(), op.getPadding());
  if (bias)
    for (size_t offset = 0; offset < y.data.size(); ++offset)
      y.data[offset] = bias->data[unravel(offset, shapeOf(y))[1]];
  g.forEachTap([&](int64_t xo, int64_t wo, int64_t yo) {
    y.data[yo] += x.data[xo] * weight.data[wo];
  });
  return y;
}

FailureOr<Tensor> evalConv2DBackwardInput(nn::Conv2DBackwardInputOp op, Operands in) {
  const Tensor &dy = *in[0], &weight = *in[1];
  Tensor dx = zeros(op.getType());
  ConvGeometry g = convGeometry(shapeOf(dx), shapeOf(weight), shapeOf(dy),
                                op.getStride(), op.getPadding());
  g.forEachTap([&](int64_t xo, int64_t wo, int64_t yo) {
    dx.data[xo] += dy.data[yo] * weight.data[wo];
  });
  return dx;
}

FailureOr<Tensor> evalConv2DBackwardFilter(nn::Conv2DBackwardFilterOp op, Operands in) {
  const Tensor &x = *in[0], &dy = *in[1];
  Tensor dw = zeros(op.getType());
  ConvGeometry g = convGeometry(shapeOf(x), shapeOf(dw), shapeOf(dy), op.getStride(),
                                op.getPadding());
  g.forEachTap([&](int64_t xo, int64_t wo, int64_t yo) {
    dw.data[wo] += dy.data[yo] * x.data[xo];
  });
  return dw;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// Calls `window(yOffset, xOffsets)` for every element of a pooling output
/// y [N, C, OH, OW] over x [N, C, H, W], with the offsets of the input
/// elements its window covers, in row-major order; positions on the padding
/// are left out.
template <typename Window>
static void forEachWindow(llvm::ArrayRef<int64_t> x, llvm::ArrayRef<int64_t> y,
                          llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> stride,
                          llvm::ArrayRef<int64_t> padding, Window window) {
  int64_t h = x[2], w = x[3];
  llvm::SmallVector<int64_t> xOffsets;
  for (int64_t plane = 0; plane < y[0] * y[1]; ++plane) // (n, c)
    for (int64_t oy = 0; oy < y[2]; ++oy)
      for (int64_t ox = 0; ox < y[3]; ++ox) {
        xOffsets.clear();
        for (int64_t ky = 0; ky < kernel[0]; ++ky)
          for (int64_t kx = 0; kx < kernel[1]; ++kx) {
            int64_t row = oy * stride[0] + ky - padding[0];
            int64_t col = ox * stride[1] + kx - padding[1];
            if (row >= 0 && row < h && col >= 0 && col < w)
              xOffsets.push_back((plane * h + row) * w + col);
          }
        window((plane * y[2] + oy) * y[3] + ox, llvm::ArrayRef<int64_t>(xOffsets));
      }
}

/// The offset of the first maximal element among `offsets` (a NaN counts as
/// the maximum, as in PyTorch), or -1 when there is none.
static int64_t firstMaximum(const Tensor &x, llvm::ArrayRef<int64_t> offsets) {
  int64_t best = -1;
  for (int64_t offset : offsets) {
    if (best < 0) {
      best = offset;
      continue;
    }
    double value = x.data[offset], max = x.data[best];
    if (std::isnan(max))
      break;
    if (value > max || std::isnan(value))
      best = offset;
  }
  return best;
}

FailureOr<Tensor> evalMaxPool2D(nn::MaxPool2DOp op, Operands in) {
  const Tensor &x = *in[0];
  Tensor y = zeros(op.getType());
  forEachWindow(shapeOf(x), shapeOf(y), op.getKernel(), op.getStride(), op.getPadding(),
                [&](int64_t yo, llvm::ArrayRef<int64_t> window) {
                  int64_t best = firstMaximum(x, window);
                  y.data[yo] = best < 0 ? -INFINITY : x.data[best];
                });
  return y;
}

FailureOr<Tensor> evalMaxPool2DBackward(nn::MaxPool2DBackwardOp op, Operands in) {
  const Tensor &x = *in[0], &dy = *in[1];
  Tensor dx = zeros(op.getType());
  forEachWindow(shapeOf(x), shapeOf(dy), op.getKernel(), op.getStride(),
                op.getPadding(), [&](int64_t yo, llvm::ArrayRef<int64_t> window) {
                  int64_t best = firstMaximum(x, window);
                  if (best >= 0)
                    dx.data[best] += dy.data[yo];
                });
  return dx;
}

FailureOr<Tensor> evalAvgPool2D(nn::AvgPool2DOp op, Operands in) {
  const Tensor &x = *in[0];
  Tensor y = zeros(op.getType());
  llvm::ArrayRef<int64_t> kernel = op.getKernel();
  double area = static_cast<double>(kernel[0] * kernel[1]); // padding counts
  forEachWindow(shapeOf(x), shapeOf(y), kernel, op.getStride(), op.getPadding(),
                [&](int64_t yo, llvm::ArrayRef<int64_t> window) {
                  double sum = 0.0;
                  for (int64_t xo : window)
                    sum += x.data[xo];
                  y.data[yo] = sum / area;
                });
  return y;
}

FailureOr<Tensor> evalAvgPool2DBackward(nn::AvgPool2DBackwardOp op, Operands in) {
  const Tensor &dy = *in[0];
  Tensor dx = zeros(op.getType());
  llvm::ArrayRef<int64_t> kernel = op.getKernel();
  double area = static_cast<double>(kernel[0] * kernel[1]);
  forEachWindow(shapeOf(dx), shapeOf(dy), kernel, op.getStride(), op.getPadding(),
                [&](int64_t yo, llvm::ArrayRef<int64_t> window) {
                  for (int64_t xo : window)
                    dx.data[xo] += dy.data[yo] / area;
                });
  return dx;
}

} // namespace gradc::interp::detail
