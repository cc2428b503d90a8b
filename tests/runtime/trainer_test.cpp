// trainer_test.cpp — trainerMain end to end with hand-written models: learning,
// weights files, shuffling, evaluation, prediction, logs and output.
#include "gradc/runtime/trainer.h"

#include "gradc/runtime/npy.h"
#include "gradc/runtime/rng.h"
#include "gradc/runtime/safetensors.h"

#include "test_util.h"
#include "trainer_test_models.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

namespace gradc::rt {
namespace {

using testing::readBytes;
using testing::RecordingModel;
using testing::runTrainer;
using testing::SoftmaxRegression;
using testing::TempDir;
using testing::writeBlobs;
using testing::writeIds;
using testing::writeNpy;

std::vector<nlohmann::json> readJsonLines(const std::filesystem::path &path) {
  std::vector<nlohmann::json> records;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    records.push_back(nlohmann::json::parse(line));
  return records;
}

/// The records of a JSON-lines log that end an epoch.
std::vector<nlohmann::json> epochRecords(const std::filesystem::path &path) {
  std::vector<nlohmann::json> records;
  for (nlohmann::json &record : readJsonLines(path))
    if (record["record"] == "epoch")
      records.push_back(std::move(record));
  return records;
}

class TrainerTest : public ::testing::Test {
protected:
  void SetUp() override {
    writeBlobs(dir_.file("train_x.npy"), dir_.file("train_y.npy"), 90, 1);
    writeBlobs(dir_.file("test_x.npy"), dir_.file("test_y.npy"), 31, 2);
  }

  std::vector<std::string> dataFlags() const {
    return {"--data", path("train_x.npy"), "--labels", path("train_y.npy"),
            "--test", path("test_x.npy"), "--test-labels", path("test_y.npy")};
  }

  std::vector<std::string> with(std::vector<std::string> args) const {
    std::vector<std::string> all = dataFlags();
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }

  std::string path(const char *name) const { return dir_.file(name).string(); }

  TempDir dir_;
};

TEST_F(TrainerTest, LossFallsOverEpochs) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--epochs", "5", "--log", path("log.jsonl")}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  auto records = epochRecords(dir_.file("log.jsonl"));
  ASSERT_EQ(records.size(), 5u);
  EXPECT_TRUE(records[0]["epoch"].is_number_integer());
  EXPECT_EQ(records[4]["epoch"].get<int>(), 5);
  EXPECT_LT(records[4]["loss"].get<double>(), 0.5 * records[0]["loss"].get<double>());
  EXPECT_LT(records[4]["test_loss"].get<double>(), records[0]["test_loss"].get<double>());
  EXPECT_GT(records[4]["test_accuracy"].get<double>(), 0.9);
  // 90 samples in batches of 8: 11 steps per epoch, 2 samples skipped.
  EXPECT_EQ(model.step(), 55);
  EXPECT_NE(run.out.find("epoch 1/5  loss "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("  accuracy "), std::string::npos);
  EXPECT_NE(run.out.find("  test_loss "), std::string::npos);
  EXPECT_NE(run.out.find("  test_accuracy "), std::string::npos);
  EXPECT_NE(run.out.find("(2 samples skipped each epoch)"), std::string::npos);
  std::string lastLine = run.out.substr(run.out.rfind('\n', run.out.size() - 2) + 1);
  char expected[64];
  std::snprintf(expected, sizeof expected, "test accuracy %.4f\n",
                records[4]["test_accuracy"].get<double>());
  EXPECT_EQ(lastLine, expected);
}

TEST_F(TrainerTest, EpochLineHasTheDocumentedShape) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--epochs", "1"}));
  ASSERT_EQ(run.code, 0) << run.err;
  std::istringstream lines(run.out);
  std::string line;
  bool found = false;
  while (std::getline(lines, line))
    if (line.rfind("epoch 1/1", 0) == 0) {
      found = true;
      double loss, accuracy, testLoss, testAccuracy, seconds;
      int parsed = std::sscanf(line.c_str(),
                               "epoch 1/1  loss %lf  accuracy %lf  test_loss %lf  "
                               "test_accuracy %lf  (%lf s)",
                               &loss, &accuracy, &testLoss, &testAccuracy, &seconds);
      EXPECT_EQ(parsed, 5) << line;
    }
  EXPECT_TRUE(found) << run.out;
}

TEST_F(TrainerTest, QuietPrintsOnlyTheFinalLine) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--epochs", "2", "--quiet"}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << run.out;
  EXPECT_EQ(run.out.rfind("test accuracy ", 0), 0u) << run.out;
}

TEST_F(TrainerTest, WithoutTestDataTheFinalLineIsTraining) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, {"--data", path("train_x.npy"), "--labels",
                                path("train_y.npy"), "--quiet"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("train accuracy ", 0), 0u) << run.out;
}

TEST_F(TrainerTest, CsvLogHasAHeaderAndOneRowPerEpoch) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--epochs", "3", "--log", path("log.csv"), "--quiet"}));
  ASSERT_EQ(run.code, 0) << run.err;
  std::istringstream lines(readBytes(dir_.file("log.csv")));
  std::string header;
  std::getline(lines, header);
  EXPECT_EQ(header, "record,epoch,step,lr,loss,accuracy,test_loss,test_accuracy,grad_norm,seconds");
  int rows = 0;
  for (std::string row; std::getline(lines, row); ++rows)
    EXPECT_EQ(row.rfind("epoch," + std::to_string(rows + 1) + "," + std::to_string(11 * (rows + 1)) + ",0.5,", 0), 0u) << row;
  EXPECT_EQ(rows, 3);
}

TEST_F(TrainerTest, ModelDefaultsSupplyDataEpochsAndLearningRate) {
  SoftmaxRegression model(4, 3, 8);
  model.mutableInfo().data = {"npy", path("train_x.npy"), path("train_y.npy")};
  model.mutableInfo().test = {"npy", path("test_x.npy"), path("test_y.npy")};
  auto run = runTrainer(model, {"--quiet"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(model.step(), 3 * 11); // info.epochs = 3
  EXPECT_EQ(model.learningRates.front(), 0.5);
}

TEST_F(TrainerTest, MissingDefaultDataIsARuntimeError) {
  SoftmaxRegression model(4, 3, 8);
  model.mutableInfo().data = {"npy", path("absent.npy"), path("train_y.npy")};
  auto run = runTrainer(model, {});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("error: the model's training data '" + path("absent.npy") +
                         "' cannot be read: no such file (pass --data FILE"),
            std::string::npos)
      << run.err;
}

TEST_F(TrainerTest, CsvDataCarriesItsLabelsInTheModelsColumn) {
  Tensor x = loadNpy(dir_.file("train_x.npy")), y = loadNpy(dir_.file("train_y.npy"));
  std::string csv = "f0,f1,class,f2,f3\n";
  for (int64_t i = 0; i < 90; ++i) {
    const float *row = x.data<float>() + i * 4;
    csv += std::to_string(row[0]) + "," + std::to_string(row[1]) + "," +
           std::to_string(y.data<int32_t>()[i]) + "," + std::to_string(row[2]) + "," +
           std::to_string(row[3]) + "\n";
  }
  testing::writeBytes(dir_.file("train.csv"), csv);
  SoftmaxRegression model(4, 3, 8);
  model.mutableInfo().data = {"csv", "elsewhere.csv", "", 1.0, "class", true};
  auto run = runTrainer(model, {"--data", path("train.csv"), "--epochs", "4", "--log",
                                path("csv.jsonl"), "--quiet"});
  ASSERT_EQ(run.code, 0) << run.err;
  auto records = epochRecords(dir_.file("csv.jsonl"));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_GT(records[3]["accuracy"].get<double>(), 0.9);
}

TEST_F(TrainerTest, ThreadsFlagSetsTheKernelThreads) {
  SoftmaxRegression model(4, 3, 8);
  int before = threads();
  auto run = runTrainer(model, with({"--threads", "1", "--epochs", "1", "--quiet"}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(threads(), 1);
  setThreads(before);
}

TEST_F(TrainerTest, StepsStopTrainingAndExtendEpochsWhenEpochsAreNotGiven) {
  SoftmaxRegression limited(4, 3, 8);
  auto run = runTrainer(limited, with({"--epochs", "5", "--steps", "13", "--quiet"}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(limited.step(), 13);

  SoftmaxRegression extended(4, 3, 8);
  run = runTrainer(extended, with({"--steps", "40", "--log", path("steps.jsonl")}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(extended.step(), 40);
  EXPECT_EQ(epochRecords(dir_.file("steps.jsonl")).size(), 4u); // ⌈40 / 11⌉
  EXPECT_NE(run.out.find("epoch 4/4"), std::string::npos) << run.out;
}

TEST_F(TrainerTest, ScheduleAndDropoutKeysFollowTheStep) {
  SoftmaxRegression model(4, 3, 8);
  model.mutableInfo().schedule.kind = "step";
  model.mutableInfo().schedule.every = 5;
  model.mutableInfo().schedule.gamma = 0.5;
  auto run = runTrainer(model, with({"--steps", "12", "--lr", "0.2", "--seed", "99", "--quiet"}));
  ASSERT_EQ(run.code, 0) << run.err;
  ASSERT_EQ(model.learningRates.size(), 12u);
  for (int64_t t = 0; t < 12; ++t) {
    EXPECT_DOUBLE_EQ(model.learningRates[t], 0.2 * std::pow(0.5, t / 5)) << "step " << t;
    EXPECT_EQ(model.rngKeys[t], stepRngKey(99, t)) << "step " << t;
  }
}

TEST_F(TrainerTest, TrainingIsDeterministicForASeed) {
  SoftmaxRegression first(4, 3, 8), second(4, 3, 8), other(4, 3, 8);
  ASSERT_EQ(runTrainer(first, with({"--seed", "5", "--quiet"})).code, 0);
  ASSERT_EQ(runTrainer(second, with({"--seed", "5", "--quiet"})).code, 0);
  ASSERT_EQ(runTrainer(other, with({"--seed", "6", "--quiet"})).code, 0);
  EXPECT_EQ(first.weight(), second.weight());
  EXPECT_NE(first.weight(), other.weight());
}

TEST_F(TrainerTest, InitOnlyWritesEveryParameterWithItsShape) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, {"--init-only", "--save", path("init.safetensors")});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(model.step(), 0);
  SafetensorsContents contents = loadSafetensors(dir_.file("init.safetensors"));
  ASSERT_EQ(contents.tensors.size(), 2u); // optimizer state is not a weight
  const Tensor &weight = contents.tensors.at("dense_0.weight");
  const Tensor &bias = contents.tensors.at("dense_0.bias");
  EXPECT_EQ(weight.shape(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(bias.shape(), (std::vector<int64_t>{3}));
  EXPECT_EQ(weight.dtype(), DType::F32);
  for (uint64_t i = 0; i < weight.numElements(); ++i) {
    EXPECT_LE(std::fabs(weight.data<float>()[i]), 0.5f); // 1/√fan_in
    EXPECT_EQ(weight.data<float>()[i], model.weight()[i]);
  }
  EXPECT_EQ(contents.metadata.at("format"), "pt");
}

TEST_F(TrainerTest, SavedWeightsLoadBackAndEvaluateAlike) {
  SoftmaxRegression trained(4, 3, 8);
  auto run = runTrainer(trained, with({"--save", path("w.safetensors"), "--quiet"}));
  ASSERT_EQ(run.code, 0) << run.err;
  std::string trainedLine = run.out;

  SoftmaxRegression loaded(4, 3, 8);
  run = runTrainer(loaded, {"--eval", "--load", path("w.safetensors"), "--test",
                            path("test_x.npy"), "--test-labels", path("test_y.npy")});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(loaded.weight(), trained.weight());
  EXPECT_EQ(loaded.bias(), trained.bias());
  EXPECT_NE(run.out.find("test_loss "), std::string::npos) << run.out;
  EXPECT_EQ(run.out.substr(run.out.rfind("test accuracy")), trainedLine);
}

TEST_F(TrainerTest, LoadRefusesAWrongShape) {
  Tensor weight(DType::F32, {2, 2}), bias(DType::F32, {3});
  saveSafetensors(dir_.file("bad.safetensors"),
                  {{"dense_0.weight", weight.view()}, {"dense_0.bias", bias.view()}});
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--load", path("bad.safetensors")}));
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err, "error: " + path("bad.safetensors") +
                         ": dense_0.weight has shape [2, 2], but the model expects [3, 4]\n");
  EXPECT_EQ(model.step(), 0);
}

TEST_F(TrainerTest, LoadRefusesWrongDtypeMissingAndExtraNames) {
  Tensor weight(DType::F32, {3, 4}), bias(DType::F32, {3}), wide(DType::F64, {3});
  Tensor extra(DType::F32, {1});
  SoftmaxRegression model(4, 3, 8);

  saveSafetensors(dir_.file("dtype.safetensors"),
                  {{"dense_0.weight", weight.view()}, {"dense_0.bias", wide.view()}});
  auto run = runTrainer(model, {"--eval", "--load", path("dtype.safetensors"), "--test",
                                path("test_x.npy"), "--test-labels", path("test_y.npy")});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("dense_0.bias is f64, but the model expects f32"), std::string::npos)
      << run.err;

  saveSafetensors(dir_.file("missing.safetensors"), {{"dense_0.weight", weight.view()}});
  run = runTrainer(model, with({"--load", path("missing.safetensors")}));
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find(": missing dense_0.bias"), std::string::npos) << run.err;

  saveSafetensors(dir_.file("extra.safetensors"), {{"dense_0.weight", weight.view()},
                                                   {"dense_0.bias", bias.view()},
                                                   {"dense_0.weight.momentum", extra.view()}});
  run = runTrainer(model, with({"--load", path("extra.safetensors")}));
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("holds tensors the model does not have: dense_0.weight.momentum"),
            std::string::npos)
      << run.err;
}

// --load-partial (fine-tuning): the file's tensors of the model's names and
// shapes are loaded, the model's others keep their initialization, the
// file's others are ignored, and what happened is printed; a wrong shape is
// still refused.
TEST_F(TrainerTest, LoadPartialKeepsANewHeadAndIgnoresExtraTensors) {
  Tensor weight(DType::F32, {3, 4}), extra(DType::F32, {2});
  for (int64_t i = 0; i < 12; ++i)
    weight.data<float>()[i] = 0.25f * static_cast<float>(i + 1);
  saveSafetensors(dir_.file("backbone.safetensors"),
                  {{"dense_0.weight", weight.view()}, {"old_head.bias", extra.view()}});
  SoftmaxRegression initialized(4, 3, 8), model(4, 3, 8);
  ASSERT_EQ(runTrainer(initialized, {"--init-only", "--save", path("init.safetensors")}).code, 0);
  // A step too small to move any weight: what is left is what was loaded.
  auto run = runTrainer(model, with({"--load", path("backbone.safetensors"), "--load-partial",
                                     "--steps", "1", "--lr", "1e-30"}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("loaded 1 tensor from " + path("backbone.safetensors") +
                         "; initialized (not in the file): dense_0.bias; ignored (not in the "
                         "model): old_head.bias\n"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(model.weight(), std::vector<float>(weight.data<float>(), weight.data<float>() + 12));
  EXPECT_EQ(model.bias(), initialized.bias());

  run = runTrainer(model, with({"--load", path("backbone.safetensors")}));
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("missing dense_0.bias (in training, --load-partial keeps those as "
                         "initialized)"),
            std::string::npos)
      << run.err;
  Tensor wrong(DType::F32, {4, 3});
  saveSafetensors(dir_.file("wrong.safetensors"), {{"dense_0.weight", wrong.view()}});
  run = runTrainer(model, with({"--load", path("wrong.safetensors"), "--load-partial"}));
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("dense_0.weight has shape [4, 3], but the model expects [3, 4]"),
            std::string::npos)
      << run.err;
  run = runTrainer(model, with({"--load-partial"}));
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --load-partial needs --load W.safetensors (the pretrained "
                     "weights)\n");
}

TEST_F(TrainerTest, PredictWritesOneOutputPerSample) {
  SoftmaxRegression model(4, 3, 8);
  ASSERT_EQ(runTrainer(model, {"--init-only", "--save", path("w.safetensors")}).code, 0);
  auto run = runTrainer(model, {"--predict", path("test_x.npy"), "--load",
                                path("w.safetensors"), "--out", path("y.npy")});
  ASSERT_EQ(run.code, 0) << run.err;
  Tensor outputs = loadNpy(dir_.file("y.npy"));
  ASSERT_EQ(outputs.shape(), (std::vector<int64_t>{31, 3}));
  Tensor inputs = loadNpy(dir_.file("test_x.npy"));
  for (int64_t i : {0, 23, 30}) { // in a full batch, and in the remainder
    std::vector<float> expected(3);
    linear<float>(1, 4, 3, inputs.data<float>() + i * 4, model.weight().data(),
                  model.bias().data(), expected.data());
    for (int64_t c = 0; c < 3; ++c)
      EXPECT_FLOAT_EQ(outputs.data<float>()[i * 3 + c], expected[c]) << "sample " << i;
  }
}

TEST_F(TrainerTest, LabelOutOfRangeNamesTheFileAndTheSample) {
  writeNpy<int32_t>(dir_.file("bad_y.npy"), {4}, {0, 1, 3, 2});
  writeNpy<float>(dir_.file("bad_x.npy"), {4, 4}, std::vector<float>(16, 0.0f));
  SoftmaxRegression model(4, 3, 2);
  auto run = runTrainer(model, {"--data", path("bad_x.npy"), "--labels", path("bad_y.npy")});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err, "error: " + path("bad_y.npy") +
                         ": label 3 of sample 2 is outside [0, 3) (the model has 3 classes)\n");
}

TEST_F(TrainerTest, TooFewSamplesForOneBatchIsAnError) {
  SoftmaxRegression model(4, 3, 128);
  auto run = runTrainer(model, with({}));
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("--data has 90 samples, fewer than one batch of 128"),
            std::string::npos)
      << run.err;
}

TEST_F(TrainerTest, HelpDescribesFlagsAndDropLast) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, {"--help"});
  EXPECT_EQ(run.code, 0);
  for (const char *text : {"--epochs", "--steps", "--lr", "--seed", "--threads", "--data",
                           "--labels", "--test", "--test-labels", "--no-shuffle", "--load",
                           "--save", "--init-only", "--eval", "--predict", "--out", "--log",
                           "--quiet", "--help", "drop_last=True", "default 3"})
    EXPECT_NE(run.out.find(text), std::string::npos) << text;
}

// --- sample order and evaluation coverage -------------------------------------

class SampleOrderTest : public ::testing::Test {
protected:
  void SetUp() override {
    writeIds(dir_.file("ids.npy"), dir_.file("labels.npy"), 20);
    writeIds(dir_.file("test_ids.npy"), dir_.file("test_labels.npy"), 21);
  }
  std::string path(const char *name) const { return dir_.file(name).string(); }
  TempDir dir_;
};

TEST_F(SampleOrderTest, NoShuffleTrainsInFileOrderOnFullBatches) {
  RecordingModel model(8);
  auto run = runTrainer(model, {"--data", path("ids.npy"), "--labels", path("labels.npy"),
                                "--no-shuffle", "--epochs", "2"});
  ASSERT_EQ(run.code, 0) << run.err;
  std::vector<std::vector<int64_t>> expected = {
      {0, 1, 2, 3, 4, 5, 6, 7}, {8, 9, 10, 11, 12, 13, 14, 15}, // epoch 1: 16..19 skipped
      {0, 1, 2, 3, 4, 5, 6, 7}, {8, 9, 10, 11, 12, 13, 14, 15}};
  EXPECT_EQ(model.trainBatches, expected);
}

TEST_F(SampleOrderTest, ShuffledEpochsFollowEpochOrder) {
  RecordingModel model(8);
  auto run = runTrainer(model, {"--data", path("ids.npy"), "--labels", path("labels.npy"),
                                "--epochs", "2", "--seed", "11"});
  ASSERT_EQ(run.code, 0) << run.err;
  ASSERT_EQ(model.trainBatches.size(), 4u);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    std::vector<int64_t> order = epochOrder(11, epoch, 20, true);
    std::vector<int64_t> seen = model.trainBatches[2 * epoch];
    seen.insert(seen.end(), model.trainBatches[2 * epoch + 1].begin(),
                model.trainBatches[2 * epoch + 1].end());
    EXPECT_EQ(seen, std::vector<int64_t>(order.begin(), order.begin() + 16)) << epoch;
  }
  EXPECT_NE(model.trainBatches[0], model.trainBatches[2]);
  std::vector<int64_t> sorted = epochOrder(11, 0, 20, true);
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> all(20);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all);
}

TEST_F(SampleOrderTest, ValidationSamplesAreHeldOutAndEvaluated) {
  RecordingModel model(4);
  auto run = runTrainer(model, {"--data", path("ids.npy"), "--labels", path("labels.npy"),
                                "--validation", "0.25", "--no-shuffle", "--epochs", "2",
                                "--seed", "5", "--log", path("log.jsonl")});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("on 15 samples"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("5 validation samples"), std::string::npos) << run.out;
  // 5 of the 20 samples are evaluated every epoch and never trained on.
  std::set<int64_t> trained;
  for (const auto &batch : model.trainBatches)
    trained.insert(batch.begin(), batch.end());
  std::set<int64_t> evaluated(model.evalSeen.begin(), model.evalSeen.end());
  EXPECT_EQ(evaluated.size(), 5u);
  EXPECT_EQ(model.evalSeen.size(), 10u); // 2 epochs
  for (int64_t id : evaluated)
    EXPECT_EQ(trained.count(id), 0u) << id;
  EXPECT_EQ(trained.size() + evaluated.size(), 17u); // 12 of 15 trained (drop_last), 5 held
  auto records = epochRecords(dir_.file("log.jsonl"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0].contains("val_loss"));
  EXPECT_TRUE(records[0].contains("val_accuracy"));
  // The same seed holds out the same samples.
  RecordingModel again(4);
  ASSERT_EQ(runTrainer(again, {"--data", path("ids.npy"), "--labels", path("labels.npy"),
                               "--validation", "0.25", "--epochs", "1", "--seed", "5"})
                .code,
            0);
  EXPECT_EQ(std::set<int64_t>(again.evalSeen.begin(), again.evalSeen.end()), evaluated);
}

TEST_F(SampleOrderTest, ValidationFractionOutOfRangeIsAUsageError) {
  RecordingModel model(4);
  for (const char *bad : {"1", "-0.1", "x", "1.5"}) {
    auto run = runTrainer(model, {"--data", path("ids.npy"), "--labels", path("labels.npy"),
                                  "--validation", bad});
    EXPECT_EQ(run.code, 2) << bad;
    EXPECT_NE(run.err.find("--validation must be a fraction in [0, 1)"), std::string::npos)
        << run.err;
  }
  auto tiny = runTrainer(model, {"--data", path("ids.npy"), "--labels", path("labels.npy"),
                                 "--validation", "0.01"});
  EXPECT_EQ(tiny.code, 1);
  EXPECT_NE(tiny.err.find("leaves no validation samples"), std::string::npos) << tiny.err;
}

TEST_F(SampleOrderTest, EvaluationCountsEveryTestSampleOnce) {
  RecordingModel model(8);
  model.mutableInfo().test = {"npy", path("test_ids.npy"), path("test_labels.npy")};
  auto run = runTrainer(model, {"--data", path("ids.npy"), "--labels", path("labels.npy"),
                                "--epochs", "1", "--log", path("log.jsonl")});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(model.evalStepCalls, 2); // 21 = 2 batches of 8 ...
  EXPECT_EQ(model.evalOneCalls, 5);  // ... and 5 single samples
  std::vector<int64_t> seen = model.evalSeen;
  std::sort(seen.begin(), seen.end());
  std::vector<int64_t> all(21);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(seen, all);

  auto records = epochRecords(dir_.file("log.jsonl"));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_DOUBLE_EQ(records[0]["test_loss"].get<double>(), 10.0); // mean of 0..20
  // Predicted id mod 2, label (id mod 3 == 0): right for ids 3, 9, 15 (odd, label 1)
  // and for even ids not divisible by 3: 2, 4, 8, 10, 14, 16, 20.
  EXPECT_DOUBLE_EQ(records[0]["test_accuracy"].get<double>(), 10.0 / 21.0);
}

TEST_F(SampleOrderTest, EvaluateUsesBatchesThenSingleSamples) {
  RecordingModel model(4);
  Dataset data = loadDataset(model.info(), {"npy", path("test_ids.npy"), path("test_labels.npy")});
  Evaluation result = evaluate(model, data);
  EXPECT_EQ(result.samples, 21);
  EXPECT_EQ(model.evalStepCalls, 5);
  EXPECT_EQ(model.evalOneCalls, 1);
  EXPECT_DOUBLE_EQ(result.loss, 10.0);
  EXPECT_DOUBLE_EQ(result.metrics.at(0), 10.0 / 21.0);
}

TEST_F(SampleOrderTest, PredictUsesBatchesThenSingleSamples) {
  RecordingModel model(8);
  ASSERT_EQ(runTrainer(model, {"--init-only", "--save", path("w.safetensors")}).code, 0);
  auto run = runTrainer(model, {"--predict", path("test_ids.npy"), "--load",
                                path("w.safetensors"), "--out", path("out.npy")});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(model.predictCalls, 2);
  EXPECT_EQ(model.predictOneCalls, 5);
  Tensor out = loadNpy(dir_.file("out.npy"));
  ASSERT_EQ(out.shape(), (std::vector<int64_t>{21, 1}));
  for (int64_t i = 0; i < 21; ++i)
    EXPECT_EQ(out.data<float>()[i], 2.0f * i);
}

TEST(EpochOrder, SeedsAreDerivedFromSeedAndEpoch) {
  EXPECT_EQ(shuffleSeed(5, 2), Rng::outputAt(5 ^ 0x53485546464C45, 2));
  EXPECT_EQ(stepRngKey(5, 7), Rng::outputAt(5 ^ 0x44524F504F5554, 7));
  EXPECT_EQ(epochOrder(5, 2, 10, true), Rng(shuffleSeed(5, 2)).permutation(10));
  EXPECT_EQ(epochOrder(5, 2, 4, false), (std::vector<int64_t>{0, 1, 2, 3}));
}

} // namespace
} // namespace gradc::rt
