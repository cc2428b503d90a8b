// trainer_options.h — the generated program's command line, parsed and validated.
#ifndef GRADC_RUNTIME_SRC_TRAINER_OPTIONS_H
#define GRADC_RUNTIME_SRC_TRAINER_OPTIONS_H

#include "gradc/runtime/model.h"

#include <boost/program_options/options_description.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>

namespace gradc::rt::detail {

/// A command line the program cannot run: reported as "error: ..." with exit
/// code 2.
class UsageError : public std::runtime_error {
public:
  explicit UsageError(const std::string &message) : std::runtime_error(message) {}
};

enum class Mode { Train, InitOnly, Eval, Predict, Gradcheck, Plot, Generate, ExportOnnx };

/// When to draw the progress bar on stderr.
enum class Progress { Auto, Always, Never };

struct TrainerOptions {
  Mode mode = Mode::Train;
  int64_t epochs = 1;
  bool epochsGiven = false;
  std::optional<int64_t> steps;
  double lr = 0;
  uint64_t seed = 0;
  /// Fraction of the training data held out for validation, in [0, 1).
  double validation = 0;
  int threads = 1;
  bool shuffle = true;
  /// --stream-data: the training inputs stay in their .npy file, read a
  /// batch at a time (LoadLimits::mapFiles).
  bool streamData = false;
  bool quiet = false;
  /// Resolved sources (flags, else the model's); kind "" when there is none.
  DataSource data;
  DataSource test;
  /// Where each source came from, for messages: "--data" or "the model's train data".
  std::string dataOrigin;
  std::string testOrigin;
  std::string load, save, predict, out, log;
  /// --export-onnx: where the ONNX inference graph goes.
  std::string exportOnnx;
  /// --load-partial: --load may lack some of the model's tensors and hold others.
  bool loadPartial = false;
  /// --predict-classes: write each sample's class (the argmax of the output)
  /// instead of the output.
  bool predictClasses = false;

  /// Evaluate validation and test data every N optimizer steps (0: only at
  /// the end of each epoch).
  int64_t evalEvery = 0;
  /// Stop when this metric ("val_loss", "accuracy", ...) has not improved for
  /// `patience` evaluations; "" for no early stopping.
  std::string earlyStoppingMetric;
  int64_t patience = 0;
  /// Where the weights with the best monitored metric go, and that metric
  /// (the early-stopping metric, else val_loss).
  std::string saveBest, bestMetric;
  /// Checkpoints: directory ("" for none) and interval in optimizer steps.
  std::string checkpointDir;
  int64_t checkpointEvery = 0;
  /// The checkpoint directory to resume from ("" to start afresh).
  std::string resume;
  bool checkNumerics = false;
  std::string tensorboard;
  /// The SVG to write (at the end of training, or from `plotFrom`).
  std::string plot, plotFrom;
  Progress progress = Progress::Auto;
  /// --generate PROMPT: the prompt, how many tokens to sample after it
  /// (--tokens) and at what temperature (--temperature; 0: the most likely).
  std::string prompt;
  int64_t generateTokens = 200;
  double temperature = 1.0;
  /// --gradcheck: entries checked per parameter.
  int64_t gradcheckEntries = 8;
  /// Data-parallel runs: compare every rank's weights and optimizer state
  /// after every step, and how long a collective operation may wait for the
  /// other ranks (seconds, 0: no limit).
  bool checkReplicas = false;
  double collectiveTimeout = 300;
};

/// What the process that parses the command line is.
struct ParseContext {
  /// Whether this process reads --load and --resume and writes the outputs
  /// (the only process, or rank 0 of a data-parallel run): only then are they
  /// checked.
  bool ownsFiles = true;
  /// The default of --threads (0: the hardware's threads).
  int defaultThreads = 0;
};

/// Whether the model takes windows of a sequence: one input and one label,
/// both i32 [T] (text and token data feed it).
bool isLanguageModel(const ModelInfo &info);

/// Whether a metric is better when smaller: losses, mae and rmse (with or
/// without a val_/test_ prefix); every other metric is better when larger.
bool metricIsMinimized(const std::string &name);

/// Parses and validates the command line: values, combinations, readable
/// inputs and writable outputs. Returns nullopt after printing --help to
/// `out`. Throws UsageError for anything wrong with the flags, and Error for a
/// default data file of the model that cannot be read.
std::optional<TrainerOptions> parseTrainerOptions(const ModelInfo &info, int argc,
                                                  const char *const *argv, std::ostream &out,
                                                  const ParseContext &context = {});

/// Every flag of the generated program, with the model's defaults, as --help
/// lists them (trainer_flags.cpp).
boost::program_options::options_description
declareOptions(const ModelInfo &info, const ParseContext &context, unsigned hardwareThreads);

/// --help: usage, the flags, the data formats and the exit statuses.
void printHelp(std::ostream &out, const std::string &program, const ModelInfo &info,
               const boost::program_options::options_description &visible);

/// "unrecognised option '--x'", with the flag meant when one is close, and
/// why flags that set compile-time settings do not exist.
std::string unknownOptionMessage(const std::string &given,
                                 const boost::program_options::options_description &all,
                                 const ModelInfo &info);

/// A data source for messages: its files, or "none".
std::string describeSource(const DataSource &source);

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_TRAINER_OPTIONS_H
