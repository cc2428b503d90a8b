// trainer_internal.h — pieces the trainer's modes share: batches, formatting,
// the validation split, and the modes themselves.
#ifndef GRADC_RUNTIME_SRC_TRAINER_INTERNAL_H
#define GRADC_RUNTIME_SRC_TRAINER_INTERNAL_H

#include "gradc/runtime/dataset.h"
#include "gradc/runtime/distributed.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/model.h"
#include "gradc/runtime/trainer.h"
#include "gradc/runtime/run_log.h"

#include "trainer_options.h"

#include <chrono>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gradc::rt::detail {

/// "0.5123" for decimals = 4.
std::string fixed(double value, int decimals);

/// Bytes of one sample of a tensor whose first axis is the sample.
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
/// validation, chosen by a permutation seeded from `seed` (the last samples
/// of sequential data: windows of a text); both parts keep the file's order. `kept` receives the file index of each training sample.
std::pair<Dataset, Dataset> holdOut(const Dataset &data, double fraction, uint64_t seed,
                                    std::vector<int64_t> &kept);

/// The usual causes of a NaN or infinity in training, for error messages.
std::string numericsAdvice(bool checkNumerics);

/// The modes of trainerMain after the weights are initialized or loaded.
/// `comm` is the job: one process, or the ranks of a data-parallel run.
/// CSV feature column names, joined with commas as weights files record
/// them (kCsvFeaturesKey), and split again.
std::string joinColumns(const std::vector<std::string> &names);
std::vector<std::string> splitColumns(const std::string &joined);

/// Gives CSV sources with a header that name no feature columns the ones a
/// weights file's metadata records, so that their columns are matched by name,
/// and text sources the vocabulary it records (kVocabKey; a text source whose
/// own vocabulary differs is an Error).
void withTrainedColumns(TrainerOptions &options,
                        const std::map<std::string, std::string> &weightsMetadata);

/// --load-partial's weights, initialized then loaded from the file, and the
/// line that says what was loaded (printed unless --quiet).
std::map<std::string, std::string> loadPartially(Model &model, const TrainerOptions &options,
                                                 std::ostream &out);

int runTraining(Model &model, Communicator &comm, const TrainerOptions &options,
                std::ostream &out, std::ostream &err);
int runGradcheck(Model &model, const TrainerOptions &options, std::ostream &out);

/// Every mode of trainerMain on one process (or rank 0 alone): weights
/// initialized or loaded, then the mode.
int runOneProcess(Model &model, Communicator &comm, const TrainerOptions &options,
                  std::ostream &out, std::ostream &err);

/// Throws UsageError when `mode` trains and the model was compiled for
/// another number of ranks than the job's (ModelInfo::ranks).
void checkRanks(const ModelInfo &info, int ranks, Mode mode);

// Data-parallel runs (trainer_distributed.cpp).

/// trainerMain for a job of several ranks.
int distributedMain(Model &model, Communicator &comm, int argc, const char *const *argv,
                    std::ostream &out, std::ostream &err);

/// An error every rank of a job raises at the same point from the same values
/// (the reduced loss and gradients, the gathered weights digests): rank 0
/// reports it, and every rank exits with `code` instead of ending the job.
class AgreedError : public Error {
public:
  AgreedError(const std::string &message, int code = 1) : Error(message), code(code) {}
  int code;
};

/// Thrown on every rank once an error found by collectively() has been
/// reported: the process exits with `code` and reports nothing more.
struct JobFailed {
  int code;
};

/// Runs `body` on every rank. On one process, its exceptions propagate. With
/// several ranks, when it throws on any rank, the error is reported once —
/// by rank 0 when it failed there, else by each failing rank, with its rank —
/// and every rank throws JobFailed with the largest exit code (2 for a
/// UsageError, 1 otherwise).
void collectively(Communicator &comm, std::ostream &err, const std::function<void()> &body);

/// evaluate() with the samples split into one contiguous shard per rank and
/// the sums reduced: every rank returns the same evaluation.
Evaluation evaluateShared(Model &model, const Dataset &data, Communicator &comm);

/// Copies every buffer of the model (parameters, running statistics,
/// optimizer state) and the step from rank 0 to the other ranks.
void broadcastState(Model &model, Communicator &comm);

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_TRAINER_INTERNAL_H
