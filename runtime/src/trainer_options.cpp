// trainer_options.cpp — the generated program's flags (Boost.Program_options), their
// validation, and --help.
#include "trainer_options.h"

#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/dataset.h"
#include "gradc/runtime/error.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
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

// A finite number >= 0; `rule` says what the flag takes, for the message.
double parseNonNegative(const std::string &flag, const std::string &text,
                        const std::string &rule) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value) || value < 0)
    throw UsageError(flag + " must be " + rule + ", got " + inQuotes(text));
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
        "validation", "no-shuffle", "load", "load-partial", "save", "log", "eval-every",
        "early-stopping",
        "save-best", "checkpoint-dir", "checkpoint-every", "no-checkpoints", "resume",
        "check-numerics", "tensorboard", "plot", "progress", "no-progress",
        "check-replicas", "stream-data", "layout"}},
      {Mode::InitOnly, {"seed", "save"}},
      {Mode::Eval, {"test", "test-labels", "load", "check-numerics", "layout"}},
      {Mode::Predict, {"predict", "out", "predict-classes", "load", "check-numerics", "layout"}},
      {Mode::Gradcheck,
       {"gradcheck", "gradcheck-entries", "seed", "data", "labels", "load", "no-shuffle",
        "check-numerics", "layout"}},
      {Mode::Plot, {"plot", "from"}},
      {Mode::Generate, {"generate", "tokens", "temperature", "seed", "load"}},
      {Mode::ExportOnnx, {"export-onnx", "load"}},
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
  case Mode::Gradcheck:
    return "--gradcheck";
  case Mode::Plot:
    return "--from";
  case Mode::Generate:
    return "--generate";
  case Mode::ExportOnnx:
    return "--export-onnx";
  case Mode::Train:
    break;
  }
  return "training";
}

// The settings (scale, layout, CSV label column and header) for a file given
// on the command line: those of the model's own source for the role when it
// has the same format, else of the model's other source when that does. A
// file of a format neither has takes the model's scale for integer data only
// (IDX and integer .npy files hold unscaled values; floating-point files are
// taken as they are). `layout` (--layout) overrides the layout.
DataSource withModelSettings(DataSource source, const DataSource &own,
                             const DataSource &other, const std::string &layout) {
  const DataSource *settings = own.kind == source.kind     ? &own
                               : other.kind == source.kind ? &other
                                                           : nullptr;
  if (settings != nullptr) {
    source.scale = settings->scale;
    source.layout = settings->layout;
    source.labelColumn = settings->labelColumn;
    source.header = settings->header;
    source.vocab = settings->vocab;
  } else {
    const DataSource &scaled = !own.kind.empty() ? own : other;
    source.scale = scaled.kind.empty() ? 1.0 : scaled.scale;
    source.scaleIntegersOnly = true;
  }
  if (!layout.empty())
    source.layout = layout == "model" ? "" : layout;
  return source;
}

std::string formatOfFlag(const std::string &flag, const std::string &path) {
  std::optional<std::string> format = dataFormatOf(path);
  if (!format)
    throw UsageError(flag + ": cannot tell the format of " + inQuotes(path) +
                     " (expected .npy, .csv, .txt, or IDX: -ubyte or .idx, optionally .gz)");
  return *format;
}


struct SourceFlags {
  const char *inputs;      // "data" or "test"
  const char *labels;      // "labels" or "test-labels"
  const char *description; // "training data" or "test data"
};

// The files of one data flag (--data, --labels, ...): FILE for a model's only
// input (label), or NAME=FILE for each of several, NAME an input's (label's)
// name. Returns the format of the files.
std::string addDataFiles(const std::string &flag, const std::vector<std::string> &values,
                         const std::vector<TensorSpec> &specs, bool labels,
                         DataSource &source) {
  const char *what = labels ? "label" : "input";
  std::string names;
  for (const TensorSpec &spec : specs)
    names += (names.empty() ? "" : ", ") + spec.name;
  if (specs.empty())
    throw UsageError(flag + ": the model has no " + what);
  std::string format;
  for (const std::string &value : values) {
    const size_t equals = value.find('=');
    const std::string name = equals == std::string::npos ? "" : value.substr(0, equals);
    const bool named = std::any_of(specs.begin(), specs.end(),
                                   [&](const TensorSpec &spec) { return spec.name == name; });
    std::string file = named ? value.substr(equals + 1) : value;
    if (named) {
      if (!source.files.emplace(name, file).second)
        throw UsageError(flag + ": two files for the " + std::string(what) + " '" + name + "'");
    } else if (specs.size() == 1 && values.size() == 1) {
      (labels ? source.labels : source.inputs) = file;
    } else if (specs.size() == 1) {
      throw UsageError(flag + " is given " + std::to_string(values.size()) + " times, but " +
                       "the model has one " + what + ", '" + specs[0].name + "'");
    } else {
      throw UsageError(flag + ": the model has the " + what + "s " + names + ": give one " +
                       flag + " NAME=FILE for each, got " + inQuotes(value));
    }
    requireReadableFlag(flag, file);
    std::string fileFormat = formatOfFlag(flag, file);
    if (!format.empty() && fileFormat != format)
      throw UsageError(flag + ": " + inQuotes(file) + " is " + fileFormat + ", but " +
                       "the other files are " + format + "; give files of one format");
    format = fileFormat;
    if (source.inputs.empty() && !labels)
      source.inputs = file;
  }
  if (specs.size() > 1)
    for (const TensorSpec &spec : specs)
      if (source.files.count(spec.name) == 0)
        throw UsageError(flag + ": no file for the " + std::string(what) + " '" + spec.name +
                         "' (" + flag + " " + spec.name + "=FILE)");
  return format;
}

// The data source for one role: from its flags, else the model's default.
DataSource resolveSource(const po::variables_map &vm, const ModelInfo &info,
                         const SourceFlags &flags, const DataSource &own,
                         const DataSource &other, const std::string &layout,
                         std::string &origin) {
  const std::string inputsFlag = std::string("--") + flags.inputs;
  const std::string labelsFlag = std::string("--") + flags.labels;
  auto values = [&](const char *name) { return vm[name].as<std::vector<std::string>>(); };
  if (vm.count(flags.labels) && !vm.count(flags.inputs))
    throw UsageError(labelsFlag + " needs " + inputsFlag);
  if (vm.count(flags.inputs)) {
    DataSource source;
    source.kind = addDataFiles(inputsFlag, values(flags.inputs), info.inputs, false, source);
    // A language model reads text, or a .npy of token ids given alone.
    if (source.kind == "npy" && !vm.count(flags.labels) && isLanguageModel(info))
      source.kind = "tokens";
    if (source.kind == "text" && !isLanguageModel(info))
      throw UsageError(inputsFlag + ": " + inQuotes(source.inputs) + " is text, which feeds "
                       "only a language model (one input of token ids and one label of the "
                       "next tokens, both i32[B, T]); model '" + info.name + "' takes .npy, "
                       ".csv or IDX data");
    if (source.kind == "text" || source.kind == "tokens") {
      if (vm.count(flags.labels))
        throw UsageError(labelsFlag + ": " + source.kind + " data holds its own labels, the "
                         "next token of every position");
      origin = inputsFlag;
      return withModelSettings(source, own, other, layout);
    }
    if (vm.count(flags.labels)) {
      if (source.kind == "csv")
        throw UsageError(labelsFlag + ": a CSV file holds its labels in a column; " +
                         labelsFlag + " is for .npy and IDX data");
      if (addDataFiles(labelsFlag, values(flags.labels), info.labels, true, source) == "csv")
        throw UsageError(labelsFlag + ": labels must be .npy or IDX, not CSV");
    } else if (source.kind != "csv" && !info.labels.empty()) {
      throw UsageError(inputsFlag + " " + inQuotes(source.inputs) + " needs " + labelsFlag +
                       " FILE (only CSV files hold their labels)");
    }
    origin = inputsFlag;
    return withModelSettings(source, own, other, layout);
  }
  if (own.kind.empty())
    return {};
  origin = std::string("the model's ") + flags.description;
  std::vector<const std::string *> paths = {&own.inputs, &own.labels};
  for (const auto &entry : own.files)
    paths.push_back(&entry.second);
  for (const std::string *path : paths) {
    if (path->empty())
      continue;
    std::string reason = unreadableReason(*path);
    if (!reason.empty())
      throw Error(origin + " " + inQuotes(*path) + " cannot be read: " + reason + " (pass " +
                  inputsFlag + " FILE to use other data)");
  }
  return own;
}

// Creates the directory (and its parents) when missing and checks that files
// can be created in it.
void requireWritableDirectory(const std::string &flag, const std::string &path) {
  if (path.empty())
    throw UsageError(flag + " needs a directory name");
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error)
    throw UsageError(flag + ": cannot create " + inQuotes(path) + ": " + error.message());
  if (!std::filesystem::is_directory(path, error))
    throw UsageError(flag + ": " + inQuotes(path) + " is not a directory");
  std::filesystem::path probe = std::filesystem::path(path) / ".gradc-write-test";
  std::FILE *file = std::fopen(probe.c_str(), "wb");
  if (file == nullptr)
    throw UsageError(flag + ": cannot write in " + inQuotes(path) + ": " + std::strerror(errno));
  std::fclose(file);
  std::filesystem::remove(probe, error);
}

bool endsWith(const std::string &text, const char *suffix) {
  const size_t length = std::strlen(suffix);
  return text.size() > length && text.compare(text.size() - length, length, suffix) == 0;
}

void requireLogName(const std::string &flag, const std::string &path) {
  if (!endsWith(path, ".csv") && !endsWith(path, ".jsonl"))
    throw UsageError(flag + ": cannot tell the format of " + inQuotes(path) +
                     " (expected a name ending in .csv or .jsonl)");
}

// The names a record of this run can hold that a metric may be chosen from:
// loss and each metric, for training, and with val_ and test_ prefixes when
// there is validation or test data.
std::vector<std::string> monitorableMetrics(const ModelInfo &info, bool validation, bool test) {
  std::vector<std::string> names = {"loss"};
  for (const MetricSpec &metric : info.metrics)
    names.push_back(metric.name);
  std::vector<std::string> all = names;
  for (const char *prefix : {"val_", "test_"})
    if (std::string(prefix) == "val_" ? validation : test)
      for (const std::string &name : names)
        all.push_back(prefix + name);
  return all;
}

// Checks that `metric` is one a record of this run holds; `origin` is the
// flag or the model setting that named it.
void requireMonitorable(const std::string &origin, const std::string &metric,
                        const ModelInfo &info, bool validation, bool test) {
  std::vector<std::string> known = monitorableMetrics(info, validation, test);
  if (std::find(known.begin(), known.end(), metric) != known.end())
    return;
  std::string list;
  for (const std::string &name : known)
    list += (list.empty() ? "" : ", ") + name;
  if (metric.rfind("val_", 0) == 0 && !validation)
    throw UsageError(origin + " monitors " + inQuotes(metric) +
                     ", which needs validation data: pass --validation F");
  if (metric.rfind("test_", 0) == 0 && !test)
    throw UsageError(origin + " monitors " + inQuotes(metric) +
                     ", which needs test data: pass --test FILE");
  throw UsageError(origin + ": unknown metric " + inQuotes(metric) + "; this run has " + list);
}

} // namespace

bool isLanguageModel(const ModelInfo &info) {
  return info.inputs.size() == 1 && info.labels.size() == 1 &&
         info.inputs[0].dtype == DType::I32 && info.labels[0].dtype == DType::I32 &&
         info.inputs[0].shape.size() == 1 && info.inputs[0].shape == info.labels[0].shape;
}

bool metricIsMinimized(const std::string &name) {
  std::string base = name;
  for (const char *prefix : {"val_", "test_"})
    if (base.rfind(prefix, 0) == 0)
      base = base.substr(std::strlen(prefix));
  return base == "loss" || base == "mae" || base == "rmse";
}

namespace {

// The mode the flags ask for (training by default), and that they all apply
// to it.
Mode resolveMode(const po::variables_map &vm) {
  Mode mode = Mode::Train;
  std::vector<Mode> modesGiven;
  if (vm.count("init-only"))
    modesGiven.push_back(Mode::InitOnly);
  if (vm.count("eval"))
    modesGiven.push_back(Mode::Eval);
  if (vm.count("predict"))
    modesGiven.push_back(Mode::Predict);
  if (vm.count("gradcheck"))
    modesGiven.push_back(Mode::Gradcheck);
  if (vm.count("from"))
    modesGiven.push_back(Mode::Plot);
  if (vm.count("generate"))
    modesGiven.push_back(Mode::Generate);
  if (vm.count("export-onnx"))
    modesGiven.push_back(Mode::ExportOnnx);
  if (modesGiven.size() > 1)
    throw UsageError(std::string(modeFlag(modesGiven[0])) + " and " + modeFlag(modesGiven[1]) +
                     " cannot be combined");
  if (!modesGiven.empty())
    mode = modesGiven.front();
  if (vm.count("out") && mode != Mode::Predict)
    throw UsageError("--out needs --predict");
  if (vm.count("predict-classes") && mode != Mode::Predict)
    throw UsageError("--predict-classes needs --predict");
  if (vm.count("gradcheck-entries") && mode != Mode::Gradcheck)
    throw UsageError("--gradcheck-entries needs --gradcheck");
  for (const char *flag : {"tokens", "temperature"})
    if (vm.count(flag) && mode != Mode::Generate)
      throw UsageError(std::string("--") + flag + " needs --generate");
  for (const auto &[name, value] : vm) {
    static const std::set<std::string> everyMode = {"threads", "quiet", "init-only", "eval",
                                                    "positional", "collective-timeout"};
    if (everyMode.count(name) == 0 && flagsUsedBy(mode).count(name) == 0)
      throw UsageError("--" + name + " has no effect with " + modeFlag(mode));
  }

  return mode;
}

// The run's settings: epochs, steps, learning rate, seed, validation,
// threads and switches.
void resolveRunSettings(const po::variables_map &vm, const ModelInfo &info,
                        unsigned hardwareThreads, TrainerOptions &options) {
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
  options.streamData = vm.count("stream-data") > 0;
  options.quiet = vm.count("quiet") > 0;
  options.checkNumerics = vm.count("check-numerics") > 0;
  options.checkReplicas = vm.count("check-replicas") > 0;
  if (vm.count("collective-timeout"))
    options.collectiveTimeout =
        parseNonNegative("--collective-timeout", vm["collective-timeout"].as<std::string>(),
                         "a number of seconds >= 0 (0: no limit)");
  if (vm.count("progress") && vm.count("no-progress"))
    throw UsageError("--progress and --no-progress cannot be combined");
  options.progress = vm.count("progress")      ? Progress::Always
                     : vm.count("no-progress") ? Progress::Never
                                               : Progress::Auto;
  if (vm.count("eval-every"))
    options.evalEvery = parseCount("--eval-every", vm["eval-every"].as<std::string>(), 1);
  if (vm.count("gradcheck-entries"))
    options.gradcheckEntries =
        parseCount("--gradcheck-entries", vm["gradcheck-entries"].as<std::string>(), 1);
  if (vm.count("generate")) {
    options.prompt = vm["generate"].as<std::string>();
    if (!isLanguageModel(info) || info.outputShape.size() != 2 ||
        info.outputShape[0] != info.inputs[0].shape[0])
      throw UsageError("--generate needs a language model: one input of token ids and one "
                       "label of the next tokens, both i32[B, T], and an output of [B, T, "
                       "vocab] logits; model '" + info.name + "' is not one");
  }
  if (vm.count("tokens"))
    options.generateTokens = parseCount("--tokens", vm["tokens"].as<std::string>(), 0);
  if (vm.count("temperature"))
    options.temperature =
        parseNonNegative("--temperature", vm["temperature"].as<std::string>(),
                         "a number >= 0 (0: always the most likely token)");

}

// The files the run reads and writes, checked before anything runs; returns
// --layout's value ("" when not given).
std::string resolveFiles(const po::variables_map &vm, const ModelInfo &info,
                         const ParseContext &context, TrainerOptions &options) {
  auto pathOf = [&](const char *name) {
    return vm.count(name) ? vm[name].as<std::string>() : std::string();
  };
  options.load = pathOf("load");
  options.save = pathOf("save");
  options.exportOnnx = pathOf("export-onnx");
  options.loadPartial = vm.count("load-partial") > 0;
  if (options.loadPartial && !vm.count("load"))
    throw UsageError("--load-partial needs --load W.safetensors (the pretrained weights)");
  if (options.loadPartial && vm.count("resume"))
    throw UsageError("--load-partial and --resume cannot be combined: a checkpoint holds the "
                     "whole model");
  if (vm.count("predict"))
    options.predict = vm["predict"].as<std::vector<std::string>>().front();
  options.out = pathOf("out");
  options.log = pathOf("log");
  options.saveBest = pathOf("save-best");
  options.resume = pathOf("resume");
  options.tensorboard = pathOf("tensorboard");
  options.plot = pathOf("plot");
  options.plotFrom = pathOf("from");

  if (options.mode == Mode::InitOnly && !vm.count("save"))
    throw UsageError("--init-only needs --save W.safetensors");
  if (options.mode == Mode::ExportOnnx && !vm.count("load"))
    throw UsageError("--export-onnx needs --load W.safetensors (the trained weights to "
                     "write into the graph)");
  if (options.mode == Mode::Eval && !vm.count("load"))
    throw UsageError("--eval needs --load W.safetensors (the weights to evaluate)");
  if (options.mode == Mode::Generate && !vm.count("load"))
    throw UsageError("--generate needs --load W.safetensors (the trained weights, which "
                     "hold the vocabulary)");
  if (options.mode == Mode::Predict && !vm.count("load"))
    throw UsageError("--predict needs --load W.safetensors (the weights to run)");
  if (options.mode == Mode::Predict && !vm.count("out"))
    throw UsageError("--predict needs --out Y.npy (or Y.csv)");
  if (vm.count("out") && !endsWith(options.out, ".npy") && !endsWith(options.out, ".csv"))
    throw UsageError("--out: cannot tell the format of " + inQuotes(options.out) +
                     " (expected a name ending in .npy or .csv)");
  options.predictClasses = vm.count("predict-classes") > 0;
  if (options.predictClasses &&
      std::none_of(info.labels.begin(), info.labels.end(),
                   [](const TensorSpec &label) { return label.classes > 0; }))
    throw UsageError("--predict-classes needs a model whose label is a class index (`label y: "
                     "i32[B] classes K`); this model's outputs are not class scores");
  std::string layout;
  if (vm.count("layout")) {
    layout = vm["layout"].as<std::string>();
    if (layout != "model" && layout != "nhwc" && layout != "flat")
      throw UsageError("--layout must be 'model', 'nhwc' or 'flat', got " + inQuotes(layout));
    if (!vm.count("data") && !vm.count("test") && !vm.count("predict"))
      throw UsageError("--layout applies to files given by --data, --test or --predict; "
                       "the model's own sources have their layout in the model file");
  }
  if (options.mode == Mode::Plot && !vm.count("plot"))
    throw UsageError("--from needs --plot FILE.svg");
  if (vm.count("load") && vm.count("resume"))
    throw UsageError("--load and --resume cannot be combined (a checkpoint holds the weights)");

  if (vm.count("load") && context.ownsFiles)
    requireReadableFlag("--load", options.load);
  if (vm.count("predict")) {
    DataSource source;
    source.kind = addDataFiles("--predict", vm["predict"].as<std::vector<std::string>>(),
                               info.inputs, false, source);
    options.predict = source.inputs;
    options.data = withModelSettings(source, info.data, info.test, layout);
  }
  if (vm.count("log"))
    requireLogName("--log", options.log);
  if (vm.count("from")) {
    requireReadableFlag("--from", options.plotFrom);
    requireLogName("--from", options.plotFrom);
  }
  if (vm.count("plot") && !endsWith(options.plot, ".svg"))
    throw UsageError("--plot: " + inQuotes(options.plot) + " must be a name ending in .svg");
  for (const char *flag : {"save", "out", "log", "save-best", "plot", "export-onnx"})
    if (vm.count(flag) && context.ownsFiles)
      requireWritableFlag(std::string("--") + flag, vm[flag].as<std::string>());
  if (vm.count("resume") && context.ownsFiles) {
    std::string reason =
        unreadableReason((std::filesystem::path(options.resume) / kCheckpointFileName).string());
    if (!reason.empty())
      throw UsageError("--resume: no readable checkpoint in " + inQuotes(options.resume) +
                       " (expected " + kCheckpointFileName + " there: " + reason + ")");
  }

  return layout;
}

// The training and test data: the flags' files, else the model's sources.
void resolveData(const po::variables_map &vm, const ModelInfo &info, const std::string &layout,
                 TrainerOptions &options) {
  const SourceFlags trainingFlags{"data", "labels", "training data"};
  const SourceFlags testFlags{"test", "test-labels", "test data"};
  if (options.mode == Mode::Train || options.mode == Mode::Gradcheck) {
    options.data =
        resolveSource(vm, info, trainingFlags, info.data, info.test, layout, options.dataOrigin);
    if (options.data.kind.empty())
      throw UsageError("no training data: the model's train section names none; pass "
                       "--data FILE");
  }
  if (options.mode == Mode::Train || options.mode == Mode::Eval) {
    options.test =
        resolveSource(vm, info, testFlags, info.test, info.data, layout, options.testOrigin);
    if (options.mode == Mode::Eval && options.test.kind.empty())
      throw UsageError("no test data to evaluate: the model's train section names none; "
                       "pass --test FILE");
  }

}

// Evaluation during training, early stopping and the best weights.
void resolveMonitoring(const po::variables_map &vm, const ModelInfo &info,
                       TrainerOptions &options) {
  const bool hasValidation = options.validation > 0, hasTest = !options.test.kind.empty();
  if (options.evalEvery > 0 && !hasValidation && !hasTest)
    throw UsageError("--eval-every needs validation or test data to evaluate: pass "
                     "--validation F or --test FILE");
  std::string stopping, stoppingOrigin = "--early-stopping";
  if (vm.count("early-stopping")) {
    stopping = vm["early-stopping"].as<std::string>();
  } else if (!info.earlyStoppingMetric.empty()) {
    stopping = info.earlyStoppingMetric + ":" + std::to_string(info.earlyStoppingPatience);
    stoppingOrigin = "the model's early_stopping (override it with --early-stopping "
                     "METRIC:P or 'off')";
  }
  if (!stopping.empty() && stopping != "off") {
    size_t colon = stopping.rfind(':');
    if (colon == std::string::npos || colon == 0)
      throw UsageError("--early-stopping must be METRIC:PATIENCE (val_loss:3) or 'off', got " +
                       inQuotes(stopping));
    options.earlyStoppingMetric = stopping.substr(0, colon);
    options.patience = parseCount("--early-stopping patience", stopping.substr(colon + 1), 1);
    requireMonitorable(stoppingOrigin, options.earlyStoppingMetric, info, hasValidation,
                       hasTest);
  }
  if (vm.count("save-best")) {
    if (!options.earlyStoppingMetric.empty())
      options.bestMetric = options.earlyStoppingMetric;
    else if (hasValidation)
      options.bestMetric = "val_loss";
    else
      throw UsageError("--save-best needs a metric to compare: --early-stopping METRIC:P, "
                       "or --validation F (for val_loss)");
  }

}

// Checkpoints: the flags, else the model's setting; a resumed run keeps
// checkpointing into the directory it resumed from.
void resolveCheckpoints(const po::variables_map &vm, const ModelInfo &info,
                        const ParseContext &context, TrainerOptions &options) {
  if (vm.count("no-checkpoints") && (vm.count("checkpoint-dir") || vm.count("checkpoint-every")))
    throw UsageError("--no-checkpoints cannot be combined with --checkpoint-dir or "
                     "--checkpoint-every");
  std::string checkpointOrigin = "--checkpoint-dir";
  if (vm.count("checkpoint-dir")) {
    options.checkpointDir = vm["checkpoint-dir"].as<std::string>();
  } else if (vm.count("resume")) {
    options.checkpointDir = options.resume;
    checkpointOrigin = "--resume";
  } else if (!info.checkpointDir.empty() && !vm.count("no-checkpoints")) {
    options.checkpointDir = info.checkpointDir;
    checkpointOrigin = "the model's checkpoint dir";
  }
  if (vm.count("checkpoint-every")) {
    if (options.checkpointDir.empty())
      throw UsageError("--checkpoint-every needs --checkpoint-dir DIR");
    options.checkpointEvery =
        parseCount("--checkpoint-every", vm["checkpoint-every"].as<std::string>(), 1);
  } else if (!options.checkpointDir.empty()) {
    options.checkpointEvery = info.checkpointEvery;
  }
  if (!options.checkpointDir.empty() && context.ownsFiles)
    requireWritableDirectory(checkpointOrigin, options.checkpointDir);
  if (vm.count("tensorboard") && context.ownsFiles)
    requireWritableDirectory("--tensorboard", options.tensorboard);
}

} // namespace

std::optional<TrainerOptions> parseTrainerOptions(const ModelInfo &info, int argc,
                                                  const char *const *argv, std::ostream &out,
                                                  const ParseContext &context) {
  const unsigned hardwareThreads =
      context.defaultThreads > 0 ? static_cast<unsigned>(context.defaultThreads)
                                 : std::max(1u, std::thread::hardware_concurrency());
  po::options_description visible = declareOptions(info, context, hardwareThreads);
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
  } catch (const po::unknown_option &error) {
    throw UsageError(unknownOptionMessage(error.get_option_name(), all, info));
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
  options.mode = resolveMode(vm);
  resolveRunSettings(vm, info, hardwareThreads, options);
  const std::string layout = resolveFiles(vm, info, context, options);
  resolveData(vm, info, layout, options);
  if (options.mode != Mode::Train)
    return options;
  resolveMonitoring(vm, info, options);
  resolveCheckpoints(vm, info, context, options);
  return options;
}

} // namespace gradc::rt::detail
