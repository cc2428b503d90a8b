//===- Shape.cpp - Interpreting shape ops, reductions, gather and scatter -===//

#include "Kernels.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;

namespace gradc::interp::detail {

/// The row-major offset of `index` in `shape`.
static int64_t offsetOf(llvm::ArrayRef<int64_t> index, llvm::ArrayRef<int64_t> shape) {
  int64_t offset = 0;
  for (auto [i, extent] : llvm::zip_equal(index, shape))
    offset = offset * extent + i;
  return offset;
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

FailureOr<Tensor> evalReshape(nn::ReshapeOp op, Operands in) {
  Tensor result = zeros(op.getType());
  result.data = in[0]->data; // row-major order is kept
  return result;
}

FailureOr<Tensor> evalTranspose(nn::TransposeOp op, Operands in) {
  const Tensor &x = *in[0];
  Tensor result = zeros(op.getType());
  llvm::ArrayRef<int64_t> permutation = op.getPermutation();
  llvm::SmallVector<int64_t> xIndex(permutation.size());
  for (size_t offset = 0; offset < result.data.size(); ++offset) {
    // Result dimension i is operand dimension permutation[i].
    llvm::SmallVector<int64_t> index = unravel(offset, shapeOf(result));
    for (auto [dim, source] : llvm::enumerate(permutation))
      xIndex[source] = index[dim];
    result.data[offset] = x.data[offsetOf(xIndex, shapeOf(x))];
  }
  return result;
}

FailureOr<Tensor> evalBroadcastTo(nn::BroadcastToOp op, Operands in) {
  const Tensor &x = *in[0];
  Tensor result = zeros(op.getType());
  for (size_t offset = 0; offset < result.data.size(); ++offset)
    result.data[offset] =
        x.data[broadcastOffset(unravel(offset, shapeOf(result)), shapeOf(x))];
  return result;
}

FailureOr<Tensor> evalConcat(nn::ConcatOp op, Operands in) {
  Tensor result = zeros(op.getType());
  int64_t axis = op.getAxis();
  for (size_t offset = 0; offset < result.data.size(); ++offset) {
    // Walk along the inputs until the one that holds this position of `axis`.
    llvm::SmallVector<int64_t> index = unravel(offset, shapeOf(result));
    for (const Tensor *input : in) {
      int64_t extent = shapeOf(*input)[axis];
      if (index[axis] < extent) {
        result.data[offset] = input->data[offsetOf(index, shapeOf(*input))];
        break;
      }
      index[axis] -= extent;
    }
  }
  return result;
}

FailureOr<Tensor> evalSlice(nn::SliceOp op, Operands in) {
  const Tensor &x = *in[0];
  Tensor result = zeros(op.getType());
  llvm::ArrayRef<int64_t> start = op.getStart();
  for (size_t offset = 0; offset < result.data.size(); ++offset) {
    llvm::SmallVector<int64_t> index = unravel(offset, shapeOf(result));
    for (auto [i, first] : llvm::zip_equal(index, start))
      i += first;
    result.data[offset] = x.data[offsetOf(index, shapeOf(x))];
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {
enum class ReduceKind { Sum, Mean, Max };
struct ReduceSpec {
  ReduceKind kind;
  llvm::ArrayRef<int64_t> axes;
  bool keepDims;
};
} // namespace

template <typename ReduceOp>
static ReduceSpec specOf(ReduceOp op, ReduceKind kind) {
  return {kind, op.getAxes(), op.getKeepDims()};
}

FailureOr<Tensor> evalReduce(Operation *op, Operands in) {
  ReduceSpec spec =
      llvm::TypeSwitch<Operation *, ReduceSpec>(op)
          .Case([](nn::ReduceSumOp o) { return specOf(o, ReduceKind::Sum); })
          .Case([](nn::ReduceMeanOp o) { return specOf(o, ReduceKind::Mean); })
          .Case([](nn::ReduceMaxOp o) { return specOf(o, ReduceKind::Max); });
  const Tensor &x = *in[0];
  Tensor result = zeros(op->getResult(0).getType());
  bool isInteger = result.type.getElementType().isInteger(32);

  // Which result element each input element belongs to.
  llvm::SmallVector<int64_t> resultIndex;
  auto resultOffsetOf = [&](int64_t xOffset) {
    llvm::SmallVector<int64_t> index = unravel(xOffset, shapeOf(x));
    resultIndex.clear();
    for (auto [dim, i] : llvm::enumerate(index)) {
      if (!llvm::is_contained(spec.axes, static_cast<int64_t>(dim)))
        resultIndex.push_back(i);
      else if (spec.keepDims)
        resultIndex.push_back(0);
    }
    return offsetOf(resultIndex, shapeOf(result));
  };
  int64_t count = 1;
  for (int64_t axis : spec.axes)
    count *= shapeOf(x)[axis];

  if (spec.kind == ReduceKind::Max) {
    if (count == 0 && !result.data.empty())
      return emitError(op->getLoc()) << "reduce_max over an empty set of elements";
    std::vector<bool> seen(result.data.size(), false);
    for (auto [xOffset, value] : llvm::enumerate(x.data)) {
      int64_t r = resultOffsetOf(xOffset);
      result.data[r] = seen[r] ? nanMax(result.data[r], value) : value;
      seen[r] = true;
    }
    return result;
  }

  if (isInteger) {
    std::vector<int64_t> sums(result.data.size(), 0);
    for (auto [xOffset, value] : llvm::enumerate(x.data))
      sums[resultOffsetOf(xOffset)] += static_cast<int64_t>(value);
    if (spec.kind == ReduceKind::Mean && count == 0 && !result.data.empty())
      return emitError(op->getLoc()) << "integer reduce_mean over an empty set of "
                                        "elements";
    for (auto [r, sum] : llvm::enumerate(sums))
      result.data[r] = wrapToI32(spec.kind == ReduceKind::Mean ? sum / count : sum);
    return result;
  }

  for (auto [xOffset, value] : llvm::enumerate(x.data))
    result.data[resultOffsetOf(xOffset)] += value;
  if (spec.kind == ReduceKind::Mean)
    for (double &value : result.data)
      value /= static_cast<double>(count);
  return result;
}

FailureOr<Tensor> evalArgmax(nn::ArgmaxOp op, Operands in) {
  const Tensor &x = *in[0];
  Tensor result = zeros(op.getType());
  int64_t axis = op.getAxis();
  int64_t extent = shapeOf(x)[axis];
  if (extent == 0 && !result.data.empty())
    return emitError(op.getLoc()) << "argmax over an empty dimension";
  int64_t inner = stridesOf(shapeOf(x))[axis];
  for (size_t r = 0; r < result.data.size(); ++r) {
    // Result element r is (outer, inner) with the axis removed.
    int64_t outer = static_cast<int64_t>(r) / inner, innerIndex = r % inner;
    auto at = [&](int64_t k) { return x.data[(outer * extent + k) * inner + innerIndex]; };
    int64_t best = 0;
    for (int64_t k = 1; k < extent; ++k) {
      // Ties keep the first index; a NaN is the maximum, as in torch.argmax.
      if (std::isnan(at(best)))
        break;
      if (at(k) > at(best) || std::isnan(at(k)))
        best = k;
    }
    result.data[r] = static_cast<double>(best);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Gather and scatter of rows
//===----------------------------------------------------------------------===//

FailureOr<Tensor> evalGatherRows(nn::GatherRowsOp op, Operands in) {
  const Tensor &table = *in[0], &ids = *in[1];
  Tensor result = zeros(op.getType());
  int64_t rows = shapeOf(table)[0], width = shapeOf(table)[1];
  for (auto [i, id] : llvm::enumerate(ids.data)) {
    if (id < 0 || id >= static_cast<double>(rows))
      return emitError(op.getLoc()) << "gather_rows: id " << static_cast<int64_t>(id)
                                    << " (element " << i << " of the ids) is out of "
                                    << "range [0, " << rows << ")";
    int64_t row = static_cast<int64_t>(id);
    for (int64_t d = 0; d < width; ++d)
      result.data[i * width + d] = table.data[row * width + d];
  }
  return result;
}

FailureOr<Tensor> evalScatterAddRows(nn::ScatterAddRowsOp op, Operands in) {
  const Tensor &ids = *in[0], &updates = *in[1];
  Tensor result = zeros(op.getType());
  int64_t rows = shapeOf(result)[0], width = shapeOf(result)[1];
  for (auto [i, id] : llvm::enumerate(ids.data)) {
    if (id < 0 || id >= static_cast<double>(rows))
      return emitError(op.getLoc()) << "scatter_add_rows: id "
                                    << static_cast<int64_t>(id) << " (element " << i
                                    << " of the ids) is out of range [0, " << rows
                                    << ")";
    int64_t row = static_cast<int64_t>(id);
    for (int64_t d = 0; d < width; ++d)
      result.data[row * width + d] += updates.data[i * width + d];
  }
  return result;
}

} // namespace gradc::interp::detail
