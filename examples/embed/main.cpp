// main.cpp — a program that embeds a model compiled with `gradc --emit=lib`:
// it initializes the parameters itself, trains on data it holds in memory,
// and predicts, all through the typed class in the generated circles.h.
//
// Build and run: see README.md in this folder.
#include "circles.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

constexpr int64_t kTrainPoints = 1024;
constexpr int64_t kTestPoints = 256;
constexpr int kSteps = 600;
constexpr float kRadius = 1.4f;

// Points uniform in [-2, 2]², labelled 1 inside the circle of radius kRadius.
struct Points {
  std::vector<float> xy;       // [count, 2]
  std::vector<int32_t> inside; // [count]
};

Points makePoints(int64_t count, std::mt19937 &rng) {
  std::uniform_real_distribution<float> coordinate(-2.0f, 2.0f);
  Points points;
  for (int64_t i = 0; i < count; ++i) {
    float x = coordinate(rng), y = coordinate(rng);
    points.xy.insert(points.xy.end(), {x, y});
    points.inside.push_back(x * x + y * y < kRadius * kRadius ? 1 : 0);
  }
  return points;
}

// The class with the largest of Circles::kClasses logits.
int32_t predictedClass(const float *logits) {
  return static_cast<int32_t>(std::max_element(logits, logits + Circles::kClasses) - logits);
}

} // namespace

int main() {
  // The model owns its parameters, optimizer state and scratch memory.
  Circles model;
  std::mt19937 rng(2024);

  // 1. Initialize the parameters as PyTorch initializes nn.Linear: uniform in
  //    ±1/√fan_in. parameter(name) finds a parameter by its name in weights
  //    files and tells its shape and fan-in; `data` points into the model.
  for (const char *name : {"dense_0.weight", "dense_0.bias", "dense_1.weight", "dense_1.bias"}) {
    gradc::rt::BufferRef parameter = model.parameter(name);
    const float bound = 1.0f / std::sqrt(static_cast<float>(parameter.fanIn));
    std::uniform_real_distribution<float> uniform(-bound, bound);
    float *values = static_cast<float *>(parameter.data);
    for (int64_t i = 0; i < parameter.numElements(); ++i)
      values[i] = uniform(rng);
  }
  // The same memory is reachable through the public members: no bias at first
  // in the output layer.
  std::fill_n(model.dense_1_bias, Circles::kClasses, 0.0f);
  model.resetOptimizer(); // zero Adam's moments

  // 2. Train on data in memory: train_step takes one batch of kBatch samples,
  //    the learning rate and the step number (1, 2, ...: Adam's bias
  //    correction), and writes the batch's loss and confusion matrix.
  Points train = makePoints(kTrainPoints, rng);
  std::vector<float> x(Circles::kInputSize);   // [kBatch, 2]
  std::vector<int32_t> y(Circles::kLabelSize); // [kBatch]
  std::vector<int32_t> confusion(Circles::kAccuracySize);
  const float lr = 0.02f;
  float loss = 0.0f;
  const int64_t batchesPerEpoch = kTrainPoints / Circles::kBatch;
  for (int step = 1; step <= kSteps; ++step) {
    const int64_t first = (step - 1) % batchesPerEpoch * Circles::kBatch;
    std::copy_n(train.xy.begin() + first * 2, Circles::kInputSize, x.begin());
    std::copy_n(train.inside.begin() + first, Circles::kLabelSize, y.begin());
    const float stepNumber = static_cast<float>(step);
    model.train_step(x.data(), y.data(), &lr, &stepNumber, &loss, confusion.data());
    if (step % 100 == 0) {
      int64_t correct = 0;
      for (int64_t c = 0; c < Circles::kClasses; ++c)
        correct += confusion[c * Circles::kClasses + c];
      std::printf("step %3d  loss %.4f  batch accuracy %.3f\n", step, loss,
                  static_cast<double>(correct) / Circles::kBatch);
    }
  }

  // 3. Predict on points never seen in training, a batch at a time.
  Points test = makePoints(kTestPoints, rng);
  std::vector<float> logits(Circles::kOutputSize); // [kBatch, kClasses]
  int64_t correct = 0;
  for (int64_t first = 0; first < kTestPoints; first += Circles::kBatch) {
    model.predict(test.xy.data() + first * 2, logits.data());
    for (int64_t i = 0; i < Circles::kBatch; ++i)
      correct += predictedClass(&logits[i * Circles::kClasses]) == test.inside[first + i];
  }
  const double accuracy = static_cast<double>(correct) / kTestPoints;
  std::printf("test accuracy %.3f on %lld points\n", accuracy, static_cast<long long>(kTestPoints));

  // predict_one runs the model on a single point.
  for (auto [px, py] : {std::pair{0.0f, 0.0f}, std::pair{1.9f, 1.9f}}) {
    const float point[2] = {px, py};
    float pointLogits[Circles::kClasses];
    model.predict_one(point, pointLogits);
    std::printf("(%.1f, %.1f) is %s the circle\n", px, py,
                predictedClass(pointLogits) == 1 ? "inside" : "outside");
  }
  return accuracy >= 0.9 ? 0 : 1;
}
