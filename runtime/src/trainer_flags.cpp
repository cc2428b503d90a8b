// trainer_flags.cpp — the generated program's flags: their declarations with the
// model's defaults, --help, and the message for an unknown flag. What the
// flags mean is resolved in trainer_options.cpp.
#include "trainer_options.h"

#include "gradc/runtime/checkpoint.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <ostream>
#include <sstream>

namespace gradc::rt::detail {

namespace po = boost::program_options;

namespace {

std::string formatNumber(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// Levenshtein distance between two flag names.
size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}


} // namespace

// "unrecognised option '--x'", with the flag meant when one is close, and
// why flags that set compile-time settings do not exist.
std::string unknownOptionMessage(const std::string &given, const po::options_description &all,
                                 const ModelInfo &info) {
  std::string name = given;
  while (!name.empty() && name.front() == '-')
    name.erase(name.begin());
  name = name.substr(0, name.find('='));
  static const std::map<std::string, std::string> compileTime = {
      {"batch", "batch"},         {"batch-size", "batch"},    {"optimizer", "optimizer"},
      {"l1", "l1"},               {"l2", "l2"},               {"weight-decay", "optimizer"},
      {"clip-grad-norm", "clip_grad_norm"}, {"schedule", "schedule"}};
  auto fixed = compileTime.find(name);
  if (fixed != compileTime.end()) {
    std::string message = "unrecognised option '--" + name + "': the " + fixed->second +
                          " is fixed when the model is compiled (train { " + fixed->second +
                          " ... } in the model file; recompile with gradc to change it)";
    if (fixed->second == "batch")
      message += "; this program's batch is " + std::to_string(info.batch * info.ranks);
    return message;
  }
  std::string best;
  size_t bestDistance = std::numeric_limits<size_t>::max();
  for (const auto &option : all.options()) {
    const std::string candidate = option->long_name();
    if (candidate.empty() || candidate == "positional")
      continue;
    size_t distance = editDistance(name, candidate);
    if (candidate.rfind(name, 0) == 0 && name.size() >= 3)
      distance = std::min<size_t>(distance, 1);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  std::string message = "unrecognised option '--" + name + "'";
  if (!best.empty() && bestDistance <= std::max<size_t>(2, name.size() / 3))
    message += "; did you mean --" + best + "?";
  return message + " (see --help)";
}

std::string describeSource(const DataSource &source) {
  if (source.kind.empty())
    return "none";
  std::string text;
  for (const auto &[name, file] : source.files)
    text += (text.empty() ? "" : " + ") + name + "=" + file;
  if (!text.empty())
    return text;
  return source.labels.empty() ? source.inputs : source.inputs + " + " + source.labels;
}

void printHelp(std::ostream &out, const std::string &program, const ModelInfo &info,
               const po::options_description &visible) {
  const std::string batch = std::to_string(info.batch * info.ranks);
  out << "Usage: " << program << " [options]\n"
      << "Trains, evaluates or runs the model " << info.name << " (batch " << batch;
  if (info.ranks > 1)
    out << " split over " << info.ranks << " ranks of " << info.batch << ": train it with mpirun -np "
        << info.ranks;
  out << ", optimizer " << info.optimizer << ", schedule " << info.schedule.kind << ").\n"
      << visible << "\n"
      << "Data files: .npy (inputs, and labels through --labels), .csv (features and a\n"
      << "label column: the model's label_column, else the last column), or IDX (names\n"
      << "ending in -ubyte or .idx, optionally .gz). The model's scale, layout and CSV\n"
      << "settings apply to files of the same format; of another format, its scale\n"
      << "applies to integer data only. CSV columns are matched by their header names.\n";
  if (isLanguageModel(info))
    out << "This language model also reads text (.txt, UTF-8, a token per character) or a\n"
        << ".npy of token ids given alone, cut into windows of " << info.inputs[0].shape[0] + 1
        << " tokens; --validation\nholds out the last windows, and --generate samples from "
           "trained weights.\n";
  out << "\n"
      << "Each epoch trains on full batches of " << batch << " only: the last (samples mod "
      << batch << ")\nsamples of the epoch's shuffled order are skipped in that epoch, as "
      << "with PyTorch's\ndrop_last=True. Evaluation counts every test sample exactly once.\n\n"
      << "Exit status: 0 on success, 1 on a runtime error, 2 on a usage error.\n";
}

// Every flag of the generated program, with the model's defaults, as --help
// lists them.
po::options_description declareOptions(const ModelInfo &info, const ParseContext &context,
                                       unsigned hardwareThreads) {
  auto text = [](const char *valueName) {
    return po::value<std::string>()->value_name(valueName);
  };
  auto files = [](const char *valueName) {
    return po::value<std::vector<std::string>>()->value_name(valueName);
  };
  auto modelDefault = [](const std::string &value) {
    return value.empty() ? std::string(" (default: none)") : " (default " + value + ")";
  };

  po::options_description training("Training");
  training.add_options()
      ("epochs", text("N"), ("passes over the training data (default " +
                             std::to_string(info.epochs) + ")").c_str())
      ("steps", text("N"), "stop after optimizer step N; without --epochs, train as many "
                           "epochs as N steps take")
      ("lr", text("X"), ("base learning rate, before the schedule (default " +
                         formatNumber(info.lr) + ")").c_str())
      ("seed", text("N"), ("seed of initialization, shuffling and dropout (default " +
                           std::to_string(info.seed) + ")").c_str())
      ("threads", text("N"), ("threads for the kernels (default " +
                              std::to_string(hardwareThreads) +
                              (context.defaultThreads > 0 ? ", this rank's share of the cores)"
                                                          : ", the hardware's)"))
                                 .c_str())
      ("no-shuffle", "train on the samples in file order")
      ("check-numerics", "check every kernel's output for NaN and infinity, and name the "
                         "model-file line of the first that produces one");
  po::options_description validation("Validation and early stopping");
  validation.add_options()
      ("validation", text("F"), ("hold out this fraction of the training data (never trained "
                                 "on) and evaluate it every epoch (default " +
                                 formatNumber(info.validation) + ")").c_str())
      ("eval-every", text("N"), "also evaluate the validation and test data every N "
                                "optimizer steps")
      ("early-stopping", text("METRIC:P"),
       ("stop when METRIC (val_loss, val_accuracy, ...) has not improved for P "
        "evaluations; 'off' for none" +
        modelDefault(info.earlyStoppingMetric.empty()
                         ? ""
                         : info.earlyStoppingMetric + ":" +
                               std::to_string(info.earlyStoppingPatience)))
           .c_str())
      ("save-best", text("W.safetensors"), "keep the weights with the best early-stopping "
                                           "metric (else val_loss) here");
  po::options_description data("Data");
  data.add_options()
      ("data", files("FILE"), ("training inputs; NAME=FILE for each of several inputs "
                               "(default: " + describeSource(info.data) + ")").c_str())
      ("labels", files("FILE"), "training labels, for .npy and IDX --data (NAME=FILE for "
                                "each of several)")
      ("test", files("FILE"), ("test inputs, evaluated after every epoch (default: " +
                               describeSource(info.test) + ")").c_str())
      ("test-labels", files("FILE"), "test labels, for .npy and IDX --test")
      ("stream-data", "keep the training inputs in their .npy file and read them a batch at "
                      "a time, instead of in memory (when they need no conversion)")
      ("layout", text("L"), "how the samples of files given here map onto the model's input: "
                            "'model' (its own shape), 'nhwc' (channels last) or 'flat' (any "
                            "shape of as many values)");
  po::options_description weights("Weights and checkpoints");
  weights.add_options()
      ("load", text("W.safetensors"), "start from these weights instead of initializing")
      ("load-partial", "with --load, for fine-tuning: the file may lack some of the model's "
                       "tensors (a new head keeps its initialization) and hold others "
                       "(ignored); prints what was loaded")
      ("save", text("W.safetensors"), "write the weights (parameters and running "
                                      "statistics) at the end")
      ("init-only", "initialize the weights, write them to --save, and exit")
      ("checkpoint-dir", text("DIR"), ("write DIR/" + std::string(kCheckpointFileName) +
                                       " every --checkpoint-every steps and after every "
                                       "epoch" + modelDefault(info.checkpointDir))
                                          .c_str())
      ("checkpoint-every", text("N"), ("optimizer steps between checkpoints (default " +
                                       std::to_string(info.checkpointEvery) +
                                       ")").c_str())
      ("no-checkpoints", "write no checkpoints, whatever the model's train section says")
      ("resume", text("DIR"), "continue the run whose checkpoint is in DIR (and keep "
                              "checkpointing there)");
  po::options_description modes("Evaluation, prediction and checks");
  modes.add_options()
      ("eval", "evaluate the --load weights on the test data, and exit")
      ("predict", files("X"), "run the model on every sample of X (.npy, .csv or IDX; "
                              "NAME=X for each of several inputs) ...")
      ("out", text("Y.npy|Y.csv"), "... and write its outputs here (by the name's "
                                   "extension), then exit")
      ("predict-classes", "with --predict: write each sample's class (the index of its "
                          "largest output) instead of the outputs")
      ("export-onnx", text("OUT.onnx"), "write the inference graph with the --load weights "
                                        "as an ONNX model (opset 17; docs/onnx.md), and exit")
      ("gradcheck", "compare the compiled gradients with central finite differences on a "
                    "batch of the training data, and exit")
      ("gradcheck-entries", text("K"), "entries of each parameter --gradcheck perturbs "
                                       "(default 8)")
      ("generate", text("PROMPT"), "a language model: continue PROMPT with text sampled "
                                   "from the --load weights, print it, and exit (token "
                                   "ids separated by spaces for a model trained on token "
                                   "files)")
      ("tokens", text("N"), "with --generate: how many tokens to sample (default 200)")
      ("temperature", text("T"), "with --generate: divide the logits by T before sampling "
                                 "(default 1; 0: always the most likely token)");
  po::options_description output("Output");
  output.add_options()
      ("log", text("FILE"), "write one record per epoch (and per --eval-every evaluation) "
                            "to FILE.csv or FILE.jsonl")
      ("tensorboard", text("DIR"), "write TensorBoard event files to DIR")
      ("plot", text("FILE.svg"), "draw the loss and metrics per epoch at the end of training")
      ("from", text("LOG"), "with --plot: draw them from an existing --log file, and exit")
      ("progress", "draw a progress bar on stderr even when it is not a terminal")
      ("no-progress", "never draw the progress bar")
      ("quiet", "print only errors and the final line")
      ("help", "print this help and exit");
  po::options_description distributed("Data-parallel training (under mpirun; docs/distributed.md)");
  distributed.add_options()
      ("check-replicas", "after every step, check that every rank holds bitwise the same "
                         "weights and optimizer state")
      ("collective-timeout", text("S"), "end the job when a rank waits more than S seconds "
                                        "for the others (default 300; 0: no limit)");
  po::options_description visible;
  visible.add(training).add(validation).add(data).add(weights).add(modes).add(output).add(
      distributed);

  return visible;
}

} // namespace gradc::rt::detail
