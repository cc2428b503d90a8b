// gradcheck.cpp — --gradcheck: the compiled gradients against central finite
// differences of the compiled loss, on a batch of the training data.
#include "gradc/runtime/error.h"
#include "gradc/runtime/rng.h"
#include "gradc/runtime/trainer.h"

#include "trainer_internal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>

namespace gradc::rt::detail {

namespace {

constexpr uint64_t kGradcheckDomain = 0x47524144434B; // "GRADCK"

// Step and tolerances by the parameter's precision. A difference passes when
// |numeric − analytic| ≤ atol · max(1, |loss|) + rtol · max(|numeric|, |analytic|):
// the first term covers the rounding of the loss, divided by the step; the
// second the truncation error of the central difference.
struct Tolerance {
  double eps, atol, rtol;
};
constexpr Tolerance kF32{1e-2, 1e-4, 2e-2};
constexpr Tolerance kF64{1e-6, 1e-8, 1e-4};

double get(const BufferRef &buffer, int64_t i) {
  return buffer.dtype == DType::F32 ? static_cast<const float *>(buffer.data)[i]
                                    : static_cast<const double *>(buffer.data)[i];
}

// Stores `value` rounded to the buffer's dtype, and returns what was stored.
double set(const BufferRef &buffer, int64_t i, double value) {
  if (buffer.dtype == DType::F32) {
    static_cast<float *>(buffer.data)[i] = static_cast<float>(value);
    return static_cast<float>(value);
  }
  static_cast<double *>(buffer.data)[i] = value;
  return value;
}

std::string scientific(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2e", value);
  return text;
}

struct EntryResult {
  double numeric, abs, rel;
  bool ok;
};

} // namespace

int runGradcheck(Model &model, const TrainerOptions &options, std::ostream &out) {
  const ModelInfo &info = model.info();
  checkBatch(info);
  Dataset data = loadDataset(info, options.data);
  if (data.size < info.batch)
    throw Error(options.dataOrigin + " has " + std::to_string(data.size) +
                " samples, fewer than one batch of " + std::to_string(info.batch));
  // The first batch of the first epoch, as training would see it.
  std::vector<int64_t> order = epochOrder(options.seed, 0, data.size, options.shuffle);
  std::vector<Tensor> inputs = batchTensors(info.inputs, info.batch);
  std::vector<Tensor> labels = batchTensors(info.labels, info.batch);
  gatherSamples(data.inputs, order.data(), info.batch, inputs, data.inputScales);
  gatherSamples(data.labels, order.data(), info.batch, labels);
  const std::vector<const void *> inputPointers = samplePointers(inputs, 0),
                                  labelPointers = samplePointers(labels, 0);
  const uint64_t rngKey = stepRngKey(options.seed, 0);
  auto loss = [&] { return model.lossGrad(inputPointers.data(), labelPointers.data(), rngKey).loss; };

  const double baseLoss = loss();
  if (!std::isfinite(baseLoss))
    throw NumericsError("--gradcheck: the loss of the first batch is not finite (" +
                        std::to_string(baseLoss) + ").\n" +
                        numericsAdvice(options.checkNumerics));
  std::vector<BufferRef> gradients = model.gradients();
  if (gradients.empty())
    throw Error("--gradcheck: model '" + info.name + "' reports no gradients to check");
  std::map<std::string, std::vector<double>> analytic;
  for (const BufferRef &gradient : gradients) {
    std::vector<double> values(static_cast<size_t>(gradient.numElements()));
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = get(gradient, static_cast<int64_t>(i));
    analytic[gradient.name] = std::move(values);
  }
  std::map<std::string, BufferRef> parameters;
  for (const BufferRef &buffer : model.buffers())
    if (buffer.kind == BufferKind::Param)
      parameters[buffer.name] = buffer;

  out << "gradcheck " << info.name << ": loss " << fixed(baseLoss, 6) << " on a batch of "
      << info.batch << " from " << options.dataOrigin << ", " << options.gradcheckEntries
      << " entries per parameter\n";
  Rng rng(options.seed ^ kGradcheckDomain);
  int failures = 0;
  int64_t checked = 0;
  for (const BufferRef &gradient : gradients) {
    auto found = parameters.find(gradient.name);
    if (found == parameters.end())
      throw Error("--gradcheck: the gradient " + gradient.name + " has no parameter");
    const BufferRef &parameter = found->second;
    if (parameter.dtype != DType::F32 && parameter.dtype != DType::F64)
      throw Error("--gradcheck: " + parameter.name + " is " +
                  std::string(dtypeName(parameter.dtype)) + ", not f32 or f64");
    const Tolerance tolerance = parameter.dtype == DType::F32 ? kF32 : kF64;
    const int64_t count = parameter.numElements();
    // Half the entries are those with the largest compiled gradients (where a
    // wrong gradient shows most), half are drawn at random.
    const std::vector<double> &expectedValues = analytic[gradient.name];
    std::vector<int64_t> entries;
    if (count <= options.gradcheckEntries) {
      for (int64_t i = 0; i < count; ++i)
        entries.push_back(i);
    } else {
      std::vector<int64_t> byMagnitude(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i)
        byMagnitude[static_cast<size_t>(i)] = i;
      const int64_t largest = (options.gradcheckEntries + 1) / 2;
      std::partial_sort(byMagnitude.begin(), byMagnitude.begin() + largest, byMagnitude.end(),
                        [&](int64_t a, int64_t b) {
                          return std::abs(expectedValues[static_cast<size_t>(a)]) >
                                 std::abs(expectedValues[static_cast<size_t>(b)]);
                        });
      entries.assign(byMagnitude.begin(), byMagnitude.begin() + largest);
      while (static_cast<int64_t>(entries.size()) < options.gradcheckEntries) {
        auto i = static_cast<int64_t>(rng.below(static_cast<uint64_t>(count)));
        if (std::find(entries.begin(), entries.end(), i) == entries.end())
          entries.push_back(i);
      }
    }
    // The central difference with step eps·max(1, |w|), divided by the step
    // actually taken after rounding to the parameter's dtype. An entry that
    // fails is tried again with a step ten times smaller, which tells a kink
    // of the loss (relu, max, abs) near the entry from a wrong gradient.
    auto difference = [&](int64_t i, double eps, double atol, double expected) {
      const double original = get(parameter, i);
      const double step = eps * std::max(1.0, std::abs(original));
      const double up = set(parameter, i, original + step);
      const double lossUp = loss();
      const double down = set(parameter, i, original - step);
      const double lossDown = loss();
      set(parameter, i, original);
      const double numeric = (lossUp - lossDown) / (up - down);
      const double abs = std::abs(numeric - expected);
      const double scale = std::max(std::abs(numeric), std::abs(expected));
      const double rel = scale > 0 ? abs / scale : 0;
      const bool ok = std::isfinite(numeric) &&
                      abs <= atol * std::max(1.0, std::abs(baseLoss)) + tolerance.rtol * scale;
      return EntryResult{numeric, abs, rel, ok};
    };
    double maxAbs = 0, maxRel = 0;
    int bad = 0;
    std::string worst;
    for (int64_t i : entries) {
      const double expected = expectedValues[static_cast<size_t>(i)];
      EntryResult result = difference(i, tolerance.eps, tolerance.atol, expected);
      if (!result.ok) {
        EntryResult smaller = difference(i, tolerance.eps / 10, tolerance.atol * 10, expected);
        if (smaller.ok || smaller.abs < result.abs)
          result = smaller;
      }
      if (!result.ok) {
        ++bad;
        if (worst.empty())
          worst = "element " + std::to_string(i) + ": compiled " + scientific(expected) +
                  ", finite differences " + scientific(result.numeric);
      }
      maxAbs = std::max(maxAbs, result.abs);
      maxRel = std::max(maxRel, result.rel);
      ++checked;
    }
    failures += bad;
    out << "  " << gradient.name << " " << formatShape(parameter.shape) << " "
        << dtypeName(parameter.dtype) << ": " << entries.size()
        << (entries.size() == 1 ? " entry" : " entries") << ", max abs error "
        << scientific(maxAbs) << ", max rel error " << scientific(maxRel)
        << (bad ? "  FAILED (" + std::to_string(bad) + " entries; " + worst + ")" : "  ok")
        << '\n';
  }
  if (failures > 0) {
    out << "gradcheck failed: " << failures << " of " << checked
        << " entries differ from central finite differences beyond the tolerance\n";
    return 1;
  }
  out << "gradcheck passed: " << checked << " entries of " << gradients.size()
      << " parameters agree with central finite differences\n";
  return 0;
}

} // namespace gradc::rt::detail
