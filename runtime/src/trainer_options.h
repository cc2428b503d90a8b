// trainer_options.h — the generated program's command line, parsed and validated.
#ifndef GRADC_RUNTIME_SRC_TRAINER_OPTIONS_H
#define GRADC_RUNTIME_SRC_TRAINER_OPTIONS_H

#include "gradc/runtime/model.h"

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

enum class Mode { Train, InitOnly, Eval, Predict };

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
  bool quiet = false;
  /// Resolved sources (flags, else the model's); kind "" when there is none.
  DataSource data;
  DataSource test;
  /// Where each source came from, for messages: "--data" or "the model's train data".
  std::string dataOrigin;
  std::string testOrigin;
  std::string load, save, predict, out, log;
};

/// Parses and validates the command line: values, combinations, readable
/// inputs and writable outputs. Returns nullopt after printing --help to
/// `out`. Throws UsageError for anything wrong with the flags, and Error for a
/// default data file of the model that cannot be read.
std::optional<TrainerOptions> parseTrainerOptions(const ModelInfo &info, int argc,
                                                  const char *const *argv, std::ostream &out);

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_TRAINER_OPTIONS_H
