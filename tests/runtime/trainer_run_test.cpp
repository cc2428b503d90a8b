// trainer_run_test.cpp — a training run you can trust, through trainerMain with
// hand-written models: resuming from checkpoints, early stopping and the best
// weights, --eval-every, the numerics guard, --gradcheck, TensorBoard event
// files and plots.
#include "gradc/runtime/trainer.h"

#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/run_log.h"
#include "gradc/runtime/safetensors.h"
#include "gradc/runtime/tensorboard.h"

#include "test_util.h"
#include "trainer_test_models.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

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

// The records without their timing, which differs between runs.
std::vector<nlohmann::json> withoutSeconds(std::vector<nlohmann::json> records) {
  for (nlohmann::json &record : records)
    record.erase("seconds");
  return records;
}

class TrainerRunTest : public ::testing::Test {
protected:
  void SetUp() override {
    writeBlobs(dir_.file("train_x.npy"), dir_.file("train_y.npy"), 90, 1);
    writeBlobs(dir_.file("test_x.npy"), dir_.file("test_y.npy"), 31, 2);
  }
  std::string path(const std::string &name) const { return dir_.file(name).string(); }
  std::vector<std::string> with(std::vector<std::string> args) const {
    std::vector<std::string> all = {"--data", path("train_x.npy"), "--labels",
                                    path("train_y.npy"), "--test", path("test_x.npy"),
                                    "--test-labels", path("test_y.npy"), "--threads", "1"};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }
  TempDir dir_;
};

// --- checkpoints and resuming --------------------------------------------------

TEST_F(TrainerRunTest, AResumedRunEndsBitwiseLikeAnUninterruptedOne) {
  // 90 samples, 10% held out: 81 train, 10 batches of 8 per epoch; 47 steps
  // end in the middle of epoch 5.
  const std::vector<std::string> common = {"--validation", "0.1", "--seed", "4", "--lr", "0.3"};
  auto flags = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = common;
    all.insert(all.end(), extra.begin(), extra.end());
    return with(all);
  };
  SoftmaxRegression whole(4, 3, 8);
  auto run = runTrainer(whole, flags({"--steps", "47", "--save", path("whole.safetensors"),
                                      "--log", path("whole.jsonl")}));
  ASSERT_EQ(run.code, 0) << run.err;

  // Interrupted mid-epoch (step 23 of 47), then resumed twice: once from a
  // mid-epoch checkpoint, once from an epoch's end.
  SoftmaxRegression first(4, 3, 8);
  run = runTrainer(first, flags({"--steps", "23", "--checkpoint-dir", path("ckpt"),
                                 "--checkpoint-every", "7", "--log", path("parts.jsonl")}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(first.step(), 23);
  SafetensorsContents saved = loadSafetensors(dir_.file("ckpt/checkpoint.safetensors"));
  EXPECT_EQ(saved.metadata.at("step"), "23");
  EXPECT_EQ(saved.metadata.at("epochs_done"), "2");
  EXPECT_EQ(saved.metadata.at("batch_in_epoch"), "3");
  for (const char *key : {"schedule", "rng", "data_order", "trainer", "fingerprint"})
    EXPECT_EQ(saved.metadata.count(key), 1u) << key;

  SoftmaxRegression second(4, 3, 8);
  run = runTrainer(second, flags({"--steps", "30", "--resume", path("ckpt"), "--log",
                                  path("parts.jsonl")}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("resuming from " + path("ckpt/checkpoint.safetensors") +
                         " at step 23 (epoch 3, batch 3 of 10)"),
            std::string::npos)
      << run.out;
  SoftmaxRegression third(4, 3, 8);
  run = runTrainer(third, flags({"--steps", "47", "--resume", path("ckpt"), "--save",
                                 path("resumed.safetensors"), "--log", path("parts.jsonl")}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(third.step(), 47);
  // The model has not seen steps 1..30 in this process: only the checkpoint
  // carried them.
  EXPECT_EQ(third.learningRates.size(), 17u);

  EXPECT_EQ(readBytes(dir_.file("resumed.safetensors")), readBytes(dir_.file("whole.safetensors")));
  EXPECT_EQ(third.weight(), whole.weight());
  // The log of the interrupted run, cut back to each checkpoint and continued,
  // is the uninterrupted run's.
  EXPECT_EQ(withoutSeconds(readJsonLines(dir_.file("parts.jsonl"))),
            withoutSeconds(readJsonLines(dir_.file("whole.jsonl"))));

  // Resuming a run that has ended trains nothing and keeps its log.
  std::string log = readBytes(dir_.file("parts.jsonl"));
  SoftmaxRegression ended(4, 3, 8);
  run = runTrainer(ended, flags({"--steps", "47", "--resume", path("ckpt"), "--log",
                                 path("parts.jsonl")}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_TRUE(ended.learningRates.empty());
  EXPECT_EQ(readBytes(dir_.file("parts.jsonl")), log);
  EXPECT_EQ(ended.weight(), whole.weight());
}

TEST_F(TrainerRunTest, ResumeRefusesOtherSettingsModelsAndMissingCheckpoints) {
  SoftmaxRegression model(4, 3, 8);
  ASSERT_EQ(runTrainer(model, with({"--steps", "5", "--checkpoint-dir", path("ckpt")})).code, 0);

  SoftmaxRegression other(4, 3, 8);
  auto run = runTrainer(other, with({"--resume", path("ckpt"), "--seed", "9"}));
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("error: --resume: " + path("ckpt/checkpoint.safetensors") +
                         " was written by a run with seed 7, but this run has 9 (--seed)"),
            std::string::npos)
      << run.err;

  // A model with other buffers: refused, naming the file.
  SoftmaxRegression wider(5, 3, 8);
  writeNpy<float>(dir_.file("x5.npy"), {16, 5}, std::vector<float>(80, 0.5f));
  writeNpy<int32_t>(dir_.file("y5.npy"), {16}, std::vector<int32_t>(16, 1));
  run = runTrainer(wider, {"--data", path("x5.npy"), "--labels", path("y5.npy"), "--resume",
                           path("ckpt")});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err, "error: " + path("ckpt/checkpoint.safetensors") +
                         ": holds dense_0.weight as f32 [3, 4], but this model's is f32 [3, 5]\n");

  run = runTrainer(other, with({"--resume", path("nowhere")}));
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("--resume: no readable checkpoint in '" + path("nowhere") + "'"),
            std::string::npos)
      << run.err;
  run = runTrainer(other, with({"--resume", path("ckpt"), "--load", path("w.safetensors")}));
  EXPECT_EQ(run.code, 2);
}

TEST_F(TrainerRunTest, CheckpointsComeEveryNStepsAndAtEpochEnds) {
  SoftmaxRegression model(4, 3, 8);
  // 11 batches per epoch; --checkpoint-every 4 writes at steps 4 and 8, the
  // epoch's end at 11.
  auto run = runTrainer(model, with({"--epochs", "1", "--checkpoint-dir", path("ckpt"),
                                     "--checkpoint-every", "4"}));
  ASSERT_EQ(run.code, 0) << run.err;
  auto saved = loadSafetensors(dir_.file("ckpt/checkpoint.safetensors"));
  EXPECT_EQ(saved.metadata.at("step"), "11");
  EXPECT_EQ(saved.metadata.at("epochs_done"), "1");
  EXPECT_EQ(saved.metadata.at("batch_in_epoch"), "0");

  // The model's `checkpoint(dir:, every:)` is the default; --no-checkpoints
  // turns it off.
  SoftmaxRegression defaults(4, 3, 8);
  defaults.mutableInfo().checkpointDir = path("model-ckpt");
  defaults.mutableInfo().checkpointEvery = 3;
  ASSERT_EQ(runTrainer(defaults, with({"--steps", "5"})).code, 0);
  EXPECT_EQ(loadSafetensors(dir_.file("model-ckpt/checkpoint.safetensors")).metadata.at("step"),
            "5");
  std::filesystem::remove_all(dir_.file("model-ckpt"));
  ASSERT_EQ(runTrainer(defaults, with({"--steps", "5", "--no-checkpoints"})).code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("model-ckpt/checkpoint.safetensors")));

  run = runTrainer(model, with({"--checkpoint-every", "4"}));
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("--checkpoint-every needs --checkpoint-dir DIR"), std::string::npos);
}

// --- early stopping, best weights, --eval-every -------------------------------

TEST_F(TrainerRunTest, EarlyStoppingStopsWhenTheMetricStopsImproving) {
  // RecordingModel learns nothing: its validation loss is the same every
  // epoch, so it improves once (the first evaluation) and then never.
  writeIds(dir_.file("ids.npy"), dir_.file("labels.npy"), 40);
  RecordingModel model(4);
  auto run = runTrainer(model, {"--data", path("ids.npy"), "--labels", path("labels.npy"),
                                "--validation", "0.25", "--epochs", "20", "--early-stopping",
                                "val_loss:3", "--log", path("log.csv")});
  ASSERT_EQ(run.code, 0) << run.err;
  // Epoch 1 sets the best; epochs 2, 3, 4 do not improve; training stops.
  EXPECT_EQ(model.step(), 4 * 7);
  EXPECT_NE(run.out.find("early stopping: val_loss has not improved for 3 evaluations"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(readRunLog(dir_.file("log.csv")).size(), 4u);

  // A metric to maximize: accuracy that never improves also stops.
  RecordingModel accuracy(4);
  run = runTrainer(accuracy, {"--data", path("ids.npy"), "--labels", path("labels.npy"),
                              "--validation", "0.25", "--epochs", "20", "--early-stopping",
                              "val_accuracy:2"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(accuracy.step(), 3 * 7);

  // A model that learns keeps going while the metric improves.
  SoftmaxRegression learning(4, 3, 8);
  run = runTrainer(learning, with({"--epochs", "3", "--early-stopping", "test_loss:1"}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(learning.step(), 33);
}

TEST_F(TrainerRunTest, EarlyStoppingFlagsAreChecked) {
  SoftmaxRegression model(4, 3, 8);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case &bad : std::vector<Case>{
           {{"--early-stopping", "val_loss"}, "--early-stopping must be METRIC:PATIENCE"},
           {{"--early-stopping", "val_loss:0"}, "--early-stopping patience must be an integer >= 1"},
           {{"--early-stopping", "val_loss:3"},
            "--early-stopping monitors 'val_loss', which needs validation data"},
           {{"--early-stopping", "val_f1:3", "--validation", "0.1"},
            "--early-stopping: unknown metric 'val_f1'; this run has loss, accuracy, val_loss, "
            "val_accuracy, test_loss, test_accuracy"},
           {{"--save-best", "best.safetensors"}, "--save-best needs a metric to compare"},
           {{"--eval-every", "0"}, "--eval-every must be an integer >= 1"},
       }) {
    auto run = runTrainer(model, with(bad.args));
    EXPECT_EQ(run.code, 2) << bad.message;
    EXPECT_NE(run.err.find(bad.message), std::string::npos) << run.err;
  }
  // The model's early_stopping is the default, and needs its data too.
  model.mutableInfo().earlyStoppingMetric = "val_loss";
  model.mutableInfo().earlyStoppingPatience = 2;
  auto run = runTrainer(model, with({}));
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("the model's early_stopping (override it with --early-stopping "
                         "METRIC:P or 'off') monitors 'val_loss', which needs validation data"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(runTrainer(model, with({"--early-stopping", "off", "--quiet"})).code, 0);
}

TEST_F(TrainerRunTest, SaveBestKeepsTheWeightsOfTheBestEvaluation) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--validation", "0.2", "--epochs", "6", "--eval-every",
                                     "4", "--save-best", path("best.safetensors"), "--log",
                                     path("log.jsonl"), "--save", path("last.safetensors")}));
  ASSERT_EQ(run.code, 0) << run.err;
  // The best val_loss of every evaluation (epochs and --eval-every records).
  double best = INFINITY;
  int64_t bestStep = 0;
  int evalRecords = 0;
  for (const nlohmann::json &record : readJsonLines(dir_.file("log.jsonl"))) {
    if (record["record"] == "run")
      continue;
    evalRecords += record["record"] == "eval";
    if (record["val_loss"].get<double>() < best) {
      best = record["val_loss"].get<double>();
      bestStep = record["step"].get<int64_t>();
    }
  }
  // 72 samples: 9 steps per epoch, 54 in all; evaluations every 4 steps that
  // are not an epoch's end: 4, 8, 12, 16, 20, 24, 28, 32, 40, 44, 48, 52.
  EXPECT_EQ(evalRecords, 12);
  EXPECT_NE(run.out.find("step 4 (epoch 1)  val_loss "), std::string::npos) << run.out;
  char expected[128];
  std::snprintf(expected, sizeof expected, "(best val_loss %.4f after step %lld)", best,
                static_cast<long long>(bestStep));
  EXPECT_NE(run.out.find(expected), std::string::npos) << run.out;
  // The best weights are those of the step of the best evaluation: training
  // again for exactly that many steps gives the same file.
  SoftmaxRegression again(4, 3, 8);
  run = runTrainer(again, with({"--validation", "0.2", "--steps", std::to_string(bestStep),
                                "--save", path("at_best.safetensors")}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(readBytes(dir_.file("best.safetensors")), readBytes(dir_.file("at_best.safetensors")));
}

// --- the numerics guard -------------------------------------------------------

TEST_F(TrainerRunTest, ANaNInTheDataStopsTrainingNamingTheStepParameterAndSample) {
  Tensor x = loadNpy(dir_.file("train_x.npy"));
  for (int64_t i = 0; i < 90 * 4; ++i)
    if (i == 50 * 4 + 2)
      x.data<float>()[i] = std::nanf("");
  saveNpy(dir_.file("nan_x.npy"), x.view());
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, {"--data", path("nan_x.npy"), "--labels", path("train_y.npy"),
                                "--no-shuffle", "--epochs", "2"});
  EXPECT_EQ(run.code, 1);
  // Sample 50 is in batch 7 (samples 48..55) of the first epoch: step 7.
  EXPECT_NE(run.err.find("error: step 7 (epoch 1, batch 7 of 11): the loss is NaN; the first "
                         "parameter whose gradient is not finite is dense_0.weight (NaN at "
                         "element "),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("The batch's inputs hold NaN: sample 50 of --data."), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("a learning rate too high"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--check-numerics"), std::string::npos) << run.err;
}

TEST_F(TrainerRunTest, AnInfiniteGradientWithAFiniteLossIsCaughtToo) {
  SoftmaxRegression model(4, 3, 8);
  model.poisonGradientAtStep = 5;
  auto run = runTrainer(model, with({"--epochs", "1"}));
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("error: step 5 (epoch 1, batch 5 of 11): the gradient norm is inf "
                         "(the loss is "),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("the first parameter whose gradient is not finite is dense_0.bias "
                         "(inf at element 1 of 3)"),
            std::string::npos)
      << run.err;
}

TEST_F(TrainerRunTest, CheckNumericsReportsTheKernelAndTheStep) {
  Tensor x = loadNpy(dir_.file("train_x.npy"));
  x.data<float>()[9 * 4] = INFINITY;
  saveNpy(dir_.file("inf_x.npy"), x.view());
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, {"--data", path("inf_x.npy"), "--labels", path("train_y.npy"),
                                "--no-shuffle", "--check-numerics"});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("error: step 2 (epoch 1, batch 2 of 11): linear (model.gc:7) produced "),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("Run with --check-numerics"), std::string::npos) << run.err;
}

// --- --gradcheck --------------------------------------------------------------

TEST_F(TrainerRunTest, GradcheckPassesForRightGradientsAndFailsForWrongOnes) {
  SoftmaxRegression right(4, 3, 8);
  auto run = runTrainer(right, {"--gradcheck", "--data", path("train_x.npy"), "--labels",
                                path("train_y.npy")});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("dense_0.weight [3, 4] f32: 8 entries, max abs error "),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("dense_0.bias [3] f32: 3 entries"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("gradcheck passed: 11 entries of 2 parameters"), std::string::npos);
  EXPECT_EQ(right.step(), 0); // nothing was trained

  SoftmaxRegression wrong(4, 3, 8);
  wrong.biasGradientScale = 1.1f;
  run = runTrainer(wrong, {"--gradcheck", "--data", path("train_x.npy"), "--labels",
                           path("train_y.npy"), "--gradcheck-entries", "20"});
  EXPECT_EQ(run.code, 1) << run.out;
  EXPECT_NE(run.out.find("dense_0.bias [3] f32: 3 entries"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("FAILED"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("dense_0.weight [3, 4] f32: 12 entries"), std::string::npos);
  EXPECT_NE(run.out.find("gradcheck failed: 3 of 15 entries"), std::string::npos) << run.out;

  // A model without gradients is an error, not a pass.
  RecordingModel none(4);
  writeIds(dir_.file("ids.npy"), dir_.file("labels.npy"), 8);
  run = runTrainer(none, {"--gradcheck", "--data", path("ids.npy"), "--labels",
                          path("labels.npy")});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("was compiled without a loss_grad entry point"), std::string::npos)
      << run.err;
}

// --- logs, TensorBoard, plots -------------------------------------------------

TEST_F(TrainerRunTest, LogsHoldTheRunEpochsAndEvaluations) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--epochs", "2", "--validation", "0.2", "--eval-every",
                                     "5", "--log", path("log.csv")}));
  ASSERT_EQ(run.code, 0) << run.err;
  std::string csv = readBytes(dir_.file("log.csv"));
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "record,epoch,step,lr,loss,accuracy,val_loss,val_accuracy,test_loss,test_accuracy,"
            "grad_norm,seconds");
  std::vector<LogRecord> records = readRunLog(dir_.file("log.csv"));
  std::vector<std::string> kinds;
  for (const LogRecord &record : records)
    kinds.push_back(record.kind() + "@" + std::to_string(static_cast<int>(*record.number("step"))));
  // 72 samples: 9 steps per epoch.
  EXPECT_EQ(kinds, (std::vector<std::string>{"eval@5", "epoch@9", "eval@10", "eval@15",
                                             "epoch@18"}));
  EXPECT_FALSE(records[0].number("loss")); // evaluations have no training loss
  EXPECT_TRUE(records[0].number("val_loss"));
  EXPECT_GT(*records[1].number("grad_norm"), 0.0);
  EXPECT_DOUBLE_EQ(*records[1].number("lr"), 0.5);

  ASSERT_EQ(runTrainer(model, with({"--epochs", "1", "--log", path("log.jsonl")})).code, 0);
  auto lines = readJsonLines(dir_.file("log.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["record"], "run");
  EXPECT_EQ(lines[0]["batch"], 8);
  EXPECT_EQ(lines[0]["seed"], 7);
  EXPECT_EQ(lines[0]["model"], "SoftmaxRegression");
}

// Reads the TFRecords of an event file, checking both CRCs of each.
std::vector<std::string> readRecords(const std::filesystem::path &path) {
  std::string bytes = readBytes(path);
  std::vector<std::string> records;
  size_t at = 0;
  auto u32 = [&](size_t offset) {
    uint32_t value = 0;
    for (int i = 3; i >= 0; --i)
      value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
    return value;
  };
  auto masked = [](const std::string &data) {
    uint32_t crc = crc32c(data.data(), data.size());
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
  };
  while (at < bytes.size()) {
    EXPECT_LE(at + 12, bytes.size());
    std::string length = bytes.substr(at, 8);
    EXPECT_EQ(u32(at + 8), masked(length));
    uint64_t size = 0;
    for (int i = 7; i >= 0; --i)
      size = (size << 8) | static_cast<unsigned char>(length[i]);
    std::string data = bytes.substr(at + 12, size);
    EXPECT_EQ(u32(at + 12 + size), masked(data));
    records.push_back(data);
    at += 16 + size;
  }
  return records;
}

TEST(TensorBoardTest, RecordsAreFramedWithMaskedCrcs) {
  std::string record = tfRecord("abc");
  ASSERT_EQ(record.size(), 8u + 4 + 3 + 4);
  EXPECT_EQ(record.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(record.substr(12, 3), "abc");
  uint32_t crc = crc32c("abc", 3);
  EXPECT_EQ(maskedCrc32c("abc"), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
  Histogram histogram = makeHistogram({0, 1, 2, 3, NAN}, 3);
  EXPECT_EQ(histogram.count, 4);
  EXPECT_EQ(histogram.limits, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(histogram.counts, (std::vector<double>{1, 1, 2}));
}

TEST_F(TrainerRunTest, TensorBoardEventFileHasTheVersionFirstThenSummaries) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--epochs", "2", "--tensorboard", path("tb")}));
  ASSERT_EQ(run.code, 0) << run.err;
  std::vector<std::filesystem::path> files;
  for (const auto &entry : std::filesystem::directory_iterator(dir_.file("tb")))
    files.push_back(entry.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename().string().rfind("events.out.tfevents.", 0), 0u);
  std::vector<std::string> records = readRecords(files[0]);
  ASSERT_GT(records.size(), 30u);
  EXPECT_NE(records[0].find("brain.Event:2"), std::string::npos);
  std::string all;
  for (const std::string &record : records)
    all += record;
  for (const char *tag : {"train/loss", "train/accuracy", "test/loss", "train/batch_loss",
                          "train/lr", "train/grad_norm", "weights/dense_0.weight",
                          "weight_norm/dense_0.bias", "grad_norm/dense_0.weight",
                          "run/batch_size", "run/seed"})
    EXPECT_NE(all.find(tag), std::string::npos) << tag;
}

TEST_F(TrainerRunTest, PlotsComeFromTheRunOrFromALog) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--epochs", "3", "--validation", "0.1", "--log",
                                     path("log.csv"), "--plot", path("run.svg")}));
  ASSERT_EQ(run.code, 0) << run.err;
  std::string svg = readBytes(dir_.file("run.svg"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  for (const char *series : {"loss", "val_loss", "test_loss", "accuracy", "val_accuracy",
                             "test_accuracy"})
    EXPECT_NE(svg.find(std::string("class=\"series\" data-name=\"") + series + "\""),
              std::string::npos)
        << series;

  RecordingModel any(4);
  run = runTrainer(any, {"--plot", path("again.svg"), "--from", path("log.csv")});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(readBytes(dir_.file("again.svg")).find("data-name=\"val_accuracy\""),
            std::string::npos);

  for (const auto &bad : std::vector<std::vector<std::string>>{
           {"--from", path("log.csv")},
           {"--plot", path("x.png"), "--from", path("log.csv")},
           {"--plot", path("x.svg"), "--from", path("nothing.csv")},
           {"--plot", path("x.svg"), "--from", path("log.csv"), "--epochs", "2"}}) {
    run = runTrainer(any, bad);
    EXPECT_EQ(run.code, 2) << bad.back();
  }
}

TEST_F(TrainerRunTest, ProgressBarDrawsRateAndEtaWhenAsked) {
  SoftmaxRegression model(4, 3, 8);
  auto run = runTrainer(model, with({"--epochs", "1", "--progress"}));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.err.find("epoch 1/1 [####################] 11/11  "), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find(" steps/s  ETA "), std::string::npos) << run.err;
  // Not a terminal: no bar unless asked.
  run = runTrainer(model, with({"--epochs", "1"}));
  EXPECT_EQ(run.err, "");
}

} // namespace
} // namespace gradc::rt
