// training_loop.cpp — the training loop: epochs and steps, and the numerics
// guard after each step. The rest of the trainer is beside it (training_loop.h).
#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/distributed.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/kernels.h"
#include "gradc/runtime/metrics.h"
#include "gradc/runtime/plot.h"
#include "gradc/runtime/schedule.h"
#include "gradc/runtime/tensorboard.h"
#include "gradc/runtime/trainer.h"
#include "gradc/runtime/weights.h"

#include "progress.h"
#include "trainer_internal.h"
#include "training_loop.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>

namespace gradc::rt::detail {

// Sum of squares of the first `count` values, in double, over eight
// independent partial sums so that the loop vectorizes and does not wait on
// one addition chain (the guard runs after every step).
namespace {
template <typename T> double sumOfSquares(const T *data, int64_t count) {
  double partial[8] = {};
  int64_t i = 0;
  for (; i + 8 <= count; i += 8)
    for (int lane = 0; lane < 8; ++lane)
      partial[lane] += static_cast<double>(data[i + lane]) * static_cast<double>(data[i + lane]);
  for (; i < count; ++i)
    partial[0] += static_cast<double>(data[i]) * static_cast<double>(data[i]);
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
         ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}
} // namespace

double sumOfSquares(const BufferRef &buffer) {
  if (buffer.dtype == DType::F32)
    return sumOfSquares(static_cast<const float *>(buffer.data), buffer.numElements());
  if (buffer.dtype == DType::F64)
    return sumOfSquares(static_cast<const double *>(buffer.data), buffer.numElements());
  return 0;
}

double elementAt(const BufferRef &buffer, int64_t i) {
  return buffer.dtype == DType::F32 ? static_cast<const float *>(buffer.data)[i]
                                    : static_cast<const double *>(buffer.data)[i];
}

namespace {
std::string describeValue(double value) {
  return std::isnan(value) ? "NaN" : value > 0 ? "inf" : "-inf";
}
} // namespace

// "NaN at element 5 of 12", or "" when every element is finite.
std::string firstNonFinite(const BufferRef &buffer) {
  if (buffer.dtype != DType::F32 && buffer.dtype != DType::F64)
    return "";
  const int64_t count = buffer.numElements();
  for (int64_t i = 0; i < count; ++i) {
    double value = elementAt(buffer, i);
    if (!std::isfinite(value))
      return describeValue(value) + " at element " + std::to_string(i) + " of " +
             std::to_string(count);
  }
  return "";
}

std::vector<double> valuesOf(const BufferRef &buffer) {
  std::vector<double> values(static_cast<size_t>(buffer.numElements()));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = elementAt(buffer, static_cast<int64_t>(i));
  return values;
}

int Trainer::run() {
  checkBatch(info_);
  validateSchedule(info_.schedule);
  collectively(comm_, err_, [&] { loadData(); });
  if (shared_)
    collectively(comm_, err_, [&] { checkSameData(); });
  // A program compiled with -fno-step-gradients fills its gradients only in
  // lossGrad() and trainGrad(): single-process steps then have none to watch.
  if (shared_ || info_.stepGradients)
    gradients_ = model_.gradients();
  if (shared_)
    findSharedBuffers();
  if (!options_.bestMetric.empty() || !options_.earlyStoppingMetric.empty()) {
    monitor_.metric = options_.earlyStoppingMetric.empty() ? options_.bestMetric
                                                           : options_.earlyStoppingMetric;
    monitor_.minimize = metricIsMinimized(monitor_.metric);
    monitor_.patience = options_.patience;
  }
  if (!options_.quiet) {
    out_ << "training " << info_.name << " on " << train_.size << " samples: "
         << batchesPerEpoch_ << " batches of " << globalBatch_;
    if (shared_)
      out_ << " (" << comm_.size() << " ranks of " << info_.batch << ")";
    out_ << " per epoch";
    if (train_.size % globalBatch_ != 0)
      out_ << " (" << train_.size % globalBatch_ << " samples skipped each epoch)";
    if (validation_)
      out_ << ", " << validation_->size << " validation samples";
    if (test_)
      out_ << ", " << test_->size << " test samples";
    out_ << ", " << threads() << (threads() == 1 ? " thread" : " threads") << '\n';
  }
  if (!options_.resume.empty()) {
    const std::string file =
        (std::filesystem::path(options_.resume) / kCheckpointFileName).string();
    std::map<std::string, std::string> metadata = readCheckpoint(file);
    collectively(comm_, err_, [&] { resume(file, metadata); });
  }
  collectively(comm_, err_, [&] { openOutputs(); });
  batchInputs_ = batchTensors(info_.inputs, info_.batch);
  batchLabels_ = batchTensors(info_.labels, info_.batch);

  auto stepsLeft = [&] { return !options_.steps || model_.step() < *options_.steps; };
  if (monitor_.stopped() && !options_.quiet)
    out_ << "early stopping had ended this run after step " << model_.step() << '\n';
  stop_ = monitor_.stopped();
  while (epoch_ < epochs_ && !stop_ && stepsLeft()) {
    auto start = std::chrono::steady_clock::now();
    std::vector<int64_t> order = epochOrder(options_.seed, epoch_, train_.size, options_.shuffle);
    while (batch_ < batchesPerEpoch_ && stepsLeft() && !stop_) {
      trainStep(batch_, order);
      ++batch_;
      progress_->update(model_.step(), epoch_ + 1, epochs_, batch_, batchesPerEpoch_,
                        lastLoss_);
      // The end of the epoch evaluates and checkpoints anyway.
      const bool epochEnds = batch_ == batchesPerEpoch_;
      if (options_.evalEvery > 0 && model_.step() % options_.evalEvery == 0 && !epochEnds)
        evaluateMidEpoch();
      if (options_.checkpointEvery > 0 && model_.step() % options_.checkpointEvery == 0 &&
          !epochEnds && !stop_)
        checkpoint();
    }
    const bool partial = batch_ < batchesPerEpoch_;
    if (partial && !stop_) {
      // Stopped by --steps: the checkpoint comes before the epoch's record, so
      // that a resumed run continues the epoch and writes its whole record.
      checkpoint();
      finishEpoch(secondsSince(start), true);
      break;
    }
    finishEpoch(secondsSince(start), partial);
    if (partial) { // early stopping after an --eval-every evaluation
      checkpoint();
      break;
    }
    ++epoch_;
    batch_ = 0;
    lossSum_ = gradNormSum_ = 0;
    batches_ = 0;
    totals_ = MetricTotals(info_.metrics);
    checkpoint();
  }
  progress_->clear();
  if (!options_.save.empty() && rank0_) {
    saveWeights(model_, options_.save, weightsMetadata_);
    if (!options_.quiet)
      out_ << "wrote " << options_.save << '\n';
  }
  if (!options_.saveBest.empty() && monitor_.best && !options_.quiet)
    out_ << "wrote " << options_.saveBest << " (best " << monitor_.metric << " "
         << fixed(*monitor_.best, 4) << " after step " << monitor_.bestStep << ")\n";
  if (!options_.plot.empty() && rank0_) {
    writePlot(options_.plot, log_ ? readRunLog(options_.log) : records_, info_.name);
    if (!options_.quiet)
      out_ << "wrote " << options_.plot << '\n';
  }
  out_ << finish() << '\n';
  return 0;
}

void Trainer::trainStep(int64_t batch, const std::vector<int64_t> &order) {
  // This rank's share of the step's batch.
  const int64_t first = batch * globalBatch_ + comm_.rank() * info_.batch;
  gatherSamples(train_.inputs, order.data() + first, info_.batch, batchInputs_,
                train_.inputScales);
  gatherSamples(train_.labels, order.data() + first, info_.batch, batchLabels_);
  // --stream-data: the batch's samples leave memory again (back to the file).
  for (Tensor &inputs : train_.inputs)
    inputs.releasePages();
  const std::vector<const void *> inputs = samplePointers(batchInputs_, 0),
                                  labels = samplePointers(batchLabels_, 0);
  const int64_t step = model_.step();
  lastLr_ = learningRate(info_.schedule, options_.lr, step);
  // A kernel's NaN or infinity (--check-numerics), named with the step.
  auto inStep = [&](const auto &body) {
    try {
      body();
    } catch (const NumericsError &error) {
      throw NumericsError(stepContext(step, batch) + ": " + error.what() + ".\n" +
                          numericsAdvice(true));
    }
  };
  StepResult result;
  double gradNorm = 0;
  if (!shared_) {
    inStep([&] {
      result = model_.trainStep(inputs.data(), labels.data(), lastLr_,
                                stepRngKey(options_.seed, step));
    });
    gradNorm = guardNumerics(result, step, batch, order);
  } else {
    // Forward and backward on this rank's share, the average over the ranks,
    // then the same update on every rank.
    inStep([&] {
      result = model_.trainGrad(inputs.data(), labels.data(),
                                stepRngKey(options_.seed, step, comm_.rank()));
    });
    reduceStep(result, step);
    gradNorm = guardNumerics(result, step, batch, order);
    inStep([&] { model_.applyUpdate(lastLr_); });
    if (options_.checkReplicas)
      checkReplicas(step);
  }
  gradNormSum_ += gradNorm;
  if (events_) {
    events_->scalar("train/batch_loss", step + 1, result.loss);
    events_->scalar("train/lr", step + 1, lastLr_);
    if (!gradients_.empty())
      events_->scalar("train/grad_norm", step + 1, gradNorm);
  }
  totals_.add(result.metricStats);
  lossSum_ += result.loss;
  lastLoss_ = result.loss;
  ++batches_;
}

// The global norm of the step's gradients. Stops training when it or the loss
// is not finite, with a message that names the step, the first parameter whose
// gradient is not finite, and any non-finite input of the batch.
double Trainer::guardNumerics(const StepResult &result, int64_t step, int64_t batch,
                              const std::vector<int64_t> &order) {
  double squares = 0;
  for (const BufferRef &gradient : gradients_)
    squares += sumOfSquares(gradient);
  const double gradNorm = std::sqrt(squares);
  if (std::isfinite(result.loss) && std::isfinite(gradNorm))
    return gradNorm;
  progress_->clear();
  std::string message = stepContext(step, batch) + ": ";
  message += !std::isfinite(result.loss)
                 ? "the loss is " + describeValue(result.loss)
                 : "the gradient norm is " + describeValue(gradNorm) + " (the loss is " +
                       fixed(result.loss, 4) + ")";
  std::string bad;
  for (const BufferRef &gradient : gradients_) {
    std::string where = firstNonFinite(gradient);
    if (!where.empty()) {
      bad = "the first parameter whose gradient is not finite is " + gradient.name + " (" +
            where + ")";
      break;
    }
  }
  if (gradients_.empty())
    bad = info_.stepGradients ? "this model reports no gradients to look into"
                              : "this program was compiled with -fno-step-gradients, so its "
                                "steps keep no gradients to look into (a non-finite gradient "
                                "shows as a non-finite loss one step later)";
  else if (bad.empty())
    bad = "every gradient is finite, but their norm overflows";
  message += "; " + bad + ".";
  // The first non-finite input of the step's batch, over every rank's share.
  int64_t found[2] = {INT64_MAX, 0}; // its file index, and whether it is -inf/inf/NaN
  for (const Tensor &inputs : batchInputs_) {
    const DType dtype = inputs.dtype();
    if (dtype != DType::F32 && dtype != DType::F64)
      continue;
    const int64_t perSample =
        static_cast<int64_t>(bytesPerSample(inputs) / dtypeSize(dtype));
    const int64_t first = batch * globalBatch_ + comm_.rank() * info_.batch;
    for (int64_t i = 0; i < info_.batch * perSample; ++i) {
      double value =
          dtype == DType::F32 ? inputs.data<float>()[i] : inputs.data<double>()[i];
      if (!std::isfinite(value)) {
        const int64_t index = fileIndex_[static_cast<size_t>(order[first + i / perSample])];
        if (index < found[0]) {
          found[0] = index;
          found[1] = std::isnan(value) ? 0 : value > 0 ? 1 : -1;
        }
        break;
      }
    }
  }
  if (shared_) {
    int64_t first = found[0];
    comm_.min(&first, 1, "the inputs of step " + std::to_string(step + 1));
    int64_t kind = first == found[0] ? found[1] : INT64_MIN; // the rank that holds it tells
    comm_.max(&kind, 1, "the inputs of step " + std::to_string(step + 1));
    found[0] = first;
    found[1] = kind;
  }
  if (found[0] != INT64_MAX)
    message += " The batch's inputs hold " +
               describeValue(found[1] == 0 ? NAN : found[1] > 0 ? INFINITY : -INFINITY) +
               ": sample " + std::to_string(found[0]) + " of " + options_.dataOrigin + ".";
  message += "\n" + numericsAdvice(options_.checkNumerics);
  if (shared_)
    throw AgreedError(message);
  throw NumericsError(message);
}

int runTraining(Model &model, Communicator &comm, const TrainerOptions &options,
                std::ostream &out, std::ostream &err) {
  return Trainer(model, comm, options, out, err).run();
}

} // namespace gradc::rt::detail
