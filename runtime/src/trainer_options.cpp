// trainer_options.cpp — the generated program's flags (Boost.Program_options), their
// validation, and --help.
#include "trainer_options.h"

#include "gradc/runtime/dataset.h"
#include "gradc/runtime/error.h"

#include <boost/program_options.hpp>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace gradc::rt::detail {

namespace po = boost::program_options;

namespace {

std::string inQuotes(const std::string &text) { return "'" + text + "'"; }

std::string formatNumber(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

int64_t parseCount(const std::string &flag, const std::string &text, int64_t minimum,
                   int64_t maximum = INT64_MAX) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      value < minimum || value > maximum)
    throw UsageError(flag + " must be an integer >= " + std::to_string(minimum) +
                     (maximum == INT64_MAX ? "" : " and <= " + std::to_string(maximum)) +
                     ", got " + inQuotes(text));
  return value;
}

uint64_t parseSeed(const std::string &text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size())
    throw UsageError("--seed must be an integer in [0, 18446744073709551615], got " +
                     inQuotes(text));
  return value;
}

double parseLearningRate(const std::string &text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value) || !(value > 0))
    throw UsageError("--lr must be a finite number > 0, got " + inQuotes(text));
  return value;
}

double parseFraction(const std::string &flag, const std::string &text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !(value >= 0 && value < 1))
    throw UsageError(flag + " must be a fraction in [0, 1), got " + inQuotes(text));
  return value;
}

// Why a file cannot be read, or "" when it can.
std::string unreadableReason(const std::string &path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    return "no such file";
  if (std::filesystem::is_directory(path, error))
    return "it is a directory";
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    return std::strerror(errno);
  std::fclose(file);
  return "";
}

void requireReadableFlag(const std::string &flag, const std::string &path) {
  if (path.empty())
    throw UsageError(flag + " needs a file name");
  std::string reason = unreadableReason(path);
  if (!reason.empty())
    throw UsageError(flag + ": cannot read " + inQuotes(path) + ": " + reason);
}

// Opens the file for appending — creating it, and removing it again, when it
// does not exist — so that an output path that cannot be written fails before
// any training, without truncating what is there.
void requireWritableFlag(const std::string &flag, const std::string &path) {
  if (path.empty())
    throw UsageError(flag + " needs a file name");
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw UsageError(flag + ": cannot write " + inQuotes(path) + ": it is a directory");
  bool existed = std::filesystem::exists(path, error);
  std::FILE *file = std::fopen(path.c_str(), "ab");
  if (file == nullptr)
    throw UsageError(flag + ": cannot write " + inQuotes(path) + ": " + std::strerror(errno));
  std::fclose(file);
  if (!existed)
    std::filesystem::remove(path, error);
}

// Which flags each mode uses; any other flag given is an error rather than
// silently ignored.
const std::set<std::string> &flagsUsedBy(Mode mode) {
  static const std::map<Mode, std::set<std::string>> used = {
      {Mode::Train,
       {"epochs", "steps", "lr", "seed", "data", "labels", "test", "test-labels",
        "validation", "no-shuffle", "load", "save", "log"}},
      {Mode::InitOnly, {"seed", "save"}},
      {Mode::Eval, {"test", "test-labels", "load"}},
      {Mode::Predict, {"predict", "out", "load"}},
  };
  return used.at(mode);
}

const char *modeFlag(Mode mode) {
  switch (mode) {
  case Mode::InitOnly:
    return "--init-only";
  case Mode::Eval:
    return "--eval";
  case Mode::Predict:
    return "--predict";
  case Mode::Train:
    break;
  }
  return "training";
}

// The settings (scale, CSV label column and header) for a file of this
// format: the model's own source for the role when it has the same format,
// else the model's other source when that does, else the defaults.
DataSource withModelSettings(DataSource source, const DataSource &own,
                             const DataSource &other) {
  const DataSource *settings = own.kind == source.kind     ? &own
                               : other.kind == source.kind ? &other
                                                           : nullptr;
  if (settings != nullptr) {
    source.scale = settings->scale;
    source.labelColumn = settings->labelColumn;
    source.header = settings->header;
  }
  return source;
}

std::string formatOfFlag(const std::string &flag, const std::string &path) {
  std::optional<std::string> format = dataFormatOf(path);
  if (!format)
    throw UsageError(flag + ": cannot tell the format of " + inQuotes(path) +
                     " (expected .npy, .csv, or IDX: -ubyte or .idx, optionally .gz)");
  return *format;
}

struct SourceFlags {
  const char *inputs;      // "data" or "test"
  const char *labels;      // "labels" or "test-labels"
  const char *description; // "training data" or "test data"
};

// The data source for one role: from its flags, else the model's default.
DataSource resolveSource(const po::variables_map &vm, const SourceFlags &flags,
                         const DataSource &own, const DataSource &other,
                         std::string &origin) {
  const std::string inputsFlag = std::string("--") + flags.inputs;
  const std::string labelsFlag = std::string("--") + flags.labels;
  if (vm.count(flags.labels) && !vm.count(flags.inputs))
    throw UsageError(labelsFlag + " needs " + inputsFlag);
  if (vm.count(flags.inputs)) {
    DataSource source;
    source.inputs = vm[flags.inputs].as<std::string>();
    requireReadableFlag(inputsFlag, source.inputs);
    source.kind = formatOfFlag(inputsFlag, source.inputs);
    if (vm.count(flags.labels)) {
      source.labels = vm[flags.labels].as<std::string>();
      if (source.kind == "csv")
        throw UsageError(labelsFlag + ": a CSV file holds its labels in a column; " +
                         labelsFlag + " is for .npy and IDX data");
      requireReadableFlag(labelsFlag, source.labels);
      if (formatOfFlag(labelsFlag, source.labels) == "csv")
        throw UsageError(labelsFlag + ": labels must be .npy or IDX, not CSV");
    } else if (source.kind != "csv") {
      throw UsageError(inputsFlag + " " + inQuotes(source.inputs) + " needs " + labelsFlag +
                       " FILE (only CSV files hold their labels)");
    }
    origin = inputsFlag;
    return withModelSettings(source, own, other);
  }
  if (own.kind.empty())
    return {};
  origin = std::string("the model's ") + flags.description;
  for (const std::string *path : {&own.inputs, &own.labels}) {
    if (path->empty())
      continue;
    std::string reason = unreadableReason(*path);
    if (!reason.empty())
      throw Error(origin + " " + inQuotes(*path) + " cannot be read: " + reason + " (pass " +
                  inputsFlag + " FILE to use other data)");
  }
  return own;
}

std::string describeSource(const DataSource &source) {
  if (source.kind.empty())
    return "none";
  return source.labels.empty() ? source.inputs : source.inputs + " + " + source.labels;
}

void printHelp(std::ostream &out, const std::string &program, const ModelInfo &info,
               const po::options_description &visible) {
  const std::string batch = std::to_string(info.batch);
  out << "Usage: " << program << " [options]\n"
      << "Trains, evaluates or runs the model " << info.name << " (batch " << batch
      << ", optimizer " << info.optimizer << ", schedule " << info.schedule.kind << ").\n"
      << visible << "\n"
      << "Data files: .npy (inputs, and labels through --labels), .csv (features and a\n"
      << "label column: the model's label_column, else the last column), or IDX (names\n"
      << "ending in -ubyte or .idx, optionally .gz). The model's scale and CSV settings\n"
      << "apply to files of the same format.\n\n"
      << "Each epoch trains on full batches of " << batch << " only: the last (samples mod "
      << batch << ")\nsamples of the epoch's shuffled order are skipped in that epoch, as "
      << "with PyTorch's\ndrop_last=True. Evaluation counts every test sample exactly once.\n\n"
      << "Exit status: 0 on success, 1 on a runtime error, 2 on a usage error.\n";
}

} // namespace

std::optional<TrainerOptions> parseTrainerOptions(const ModelInfo &info, int argc,
                                                  const char *const *argv, std::ostream &out) {
  const unsigned hardwareThreads = std::max(1u, std::thread::hardware_concurrency());
  auto text = [](const char *valueName) {
    return po::value<std::string>()->value_name(valueName);
  };

  po::options_description training("Training");
  training.add_options()
      ("epochs", text("N"), ("passes over the training data (default " +
                             std::to_string(info.epochs) + ")").c_str())
      ("steps", text("N"), "stop after N optimizer steps; without --epochs, train as many "
                           "epochs as N steps take")
      ("lr", text("X"), ("base learning rate, before the schedule (default " +
                         formatNumber(info.lr) + ")").c_str())
      ("seed", text("N"), ("seed of initialization, shuffling and dropout (default " +
                           std::to_string(info.seed) + ")").c_str())
      ("threads", text("N"), ("threads for the kernels (default " +
                              std::to_string(hardwareThreads) + ", the hardware's)").c_str())
      ("no-shuffle", "train on the samples in file order")
      ("validation", text("F"), ("hold out this fraction of the training data (never trained "
                                 "on) and evaluate it every epoch (default " +
                                 formatNumber(info.validation) + ")").c_str());
  po::options_description data("Data");
  data.add_options()
      ("data", text("FILE"), ("training inputs (default: " + describeSource(info.data) + ")")
                                 .c_str())
      ("labels", text("FILE"), "training labels, for .npy and IDX --data")
      ("test", text("FILE"), ("test inputs, evaluated after every epoch (default: " +
                              describeSource(info.test) + ")").c_str())
      ("test-labels", text("FILE"), "test labels, for .npy and IDX --test");
  po::options_description weights("Weights");
  weights.add_options()
      ("load", text("W.safetensors"), "start from these weights instead of initializing")
      ("save", text("W.safetensors"), "write the weights (parameters and running "
                                      "statistics) at the end")
      ("init-only", "initialize the weights, write them to --save, and exit");
  po::options_description modes("Evaluation and prediction");
  modes.add_options()
      ("eval", "evaluate the --load weights on the test data, and exit")
      ("predict", text("X"), "run the model on every sample of X (.npy, .csv or IDX) ...")
      ("out", text("Y.npy"), "... and write its outputs here, then exit");
  po::options_description output("Output");
  output.add_options()
      ("log", text("FILE"), "write one record per epoch to FILE.csv or FILE.jsonl")
      ("quiet", "print only errors and the final line")
      ("help", "print this help and exit");
  po::options_description visible;
  visible.add(training).add(data).add(weights).add(modes).add(output);

  po::options_description hidden;
  hidden.add_options()("positional", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("positional", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(all)
                  .positional(positional)
                  .style(po::command_line_style::unix_style ^
                         po::command_line_style::allow_guessing)
                  .run(),
              vm);
  } catch (const po::error &error) {
    throw UsageError(error.what());
  }
  if (vm.count("help")) {
    std::string program = argc > 0 ? std::filesystem::path(argv[0]).filename().string()
                                   : info.name;
    printHelp(out, program, info, visible);
    return std::nullopt;
  }
  if (vm.count("positional"))
    throw UsageError("unexpected argument " +
                     inQuotes(vm["positional"].as<std::vector<std::string>>().front()) +
                     " (flags start with --; see --help)");

  TrainerOptions options;
  std::vector<Mode> modesGiven;
  if (vm.count("init-only"))
    modesGiven.push_back(Mode::InitOnly);
  if (vm.count("eval"))
    modesGiven.push_back(Mode::Eval);
  if (vm.count("predict"))
    modesGiven.push_back(Mode::Predict);
  if (modesGiven.size() > 1)
    throw UsageError(std::string(modeFlag(modesGiven[0])) + " and " + modeFlag(modesGiven[1]) +
                     " cannot be combined");
  if (!modesGiven.empty())
    options.mode = modesGiven.front();
  if (vm.count("out") && options.mode != Mode::Predict)
    throw UsageError("--out needs --predict");
  for (const auto &[name, value] : vm) {
    static const std::set<std::string> everyMode = {"threads", "quiet", "init-only", "eval",
                                                    "positional"};
    if (everyMode.count(name) == 0 && flagsUsedBy(options.mode).count(name) == 0)
      throw UsageError("--" + name + " has no effect with " + modeFlag(options.mode));
  }

  options.epochs = info.epochs;
  if (vm.count("epochs")) {
    options.epochs = parseCount("--epochs", vm["epochs"].as<std::string>(), 1);
    options.epochsGiven = true;
  }
  if (vm.count("steps"))
    options.steps = parseCount("--steps", vm["steps"].as<std::string>(), 1);
  options.lr = vm.count("lr") ? parseLearningRate(vm["lr"].as<std::string>()) : info.lr;
  options.seed = vm.count("seed") ? parseSeed(vm["seed"].as<std::string>()) : info.seed;
  options.validation = vm.count("validation")
                           ? parseFraction("--validation", vm["validation"].as<std::string>())
                           : info.validation;
  options.threads =
      vm.count("threads")
          ? static_cast<int>(parseCount("--threads", vm["threads"].as<std::string>(), 1, 4096))
          : static_cast<int>(std::min(hardwareThreads, 4096u));
  options.shuffle = vm.count("no-shuffle") == 0;
  options.quiet = vm.count("quiet") > 0;

  auto pathOf = [&](const char *name) {
    return vm.count(name) ? vm[name].as<std::string>() : std::string();
  };
  options.load = pathOf("load");
  options.save = pathOf("save");
  options.predict = pathOf("predict");
  options.out = pathOf("out");
  options.log = pathOf("log");

  if (options.mode == Mode::InitOnly && !vm.count("save"))
    throw UsageError("--init-only needs --save W.safetensors");
  if (options.mode == Mode::Eval && !vm.count("load"))
    throw UsageError("--eval needs --load W.safetensors (the weights to evaluate)");
  if (options.mode == Mode::Predict && !vm.count("load"))
    throw UsageError("--predict needs --load W.safetensors (the weights to run)");
  if (options.mode == Mode::Predict && !vm.count("out"))
    throw UsageError("--predict needs --out Y.npy");

  if (vm.count("load"))
    requireReadableFlag("--load", options.load);
  if (vm.count("predict")) {
    requireReadableFlag("--predict", options.predict);
    DataSource source;
    source.kind = formatOfFlag("--predict", options.predict);
    source.inputs = options.predict;
    options.data = withModelSettings(source, info.data, info.test);
  }
  if (vm.count("log")) {
    std::optional<std::string> format;
    const std::string &log = options.log;
    for (const char *suffix : {".csv", ".jsonl"})
      if (log.size() > std::strlen(suffix) &&
          log.compare(log.size() - std::strlen(suffix), std::strlen(suffix), suffix) == 0)
        format = suffix;
    if (!format)
      throw UsageError("--log: cannot tell the format of " + inQuotes(log) +
                       " (expected a name ending in .csv or .jsonl)");
  }
  for (const char *flag : {"save", "out", "log"})
    if (vm.count(flag))
      requireWritableFlag(std::string("--") + flag, vm[flag].as<std::string>());

  const SourceFlags trainingFlags{"data", "labels", "training data"};
  const SourceFlags testFlags{"test", "test-labels", "test data"};
  if (options.mode == Mode::Train) {
    options.data = resolveSource(vm, trainingFlags, info.data, info.test, options.dataOrigin);
    if (options.data.kind.empty())
      throw UsageError("no training data: the model's train section names none; pass "
                       "--data FILE");
  }
  if (options.mode == Mode::Train || options.mode == Mode::Eval) {
    options.test = resolveSource(vm, testFlags, info.test, info.data, options.testOrigin);
    if (options.mode == Mode::Eval && options.test.kind.empty())
      throw UsageError("no test data to evaluate: the model's train section names none; "
                       "pass --test FILE");
  }
  return options;
}

} // namespace gradc::rt::detail
