// trainer.cpp — trainerMain: the command line, initialization, evaluation, prediction
// and plotting modes, and the helpers the training loop (training_loop.cpp) shares.
#include "gradc/runtime/trainer.h"

#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/dataset.h"
#include "gradc/runtime/distributed.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/kernels.h"
#include "gradc/runtime/metrics.h"
#include "gradc/runtime/npy.h"
#include "gradc/runtime/onnx.h"
#include "gradc/runtime/plot.h"
#include "gradc/runtime/rng.h"
#include "gradc/runtime/text.h"
#include "gradc/runtime/weights.h"

#include "trainer_internal.h"
#include "trainer_options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <numeric>
#include <sstream>
#include <utility>

namespace gradc::rt {

using detail::Mode;
using detail::TrainerOptions;
using detail::UsageError;

namespace {

constexpr uint64_t kShuffleDomain = 0x53485546464C45; // "SHUFFLE"
constexpr uint64_t kDropoutDomain = 0x44524F504F5554; // "DROPOUT"
constexpr uint64_t kValidationDomain = 0x76616c6964617465; // "validate"
constexpr uint64_t kRankDomain = 0x52414E4B; // "RANK"

int runInitOnly(Model &model, const TrainerOptions &options, std::ostream &out) {
  saveWeights(model, options.save);
  out << "wrote " << options.save << '\n';
  return 0;
}

} // namespace

std::map<std::string, std::string> detail::loadPartially(Model &model,
                                                         const TrainerOptions &options,
                                                         std::ostream &out) {
  // The tensors the file lacks keep their initialization.
  initializeParameters(model, options.seed);
  PartialLoad report;
  std::map<std::string, std::string> metadata =
      loadWeightsPartially(model, options.load, report);
  if (!options.quiet) {
    out << "loaded " << report.loaded.size() << " tensor"
        << (report.loaded.size() == 1 ? "" : "s") << " from " << options.load;
    if (!report.missing.empty())
      out << "; initialized (not in the file): " << nameList(report.missing);
    if (!report.ignored.empty())
      out << "; ignored (not in the model): " << nameList(report.ignored);
    out << '\n';
  }
  return metadata;
}

namespace {

int runExportOnnx(Model &model, const TrainerOptions &options, std::ostream &out) {
  const OnnxGraph &onnx = model.info().onnx;
  exportOnnx(model, options.exportOnnx);
  out << "wrote " << options.exportOnnx << " (ONNX opset 17, " << onnx.initializers.size()
      << " weight" << (onnx.initializers.size() == 1 ? "" : "s") << ")\n";
  return 0;
}

int runEval(Model &model, const TrainerOptions &options, std::ostream &out) {
  const ModelInfo &info = model.info();
  auto start = std::chrono::steady_clock::now();
  Dataset test = loadDataset(info, options.test);
  Evaluation result = evaluate(model, test);
  if (!options.quiet) {
    LogRecord record;
    detail::addMetricFields(record, "test_", result.loss, info.metrics, result.metrics);
    out << detail::formatFields(record) << "  (" << test.size << " samples, "
        << detail::fixed(detail::secondsSince(start), 1) << " s)\n";
  }
  out << detail::finalLine("test", result.loss, info.metrics, result.metrics) << '\n';
  return 0;
}

// Writes predictions as CSV: a header, then one row per sample — its class,
// or the values of its output in row-major order.
void savePredictionsCsv(const std::string &path, const Tensor &outputs, bool classes) {
  std::ostringstream text;
  text.precision(9);
  const int64_t count = outputs.dim(0);
  const int64_t values = count == 0 ? 0 : static_cast<int64_t>(outputs.numElements()) / count;
  if (classes) {
    text << "class\n";
  } else {
    for (int64_t v = 0; v < values; ++v)
      text << (v ? "," : "") << "output_" << v;
    text << '\n';
  }
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t v = 0; v < values; ++v) {
      const uint64_t at = static_cast<uint64_t>(i * values + v);
      text << (v ? "," : "");
      switch (outputs.dtype()) {
      case DType::F32:
        text << outputs.data<float>()[at];
        break;
      case DType::F64:
        text.precision(17);
        text << outputs.data<double>()[at];
        text.precision(9);
        break;
      case DType::I32:
        text << outputs.data<int32_t>()[at];
        break;
      default:
        throw Error("cannot write " + std::string(dtypeName(outputs.dtype())) + " as CSV");
      }
    }
    text << '\n';
  }
  writeFileAtomically(path, text.str());
}

// The index of each sample's largest output (the first of equal ones).
Tensor classesOf(const Tensor &outputs) {
  const int64_t count = outputs.dim(0);
  const int64_t values = count == 0 ? 0 : static_cast<int64_t>(outputs.numElements()) / count;
  Tensor classes(DType::I32, {count});
  for (int64_t i = 0; i < count; ++i) {
    int32_t best = 0;
    for (int64_t v = 1; v < values; ++v) {
      auto at = [&](int64_t k) {
        const uint64_t index = static_cast<uint64_t>(i * values + k);
        return outputs.dtype() == DType::F64 ? outputs.data<double>()[index]
                                             : static_cast<double>(outputs.data<float>()[index]);
      };
      if (at(v) > at(best))
        best = static_cast<int32_t>(v);
    }
    classes.data<int32_t>()[i] = best;
  }
  return classes;
}

// --generate: the prompt continued by sampled tokens, as text when the
// weights (or the model) hold a vocabulary, else as token ids.
int runGenerate(Model &model, const TrainerOptions &options,
                const std::map<std::string, std::string> &weightsMetadata, std::ostream &out) {
  GenerateOptions generation;
  generation.tokens = options.generateTokens;
  generation.temperature = options.temperature;
  generation.seed = options.seed;
  const ModelInfo &info = model.info();
  // A checkpoint of a run on other data records an empty vocabulary.
  auto recorded = weightsMetadata.find(kVocabKey);
  const bool hasRecorded = recorded != weightsMetadata.end() && !recorded->second.empty();
  if (hasRecorded || !info.data.vocab.empty()) {
    Vocabulary vocab = hasRecorded
                           ? Vocabulary::fromUtf8(recorded->second, options.load)
                           : Vocabulary::fromUtf8(info.data.vocab, "the model's vocab");
    out << generateText(model, vocab, options.prompt, generation) << "\n";
    return 0;
  }
  if (info.data.kind == "text")
    throw Error::inFile(options.load, "records no vocabulary, so --generate cannot tell which "
                                      "characters its ids are: load weights this program "
                                      "saved after training on text (--save)");
  // Token ids, separated by spaces.
  std::vector<int32_t> prompt;
  std::istringstream words(options.prompt);
  for (std::string word; words >> word;) {
    char *end = nullptr;
    errno = 0;
    long long id = std::strtoll(word.c_str(), &end, 10);
    if (end != word.c_str() + word.size() || errno != 0 || id < 0 ||
        id > std::numeric_limits<int32_t>::max())
      throw UsageError("--generate: the model was trained on token ids, so the prompt is ids "
                       "separated by spaces; got '" + word + "'");
    prompt.push_back(static_cast<int32_t>(id));
  }
  std::vector<int32_t> ids = generate(model, prompt, generation);
  for (size_t i = 0; i < ids.size(); ++i)
    out << (i ? " " : "") << ids[i];
  out << "\n";
  return 0;
}

int runPredict(Model &model, const TrainerOptions &options, std::ostream &out) {
  const ModelInfo &info = model.info();
  detail::checkBatch(info);
  std::vector<Tensor> inputs = loadInputs(info, options.data);
  const int64_t count = inputs.front().dim(0);
  std::vector<int64_t> outputShape = {count};
  outputShape.insert(outputShape.end(), info.outputShape.begin(), info.outputShape.end());
  Tensor outputs(info.outputDType, outputShape);
  const uint64_t outputBytes = detail::bytesPerSample(outputs);
  const int64_t fullBatches = count / info.batch;
  for (int64_t b = 0; b < fullBatches; ++b)
    model.predict(samplePointers(inputs, b * info.batch).data(),
                  outputs.bytes() + b * info.batch * outputBytes);
  for (int64_t i = fullBatches * info.batch; i < count; ++i)
    model.predictOne(samplePointers(inputs, i).data(), outputs.bytes() + i * outputBytes);
  Tensor written = options.predictClasses ? classesOf(outputs) : std::move(outputs);
  const bool csv = options.out.size() >= 4 &&
                   options.out.compare(options.out.size() - 4, 4, ".csv") == 0;
  if (csv)
    savePredictionsCsv(options.out, written, options.predictClasses);
  else
    saveNpy(options.out, written.view());
  out << "wrote " << options.out << " (" << count
      << (options.predictClasses ? " classes, " : " predictions, ")
      << dtypeName(written.dtype()) << " " << formatShape(written.shape()) << ")\n";
  return 0;
}

int runPlot(const Model &model, const TrainerOptions &options, std::ostream &out) {
  std::vector<LogRecord> records = readRunLog(options.plotFrom);
  writePlot(options.plot, records,
            model.info().name + " (" +
                std::filesystem::path(options.plotFrom).filename().string() + ")");
  out << "wrote " << options.plot << '\n';
  return 0;
}

/// The samples of `data` at `indices` (in that order).
Dataset subset(const Dataset &data, const std::vector<int64_t> &indices) {
  auto shapeFor = [&](const Tensor &tensor) {
    std::vector<int64_t> shape = tensor.shape();
    shape[0] = static_cast<int64_t>(indices.size());
    return shape;
  };
  Dataset result;
  result.size = static_cast<int64_t>(indices.size());
  result.featureNames = data.featureNames;
  result.sequential = data.sequential;
  result.vocab = data.vocab;
  for (const Tensor &tensor : data.inputs)
    result.inputs.emplace_back(tensor.dtype(), shapeFor(tensor));
  for (const Tensor &tensor : data.labels)
    result.labels.emplace_back(tensor.dtype(), shapeFor(tensor));
  result.inputScales = data.inputScales;
  // Kept u8 inputs stay u8: samples are copied as they are stored.
  gatherSamples(data.inputs, indices.data(), result.size, result.inputs);
  gatherSamples(data.labels, indices.data(), result.size, result.labels);
  return result;
}

} // namespace

namespace detail {

std::vector<std::string> splitColumns(const std::string &joined) {
  std::vector<std::string> names;
  if (joined.empty())
    return names;
  for (size_t start = 0;;) {
    size_t comma = joined.find(',', start);
    names.push_back(joined.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos)
      return names;
    start = comma + 1;
  }
}

std::string joinColumns(const std::vector<std::string> &names) {
  std::string joined;
  for (const std::string &name : names)
    joined += (joined.empty() ? "" : ",") + name;
  return joined;
}

void withTrainedColumns(TrainerOptions &options,
                        const std::map<std::string, std::string> &weightsMetadata) {
  std::vector<std::string> columns;
  auto recorded = weightsMetadata.find(kCsvFeaturesKey);
  if (recorded != weightsMetadata.end())
    columns = splitColumns(recorded->second);
  for (DataSource *source : {&options.data, &options.test})
    if (source->kind == "csv" && source->header && source->featureColumns.empty())
      source->featureColumns = columns;
  // Text is encoded with the vocabulary the weights were trained with.
  auto vocab = weightsMetadata.find(kVocabKey);
  if (vocab == weightsMetadata.end() || vocab->second.empty())
    return;
  for (DataSource *source : {&options.data, &options.test}) {
    if (source->kind != "text")
      continue;
    if (!source->vocab.empty() && source->vocab != vocab->second)
      throw Error::inFile(options.load, "was trained with the vocabulary \"" + vocab->second +
                                            "\", but the model's text data gives \"" +
                                            source->vocab + "\"");
    source->vocab = vocab->second;
  }
}

int runOneProcess(Model &model, Communicator &comm, const TrainerOptions &options,
                  std::ostream &out, std::ostream &err) {
  if (options.mode == Mode::Plot)
    return runPlot(model, options, out);
  checkRanks(model.info(), comm.size(), options.mode);
  setThreads(options.threads);
  TrainerOptions resolved = options;
  std::map<std::string, std::string> weightsMetadata;
  if (!options.load.empty() && options.loadPartial) {
    weightsMetadata = detail::loadPartially(model, options, out);
    withTrainedColumns(resolved, weightsMetadata);
  } else if (!options.load.empty()) {
    weightsMetadata = loadWeights(model, options.load);
    withTrainedColumns(resolved, weightsMetadata);
  } else
    initializeParameters(model, options.seed);
  model.resetOptimizer();
  model.setCheckNumerics(options.checkNumerics);
  switch (options.mode) {
  case Mode::InitOnly:
    return runInitOnly(model, resolved, out);
  case Mode::Eval:
    return runEval(model, resolved, out);
  case Mode::Predict:
    return runPredict(model, resolved, out);
  case Mode::Gradcheck:
    return detail::runGradcheck(model, resolved, out);
  case Mode::Generate:
    return runGenerate(model, resolved, weightsMetadata, out);
  case Mode::ExportOnnx:
    return runExportOnnx(model, resolved, out);
  case Mode::Plot:
  case Mode::Train:
    break;
  }
  return detail::runTraining(model, comm, resolved, out, err);
}

void checkRanks(const ModelInfo &info, int ranks, Mode mode) {
  if (mode != Mode::Train || info.ranks == ranks)
    return;
  const std::string perRank =
      "batch " + std::to_string(info.batch) + (info.ranks > 1 ? " per rank" : "");
  if (ranks == 1)
    throw UsageError("this program was compiled with gradc --ranks " +
                     std::to_string(info.ranks) + " (" + perRank + ", global batch " +
                     std::to_string(info.batch * info.ranks) + "): train it with mpirun -np " +
                     std::to_string(info.ranks) + " (docs/distributed.md), or compile the " +
                     "model without --ranks to train on one process");
  throw UsageError("this job has " + std::to_string(ranks) + " ranks, but the program was " +
                   "compiled for " + std::to_string(info.ranks) +
                   (info.ranks == 1 ? " process" : " ranks") + " (" + perRank +
                   "): compile the model with gradc --ranks " + std::to_string(ranks) +
                   " for this job (each rank then trains on 1/" + std::to_string(ranks) +
                   " of the model's batch), or launch it with mpirun -np " +
                   std::to_string(info.ranks));
}

} // namespace detail

uint64_t shuffleSeed(uint64_t seed, int64_t epoch) {
  return Rng::outputAt(seed ^ kShuffleDomain, static_cast<uint64_t>(epoch));
}

uint64_t stepRngKey(uint64_t seed, int64_t step) {
  return Rng::outputAt(seed ^ kDropoutDomain, static_cast<uint64_t>(step));
}

uint64_t stepRngKey(uint64_t seed, int64_t step, int rank) {
  if (rank == 0)
    return stepRngKey(seed, step);
  return Rng::outputAt(stepRngKey(seed, step) ^ kRankDomain, static_cast<uint64_t>(rank));
}

std::vector<int64_t> epochOrder(uint64_t seed, int64_t epoch, int64_t count, bool shuffle) {
  if (shuffle)
    return Rng(shuffleSeed(seed, epoch)).permutation(count);
  if (count < 0)
    throw Error("epochOrder needs a non-negative count, got " + std::to_string(count));
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), int64_t{0});
  return order;
}

Evaluation evaluate(Model &model, const Dataset &data) {
  const ModelInfo &info = model.info();
  detail::checkBatch(info);
  if (data.size < 1)
    throw Error("cannot evaluate an empty data set");
  const int64_t fullBatches = data.size / info.batch;
  MetricTotals totals(info.metrics);
  // The mean of the batches' losses, each weighted by what its loss counts
  // (a batch whose every label is ignored has a NaN loss and no weight).
  double lossSum = 0, weightSum = 0;
  auto addLoss = [&](double loss, int64_t weight) {
    if (weight > 0) {
      lossSum += loss * static_cast<double>(weight);
      weightSum += static_cast<double>(weight);
    }
  };
  std::vector<Tensor> batch = batchTensors(info.inputs, info.batch),
                      one = batchTensors(info.inputs, 1);
  for (int64_t b = 0; b < fullBatches; ++b) {
    const int64_t first = b * info.batch;
    StepResult result = model.evalStep(inputsAt(data, first, info.batch, batch).data(),
                                       samplePointers(data.labels, first).data());
    addLoss(result.loss, lossWeight(info, data, first, info.batch));
    totals.add(result.metricStats);
  }
  for (int64_t i = fullBatches * info.batch; i < data.size; ++i) {
    StepResult result = model.evalOne(inputsAt(data, i, 1, one).data(),
                                      samplePointers(data.labels, i).data());
    addLoss(result.loss, lossWeight(info, data, i, 1));
    totals.add(result.metricStats);
  }
  Evaluation evaluation;
  evaluation.samples = data.size;
  evaluation.loss = lossSum / weightSum;
  evaluation.metrics = totals.values(data.size);
  return evaluation;
}

int trainerMain(Model &model, int argc, const char *const *argv, std::ostream &out,
                std::ostream &err) {
  std::unique_ptr<Communicator> comm;
  try {
    comm = joinJob();
  } catch (const std::exception &error) {
    if (launchedRank() == 0) // every rank fails alike: one reports
      err << "error: " << error.what() << '\n';
    return 1;
  }
  if (comm->size() > 1)
    return detail::distributedMain(model, *comm, argc, argv, out, err);
  try {
    std::optional<TrainerOptions> options =
        detail::parseTrainerOptions(model.info(), argc, argv, out);
    if (!options)
      return 0;
    return detail::runOneProcess(model, *comm, *options, out, err);
  } catch (const UsageError &error) {
    err << "error: " << error.what() << '\n';
    return 2;
  } catch (const std::bad_alloc &) {
    err << "error: out of memory\n";
  } catch (const std::exception &error) {
    err << "error: " << error.what() << '\n';
  } catch (...) {
    err << "error: unexpected failure\n";
  }
  return 1;
}

int trainerMain(Model &model, int argc, char **argv) {
  // Every line reaches a pipe or a file when it is printed, not when a buffer
  // fills: a run's progress can be followed, and a killed run keeps its lines.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return trainerMain(model, argc, argv, std::cout, std::cerr);
}


namespace detail {

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

uint64_t bytesPerSample(const Tensor &tensor) {
  return tensor.dim(0) == 0 ? 0 : tensor.numBytes() / static_cast<uint64_t>(tensor.dim(0));
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void checkBatch(const ModelInfo &info) {
  if (info.batch < 1)
    throw Error("the model's batch size is " + std::to_string(info.batch) +
                "; it must be at least 1");
}

void addMetricFields(LogRecord &record, const std::string &prefix, double loss,
                     const std::vector<MetricSpec> &metrics, const std::vector<double> &values) {
  record.add(prefix + "loss", loss);
  for (size_t i = 0; i < metrics.size(); ++i)
    record.add(prefix + metrics[i].name, values[i]);
}

std::string formatFields(const LogRecord &record, size_t first) {
  std::string line;
  for (size_t i = first; i < record.fields.size(); ++i) {
    const auto &[name, value] = record.fields[i];
    if (const auto *number = std::get_if<double>(&value))
      line += (line.empty() ? "" : "  ") + name + " " + fixed(*number, 4);
  }
  return line;
}

std::string finalLine(const std::string &which, double loss,
                      const std::vector<MetricSpec> &metrics, const std::vector<double> &values) {
  if (metrics.empty())
    return which + " loss " + fixed(loss, 4);
  return which + " " + metrics.front().name + " " + fixed(values.front(), 4);
}

std::pair<Dataset, Dataset> holdOut(const Dataset &data, double fraction, uint64_t seed,
                                    std::vector<int64_t> &kept) {
  auto count = static_cast<int64_t>(std::llround(fraction * static_cast<double>(data.size)));
  if (count == 0 || count >= data.size)
    throw Error("--validation " + fixed(fraction, 3) + " of " +
                std::to_string(data.size) + " samples leaves " +
                (count == 0 ? "no validation samples" : "no training samples"));
  std::vector<int64_t> validation;
  if (data.sequential) {
    // Windows of one sequence: the last of them, by position, as language
    // models hold out the end of their text.
    for (int64_t index = data.size - count; index < data.size; ++index)
      validation.push_back(index);
  } else {
    std::vector<int64_t> order = Rng(seed ^ kValidationDomain).permutation(data.size);
    validation.assign(order.begin(), order.begin() + count);
  }
  std::vector<char> held(static_cast<size_t>(data.size), 0);
  for (int64_t index : validation)
    held[static_cast<size_t>(index)] = 1;
  kept.clear();
  for (int64_t index = 0; index < data.size; ++index)
    if (!held[static_cast<size_t>(index)])
      kept.push_back(index);
  std::sort(validation.begin(), validation.end());
  return {subset(data, kept), subset(data, validation)};
}

std::string numericsAdvice(bool checkNumerics) {
  std::string advice =
      "Usual causes: a learning rate too high for the model (try a smaller --lr, a schedule "
      "with warmup, or clip_grad_norm in the train section); log, sqrt or division of 0 or "
      "of a negative number in the model (add a small epsilon); NaN or infinite values, or "
      "values of a wildly different scale, in the input data (check the data files and the "
      "scale: setting).";
  if (!checkNumerics)
    advice += " Run with --check-numerics to name the model-file line of the first kernel "
              "that produces a NaN or infinity.";
  return advice;
}

} // namespace detail

} // namespace gradc::rt
