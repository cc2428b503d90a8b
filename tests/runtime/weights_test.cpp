// weights_test.cpp — parameter initialization by kind and role.
#include "gradc/runtime/weights.h"

#include "test_util.h"

#include <cmath>
#include <deque>

namespace gradc::rt {
namespace {

// A model that is only a list of buffers.
class BufferModel : public Model {
public:
  BufferRef &add(std::string name, std::vector<int64_t> shape, Init init, std::string role = "",
                 DType dtype = DType::F32) {
    uint64_t count = 1;
    for (int64_t dim : shape)
      count *= static_cast<uint64_t>(dim);
    storage_.emplace_back(count * 8, 0);
    BufferRef buffer;
    buffer.name = std::move(name);
    buffer.dtype = dtype;
    buffer.shape = std::move(shape);
    buffer.data = storage_.back().data();
    buffer.init = init;
    buffer.role = std::move(role);
    buffers_.push_back(buffer);
    return buffers_.back();
  }

  std::vector<float> values(size_t index) const {
    const BufferRef &buffer = buffers_[index];
    uint64_t count = 1;
    for (int64_t dim : buffer.shape)
      count *= static_cast<uint64_t>(dim);
    std::vector<float> result(count);
    for (uint64_t i = 0; i < count; ++i)
      result[i] = buffer.dtype == DType::F32
                      ? static_cast<const float *>(buffer.data)[i]
                      : static_cast<float>(static_cast<const double *>(buffer.data)[i]);
    return result;
  }

  const ModelInfo &info() const override { return info_; }
  std::vector<BufferRef> buffers() override {
    return std::vector<BufferRef>(buffers_.begin(), buffers_.end());
  }
  void resetOptimizer() override {}
  StepResult trainStep(const void *const *, const void *const *, double, uint64_t) override { return {}; }
  StepResult evalStep(const void *const *, const void *const *) override { return {}; }
  StepResult evalOne(const void *const *, const void *const *) override { return {}; }
  void predict(const void *const *, void *) override {}
  void predictOne(const void *const *, void *) override {}
  int64_t step() const override { return 0; }
  void setStep(int64_t) override {}

private:
  ModelInfo info_;
  std::deque<std::vector<double>> storage_;
  std::deque<BufferRef> buffers_;
};

double mean(const std::vector<float> &values) {
  double sum = 0;
  for (float value : values)
    sum += value;
  return sum / static_cast<double>(values.size());
}

double stddev(const std::vector<float> &values) {
  double m = mean(values), sum = 0;
  for (float value : values)
    sum += (value - m) * (value - m);
  return std::sqrt(sum / static_cast<double>(values.size()));
}

double maxAbs(const std::vector<float> &values) {
  double result = 0;
  for (float value : values)
    result = std::max(result, std::fabs(static_cast<double>(value)));
  return result;
}

TEST(InitializeParameters, DefaultFollowsPyTorchLayers) {
  BufferModel model;
  model.add("conv2d_0.weight", {64, 16, 3, 3}, Init::Default, "weight"); // fan_in 144
  model.add("conv2d_0.bias", {64}, Init::Default, "bias").fanIn = 144;
  model.add("batch_norm_0.gamma", {8}, Init::Default, "gamma");
  model.add("batch_norm_0.beta", {8}, Init::Default, "beta");
  model.add("batch_norm_0.running_mean", {8}, Init::Default).kind = BufferKind::Buffer;
  model.add("batch_norm_0.running_var", {8}, Init::Default).kind = BufferKind::Buffer;
  model.add("embedding_0.weight", {100, 50}, Init::Default, "embedding");
  initializeParameters(model, 1);

  const double bound = 1.0 / 12.0; // 1/√144
  std::vector<float> weight = model.values(0);
  EXPECT_LE(maxAbs(weight), bound);
  EXPECT_GT(maxAbs(weight), 0.95 * bound);
  EXPECT_NEAR(stddev(weight), bound / std::sqrt(3.0), 0.003); // uniform's std
  EXPECT_LE(maxAbs(model.values(1)), bound);
  EXPECT_GT(maxAbs(model.values(1)), 0.5 * bound);
  EXPECT_EQ(model.values(2), std::vector<float>(8, 1.0f));
  EXPECT_EQ(model.values(3), std::vector<float>(8, 0.0f));
  EXPECT_EQ(model.values(4), std::vector<float>(8, 0.0f));
  EXPECT_EQ(model.values(5), std::vector<float>(8, 1.0f));
  EXPECT_NEAR(stddev(model.values(6)), 1.0, 0.05);
}

TEST(InitializeParameters, HeXavierNormalZerosOnes) {
  BufferModel model;
  model.add("he.weight", {200, 100}, Init::He);
  model.add("xavier.weight", {200, 100}, Init::Xavier, "", DType::F64);
  model.add("normal.weight", {200, 100}, Init::Normal);
  model.add("zeros.bias", {5}, Init::Zeros);
  model.add("ones.weight", {5, 2}, Init::Ones);
  initializeParameters(model, 2);
  EXPECT_NEAR(stddev(model.values(0)), std::sqrt(2.0 / 100), 0.003);
  EXPECT_NEAR(mean(model.values(0)), 0.0, 0.003);
  double xavierBound = std::sqrt(6.0 / 300);
  EXPECT_LE(maxAbs(model.values(1)), xavierBound);
  EXPECT_GT(maxAbs(model.values(1)), 0.99 * xavierBound);
  EXPECT_NEAR(stddev(model.values(2)), 0.01, 0.0003);
  EXPECT_EQ(model.values(3), std::vector<float>(5, 0.0f));
  EXPECT_EQ(model.values(4), std::vector<float>(10, 1.0f));
}

// A `param` declaration's normal(σ) and uniform(a): σ and a as declared.
TEST(InitializeParameters, NormalAndUniformTakeTheDeclaredScale) {
  BufferModel model;
  model.add("pos", {200, 100}, Init::Normal).initScale = 0.02;
  model.add("gate", {200, 100}, Init::Uniform).initScale = 0.5;
  initializeParameters(model, 5);
  EXPECT_NEAR(stddev(model.values(0)), 0.02, 0.0005);
  EXPECT_NEAR(mean(model.values(0)), 0.0, 0.0005);
  EXPECT_LE(maxAbs(model.values(1)), 0.5);
  EXPECT_GT(maxAbs(model.values(1)), 0.499);
  // U(-a, a) has standard deviation a / sqrt(3).
  EXPECT_NEAR(stddev(model.values(1)), 0.5 / std::sqrt(3.0), 0.003);
}

TEST(InitializeParameters, OneSeedOneResult) {
  auto draw = [](uint64_t seed) {
    BufferModel model;
    model.add("dense_0.weight", {4, 3}, Init::Default, "weight");
    model.add("dense_0.bias", {4}, Init::Default, "bias").fanIn = 3;
    initializeParameters(model, seed);
    std::vector<float> all = model.values(0), bias = model.values(1);
    all.insert(all.end(), bias.begin(), bias.end());
    return all;
  };
  EXPECT_EQ(draw(9), draw(9));
  EXPECT_NE(draw(9), draw(10));
}

TEST(InitializeParameters, OptimizerStateIsLeftAlone) {
  BufferModel model;
  BufferRef &moment = model.add("w.adam_m", {3}, Init::Ones);
  moment.kind = BufferKind::OptState;
  initializeParameters(model, 1);
  EXPECT_EQ(model.values(0), std::vector<float>(3, 0.0f));
}

TEST(InitializeParameters, ErrorsNameTheBuffer) {
  BufferModel unknownRole;
  unknownRole.add("odd.scale", {3}, Init::Default);
  EXPECT_RT_ERROR(initializeParameters(unknownRole, 1),
                  "odd.scale: no default initialization for role 'scale'");
  BufferModel noFan;
  noFan.add("v.weight", {3}, Init::He);
  EXPECT_RT_ERROR(initializeParameters(noFan, 1),
                  "v.weight: cannot initialize a [3] tensor without its fan-in");
  BufferModel integer;
  integer.add("ids.weight", {3, 2}, Init::Zeros, "", DType::I32);
  EXPECT_RT_ERROR(initializeParameters(integer, 1),
                  "ids.weight: cannot initialize a i32 tensor (expected f32 or f64)");
}

} // namespace
} // namespace gradc::rt
