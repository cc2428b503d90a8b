// training_loop.cpp — the training loop: steps, the numerics guard, evaluation,
// early stopping, the best weights, checkpoints and resuming, logs, TensorBoard
// and the progress bar.
#include "gradc/runtime/checkpoint.h"
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

#include <cmath>
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
  Trainer(Model &model, const TrainerOptions &options, std::ostream &out, std::ostream &err)
      : model_(model), info_(model.info()), options_(options), out_(out), err_(err),
        totals_(info_.metrics) {}

  int run();

private:
  void loadData();
  void resume();
  void openOutputs();
  void trainStep(int64_t batch, const std::vector<int64_t> &order);
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
  const TrainerOptions &options_;
  std::ostream &out_, &err_;

  Dataset train_;
  std::vector<int64_t> fileIndex_; // training sample → its index in the data file
  std::optional<Dataset> validation_, test_;
  int64_t batchesPerEpoch_ = 0, epochs_ = 0;
  Tensor batchInputs_, batchLabels_;
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
};

void Trainer::loadData() {
  train_ = loadDataset(info_, options_.data);
  if (options_.validation > 0) {
    auto [kept, held] = holdOut(train_, options_.validation, options_.seed, fileIndex_);
    train_ = std::move(kept);
    validation_ = std::move(held);
  } else {
    fileIndex_.resize(static_cast<size_t>(train_.size));
    for (int64_t i = 0; i < train_.size; ++i)
      fileIndex_[static_cast<size_t>(i)] = i;
  }
  if (!options_.test.kind.empty())
    test_ = loadDataset(info_, options_.test);
  batchesPerEpoch_ = train_.size / info_.batch;
  if (batchesPerEpoch_ == 0)
    throw Error(options_.dataOrigin + " has " + std::to_string(train_.size) +
                " samples, fewer than one batch of " + std::to_string(info_.batch));
  epochs_ = options_.epochs;
  if (options_.steps && !options_.epochsGiven)
    epochs_ = (*options_.steps + batchesPerEpoch_ - 1) / batchesPerEpoch_;
}

// The settings a resumed run must share with the interrupted one, as the
// checkpoint records them.
json runSettings(const TrainerOptions &options, int64_t samples, int64_t batch) {
  return {{"seed", options.seed},           {"lr", options.lr},
          {"validation", options.validation}, {"shuffle", options.shuffle},
          {"samples", samples},             {"batch_size", batch}};
}

void Trainer::resume() {
  const std::string file = (std::filesystem::path(options_.resume) / kCheckpointFileName).string();
  std::map<std::string, std::string> metadata = loadCheckpoint(model_, file);
  json order, trainer;
  try {
    order = json::parse(metadata.at("data_order"));
    trainer = json::parse(metadata.at("trainer"));
  } catch (const std::exception &) {
    throw Error::inFile(file, "damaged metadata: no data_order or trainer state");
  }
  const json expected = runSettings(options_, train_.size, info_.batch);
  static const std::map<std::string, std::string> flagOf = {
      {"seed", "--seed"},         {"lr", "--lr"},
      {"validation", "--validation"}, {"shuffle", "--no-shuffle"},
      {"samples", "--data"},      {"batch_size", "the batch size"}};
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
  run.add("batch", info_.batch);
  run.add("seed", options_.seed <= static_cast<uint64_t>(INT64_MAX)
                      ? LogValue(static_cast<int64_t>(options_.seed))
                      : LogValue(std::to_string(options_.seed)));
  run.add("lr", options_.lr);
  run.add("schedule", info_.schedule.kind);
  run.add("threads", static_cast<int64_t>(options_.threads));
  if (!options_.log.empty()) {
    log_ = std::make_unique<RunLog>(options_.log, columns, resumeLogBytes_);
    if (!resumeLogBytes_)
      log_->write(run);
  }
  if (!options_.tensorboard.empty()) {
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
    events_->scalar("run/batch_size", model_.step(), static_cast<double>(info_.batch));
    events_->scalar("run/seed", model_.step(), static_cast<double>(options_.seed));
    events_->flush();
  }
  bool bar = options_.progress == Progress::Always ||
             (options_.progress == Progress::Auto && !options_.quiet && &err_ == &std::cerr &&
              ::isatty(STDERR_FILENO));
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

void Trainer::trainStep(int64_t batch, const std::vector<int64_t> &order) {
  const int64_t first = batch * info_.batch;
  gatherSamples(train_.inputs, order.data() + first, info_.batch, batchInputs_);
  gatherSamples(train_.labels, order.data() + first, info_.batch, batchLabels_);
  const int64_t step = model_.step();
  lastLr_ = learningRate(info_.schedule, options_.lr, step);
  StepResult result;
  try {
    result = model_.trainStep(batchInputs_.bytes(), batchLabels_.bytes(), lastLr_,
                              stepRngKey(options_.seed, step));
  } catch (const NumericsError &error) {
    throw NumericsError(stepContext(step, batch) + ": " + error.what() + ".\n" +
                        numericsAdvice(true));
  }
  const double gradNorm = guardNumerics(result, step, batch, order);
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
    bad = "this model reports no gradients to look into";
  else if (bad.empty())
    bad = "every gradient is finite, but their norm overflows";
  message += "; " + bad + ".";
  if (info_.inputDType == DType::F32 || info_.inputDType == DType::F64) {
    const int64_t perSample = static_cast<int64_t>(bytesPerSample(batchInputs_) /
                                                   dtypeSize(info_.inputDType));
    for (int64_t i = 0; i < info_.batch * perSample; ++i) {
      double value = info_.inputDType == DType::F32 ? batchInputs_.data<float>()[i]
                                                    : batchInputs_.data<double>()[i];
      if (!std::isfinite(value)) {
        int64_t sample = fileIndex_[static_cast<size_t>(order[batch * info_.batch + i / perSample])];
        message += " The batch's inputs hold " + describeValue(value) + ": sample " +
                   std::to_string(sample) + " of " + options_.dataOrigin + ".";
        break;
      }
    }
  }
  throw NumericsError(message + "\n" + numericsAdvice(options_.checkNumerics));
}

Evaluation Trainer::evaluateOn(const Dataset &data, const char *which) {
  try {
    return evaluate(model_, data);
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
    if (!options_.saveBest.empty())
      saveWeights(model_, options_.saveBest);
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
  print("epoch " + std::to_string(epoch_ + 1) + "/" + std::to_string(epochs_) + "  " +
        formatFields(record, first) + "  (" + fixed(seconds, 1) + " s)");
  if (!gradients_.empty())
    record.add("grad_norm", gradNormSum_ / static_cast<double>(batches_));
  record.add("seconds", seconds);
  writeRecord(record, !partial);
  observe(record);
}

void Trainer::checkpoint() {
  if (options_.checkpointDir.empty())
    return;
  json order = runSettings(options_, train_.size, info_.batch);
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
                  {"trainer", trainer.dump()}});
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
  loadData();
  gradients_ = model_.gradients();
  if (!options_.bestMetric.empty() || !options_.earlyStoppingMetric.empty()) {
    monitor_.metric = options_.earlyStoppingMetric.empty() ? options_.bestMetric
                                                           : options_.earlyStoppingMetric;
    monitor_.minimize = metricIsMinimized(monitor_.metric);
    monitor_.patience = options_.patience;
  }
  if (!options_.quiet) {
    out_ << "training " << info_.name << " on " << train_.size << " samples: "
         << batchesPerEpoch_ << " batches of " << info_.batch << " per epoch";
    if (train_.size % info_.batch != 0)
      out_ << " (" << train_.size % info_.batch << " samples skipped each epoch)";
    if (validation_)
      out_ << ", " << validation_->size << " validation samples";
    if (test_)
      out_ << ", " << test_->size << " test samples";
    out_ << ", " << threads() << (threads() == 1 ? " thread" : " threads") << '\n';
  }
  if (!options_.resume.empty())
    resume();
  openOutputs();
  batchInputs_ = batchTensor(info_.inputDType, info_.batch, info_.inputShape);
  batchLabels_ = batchTensor(info_.labelDType, info_.batch, info_.labelShape);

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
  if (!options_.save.empty()) {
    saveWeights(model_, options_.save);
    if (!options_.quiet)
      out_ << "wrote " << options_.save << '\n';
  }
  if (!options_.saveBest.empty() && monitor_.best && !options_.quiet)
    out_ << "wrote " << options_.saveBest << " (best " << monitor_.metric << " "
         << fixed(*monitor_.best, 4) << " after step " << monitor_.bestStep << ")\n";
  if (!options_.plot.empty()) {
    writePlot(options_.plot, log_ ? readRunLog(options_.log) : records_, info_.name);
    if (!options_.quiet)
      out_ << "wrote " << options_.plot << '\n';
  }
  out_ << finish() << '\n';
  return 0;
}

} // namespace

int runTraining(Model &model, const TrainerOptions &options, std::ostream &out,
                std::ostream &err) {
  return Trainer(model, options, out, err).run();
}

} // namespace gradc::rt::detail
