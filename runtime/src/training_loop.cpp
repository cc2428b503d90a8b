// training_loop.cpp — the training loop: steps, the numerics guard, evaluation,
// early stopping, the best weights, checkpoints and resuming, logs, TensorBoard
// and the progress bar.
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

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>

namespace gradc::rt::detail {

namespace {

using nlohmann::json;

// Sum of squares of the first `count` values, in double, over eight
// independent partial sums so that the loop vectorizes and does not wait on
// one addition chain (the guard runs after every step).
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

std::string describeValue(double value) {
  return std::isnan(value) ? "NaN" : value > 0 ? "inf" : "-inf";
}

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

// TensorBoard's tag for a record field: "loss" → "train/loss",
// "val_accuracy" → "val/accuracy".
std::string tagOf(const std::string &field) {
  for (const char *prefix : {"val_", "test_"}) {
    std::string p(prefix);
    if (field.rfind(p, 0) == 0)
      return p.substr(0, p.size() - 1) + "/" + field.substr(p.size());
  }
  return "train/" + field;
}

// The metric early stopping and --save-best watch.
struct Monitor {
  std::string metric;
  bool minimize = true;
  int64_t patience = 0; // 0: never stop
  std::optional<double> best;
  int64_t bestStep = 0;
  int64_t sinceBest = 0;

  bool active() const { return !metric.empty(); }
  bool stopped() const { return patience > 0 && sinceBest >= patience; }

  json toJson() const {
    return {{"metric", metric},
            {"best", best ? json(*best) : json(nullptr)},
            {"best_step", bestStep},
            {"since_best", sinceBest}};
  }
  void fromJson(const json &saved) {
    if (saved.at("metric").get<std::string>() != metric)
      return; // another metric: start watching afresh
    best = saved.at("best").is_null() ? std::nullopt
                                      : std::optional<double>(saved.at("best").get<double>());
    bestStep = saved.at("best_step").get<int64_t>();
    sinceBest = saved.at("since_best").get<int64_t>();
  }
};

class Trainer {
public:
  Trainer(Model &model, Communicator &comm, const TrainerOptions &options, std::ostream &out,
          std::ostream &err)
      : model_(model), info_(model.info()), comm_(comm), options_(options), out_(out),
        err_(err), shared_(comm.size() > 1), rank0_(comm.rank() == 0),
        globalBatch_(info_.batch * comm.size()), totals_(info_.metrics) {}

  int run();

private:
  void loadData();
  void checkSameData();
  std::map<std::string, std::string> readCheckpoint(const std::string &file);
  void resume(const std::string &file, const std::map<std::string, std::string> &metadata);
  void openOutputs();
  void findSharedBuffers();
  void trainStep(int64_t batch, const std::vector<int64_t> &order);
  void reduceStep(StepResult &result, int64_t step);
  void checkReplicas(int64_t step);
  double guardNumerics(const StepResult &result, int64_t step, int64_t batch,
                       const std::vector<int64_t> &order);
  Evaluation evaluateOn(const Dataset &data, const char *which);
  void addEvaluations(LogRecord &record);
  void finishEpoch(double seconds, bool partial);
  void evaluateMidEpoch();
  void observe(const LogRecord &record);
  void writeRecord(const LogRecord &record, bool epochEnd);
  void checkpoint();
  std::string stepContext(int64_t step, int64_t batch) const;
  void print(const std::string &line);
  std::string finish();

  Model &model_;
  const ModelInfo &info_;
  Communicator &comm_;
  const TrainerOptions &options_;
  std::ostream &out_, &err_;
  // A data-parallel run: each step's batch of globalBatch_ samples is split
  // into one share of info_.batch per rank; only rank 0 writes files.
  const bool shared_, rank0_;
  const int64_t globalBatch_;
  // What the ranks average after each step: the gradients (one contiguous
  // range of gradCount_ values when the model lays them out so), and the
  // running statistics.
  void *gradData_ = nullptr;
  int64_t gradCount_ = 0;
  DType gradDType_ = DType::F32;
  std::vector<BufferRef> runningStats_;

  Dataset train_;
  std::vector<int64_t> fileIndex_; // training sample → its index in the data file
  std::optional<Dataset> validation_, test_;
  int64_t batchesPerEpoch_ = 0, epochs_ = 0;
  std::vector<Tensor> batchInputs_, batchLabels_;
  std::vector<BufferRef> gradients_;

  // The position in the run, saved in checkpoints.
  int64_t epoch_ = 0, batch_ = 0;
  double lossSum_ = 0, gradNormSum_ = 0;
  int64_t batches_ = 0;
  MetricTotals totals_;
  Monitor monitor_;
  double lastLr_ = 0, lastLoss_ = 0;
  bool stop_ = false;

  std::unique_ptr<RunLog> log_;
  std::unique_ptr<EventWriter> events_;
  std::unique_ptr<ProgressBar> progress_;
  std::vector<LogRecord> records_;
  std::optional<uint64_t> resumeLogBytes_;
  std::string last_;
  /// Recorded in the weights files the run writes (kCsvFeaturesKey).
  std::map<std::string, std::string> weightsMetadata_;
};

void Trainer::loadData() {
  LoadLimits limits;
  limits.mapFiles = options_.streamData;
  train_ = loadDataset(info_, options_.data, limits);
  if (options_.validation > 0) {
    auto [kept, held] = holdOut(train_, options_.validation, options_.seed, fileIndex_);
    train_ = std::move(kept);
    validation_ = std::move(held);
  } else {
    fileIndex_.resize(static_cast<size_t>(train_.size));
    for (int64_t i = 0; i < train_.size; ++i)
      fileIndex_[static_cast<size_t>(i)] = i;
  }
  if (!options_.test.kind.empty()) {
    // A test CSV's columns are matched by the names the model trains on.
    DataSource test = options_.test;
    if (test.kind == "csv" && test.header && test.featureColumns.empty())
      test.featureColumns = train_.featureNames;
    test_ = loadDataset(info_, test);
  }
  if (!train_.featureNames.empty())
    weightsMetadata_[kCsvFeaturesKey] = joinColumns(train_.featureNames);
  batchesPerEpoch_ = train_.size / globalBatch_;
  if (batchesPerEpoch_ == 0 && validation_)
    throw Error(options_.dataOrigin + " has " +
                std::to_string(train_.size + validation_->size) + " samples; validation " +
                fixed(options_.validation, 2) + " holds out " +
                std::to_string(validation_->size) + " of them, which leaves " +
                std::to_string(train_.size) + " to train on, fewer than one batch of " +
                std::to_string(globalBatch_));
  if (batchesPerEpoch_ == 0)
    throw Error(options_.dataOrigin + " has " + std::to_string(train_.size) +
                " samples, fewer than one batch of " + std::to_string(globalBatch_));
  epochs_ = options_.epochs;
  if (options_.steps && !options_.epochsGiven)
    epochs_ = (*options_.steps + batchesPerEpoch_ - 1) / batchesPerEpoch_;
}

// Every rank must have loaded the same data: the same files, or copies of them.
void Trainer::checkSameData() {
  const std::string sizes = std::to_string(train_.size) + " training, " +
                            std::to_string(validation_ ? validation_->size : 0) +
                            " validation and " + std::to_string(test_ ? test_->size : 0) +
                            " test samples";
  std::vector<std::string> all = comm_.gather(sizes, "comparing the data");
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      throw Error("the ranks loaded different data: rank " + std::to_string(r) + " has " +
                  all[r] + ", rank 0 " + all[0] +
                  ": every rank must read the same files (or copies of them)");
}

// The settings a resumed run must share with the interrupted one, as the
// checkpoint records them; the number of ranks only for data-parallel runs.
json runSettings(const TrainerOptions &options, int64_t samples, int64_t batch, int ranks) {
  json settings = {{"seed", options.seed},           {"lr", options.lr},
                   {"validation", options.validation}, {"shuffle", options.shuffle},
                   {"samples", samples},             {"batch_size", batch}};
  if (ranks > 1)
    settings["ranks"] = ranks;
  return settings;
}

// The checkpoint's metadata, its weights, optimizer state and step loaded
// into the model: by rank 0, which sends them to the other ranks.
std::map<std::string, std::string> Trainer::readCheckpoint(const std::string &file) {
  std::map<std::string, std::string> metadata;
  std::string packed;
  collectively(comm_, err_, [&] {
    if (!rank0_)
      return;
    metadata = loadCheckpoint(model_, file);
    packed = json(metadata).dump();
  });
  if (!shared_)
    return metadata;
  comm_.broadcast(packed, "the checkpoint's metadata");
  broadcastState(model_, comm_);
  return json::parse(packed).get<std::map<std::string, std::string>>();
}

void Trainer::resume(const std::string &file,
                     const std::map<std::string, std::string> &metadata) {
  json order, trainer;
  try {
    order = json::parse(metadata.at("data_order"));
    trainer = json::parse(metadata.at("trainer"));
  } catch (const std::exception &) {
    throw Error::inFile(file, "damaged metadata: no data_order or trainer state");
  }
  const json expected = runSettings(options_, train_.size, globalBatch_, comm_.size());
  static const std::map<std::string, std::string> flagOf = {
      {"seed", "--seed"},         {"lr", "--lr"},
      {"validation", "--validation"}, {"shuffle", "--no-shuffle"},
      {"samples", "--data"},      {"batch_size", "the batch size"},
      {"ranks", "mpirun -np"}};
  for (const auto &[key, value] : expected.items()) {
    if (!order.contains(key) || order[key] != value)
      throw UsageError("--resume: " + file + " was written by a run with " + key + " " +
                       (order.contains(key) ? order[key].dump() : "unknown") +
                       ", but this run has " + value.dump() + " (" + flagOf.at(key) +
                       "): resume with the flags of the interrupted run");
  }
  try {
    epoch_ = order.at("epochs_done").get<int64_t>();
    batch_ = order.at("batch_in_epoch").get<int64_t>();
    lossSum_ = trainer.at("loss_sum").get<double>();
    batches_ = trainer.at("batches").get<int64_t>();
    gradNormSum_ = trainer.at("grad_norm_sum").get<double>();
    std::vector<double> stats = trainer.at("metric_stats").get<std::vector<double>>();
    if (!stats.empty())
      totals_.add(stats);
    if (monitor_.active())
      monitor_.fromJson(trainer.at("monitor"));
    const json &log = trainer.at("log");
    if (!options_.log.empty() && log.at("path").get<std::string>() == options_.log)
      resumeLogBytes_ = log.at("bytes").get<uint64_t>();
    if (trainer.at("threads").get<int>() != options_.threads && !options_.quiet)
      out_ << "note: the checkpoint was written with " << trainer.at("threads").get<int>()
           << " threads and this run has " << options_.threads
           << ": results may differ in the last bits from an uninterrupted run\n";
  } catch (const json::exception &) {
    throw Error::inFile(file, "damaged metadata: the trainer state is incomplete");
  }
  if (batch_ < 0 || batch_ >= batchesPerEpoch_ || epoch_ < 0)
    throw Error::inFile(file, "damaged metadata: position epoch " + std::to_string(epoch_) +
                                  ", batch " + std::to_string(batch_));
  // A run that has nothing left to do keeps its whole log.
  const bool ended = monitor_.stopped() || epoch_ >= epochs_ ||
                     (options_.steps && model_.step() >= *options_.steps);
  std::error_code error;
  if (ended && resumeLogBytes_ && std::filesystem::exists(options_.log, error))
    resumeLogBytes_ = std::filesystem::file_size(options_.log, error);
  if (!options_.quiet)
    out_ << "resuming from " << file << " at step " << model_.step() << " (epoch "
         << epoch_ + 1 << ", batch " << batch_ << " of " << batchesPerEpoch_ << ")\n";
}

void Trainer::openOutputs() {
  std::vector<std::string> columns = {"record", "epoch", "step", "lr", "loss"};
  for (const MetricSpec &metric : info_.metrics)
    columns.push_back(metric.name);
  for (const char *prefix : {"val_", "test_"}) {
    if (std::string(prefix) == "val_" ? !validation_ : !test_)
      continue;
    columns.push_back(std::string(prefix) + "loss");
    for (const MetricSpec &metric : info_.metrics)
      columns.push_back(prefix + metric.name);
  }
  if (!gradients_.empty())
    columns.push_back("grad_norm");
  columns.push_back("seconds");

  LogRecord run;
  run.add("record", std::string("run"));
  run.add("model", info_.name);
  run.add("fingerprint", info_.fingerprint);
  run.add("optimizer", info_.optimizer);
  run.add("batch", globalBatch_);
  if (shared_)
    run.add("ranks", static_cast<int64_t>(comm_.size()));
  run.add("seed", options_.seed <= static_cast<uint64_t>(INT64_MAX)
                      ? LogValue(static_cast<int64_t>(options_.seed))
                      : LogValue(std::to_string(options_.seed)));
  run.add("lr", options_.lr);
  run.add("schedule", info_.schedule.kind);
  run.add("threads", static_cast<int64_t>(options_.threads));
  if (!options_.log.empty() && rank0_) {
    log_ = std::make_unique<RunLog>(options_.log, columns, resumeLogBytes_);
    if (!resumeLogBytes_)
      log_->write(run);
  }
  if (!options_.tensorboard.empty() && rank0_) {
    events_ = std::make_unique<EventWriter>(options_.tensorboard);
    std::string text = "| setting | value |\n|---|---|\n";
    for (const auto &[name, value] : run.fields)
      if (name != "record")
        text += "| " + name + " | " +
                std::visit(
                    [](const auto &v) {
                      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>)
                        return v;
                      else
                        return nlohmann::json(v).dump();
                    },
                    value) +
                " |\n";
    events_->text("run", model_.step(), text);
    events_->scalar("run/batch_size", model_.step(), static_cast<double>(globalBatch_));
    events_->scalar("run/seed", model_.step(), static_cast<double>(options_.seed));
    events_->flush();
  }
  bool bar = rank0_ && (options_.progress == Progress::Always ||
                        (options_.progress == Progress::Auto && !options_.quiet &&
                         &err_ == &std::cerr && ::isatty(STDERR_FILENO)));
  int64_t endStep = epochs_ * batchesPerEpoch_;
  if (options_.steps)
    endStep = std::min(endStep, *options_.steps);
  progress_ = std::make_unique<ProgressBar>(err_, bar, endStep, model_.step());
}

// "step 12 (epoch 1, batch 12 of 14)" for the 0-based step index `step`.
std::string Trainer::stepContext(int64_t step, int64_t batch) const {
  return "step " + std::to_string(step + 1) + " (epoch " + std::to_string(epoch_ + 1) +
         ", batch " + std::to_string(batch + 1) + " of " + std::to_string(batchesPerEpoch_) + ")";
}

// The gradients the ranks average in one operation, when the model lays them
// out as one contiguous buffer of one dtype (as gradc's models do), and the
// running statistics, which the ranks average too.
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

Evaluation Trainer::evaluateOn(const Dataset &data, const char *which) {
  try {
    return evaluateShared(model_, data, comm_);
  } catch (const NumericsError &error) {
    throw NumericsError("evaluating the " + std::string(which) + " data after step " +
                        std::to_string(model_.step()) + ": " + error.what() + ".\n" +
                        numericsAdvice(true));
  }
}

void Trainer::addEvaluations(LogRecord &record) {
  if (validation_) {
    Evaluation result = evaluateOn(*validation_, "validation");
    addMetricFields(record, "val_", result.loss, info_.metrics, result.metrics);
    last_ = finalLine("validation", result.loss, info_.metrics, result.metrics);
  }
  if (test_) {
    Evaluation result = evaluateOn(*test_, "test");
    addMetricFields(record, "test_", result.loss, info_.metrics, result.metrics);
    last_ = finalLine("test", result.loss, info_.metrics, result.metrics);
  }
}

void Trainer::print(const std::string &line) {
  progress_->clear();
  if (!options_.quiet)
    out_ << line << std::endl;
}

void Trainer::writeRecord(const LogRecord &record, bool epochEnd) {
  if (log_)
    log_->write(record);
  records_.push_back(record);
  if (!events_)
    return;
  const int64_t step = model_.step();
  for (const auto &[name, value] : record.fields) {
    static const std::set<std::string> notScalars = {"record", "epoch", "step", "lr",
                                                     "seconds", "grad_norm"};
    if (const auto *number = std::get_if<double>(&value); number && !notScalars.count(name))
      events_->scalar(tagOf(name), step, *number);
  }
  if (epochEnd) {
    events_->scalar("train/epoch", step, static_cast<double>(epoch_ + 1));
    for (const BufferRef &buffer : model_.buffers()) {
      if (buffer.kind != BufferKind::Param ||
          (buffer.dtype != DType::F32 && buffer.dtype != DType::F64))
        continue;
      events_->histogram("weights/" + buffer.name, step, makeHistogram(valuesOf(buffer)));
      events_->scalar("weight_norm/" + buffer.name, step, std::sqrt(sumOfSquares(buffer)));
    }
    for (const BufferRef &gradient : gradients_)
      events_->scalar("grad_norm/" + gradient.name, step, std::sqrt(sumOfSquares(gradient)));
  }
  events_->flush();
}

// Early stopping and the best weights, after an evaluation.
void Trainer::observe(const LogRecord &record) {
  if (!monitor_.active())
    return;
  std::optional<double> value = record.number(monitor_.metric);
  if (!value)
    return;
  const bool better = std::isfinite(*value) &&
                      (!monitor_.best || (monitor_.minimize ? *value < *monitor_.best
                                                            : *value > *monitor_.best));
  if (better) {
    monitor_.best = *value;
    monitor_.bestStep = model_.step();
    monitor_.sinceBest = 0;
    if (!options_.saveBest.empty() && rank0_)
      saveWeights(model_, options_.saveBest, weightsMetadata_);
    return;
  }
  ++monitor_.sinceBest;
  if (monitor_.stopped()) {
    stop_ = true;
    print("early stopping: " + monitor_.metric + " has not improved for " +
          std::to_string(monitor_.sinceBest) + " evaluations (best " +
          fixed(*monitor_.best, 4) + " after step " + std::to_string(monitor_.bestStep) + ")");
  }
}

void Trainer::evaluateMidEpoch() {
  LogRecord record;
  record.add("record", std::string("eval"));
  record.add("epoch", epoch_ + 1);
  record.add("step", model_.step());
  record.add("lr", lastLr_);
  const size_t first = record.fields.size();
  addEvaluations(record);
  print("step " + std::to_string(model_.step()) + " (epoch " + std::to_string(epoch_ + 1) +
        ")  " + formatFields(record, first));
  writeRecord(record, false);
  observe(record);
}

void Trainer::finishEpoch(double seconds, bool partial) {
  LogRecord record;
  record.add("record", std::string("epoch"));
  record.add("epoch", epoch_ + 1);
  record.add("step", model_.step());
  record.add("lr", lastLr_);
  const size_t first = record.fields.size();
  const double loss = lossSum_ / static_cast<double>(batches_);
  std::vector<double> metrics = totals_.values(batches_ * info_.batch);
  addMetricFields(record, "", loss, info_.metrics, metrics);
  last_ = finalLine("train", loss, info_.metrics, metrics);
  addEvaluations(record);
  // An epoch cut short (--steps, early stopping) says how much of it ran.
  const std::string part = partial ? " (" + std::to_string(batch_) + " of " +
                                         std::to_string(batchesPerEpoch_) + " batches)"
                                   : "";
  print("epoch " + std::to_string(epoch_ + 1) + "/" + std::to_string(epochs_) + part + "  " +
        formatFields(record, first) + "  (" + fixed(seconds, 1) + " s)");
  if (!gradients_.empty())
    record.add("grad_norm", gradNormSum_ / static_cast<double>(batches_));
  record.add("seconds", seconds);
  writeRecord(record, !partial);
  observe(record);
}

void Trainer::checkpoint() {
  if (options_.checkpointDir.empty() || !rank0_)
    return;
  json order = runSettings(options_, train_.size, globalBatch_, comm_.size());
  order["epochs_done"] = epoch_;
  order["batch_in_epoch"] = batch_;
  json schedule = {{"kind", info_.schedule.kind},   {"base_lr", options_.lr},
                   {"every", info_.schedule.every}, {"gamma", info_.schedule.gamma},
                   {"steps", info_.schedule.steps}, {"warmup", info_.schedule.warmup},
                   {"min_lr", info_.schedule.minLr},
                   {"next_lr", learningRate(info_.schedule, options_.lr, model_.step())}};
  json rng = {{"generator", "splitmix64"},
              {"seed", options_.seed},
              {"dropout_key", "stepRngKey(seed, step)"},
              {"next_dropout_index", model_.step()},
              {"shuffle_key", "shuffleSeed(seed, epoch)"},
              {"shuffle_epoch", epoch_}};
  json trainer = {{"loss_sum", lossSum_},
                  {"batches", batches_},
                  {"metric_stats", batches_ > 0 ? totals_.stats() : std::vector<double>()},
                  {"grad_norm_sum", gradNormSum_},
                  {"monitor", monitor_.toJson()},
                  {"log", {{"path", options_.log}, {"bytes", log_ ? log_->bytes() : 0}}},
                  {"threads", options_.threads},
                  {"checkpoint_every", options_.checkpointEvery}};
  saveCheckpoint(model_,
                 std::filesystem::path(options_.checkpointDir) / kCheckpointFileName,
                 {{"epochs_done", std::to_string(epoch_)},
                  {"batch_in_epoch", std::to_string(batch_)},
                  {"data_order", order.dump()},
                  {"schedule", schedule.dump()},
                  {"rng", rng.dump()},
                  {"trainer", trainer.dump()},
                  {kCsvFeaturesKey, joinColumns(train_.featureNames)}});
}

std::string Trainer::finish() {
  if (!last_.empty())
    return last_;
  // Nothing was trained in this run (a resumed run that had ended).
  if (test_) {
    Evaluation result = evaluateOn(*test_, "test");
    return finalLine("test", result.loss, info_.metrics, result.metrics);
  }
  if (validation_) {
    Evaluation result = evaluateOn(*validation_, "validation");
    return finalLine("validation", result.loss, info_.metrics, result.metrics);
  }
  return "nothing left to train after step " + std::to_string(model_.step());
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

} // namespace

int runTraining(Model &model, Communicator &comm, const TrainerOptions &options,
                std::ostream &out, std::ostream &err) {
  return Trainer(model, comm, options, out, err).run();
}

} // namespace gradc::rt::detail
