// dataset.cpp — loading IDX, NPY and CSV data into a model's dtypes and shapes.
#include "gradc/runtime/dataset.h"

#include "gradc/runtime/checked_math.h"
#include "gradc/runtime/csv.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/idx.h"
#include "gradc/runtime/npy.h"
#include "gradc/runtime/text.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

namespace gradc::rt {

namespace {

bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string formatNumber(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

uint64_t elementsOf(const std::vector<int64_t> &shape) {
  std::optional<uint64_t> count = tryElementCount(shape);
  if (!count)
    throw Error("shape " + formatShape(shape) + " is invalid or overflows");
  return *count;
}

std::string describeSample(const std::vector<int64_t> &shape) {
  uint64_t count = elementsOf(shape);
  return formatShape(shape) + " (" + std::to_string(count) +
         (count == 1 ? " value)" : " values)");
}

// Element i of a tensor of any dtype, as a double (exact for every dtype but
// i64 beyond 2^53, which no label or input value reaches).
double elementAt(const Tensor &tensor, uint64_t i) {
  switch (tensor.dtype()) {
  case DType::F32:
    return tensor.data<float>()[i];
  case DType::F64:
    return tensor.data<double>()[i];
  case DType::I32:
    return tensor.data<int32_t>()[i];
  case DType::I64:
    return static_cast<double>(tensor.data<int64_t>()[i]);
  case DType::U8:
    return tensor.data<uint8_t>()[i];
  }
  throw Error("invalid dtype");
}

// What a converted value means, for messages: "input" or "label".
struct Role {
  std::string file;
  const char *what;
  int64_t valuesPerSample;
  /// A label value outside [0, classes) that is accepted (the loss ignores it).
  int64_t ignoreIndex = INT64_MIN;
};

// `raw` converted to `dtype` with shape [samples, ...sampleShape], values
// multiplied by `scale`; integer targets take only integral values in range,
// and `classes` > 0 bounds them to [0, classes).
Tensor convertSamples(const Tensor &raw, DType dtype, const std::vector<int64_t> &sampleShape,
                      double scale, int64_t classes, const Role &role) {
  std::vector<int64_t> shape = {raw.dim(0)};
  shape.insert(shape.end(), sampleShape.begin(), sampleShape.end());
  Tensor converted(dtype, shape);
  const uint64_t count = raw.numElements();
  auto sampleOf = [&](uint64_t i) { return std::to_string(i / role.valuesPerSample); };
  switch (dtype) {
  case DType::F32:
    for (uint64_t i = 0; i < count; ++i)
      converted.data<float>()[i] = static_cast<float>(elementAt(raw, i) * scale);
    break;
  case DType::F64:
    for (uint64_t i = 0; i < count; ++i)
      converted.data<double>()[i] = elementAt(raw, i) * scale;
    break;
  case DType::I32:
    for (uint64_t i = 0; i < count; ++i) {
      double value = elementAt(raw, i) * scale;
      if (value != std::floor(value))
        throw Error::inFile(role.file, std::string(role.what) + " " + formatNumber(value) +
                                           " of sample " + sampleOf(i) +
                                           " is not an integer");
      if (classes > 0 && (value < 0 || value >= static_cast<double>(classes)) &&
          value != static_cast<double>(role.ignoreIndex))
        throw Error::inFile(role.file, std::string(role.what) + " " + formatNumber(value) +
                                           " of sample " + sampleOf(i) + " is outside [0, " +
                                           std::to_string(classes) + ") (the model has " +
                                           std::to_string(classes) + " classes)");
      if (value < std::numeric_limits<int32_t>::min() ||
          value > std::numeric_limits<int32_t>::max())
        throw Error::inFile(role.file, std::string(role.what) + " " + formatNumber(value) +
                                           " of sample " + sampleOf(i) +
                                           " does not fit in i32");
      converted.data<int32_t>()[i] = static_cast<int32_t>(value);
    }
    break;
  default:
    throw Error("the model's " + std::string(role.what) + " dtype " +
                std::string(dtypeName(dtype)) + " cannot be loaded (expected f32, f64 or i32)");
  }
  return converted;
}

// `shape` without its axes of size 1.
std::vector<int64_t> withoutUnitAxes(const std::vector<int64_t> &shape) {
  std::vector<int64_t> result;
  for (int64_t dim : shape)
    if (dim != 1)
      result.push_back(dim);
  return result;
}

bool isIntegerDType(DType dtype) { return dtype != DType::F32 && dtype != DType::F64; }

// The samples of `raw` ([N, d1, ..., dk, C]) with their last axis moved
// first: [N, C, d1, ..., dk].
Tensor channelsFirst(const Tensor &raw) {
  const std::vector<int64_t> &shape = raw.shape();
  std::vector<int64_t> moved = {shape[0], shape.back()};
  moved.insert(moved.end(), shape.begin() + 1, shape.end() - 1);
  Tensor result(raw.dtype(), moved);
  const uint64_t channels = static_cast<uint64_t>(shape.back());
  const uint64_t positions = raw.dim(0) == 0 || channels == 0
                                 ? 0
                                 : raw.numElements() / static_cast<uint64_t>(raw.dim(0)) /
                                       channels;
  const size_t size = dtypeSize(raw.dtype());
  const std::byte *from = raw.bytes();
  std::byte *to = result.bytes();
  for (int64_t n = 0; n < raw.dim(0); ++n) {
    const uint64_t base = static_cast<uint64_t>(n) * positions * channels;
    for (uint64_t p = 0; p < positions; ++p)
      for (uint64_t c = 0; c < channels; ++c)
        std::memcpy(to + (base + c * positions + p) * size,
                    from + (base + p * channels + c) * size, size);
  }
  return result;
}

// Why samples of `fileShape` do not feed the model's `modelShape` as the
// layout says, with what would make them, or "" when they do.
std::string sampleShapeMismatch(const std::vector<int64_t> &fileShape,
                                const std::vector<int64_t> &modelShape,
                                const std::string &layout, const char *what, bool hint) {
  if (layout == "flat") {
    if (elementsOf(fileShape) == elementsOf(modelShape))
      return "";
    return std::string(what) + " samples are " + describeSample(fileShape) +
           ", but the model's " + what + " is " + describeSample(modelShape);
  }
  std::vector<int64_t> expected = modelShape;
  if (layout == "nhwc") {
    if (modelShape.size() < 2)
      return std::string("layout \"nhwc\" needs an input of a channel axis and at least one "
                         "more, but the model's ") + what + " is " + formatShape(modelShape);
    expected.assign(modelShape.begin() + 1, modelShape.end());
    expected.push_back(modelShape.front());
  }
  if (withoutUnitAxes(fileShape) == withoutUnitAxes(expected))
    return "";
  std::string message = std::string(what) + " samples are " + formatShape(fileShape) +
                        ", but the model's " + what + " is " + formatShape(modelShape);
  if (layout == "nhwc")
    message += " (channels last: " + formatShape(expected) + ")";
  if (!hint)
    return message;
  auto suggest = [](const char *layout) {
    return std::string("add layout: \"") + layout + "\" to the data source (or pass --layout " +
           layout + ")";
  };
  if (layout.empty() && modelShape.size() >= 2) {
    std::vector<int64_t> channelsLast(modelShape.begin() + 1, modelShape.end());
    channelsLast.push_back(modelShape.front());
    if (withoutUnitAxes(fileShape) == withoutUnitAxes(channelsLast))
      return message + "; they look channels-last: " + suggest("nhwc") +
             " to move the channels first";
  }
  if (elementsOf(fileShape) == elementsOf(modelShape))
    return message + "; both hold " + std::to_string(elementsOf(modelShape)) + " values: " +
           suggest("flat") + " to reshape them in row-major order";
  return message;
}

// Checks that `raw` holds samples that feed `modelShape` as `layout` says,
// and converts them to the model's dtype and shape.
Tensor toModelSamples(Tensor raw, DType dtype, const std::vector<int64_t> &modelShape,
                      double scale, int64_t classes, const std::string &file,
                      const char *what, const std::string &layout = "",
                      bool layoutHint = false, int64_t ignoreIndex = INT64_MIN) {
  if (raw.rank() == 0)
    throw Error::inFile(file, "holds a single value; expected an array whose first axis is "
                              "the sample");
  std::vector<int64_t> sampleShape(raw.shape().begin() + 1, raw.shape().end());
  if (classes > 0 && withoutUnitAxes(modelShape).empty() &&
      withoutUnitAxes(sampleShape) == std::vector<int64_t>{classes})
    throw Error::inFile(file, "labels hold " + std::to_string(classes) +
                                  " values per sample, one-hot or probabilities; the model "
                                  "takes one class index in [0, " + std::to_string(classes) +
                                  ") per sample (numpy: labels.argmax(axis=1))");
  std::string mismatch = sampleShapeMismatch(sampleShape, modelShape, layout, what, layoutHint);
  if (!mismatch.empty())
    throw Error::inFile(file, mismatch);
  if (raw.dim(0) == 0)
    throw Error::inFile(file, "holds no samples");
  if (layout == "nhwc" && modelShape.size() >= 2) {
    // Axes of size 1 aside, the samples are [d1, ..., dk, C]: laid out so
    // (a missing channel axis of size 1 included), they move C first.
    std::vector<int64_t> channelsLast = {raw.dim(0)};
    channelsLast.insert(channelsLast.end(), modelShape.begin() + 1, modelShape.end());
    channelsLast.push_back(modelShape.front());
    raw.reshape(std::move(channelsLast));
    raw = channelsFirst(raw);
  }
  const uint64_t modelValues = elementsOf(modelShape);
  // Floating-point samples already in the model's dtype and scale are used
  // as they are: a data set is held once, not twice, while it loads.
  // u8 values the caller keeps as they are (gatherSamples scales them) too.
  if (raw.dtype() == dtype &&
      (dtype == DType::U8 || (scale == 1.0 && (dtype == DType::F32 || dtype == DType::F64)))) {
    std::vector<int64_t> shape = {raw.dim(0)};
    shape.insert(shape.end(), modelShape.begin(), modelShape.end());
    raw.reshape(std::move(shape));
    return raw;
  }
  Role role{file, what, static_cast<int64_t>(std::max<uint64_t>(modelValues, 1)),
            ignoreIndex};
  return convertSamples(raw, dtype, modelShape, scale, classes, role);
}

// Checks the values of `converted` against what the model's ops accept from
// it (TensorSpec::range); `rawType` is the dtype the file held.
void checkRange(const Tensor &converted, const TensorSpec &spec, const std::string &file,
                const char *what, DType rawType, double storedScale, double scale) {
  const TensorSpec::Range &range = spec.range;
  if (range.use.empty())
    return;
  const uint64_t count = converted.numElements();
  const uint64_t perSample =
      converted.dim(0) == 0 ? 1 : std::max<uint64_t>(count / converted.dim(0), 1);
  for (uint64_t i = 0; i < count; ++i) {
    double value = elementAt(converted, i) * storedScale;
    if (storedScale != 1.0 && spec.dtype == DType::F32)
      value = static_cast<float>(value);
    const bool inside = value >= range.low &&
                        (range.highOpen ? value < range.high : value <= range.high) &&
                        (!range.integral || value == std::floor(value));
    if (inside)
      continue;
    std::string bounds = "[" + formatNumber(range.low) + ", " + formatNumber(range.high) +
                         (range.highOpen ? ")" : "]");
    std::string message = std::string(what) + " value " + formatNumber(value) + " of sample " +
                          std::to_string(i / perSample);
    if (perSample > 1)
      message += " (element " + std::to_string(i % perSample) + ")";
    message += range.integral && value != std::floor(value)
                   ? " is not an integer, as " + range.use + " must be"
                   : " is outside " + bounds + ", the range of " + range.use;
    if (isIntegerDType(rawType) && !range.integral)
      message += " (the file holds " + std::string(dtypeName(rawType)) + " values, scaled by " +
                 formatNumber(scale) + ": does the data source need a scale?)";
    throw Error::inFile(file, message);
  }
}

// The scale for the inputs of `raw` from `source`.
double inputScale(const DataSource &source, const Tensor &raw) {
  if (source.scaleIntegersOnly && !isIntegerDType(raw.dtype()))
    return 1.0;
  return source.scale;
}

Tensor loadArray(const std::string &kind, const std::string &path, const LoadLimits &limits) {
  if (kind == "idx")
    return loadIdx(path, limits);
  if (kind == "npy")
    return loadNpy(path, limits);
  throw Error("unknown data format '" + kind + "' (expected idx, npy or csv)");
}

// The number of columns of a CSV file.
size_t csvColumnCount(const std::string &path) { return readCsvHeader(path).size(); }

// Data is loaded for a model's inputs: one without any takes none.
void requireInputs(const ModelInfo &info) {
  if (info.inputs.empty())
    throw Error("model '" + info.name + "' has no input to load data for");
}

// A CSV file feeds a model of one input and at most one label.
void requireCsvModel(const ModelInfo &info, const DataSource &source) {
  if (info.inputs.size() != 1 || info.labels.size() > 1)
    throw Error::inFile(source.inputs,
                        "a CSV file feeds a model of one input and at most one label; this "
                        "model has " + std::to_string(info.inputs.size()) + " inputs and " +
                        std::to_string(info.labels.size()) +
                        " labels: give a .npy or IDX file per input and label (npy(NAME: "
                        "\"FILE\", ...) in the model, or --data NAME=FILE)");
}

// withLabels: the label column must be there; without, it is skipped when
// it is (prediction on data in the training layout of a model with a label).
CsvTable loadCsvSource(const ModelInfo &info, const DataSource &source, bool withLabels,
                       const LoadLimits &limits) {
  requireCsvModel(info, source);
  CsvOptions options;
  options.hasHeader = source.header;
  options.featureDType = DType::F64;
  options.labelDType =
      !info.labels.empty() && info.labels[0].dtype == DType::I32 ? DType::I64 : DType::F64;
  options.limits = limits;
  if (source.header && !source.featureColumns.empty())
    options.featureColumns = source.featureColumns;
  const std::string &column = source.labelColumn;
  bool isIndex = !column.empty() &&
                 column.find_first_not_of("0123456789") == std::string::npos;
  if (info.labels.empty()) {
    // Every column is a feature.
  } else if (!withLabels) {
    // The training layout has one column more than the model has features.
    options.labelDType = DType::F64;
    if (!column.empty() && !isIndex && source.header) {
      options.labelColumnName = column;
      options.labelColumnOptional = true;
    } else if (csvColumnCount(source.inputs) == elementsOf(info.inputs[0].shape) + 1) {
      options.labelColumnIndex =
          column.empty() ? csvColumnCount(source.inputs) - 1 : std::stoull(column);
    }
  } else if (column.empty()) {
    options.labelColumnIndex = csvColumnCount(source.inputs) - 1;
  } else if (isIndex) {
    options.labelColumnIndex = std::stoull(column);
  } else {
    options.labelColumnName = column;
  }
  return loadCsv(source.inputs, options);
}

// CSV rows are flat: they feed an input of one axis (besides axes of size
// 1), or any input with layout "flat".
Tensor csvInputs(const ModelInfo &info, const DataSource &source, CsvTable &table) {
  const TensorSpec &input = info.inputs[0];
  std::string layout = source.layout;
  if (layout.empty() && withoutUnitAxes(input.shape).size() <= 1)
    layout = "flat";
  return toModelSamples(std::move(table.features), input.dtype, input.shape,
                        source.scaleIntegersOnly ? 1.0 : source.scale, 0, source.inputs, "input",
                        layout, true);
}

// The file of `spec` (input or label `index` of `count`) in an IDX or .npy
// source: named in source.files, or the source's inputs / labels file for a
// model's only input / label.
std::string fileOf(const DataSource &source, const TensorSpec &spec, bool label, size_t count) {
  auto named = source.files.find(spec.name);
  if (named != source.files.end())
    return named->second;
  const std::string &single = label ? source.labels : source.inputs;
  if (count == 1 && !single.empty())
    return single;
  const std::string where = !source.inputs.empty()         ? source.inputs
                            : !source.files.empty()        ? source.files.begin()->second
                                                           : std::string("the data source");
  if (label && count == 1)
    throw Error::inFile(where, "needs a labels file");
  throw Error::inFile(where, std::string("names no file for the model's ") +
                                 (label ? "label '" : "input '") + spec.name + "' (" +
                                 source.kind + "(" + spec.name + ": \"FILE\", ...) in the "
                                 "model, or --" + (label ? "labels " : "data ") + spec.name +
                                 "=FILE)");
}

// The model's inputs (or labels) from an IDX or .npy source, each checked and
// converted; every file must hold `samples` samples (the first file's count
// when it is -1).
std::vector<Tensor> loadArrays(const ModelInfo &info, const DataSource &source, bool labels,
                               const LoadLimits &limits, int64_t &samples,
                               std::string &firstFile, std::vector<double> *keptScales) {
  const std::vector<TensorSpec> &specs = labels ? info.labels : info.inputs;
  std::vector<Tensor> tensors;
  for (const TensorSpec &spec : specs) {
    const std::string file = fileOf(source, spec, labels, specs.size());
    Tensor raw = loadArray(source.kind, file, limits);
    if (raw.rank() > 0 && samples >= 0 && raw.dim(0) != samples)
      throw Error(firstFile + " has " + std::to_string(samples) + " samples but " + file +
                  " has " + std::to_string(raw.dim(0)));
    if (raw.rank() > 0 && samples < 0) {
      samples = raw.dim(0);
      firstFile = file;
    }
    const DType rawType = raw.dtype();
    const double scale = labels ? 1.0 : inputScale(source, raw);
    // u8 inputs of a floating-point model stay u8, a quarter of the memory,
    // and become the model's values as batches are gathered (gatherSamples).
    const bool keep = keptScales && !labels && rawType == DType::U8 &&
                      (spec.dtype == DType::F32 || spec.dtype == DType::F64);
    if (labels)
      tensors.push_back(toModelSamples(std::move(raw), spec.dtype, spec.shape, 1.0,
                                       spec.classes, file, "label", "", false,
                                       spec.ignoreIndex));
    else
      tensors.push_back(toModelSamples(std::move(raw), keep ? DType::U8 : spec.dtype,
                                       spec.shape, scale, 0, file, "input", source.layout,
                                       true));
    checkRange(tensors.back(), spec, file, labels ? "label" : "input", rawType,
               keep ? scale : 1.0, scale);
    if (keptScales && !labels)
      keptScales->push_back(keep ? scale : 1.0);
  }
  return tensors;
}

} // namespace

std::optional<std::string> dataFormatOf(const std::filesystem::path &path) {
  std::string name = path.filename().string();
  if (endsWith(name, ".npy"))
    return "npy";
  if (endsWith(name, ".csv"))
    return "csv";
  if (endsWith(name, ".txt"))
    return "text";
  if (endsWith(name, ".gz"))
    name.resize(name.size() - 3);
  if (endsWith(name, "-ubyte") || endsWith(name, ".idx"))
    return "idx";
  return std::nullopt;
}

Dataset loadDataset(const ModelInfo &info, const DataSource &source,
                    const LoadLimits &limits) {
  requireInputs(info);
  if (source.kind == "text" || source.kind == "tokens")
    return windowDataset(info, source, loadTokenStream(source, {}, limits));
  Dataset dataset;
  if (source.kind == "csv") {
    CsvTable table = loadCsvSource(info, source, true, limits);
    dataset.featureNames = table.featureNames;
    dataset.inputs.push_back(csvInputs(info, source, table));
    checkRange(dataset.inputs.back(), info.inputs[0], source.inputs, "input", DType::F64, 1.0,
               source.scale);
    if (!info.labels.empty()) {
      const TensorSpec &label = info.labels[0];
      dataset.labels.push_back(toModelSamples(std::move(*table.labels), label.dtype,
                                              label.shape, 1.0, label.classes, source.inputs,
                                              "label", "", false, label.ignoreIndex));
      checkRange(dataset.labels.back(), label, source.inputs, "label", DType::F64, 1.0, 1.0);
    }
  } else {
    int64_t samples = -1;
    std::string firstFile;
    dataset.inputs =
        loadArrays(info, source, false, limits, samples, firstFile, &dataset.inputScales);
    dataset.labels = loadArrays(info, source, true, limits, samples, firstFile, nullptr);
  }
  if (dataset.inputScales.empty())
    dataset.inputScales.assign(dataset.inputs.size(), 1.0);
  dataset.size = dataset.inputs.empty() ? 0 : dataset.inputs.front().dim(0);
  return dataset;
}

std::vector<Tensor> loadInputs(const ModelInfo &info, const DataSource &source,
                               const LoadLimits &limits) {
  requireInputs(info);
  if (source.kind == "text" || source.kind == "tokens")
    return windowDataset(info, source, loadTokenStream(source, {}, limits)).inputs;
  if (source.kind == "csv") {
    CsvTable table = loadCsvSource(info, source, false, limits);
    std::vector<Tensor> inputs;
    inputs.push_back(csvInputs(info, source, table));
    checkRange(inputs.back(), info.inputs[0], source.inputs, "input", DType::F64, 1.0,
               source.scale);
    return inputs;
  }
  int64_t samples = -1;
  std::string firstFile;
  return loadArrays(info, source, false, limits, samples, firstFile, nullptr);
}

int64_t lossWeight(const ModelInfo &info, const Dataset &data, int64_t first, int64_t count) {
  if (info.labels.empty() || info.labels[0].ignoreIndex == INT64_MIN || data.labels.empty() ||
      data.labels[0].dtype() != DType::I32 || data.labels[0].rank() == 0)
    return count;
  const Tensor &labels = data.labels[0];
  const int64_t perSample = static_cast<int64_t>(labels.numElements()) / labels.dim(0);
  const int32_t *values = labels.data<int32_t>() + first * perSample;
  return std::count_if(values, values + count * perSample, [&](int32_t label) {
    return label != info.labels[0].ignoreIndex;
  });
}

std::vector<const void *> samplePointers(const std::vector<Tensor> &tensors, int64_t sample) {
  std::vector<const void *> pointers;
  for (const Tensor &tensor : tensors) {
    const uint64_t bytes = tensor.dim(0) == 0 ? 0 : tensor.numBytes() / tensor.dim(0);
    pointers.push_back(tensor.bytes() + static_cast<uint64_t>(sample) * bytes);
  }
  return pointers;
}

std::vector<Tensor> batchTensors(const std::vector<TensorSpec> &specs, int64_t batch) {
  std::vector<Tensor> tensors;
  for (const TensorSpec &spec : specs) {
    std::vector<int64_t> shape = {batch};
    shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
    tensors.emplace_back(spec.dtype, shape);
  }
  return tensors;
}

void gatherSamples(const std::vector<Tensor> &from, const int64_t *indices, int64_t count,
                   std::vector<Tensor> &to, const std::vector<double> &scales) {
  if (from.size() != to.size() || (!scales.empty() && scales.size() != from.size()))
    throw Error("gatherSamples: " + std::to_string(from.size()) + " tensors into " +
                std::to_string(to.size()));
  for (size_t i = 0; i < from.size(); ++i)
    gatherSamples(from[i], indices, count, to[i], scales.empty() ? 1.0 : scales[i]);
}

bool keepsStoredValues(const Dataset &data) {
  for (size_t i = 0; i < data.inputs.size(); ++i)
    if (data.inputs[i].dtype() == DType::U8)
      return true;
  return false;
}

std::vector<const void *> inputsAt(const Dataset &data, int64_t first, int64_t count,
                                   std::vector<Tensor> &scratch) {
  if (!keepsStoredValues(data))
    return samplePointers(data.inputs, first);
  std::vector<int64_t> indices(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    indices[static_cast<size_t>(i)] = first + i;
  gatherSamples(data.inputs, indices.data(), count, scratch, data.inputScales);
  return samplePointers(scratch, 0);
}

void gatherSamples(const Tensor &from, const int64_t *indices, int64_t count, Tensor &to,
                   double scale) {
  const bool converts = from.dtype() == DType::U8 &&
                        (to.dtype() == DType::F32 || to.dtype() == DType::F64);
  if (from.rank() == 0 || to.rank() == 0 || (from.dtype() != to.dtype() && !converts) ||
      !std::equal(from.shape().begin() + 1, from.shape().end(), to.shape().begin() + 1,
                  to.shape().end()))
    throw Error("gatherSamples: cannot copy samples of " + std::string(dtypeName(from.dtype())) +
                " " + formatShape(from.shape()) + " into " +
                std::string(dtypeName(to.dtype())) + " " + formatShape(to.shape()));
  if (count < 0 || count > to.dim(0))
    throw Error("gatherSamples: " + std::to_string(count) + " samples do not fit in " +
                std::to_string(to.dim(0)));
  const uint64_t sampleBytes = from.dim(0) == 0 ? 0 : from.numBytes() / from.dim(0);
  std::vector<uint8_t> staged(converts && from.isFileMapped() ? sampleBytes : 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t index = indices[i];
    if (index < 0 || index >= from.dim(0))
      throw Error("gatherSamples: sample " + std::to_string(index) + " is outside [0, " +
                  std::to_string(from.dim(0)) + ")");
    if (sampleBytes == 0)
      continue;
    if (converts) {
      // u8 values kept as loaded become the model's values here, as
      // convertSamples would have made them: the double product, rounded.
      const uint8_t *values = reinterpret_cast<const uint8_t *>(from.bytes()) +
                              static_cast<uint64_t>(index) * sampleBytes;
      if (from.isFileMapped()) {
        from.readBytes(index * sampleBytes, reinterpret_cast<std::byte *>(staged.data()),
                       sampleBytes);
        values = staged.data();
      }
      for (uint64_t v = 0; v < sampleBytes; ++v) {
        const double value = static_cast<double>(values[v]) * scale;
        if (to.dtype() == DType::F32)
          to.data<float>()[i * sampleBytes + v] = static_cast<float>(value);
        else
          to.data<double>()[i * sampleBytes + v] = value;
      }
    } else if (from.isFileMapped()) {
      // A file mapping (--stream-data) is read, not touched.
      from.readBytes(index * sampleBytes, to.bytes() + i * sampleBytes, sampleBytes);
    } else {
      std::memcpy(to.bytes() + i * sampleBytes, from.bytes() + index * sampleBytes,
                  sampleBytes);
    }
  }
}

} // namespace gradc::rt
