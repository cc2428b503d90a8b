// training_eval.cpp — evaluation on the validation and test sets, mid-epoch and at the end of an epoch.
#include "training_loop.h"

namespace gradc::rt::detail {

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

} // namespace gradc::rt::detail
