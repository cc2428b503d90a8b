// trainer_internal.h — pieces the trainer's modes share: batches, formatting,
// the validation split, and the modes themselves.
#ifndef GRADC_RUNTIME_SRC_TRAINER_INTERNAL_H
#define GRADC_RUNTIME_SRC_TRAINER_INTERNAL_H

#include "gradc/runtime/dataset.h"
#include "gradc/runtime/model.h"
#include "gradc/runtime/run_log.h"

#include "trainer_options.h"

#include <chrono>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace gradc::rt::detail {

/// "0.5123" for decimals = 4.
std::string fixed(double value, int decimals);

/// Samples a batch-sized tensor holds: [batch, ...sample shape].
Tensor batchTensor(DType dtype, int64_t batch, const std::vector<int64_t> &sampleShape);

uint64_t bytesPerSample(const Tensor &tensor);

double secondsSince(std::chrono::steady_clock::time_point start);

/// Throws Error unless the model's batch size is at least 1.
void checkBatch(const ModelInfo &info);

/// Appends "<prefix>loss" and "<prefix><metric>" for each metric.
void addMetricFields(LogRecord &record, const std::string &prefix, double loss,
                     const std::vector<MetricSpec> &metrics, const std::vector<double> &values);

/// "loss 0.5123  accuracy 0.8211" for the numeric fields from `first` on.
std::string formatFields(const LogRecord &record, size_t first = 0);

/// "test accuracy 0.8765": the first metric, or the loss.
std::string finalLine(const std::string &which, double loss,
                      const std::vector<MetricSpec> &metrics, const std::vector<double> &values);

/// The training data with round(fraction · size) samples held out for
/// validation, chosen by a permutation seeded from `seed`; both parts keep
/// the file's order. `kept` receives the file index of each training sample.
std::pair<Dataset, Dataset> holdOut(const Dataset &data, double fraction, uint64_t seed,
                                    std::vector<int64_t> &kept);

/// The usual causes of a NaN or infinity in training, for error messages.
std::string numericsAdvice(bool checkNumerics);

/// The modes of trainerMain after the weights are initialized or loaded.
int runTraining(Model &model, const TrainerOptions &options, std::ostream &out,
                std::ostream &err);
int runGradcheck(Model &model, const TrainerOptions &options, std::ostream &out);

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_TRAINER_INTERNAL_H
