// typed_api.cpp — checks the typed API of a class from `gradc --emit=lib`
// (examples/embed/circles.gc): the named sizes, parameter(name), and that the
// typed entry points agree with the gradc::rt::Model interface the trainer uses.
#include "circles.h"

#include "gradc/runtime/error.h"
#include "gradc/runtime/weights.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

static_assert(Circles::kBatch == 32);
static_assert(Circles::kInputShape[0] == 32 && Circles::kInputShape[1] == 2);
static_assert(Circles::kInputSize == 64 && Circles::kLabelSize == 32);
static_assert(Circles::kLabelShape[0] == 32);
static_assert(Circles::kOutputShape[0] == 32 && Circles::kOutputShape[1] == 2);
static_assert(Circles::kOutputSize == 64 && Circles::kClasses == 2);
static_assert(Circles::kAccuracySize == 4, "a 2 x 2 confusion matrix");

namespace {

int failures = 0;

void check(bool ok, const std::string &what) {
  if (!ok) {
    std::printf("FAIL %s\n", what.c_str());
    ++failures;
  }
}

void checkParameterLookup() {
  Circles model;
  gradc::rt::BufferRef weight = model.parameter("dense_0.weight");
  check(weight.data == model.dense_0_weight, "parameter() points at the member");
  check(weight.shape == std::vector<int64_t>{16, 2}, "dense_0.weight is [16, 2]");
  check(weight.numElements() == 32, "dense_0.weight has 32 elements");
  check(weight.kind == gradc::rt::BufferKind::Param, "dense_0.weight is a parameter");
  check(model.parameter("dense_1.bias.exp_avg_sq").kind == gradc::rt::BufferKind::OptState,
        "optimizer state is found by name");
  try {
    model.parameter("dense_9.weight");
    check(false, "an unknown name throws");
  } catch (const gradc::rt::Error &error) {
    check(std::string(error.what()).find("'dense_9.weight'") != std::string::npos,
          std::string("the error names the parameter: ") + error.what());
  }
}

// Two steps through train_step (the caller counts steps) and through
// Model::trainStep (the model counts) leave the same parameters.
void checkTrainStepsAgree() {
  Circles typed, generic;
  gradc::rt::initializeParameters(typed, 7);
  gradc::rt::initializeParameters(generic, 7);
  typed.resetOptimizer();
  generic.resetOptimizer();
  std::vector<float> x(Circles::kInputSize);
  std::vector<int32_t> y(Circles::kLabelSize);
  for (int64_t i = 0; i < Circles::kInputSize; ++i)
    x[i] = std::sin(0.37f * static_cast<float>(i));
  for (int64_t i = 0; i < Circles::kLabelSize; ++i)
    y[i] = x[2 * i] * x[2 * i] + x[2 * i + 1] * x[2 * i + 1] < 0.5f;
  const float lr = 0.05f;
  std::vector<int32_t> confusion(Circles::kAccuracySize);
  for (int step = 1; step <= 2; ++step) {
    const float stepNumber = static_cast<float>(step);
    float loss = 0;
    typed.train_step(x.data(), y.data(), &lr, &stepNumber, &loss, confusion.data());
    // The Model interface takes a pointer per input and per label.
    const void *inputs[] = {x.data()}, *labels[] = {y.data()};
    gradc::rt::StepResult result = generic.trainStep(inputs, labels, lr, 0);
    check(static_cast<double>(loss) == result.loss, "the two steps' losses agree");
    int64_t counted = 0;
    for (int32_t count : confusion)
      counted += count;
    check(counted == Circles::kBatch, "the confusion matrix counts every sample");
  }
  check(generic.step() == 2, "Model::trainStep counts the steps");
  for (const char *name : {"dense_0.weight", "dense_0.bias", "dense_1.weight", "dense_1.bias"}) {
    gradc::rt::BufferRef a = typed.parameter(name), b = generic.parameter(name);
    const float *pa = static_cast<const float *>(a.data), *pb = static_cast<const float *>(b.data);
    bool same = true;
    for (int64_t i = 0; i < a.numElements(); ++i)
      same = same && pa[i] == pb[i];
    check(same, std::string(name) + " is the same after train_step and trainStep");
  }
}

// predict on a batch and predict_one on each of its samples agree.
void checkPredictOne() {
  Circles model;
  gradc::rt::initializeParameters(model, 3);
  std::vector<float> x(Circles::kInputSize), batch(Circles::kOutputSize);
  for (int64_t i = 0; i < Circles::kInputSize; ++i)
    x[i] = std::cos(0.21f * static_cast<float>(i));
  model.predict(x.data(), batch.data());
  for (int64_t i = 0; i < Circles::kBatch; ++i) {
    float one[Circles::kClasses];
    model.predict_one(&x[i * 2], one);
    for (int64_t c = 0; c < Circles::kClasses; ++c)
      check(std::fabs(one[c] - batch[i * Circles::kClasses + c]) <= 1e-5f,
            "predict_one agrees with predict on sample " + std::to_string(i));
  }
}

} // namespace

int main() {
  checkParameterLookup();
  checkTrainStepsAgree();
  checkPredictOne();
  std::printf("%s\n", failures ? "typed API: FAILED" : "typed API: ok");
  return failures ? 1 : 0;
}
