// trainer_test_models.h — small hand-written Models that drive trainerMain in tests,
// and helpers to write their data and run the trainer.
#ifndef GRADC_TESTS_RUNTIME_TRAINER_TEST_MODELS_H
#define GRADC_TESTS_RUNTIME_TRAINER_TEST_MODELS_H

#include "gradc/runtime/error.h"
#include "gradc/runtime/kernels.h"
#include "gradc/runtime/model.h"
#include "gradc/runtime/npy.h"
#include "gradc/runtime/trainer.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace gradc::rt::testing {

/// Classification statistics of a batch as StepResult wants them: the
/// confusion matrix, as doubles.
inline std::vector<double> confusionStats(int64_t n, int64_t classes, const int32_t *pred,
                                          const int32_t *labels) {
  std::vector<int32_t> counts(classes * classes);
  confusionMatrix(n, classes, pred, labels, counts.data());
  return std::vector<double>(counts.begin(), counts.end());
}

/// Multinomial logistic regression trained by SGD with momentum, written with
/// the runtime's kernels the way generated code calls them. It reports its
/// gradients and has lossGrad(); knobs inject the faults the trainer must
/// catch.
class SoftmaxRegression : public Model {
public:
  SoftmaxRegression(int64_t features, int64_t classes, int64_t batch)
      : features_(features), classes_(classes), weight_(classes * features),
        bias_(classes), momentum_(classes * features), gradWeight_(classes * features),
        gradBias_(classes) {
    info_.name = "SoftmaxRegression";
    info_.batch = batch;
    info_.inputs = {{"x", DType::F32, {features}}};
    info_.labels = {{"y", DType::I32, {}, classes}};
    info_.outputShape = {classes};
    info_.metrics = {{"accuracy", MetricKind::Accuracy, classes, 1}};
    info_.optimizer = "sgd";
    info_.epochs = 3;
    info_.lr = 0.5;
    info_.seed = 7;
  }

  ModelInfo &mutableInfo() { return info_; }
  const ModelInfo &info() const override { return info_; }

  std::vector<BufferRef> buffers() override {
    BufferRef weight;
    weight.name = "dense_0.weight";
    weight.shape = {classes_, features_};
    weight.data = weight_.data();
    weight.fanIn = features_;
    weight.fanOut = classes_;
    weight.role = "weight";
    BufferRef bias = weight;
    bias.name = "dense_0.bias";
    bias.shape = {classes_};
    bias.data = bias_.data();
    bias.role = "bias";
    BufferRef momentum = weight;
    momentum.name = "dense_0.weight.momentum";
    momentum.kind = BufferKind::OptState;
    momentum.data = momentum_.data();
    momentum.init = Init::Zeros;
    return {weight, bias, momentum};
  }

  std::vector<BufferRef> gradients() override {
    std::vector<BufferRef> gradients;
    for (BufferRef buffer : buffers()) {
      if (buffer.kind != BufferKind::Param)
        continue;
      buffer.kind = BufferKind::Grad;
      buffer.data = buffer.name == "dense_0.weight" ? gradWeight_.data() : gradBias_.data();
      gradients.push_back(buffer);
    }
    return gradients;
  }

  void resetOptimizer() override {
    step_ = 0;
    std::fill(momentum_.begin(), momentum_.end(), 0.0f);
  }

  void setCheckNumerics(bool on) override { checkNumerics_ = on; }

  StepResult trainStep(const void *const *inputs, const void *const *labels, double lr,
                       uint64_t rngKey) override {
    learningRates.push_back(lr);
    rngKeys.push_back(rngKey);
    StepResult result = lossGrad(inputs, labels, rngKey);
    if (step_ + 1 == poisonGradientAtStep)
      gradBias_[1] = std::numeric_limits<float>::infinity();
    // buf = 0.5·buf + g; w −= lr·buf (bias: plain SGD)
    for (size_t i = 0; i < weight_.size(); ++i) {
      momentum_[i] = 0.5f * momentum_[i] + gradWeight_[i];
      weight_[i] -= static_cast<float>(lr) * momentum_[i];
    }
    for (int64_t c = 0; c < classes_; ++c)
      bias_[c] -= static_cast<float>(lr) * gradBias_[c];
    ++step_;
    return result;
  }

  StepResult lossGrad(const void *const *inputs, const void *const *labels, uint64_t) override {
    const int64_t n = info_.batch;
    const float *x = static_cast<const float *>(inputs[0]);
    const int32_t *y = static_cast<const int32_t *>(labels[0]);
    std::vector<float> logits(n * classes_), dlogits(n * classes_);
    StepResult result = forward(x, y, n, logits.data());
    if (checkNumerics_)
      checkFinite(logits.data(), n * classes_, "linear (model.gc:7)");
    // dlogits [n, classes]; dweight = dlogitsᵀ · x; dbias = Σ_n dlogits
    softmaxCrossEntropyBackward<float>(n, classes_, logits.data(), y, 1.0f, dlogits.data());
    gemm<float>(true, false, classes_, features_, n, 1.0f, dlogits.data(), x, 0.0f,
                gradWeight_.data());
    for (int64_t c = 0; c < classes_; ++c) {
      float sum = 0;
      for (int64_t i = 0; i < n; ++i)
        sum += dlogits[i * classes_ + c];
      gradBias_[c] = sum * biasGradientScale;
    }
    return result;
  }

  StepResult evalStep(const void *const *inputs, const void *const *labels) override {
    std::vector<float> logits(info_.batch * classes_);
    return forward(static_cast<const float *>(inputs[0]), static_cast<const int32_t *>(labels[0]),
                   info_.batch, logits.data());
  }

  StepResult evalOne(const void *const *inputs, const void *const *labels) override {
    std::vector<float> logits(classes_);
    return forward(static_cast<const float *>(inputs[0]), static_cast<const int32_t *>(labels[0]), 1,
                   logits.data());
  }

  void predict(const void *const *inputs, void *outputs) override {
    linear<float>(info_.batch, features_, classes_, static_cast<const float *>(inputs[0]),
                  weight_.data(), bias_.data(), static_cast<float *>(outputs));
  }

  void predictOne(const void *const *inputs, void *outputs) override {
    linear<float>(1, features_, classes_, static_cast<const float *>(inputs[0]), weight_.data(),
                  bias_.data(), static_cast<float *>(outputs));
  }

  int64_t step() const override { return step_; }
  void setStep(int64_t step) override { step_ = step; }

  std::vector<float> &weight() { return weight_; }
  std::vector<float> &bias() { return bias_; }

  std::vector<double> learningRates;
  std::vector<uint64_t> rngKeys;
  /// Faults: the bias gradient of this (1-based) step becomes infinite after
  /// the loss is computed; the bias gradient is reported scaled by this.
  int64_t poisonGradientAtStep = 0;
  float biasGradientScale = 1.0f;

private:
  StepResult forward(const float *x, const int32_t *y, int64_t n, float *logits) {
    linear<float>(n, features_, classes_, x, weight_.data(), bias_.data(), logits);
    float loss = 0;
    softmaxCrossEntropy<float>(n, classes_, logits, y, &loss);
    std::vector<int32_t> pred(n);
    argmax<float>(n, classes_, 1, logits, pred.data());
    // Every metric of this model is a classification metric: one confusion
    // matrix each.
    std::vector<double> confusion = confusionStats(n, classes_, pred.data(), y);
    StepResult result{loss, {}};
    for (size_t m = 0; m < info_.metrics.size(); ++m)
      result.metricStats.insert(result.metricStats.end(), confusion.begin(), confusion.end());
    return result;
  }

  ModelInfo info_;
  int64_t features_, classes_;
  std::vector<float> weight_, bias_, momentum_, gradWeight_, gradBias_;
  int64_t step_ = 0;
  bool checkNumerics_ = false;
};

/// A model that learns nothing and records which samples it is shown. Its
/// input is one f32 per sample, the sample's id; its label an i32 class in
/// {0, 1}; it predicts class id mod 2, and its loss for a sample is the id.
class RecordingModel : public Model {
public:
  explicit RecordingModel(int64_t batch) : parameter_(2) {
    info_.name = "RecordingModel";
    info_.batch = batch;
    info_.inputs = {{"id", DType::F32, {1}}};
    info_.labels = {{"y", DType::I32, {}, 2}};
    info_.outputShape = {1};
    info_.metrics = {{"accuracy", MetricKind::Accuracy, 2, 1}};
    info_.optimizer = "sgd";
    info_.epochs = 2;
    info_.lr = 0.1;
    info_.seed = 3;
  }

  ModelInfo &mutableInfo() { return info_; }
  const ModelInfo &info() const override { return info_; }

  std::vector<BufferRef> buffers() override {
    BufferRef parameter;
    parameter.name = "p.weight";
    parameter.shape = {1, 2};
    parameter.data = parameter_.data();
    parameter.role = "weight";
    return {parameter};
  }

  void resetOptimizer() override { step_ = 0; }

  StepResult trainStep(const void *const *inputs, const void *const *labels, double, uint64_t) override {
    std::vector<int64_t> batch = ids(inputs[0], info_.batch);
    trainBatches.push_back(batch);
    ++step_;
    return score(batch, labels[0]);
  }

  StepResult evalStep(const void *const *inputs, const void *const *labels) override {
    ++evalStepCalls;
    std::vector<int64_t> batch = ids(inputs[0], info_.batch);
    evalSeen.insert(evalSeen.end(), batch.begin(), batch.end());
    return score(batch, labels[0]);
  }

  StepResult evalOne(const void *const *inputs, const void *const *labels) override {
    ++evalOneCalls;
    std::vector<int64_t> one = ids(inputs[0], 1);
    evalSeen.push_back(one[0]);
    return score(one, labels[0]);
  }

  void predict(const void *const *inputs, void *outputs) override {
    ++predictCalls;
    for (int64_t i = 0; i < info_.batch; ++i)
      static_cast<float *>(outputs)[i] = 2 * static_cast<const float *>(inputs[0])[i];
  }

  void predictOne(const void *const *inputs, void *outputs) override {
    ++predictOneCalls;
    *static_cast<float *>(outputs) = 2 * *static_cast<const float *>(inputs[0]);
  }

  int64_t step() const override { return step_; }
  void setStep(int64_t step) override { step_ = step; }

  std::vector<std::vector<int64_t>> trainBatches;
  std::vector<int64_t> evalSeen;
  int evalStepCalls = 0, evalOneCalls = 0, predictCalls = 0, predictOneCalls = 0;

private:
  static std::vector<int64_t> ids(const void *inputs, int64_t count) {
    const float *x = static_cast<const float *>(inputs);
    return std::vector<int64_t>(x, x + count);
  }

  StepResult score(const std::vector<int64_t> &batch, const void *labels) {
    const int32_t *y = static_cast<const int32_t *>(labels);
    std::vector<int32_t> pred;
    double loss = 0;
    for (int64_t id : batch) {
      pred.push_back(static_cast<int32_t>(id % 2));
      loss += static_cast<double>(id);
    }
    int64_t n = static_cast<int64_t>(batch.size());
    return {loss / static_cast<double>(n), confusionStats(n, 2, pred.data(), y)};
  }

  ModelInfo info_;
  std::vector<float> parameter_;
  int64_t step_ = 0;
};

/// Writes a tensor of `shape` holding `values` as .npy.
template <typename T>
void writeNpy(const std::filesystem::path &path, std::vector<int64_t> shape,
              const std::vector<T> &values) {
  Tensor tensor(DTypeOf<T>::value, shape);
  std::copy(values.begin(), values.end(), tensor.data<T>());
  saveNpy(path, tensor.view());
}

/// Three well-separated Gaussian blobs in 4 dimensions: inputs [n, 4] f32 and
/// labels [n] i32.
inline void writeBlobs(const std::filesystem::path &inputs, const std::filesystem::path &labels,
                       int64_t n, uint32_t seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int64_t i = 0; i < n; ++i) {
    int32_t label = static_cast<int32_t>(i % 3);
    for (int64_t j = 0; j < 4; ++j)
      x.push_back((j == label ? 2.0f : 0.0f) - (j == 3 ? 1.0f : 0.0f) + noise(engine));
    y.push_back(label);
  }
  writeNpy(inputs, {n, 4}, x);
  writeNpy(labels, {n}, y);
}

/// Ids 0, 1, ..., n − 1 as inputs [n, 1] and labels id mod 3 == 0 ? 1 : 0.
inline void writeIds(const std::filesystem::path &inputs, const std::filesystem::path &labels,
                     int64_t n) {
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int64_t i = 0; i < n; ++i) {
    x.push_back(static_cast<float>(i));
    y.push_back(i % 3 == 0 ? 1 : 0);
  }
  writeNpy(inputs, {n, 1}, x);
  writeNpy(labels, {n}, y);
}

struct TrainerRun {
  int code;
  std::string out;
  std::string err;
};

inline TrainerRun runTrainer(Model &model, const std::vector<std::string> &args) {
  std::vector<const char *> argv = {"train-model"};
  for (const std::string &arg : args)
    argv.push_back(arg.c_str());
  std::ostringstream out, err;
  int code = trainerMain(model, static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

} // namespace gradc::rt::testing

#endif // GRADC_TESTS_RUNTIME_TRAINER_TEST_MODELS_H
