// training_loop.h — the trainer of `train` mode, shared by the files that
// implement it, one job each:
//   training_loop.cpp     the loop: epochs, steps, the numerics guard;
//   training_data.cpp     the data: loading, the validation split, ranks that agree on it;
//   training_ranks.cpp    data parallelism: the buffers the ranks average, and replicas' checks;
//   training_eval.cpp     evaluation and the end of an epoch;
//   training_state.cpp    run state: checkpoints, resuming, early stopping and the best weights;
//   training_outputs.cpp  outputs: the log, TensorBoard, the progress bar, the final line.
#ifndef GRADC_RUNTIME_SRC_TRAINING_LOOP_H
#define GRADC_RUNTIME_SRC_TRAINING_LOOP_H

#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/distributed.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/kernels.h"
#include "gradc/runtime/metrics.h"
#include "gradc/runtime/schedule.h"
#include "gradc/runtime/tensorboard.h"
#include "gradc/runtime/trainer.h"
#include "gradc/runtime/weights.h"

#include "progress.h"
#include "trainer_internal.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gradc::rt::detail {

using nlohmann::json;

/// Sum of squares of a buffer's values, in double (the numerics guard).
double sumOfSquares(const BufferRef &buffer);

/// Element `i` of a float buffer, as a double.
double elementAt(const BufferRef &buffer, int64_t i);

/// "" when every value of `buffer` is finite, else where the first is not.
std::string firstNonFinite(const BufferRef &buffer);

/// The values of a buffer, as doubles.
std::vector<double> valuesOf(const BufferRef &buffer);

/// TensorBoard's tag for a record field: "loss" → "train/loss",
/// "val_accuracy" → "val/accuracy".
std::string tagOf(const std::string &field);

/// The run settings a checkpoint records and a resumed run must repeat.
json runSettings(const TrainerOptions &options, int64_t samples, int64_t batch, int ranks);

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


} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_TRAINING_LOOP_H
