// training_state.cpp — run state: checkpoints, resuming, early stopping and the best weights, and the final line.
#include "training_loop.h"

#include "gradc/runtime/text.h"
#include "gradc/runtime/weights.h"

#include <filesystem>

namespace gradc::rt::detail {

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
  auto vocab = metadata.find(kVocabKey);
  if (vocab != metadata.end() && vocab->second != train_.vocab)
    throw UsageError("--resume: " + file + " was written by a run whose text vocabulary is \"" +
                     vocab->second + "\", but this run's data gives \"" + train_.vocab +
                     "\": resume with the data of the interrupted run");
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
                  {kCsvFeaturesKey, joinColumns(train_.featureNames)},
                  {kVocabKey, train_.vocab}});
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

} // namespace gradc::rt::detail
