// trainer.cpp — the training loop, evaluation, prediction and per-epoch logging that
// every generated program runs through trainerMain.
#include "gradc/runtime/trainer.h"

#include "gradc/runtime/dataset.h"
#include "gradc/runtime/dropout_mask.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/kernels.h"
#include "gradc/runtime/metrics.h"
#include "gradc/runtime/npy.h"
#include "gradc/runtime/rng.h"
#include "gradc/runtime/schedule.h"
#include "gradc/runtime/weights.h"

#include "trainer_options.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <utility>

namespace gradc::rt {

using detail::Mode;
using detail::TrainerOptions;
using detail::UsageError;

namespace {

constexpr uint64_t kShuffleDomain = 0x53485546464C45; // "SHUFFLE"
constexpr uint64_t kDropoutDomain = 0x44524F504F5554; // "DROPOUT"

// A named number of one epoch's record: "loss", "test_accuracy", "seconds".
using Field = std::pair<std::string, double>;

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// Samples a batch-sized tensor holds: [batch, ...sample shape].
Tensor batchTensor(DType dtype, int64_t batch, const std::vector<int64_t> &sampleShape) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), sampleShape.begin(), sampleShape.end());
  return Tensor(dtype, shape);
}

uint64_t bytesPerSample(const Tensor &tensor) {
  return tensor.dim(0) == 0 ? 0 : tensor.numBytes() / static_cast<uint64_t>(tensor.dim(0));
}

// Writes one record per epoch as CSV (a header, then rows) or JSON lines.
class EpochLog {
public:
  explicit EpochLog(const std::string &path) : path_(path), json_(path.size() >= 6 &&
        path.compare(path.size() - 6, 6, ".jsonl") == 0) {
    if (path.empty())
      return;
    stream_.open(path, std::ios::trunc);
    if (!stream_)
      throw Error::inFile(path, "cannot open for writing");
  }

  void write(const std::vector<Field> &fields) {
    if (path_.empty())
      return;
    if (json_) {
      nlohmann::ordered_json record;
      for (const auto &[name, value] : fields) {
        if (name == "epoch")
          record[name] = static_cast<int64_t>(value);
        else
          record[name] = value;
      }
      stream_ << record.dump() << '\n';
    } else {
      if (!headerWritten_) {
        for (size_t i = 0; i < fields.size(); ++i)
          stream_ << (i ? "," : "") << fields[i].first;
        stream_ << '\n';
        headerWritten_ = true;
      }
      for (size_t i = 0; i < fields.size(); ++i) {
        char text[64];
        std::snprintf(text, sizeof text, "%.17g", fields[i].second);
        stream_ << (i ? "," : "") << text;
      }
      stream_ << '\n';
    }
    stream_.flush();
    if (!stream_)
      throw Error::inFile(path_, "cannot write the epoch record");
  }

private:
  std::string path_;
  bool json_;
  bool headerWritten_ = false;
  std::ofstream stream_;
};

void addMetricFields(std::vector<Field> &fields, const std::string &prefix, double loss,
                     const std::vector<MetricSpec> &metrics, const std::vector<double> &values) {
  fields.emplace_back(prefix + "loss", loss);
  for (size_t i = 0; i < metrics.size(); ++i)
    fields.emplace_back(prefix + metrics[i].name, values[i]);
}

// "loss 0.5123  accuracy 0.8211"
std::string formatFields(const std::vector<Field> &fields) {
  std::string line;
  for (const auto &[name, value] : fields)
    line += (line.empty() ? "" : "  ") + name + " " + fixed(value, 4);
  return line;
}

// "test accuracy 0.8765": the first metric, or the loss.
std::string finalLine(const std::string &which, double loss,
                      const std::vector<MetricSpec> &metrics, const std::vector<double> &values) {
  if (metrics.empty())
    return which + " loss " + fixed(loss, 4);
  return which + " " + metrics.front().name + " " + fixed(values.front(), 4);
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void checkBatch(const ModelInfo &info) {
  if (info.batch < 1)
    throw Error("the model's batch size is " + std::to_string(info.batch) +
                "; it must be at least 1");
}

int runInitOnly(Model &model, const TrainerOptions &options, std::ostream &out) {
  saveWeights(model, options.save);
  out << "wrote " << options.save << '\n';
  return 0;
}

int runEval(Model &model, const TrainerOptions &options, std::ostream &out) {
  const ModelInfo &info = model.info();
  auto start = std::chrono::steady_clock::now();
  Dataset test = loadDataset(info, options.test);
  Evaluation result = evaluate(model, test);
  if (!options.quiet) {
    std::vector<Field> fields;
    addMetricFields(fields, "test_", result.loss, info.metrics, result.metrics);
    out << formatFields(fields) << "  (" << test.size << " samples, "
        << fixed(secondsSince(start), 1) << " s)\n";
  }
  out << finalLine("test", result.loss, info.metrics, result.metrics) << '\n';
  return 0;
}

int runPredict(Model &model, const TrainerOptions &options, std::ostream &out) {
  const ModelInfo &info = model.info();
  checkBatch(info);
  Tensor inputs = loadInputs(info, options.data);
  const int64_t count = inputs.dim(0);
  std::vector<int64_t> outputShape = {count};
  outputShape.insert(outputShape.end(), info.outputShape.begin(), info.outputShape.end());
  Tensor outputs(info.outputDType, outputShape);
  const uint64_t inputBytes = bytesPerSample(inputs), outputBytes = bytesPerSample(outputs);
  const int64_t fullBatches = count / info.batch;
  for (int64_t b = 0; b < fullBatches; ++b)
    model.predict(inputs.bytes() + b * info.batch * inputBytes,
                  outputs.bytes() + b * info.batch * outputBytes);
  for (int64_t i = fullBatches * info.batch; i < count; ++i)
    model.predictOne(inputs.bytes() + i * inputBytes, outputs.bytes() + i * outputBytes);
  saveNpy(options.out, outputs.view());
  out << "wrote " << options.out << " (" << count << " predictions, "
      << dtypeName(info.outputDType) << " " << formatShape(outputShape) << ")\n";
  return 0;
}

/// The samples of `data` at `indices` (in that order).
Dataset subset(const Dataset &data, const std::vector<int64_t> &indices) {
  auto shapeFor = [&](const Tensor &tensor) {
    std::vector<int64_t> shape = tensor.shape();
    shape[0] = static_cast<int64_t>(indices.size());
    return shape;
  };
  Dataset result{Tensor(data.inputs.dtype(), shapeFor(data.inputs)),
                 Tensor(data.labels.dtype(), shapeFor(data.labels)),
                 static_cast<int64_t>(indices.size())};
  gatherSamples(data.inputs, indices.data(), result.size, result.inputs);
  gatherSamples(data.labels, indices.data(), result.size, result.labels);
  return result;
}

/// Splits off round(fraction · size) samples, chosen by a permutation seeded
/// from `seed`, for validation; both parts keep the file's order.
std::pair<Dataset, Dataset> holdOut(const Dataset &data, double fraction, uint64_t seed) {
  auto count = static_cast<int64_t>(std::llround(fraction * static_cast<double>(data.size)));
  if (count == 0 || count >= data.size)
    throw Error("--validation " + fixed(fraction, 3) + " of " +
                std::to_string(data.size) + " samples leaves " +
                (count == 0 ? "no validation samples" : "no training samples"));
  std::vector<int64_t> order = Rng(seed ^ 0x76616c6964617465ull).permutation(data.size);
  std::vector<int64_t> validation(order.begin(), order.begin() + count);
  std::vector<char> held(static_cast<size_t>(data.size), 0);
  for (int64_t index : validation)
    held[static_cast<size_t>(index)] = 1;
  std::vector<int64_t> training;
  for (int64_t index = 0; index < data.size; ++index)
    if (!held[static_cast<size_t>(index)])
      training.push_back(index);
  std::sort(validation.begin(), validation.end());
  return {subset(data, training), subset(data, validation)};
}

int runTraining(Model &model, const TrainerOptions &options, std::ostream &out) {
  const ModelInfo &info = model.info();
  checkBatch(info);
  validateSchedule(info.schedule);
  Dataset train = loadDataset(info, options.data);
  std::optional<Dataset> validation;
  if (options.validation > 0) {
    auto [kept, held] = holdOut(train, options.validation, options.seed);
    train = std::move(kept);
    validation = std::move(held);
  }
  std::optional<Dataset> test;
  if (!options.test.kind.empty())
    test = loadDataset(info, options.test);
  const int64_t batch = info.batch;
  const int64_t batchesPerEpoch = train.size / batch;
  if (batchesPerEpoch == 0)
    throw Error(options.dataOrigin + " has " + std::to_string(train.size) +
                " samples, fewer than one batch of " + std::to_string(batch));
  int64_t epochs = options.epochs;
  if (options.steps && !options.epochsGiven)
    epochs = (*options.steps + batchesPerEpoch - 1) / batchesPerEpoch;

  if (!options.quiet) {
    out << "training " << info.name << " on " << train.size << " samples: " << batchesPerEpoch
        << " batches of " << batch << " per epoch";
    if (train.size % batch != 0)
      out << " (" << train.size % batch << " samples skipped each epoch)";
    if (validation)
      out << ", " << validation->size << " validation samples";
    if (test)
      out << ", " << test->size << " test samples";
    out << ", " << threads() << (threads() == 1 ? " thread" : " threads") << '\n';
  }

  EpochLog log(options.log);
  Tensor batchInputs = batchTensor(info.inputDType, batch, info.inputShape);
  Tensor batchLabels = batchTensor(info.labelDType, batch, info.labelShape);
  int64_t stepsTaken = 0;
  std::string last;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    std::vector<int64_t> order = epochOrder(options.seed, epoch, train.size, options.shuffle);
    MetricTotals totals(info.metrics);
    double lossSum = 0;
    int64_t batches = 0;
    for (int64_t b = 0; b < batchesPerEpoch; ++b) {
      if (options.steps && stepsTaken >= *options.steps)
        break;
      gatherSamples(train.inputs, order.data() + b * batch, batch, batchInputs);
      gatherSamples(train.labels, order.data() + b * batch, batch, batchLabels);
      int64_t step = model.step();
      StepResult result =
          model.trainStep(batchInputs.bytes(), batchLabels.bytes(),
                          learningRate(info.schedule, options.lr, step),
                          stepRngKey(options.seed, step));
      totals.add(result.metricStats);
      lossSum += result.loss;
      ++batches;
      ++stepsTaken;
    }
    double loss = lossSum / static_cast<double>(batches);
    std::vector<double> metrics = totals.values(batches * batch);
    std::vector<Field> fields;
    addMetricFields(fields, "", loss, info.metrics, metrics);
    last = finalLine("train", loss, info.metrics, metrics);
    if (validation) {
      Evaluation result = evaluate(model, *validation);
      addMetricFields(fields, "val_", result.loss, info.metrics, result.metrics);
      last = finalLine("validation", result.loss, info.metrics, result.metrics);
    }
    if (test) {
      Evaluation result = evaluate(model, *test);
      addMetricFields(fields, "test_", result.loss, info.metrics, result.metrics);
      last = finalLine("test", result.loss, info.metrics, result.metrics);
    }
    double seconds = secondsSince(start);
    if (!options.quiet)
      out << "epoch " << epoch + 1 << "/" << epochs << "  " << formatFields(fields) << "  ("
          << fixed(seconds, 1) << " s)" << std::endl;
    fields.insert(fields.begin(), Field("epoch", static_cast<double>(epoch + 1)));
    fields.emplace_back("seconds", seconds);
    log.write(fields);
    if (options.steps && stepsTaken >= *options.steps)
      break;
  }
  if (!options.save.empty()) {
    saveWeights(model, options.save);
    if (!options.quiet)
      out << "wrote " << options.save << '\n';
  }
  out << last << '\n';
  return 0;
}

int run(Model &model, const TrainerOptions &options, std::ostream &out) {
  setThreads(options.threads);
  if (!options.load.empty())
    loadWeights(model, options.load);
  else
    initializeParameters(model, options.seed);
  model.resetOptimizer();
  switch (options.mode) {
  case Mode::InitOnly:
    return runInitOnly(model, options, out);
  case Mode::Eval:
    return runEval(model, options, out);
  case Mode::Predict:
    return runPredict(model, options, out);
  case Mode::Train:
    break;
  }
  return runTraining(model, options, out);
}

} // namespace

uint64_t shuffleSeed(uint64_t seed, int64_t epoch) {
  return Rng::outputAt(seed ^ kShuffleDomain, static_cast<uint64_t>(epoch));
}

uint64_t stepRngKey(uint64_t seed, int64_t step) {
  return Rng::outputAt(seed ^ kDropoutDomain, static_cast<uint64_t>(step));
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
  checkBatch(info);
  if (data.size < 1)
    throw Error("cannot evaluate an empty data set");
  const uint64_t inputBytes = bytesPerSample(data.inputs);
  const uint64_t labelBytes = bytesPerSample(data.labels);
  const int64_t fullBatches = data.size / info.batch;
  MetricTotals totals(info.metrics);
  double lossSum = 0;
  for (int64_t b = 0; b < fullBatches; ++b) {
    const int64_t first = b * info.batch;
    StepResult result = model.evalStep(data.inputs.bytes() + first * inputBytes,
                                       data.labels.bytes() + first * labelBytes);
    lossSum += result.loss * static_cast<double>(info.batch);
    totals.add(result.metricStats);
  }
  for (int64_t i = fullBatches * info.batch; i < data.size; ++i) {
    StepResult result =
        model.evalOne(data.inputs.bytes() + i * inputBytes, data.labels.bytes() + i * labelBytes);
    lossSum += result.loss;
    totals.add(result.metricStats);
  }
  Evaluation evaluation;
  evaluation.samples = data.size;
  evaluation.loss = lossSum / static_cast<double>(data.size);
  evaluation.metrics = totals.values(data.size);
  return evaluation;
}

int trainerMain(Model &model, int argc, const char *const *argv, std::ostream &out,
                std::ostream &err) {
  try {
    std::optional<TrainerOptions> options =
        detail::parseTrainerOptions(model.info(), argc, argv, out);
    if (!options)
      return 0;
    return run(model, *options, out);
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
  return trainerMain(model, argc, argv, std::cout, std::cerr);
}

} // namespace gradc::rt
