// training_ranks.cpp — data parallelism as the loop uses it: the buffers the ranks average after each step, and the check that replicas stay equal.
#include "training_loop.h"

#include <cmath>

namespace gradc::rt::detail {

void Trainer::findSharedBuffers() {
  for (const BufferRef &buffer : model_.buffers())
    if (buffer.kind == BufferKind::Buffer &&
        (buffer.dtype == DType::F32 || buffer.dtype == DType::F64))
      runningStats_.push_back(buffer);
  if (gradients_.empty())
    return;
  const DType dtype = gradients_.front().dtype;
  auto *next = static_cast<char *>(gradients_.front().data);
  for (const BufferRef &gradient : gradients_) {
    auto *data = static_cast<char *>(gradient.data);
    if (gradient.dtype != dtype || (dtype != DType::F32 && dtype != DType::F64) || data < next ||
        (data - next) % static_cast<ptrdiff_t>(dtypeSize(dtype)) != 0 ||
        data - next >= 64)
      return; // reduced one gradient at a time
    next = data + gradient.numElements() * static_cast<int64_t>(dtypeSize(dtype));
  }
  gradData_ = gradients_.front().data;
  gradDType_ = dtype;
  gradCount_ = (next - static_cast<char *>(gradData_)) / static_cast<int64_t>(dtypeSize(dtype));
}

template <typename T> void scaleBy(void *data, int64_t count, double factor) {
  T *values = static_cast<T *>(data);
  const T f = static_cast<T>(factor);
  for (int64_t i = 0; i < count; ++i)
    values[i] *= f;
}

// The ranks' gradients, loss, metric statistics and running statistics,
// averaged (statistics summed): afterwards every rank holds those of the
// whole global batch.
void Trainer::reduceStep(StepResult &result, int64_t step) {
  const double share = 1.0 / comm_.size();
  auto average = [&](void *data, int64_t count, DType dtype, const std::string &what) {
    comm_.sum(data, count, dtype, what);
    if (dtype == DType::F32)
      scaleBy<float>(data, count, share);
    else
      scaleBy<double>(data, count, share);
  };
  const std::string what = "the gradients of step " + std::to_string(step + 1);
  if (gradData_)
    average(gradData_, gradCount_, gradDType_, what);
  else
    for (const BufferRef &gradient : gradients_)
      average(gradient.data, gradient.numElements(), gradient.dtype, what);

  std::vector<double> values = {result.loss};
  values.insert(values.end(), result.metricStats.begin(), result.metricStats.end());
  for (const BufferRef &buffer : runningStats_)
    for (int64_t i = 0; i < buffer.numElements(); ++i)
      values.push_back(elementAt(buffer, i));
  comm_.sumAgreed(values.data(), static_cast<int64_t>(values.size()),
                  "the loss and statistics of step " + std::to_string(step + 1));
  result.loss = values[0] * share;
  std::copy(values.begin() + 1, values.begin() + 1 + result.metricStats.size(),
            result.metricStats.begin());
  size_t next = 1 + result.metricStats.size();
  for (const BufferRef &buffer : runningStats_)
    for (int64_t i = 0; i < buffer.numElements(); ++i, ++next) {
      if (buffer.dtype == DType::F32)
        static_cast<float *>(buffer.data)[i] = static_cast<float>(values[next] * share);
      else
        static_cast<double *>(buffer.data)[i] = values[next] * share;
    }
}

// --check-replicas: every rank's weights, running statistics and optimizer
// state, compared by their CRC-32C after the step.
void Trainer::checkReplicas(int64_t step) {
  std::vector<BufferRef> buffers = model_.buffers();
  std::string digests;
  for (const BufferRef &buffer : buffers) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x",
                  crc32c(buffer.data, static_cast<size_t>(buffer.numElements()) *
                                          dtypeSize(buffer.dtype)));
    digests += hex;
  }
  std::vector<std::string> all = comm_.gather(digests, "--check-replicas");
  for (size_t r = 1; r < all.size(); ++r)
    for (size_t b = 0; b < buffers.size(); ++b)
      if (all[r].compare(8 * b, 8, all[0], 8 * b, 8) != 0)
        throw AgreedError("--check-replicas: after step " + std::to_string(step + 1) +
                          ", rank " + std::to_string(r) + "'s " + buffers[b].name +
                          " differs from rank 0's (CRC-32C " + all[r].substr(8 * b, 8) +
                          " and " + all[0].substr(8 * b, 8) + "): the ranks have drifted apart");
}

} // namespace gradc::rt::detail
