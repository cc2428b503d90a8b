// training_outputs.cpp — what a run writes as it goes: the log, TensorBoard events, the progress bar and printed lines.
#include "training_loop.h"

#include "gradc/runtime/plot.h"

#include <unistd.h>

#include <iostream>

namespace gradc::rt::detail {

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
} // namespace gradc::rt::detail
