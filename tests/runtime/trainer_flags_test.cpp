// trainer_flags_test.cpp — every usage error of the generated program's command line:
// exit code 2 and a message naming the flag, before anything runs.
#include "gradc/runtime/trainer.h"

#include "test_util.h"
#include "trainer_test_models.h"

namespace gradc::rt {
namespace {

using testing::runTrainer;
using testing::SoftmaxRegression;
using testing::TempDir;
using testing::writeBlobs;

struct FlagCase {
  std::vector<std::string> args;
  std::string message; // what stderr must contain after "error: "
};

class TrainerFlagsTest : public ::testing::Test {
protected:
  void SetUp() override {
    writeBlobs(dir_.file("x.npy"), dir_.file("y.npy"), 20, 1);
    testing::writeBytes(dir_.file("notes.md"), "not data");
    testing::writeBytes(dir_.file("notes.txt"), "text");
  }
  std::string path(const char *name) const { return dir_.file(name).string(); }

  void expectUsageError(const FlagCase &flagCase) {
    SoftmaxRegression model(4, 3, 4);
    std::vector<std::string> args = {"--data", path("x.npy"), "--labels", path("y.npy")};
    args.insert(args.end(), flagCase.args.begin(), flagCase.args.end());
    auto run = runTrainer(model, args);
    std::string given;
    for (const std::string &arg : flagCase.args)
      given += " " + arg;
    EXPECT_EQ(run.code, 2) << given << "\n" << run.err;
    EXPECT_EQ(run.err.rfind("error: ", 0), 0u) << given << "\n" << run.err;
    EXPECT_NE(run.err.find(flagCase.message), std::string::npos)
        << given << "\nexpected: " << flagCase.message << "\ngot: " << run.err;
    EXPECT_EQ(run.out, "") << given;
    EXPECT_EQ(model.step(), 0) << given;
  }

  TempDir dir_;
};

TEST_F(TrainerFlagsTest, NumericValuesAreValidated) {
  std::vector<FlagCase> cases = {
      {{"--epochs", "0"}, "--epochs must be an integer >= 1, got '0'"},
      {{"--epochs", "-3"}, "--epochs must be an integer >= 1, got '-3'"},
      {{"--epochs", "two"}, "--epochs must be an integer >= 1, got 'two'"},
      {{"--epochs", "2.5"}, "--epochs must be an integer >= 1, got '2.5'"},
      {{"--epochs"}, "the required argument for option '--epochs' is missing"},
      {{"--steps", "0"}, "--steps must be an integer >= 1, got '0'"},
      {{"--lr", "0"}, "--lr must be a finite number > 0, got '0'"},
      {{"--lr", "-0.1"}, "--lr must be a finite number > 0, got '-0.1'"},
      {{"--lr", "inf"}, "--lr must be a finite number > 0, got 'inf'"},
      {{"--lr", "nan"}, "--lr must be a finite number > 0, got 'nan'"},
      {{"--lr", "1e-3x"}, "--lr must be a finite number > 0, got '1e-3x'"},
      {{"--threads", "0"}, "--threads must be an integer >= 1 and <= 4096, got '0'"},
      {{"--seed", "-1"}, "--seed must be an integer in [0, 18446744073709551615], got '-1'"},
      {{"--seed", "18446744073709551616"}, "--seed must be an integer in"},
  };
  for (const FlagCase &flagCase : cases)
    expectUsageError(flagCase);
}

TEST_F(TrainerFlagsTest, UnknownRepeatedAndStrayArgumentsAreRefused) {
  std::vector<FlagCase> cases = {
      {{"--bogus"}, "unrecognised option '--bogus'"},
      {{"--epoch", "3"}, "unrecognised option '--epoch'; did you mean --epochs?"},
      {{"--chekpoint-dir", "d"}, "unrecognised option '--chekpoint-dir'; did you mean "
                                 "--checkpoint-dir?"},
      {{"--batch", "32"}, "unrecognised option '--batch': the batch is fixed when the model is "
                          "compiled (train { batch ... } in the model file; recompile with "
                          "gradc to change it); this program's batch is"},
      {{"--bogus"}, "unrecognised option '--bogus' (see --help)"},
      {{"--epochs", "2", "--epochs", "3"}, "option '--epochs' cannot be specified more than once"},
      {{"stray"}, "unexpected argument 'stray'"},
      {{"--quiet=yes"}, "option '--quiet' does not take any arguments"},
  };
  for (const FlagCase &flagCase : cases)
    expectUsageError(flagCase);
}

TEST_F(TrainerFlagsTest, InputFilesMustBeReadableDataInAKnownFormat) {
  std::vector<FlagCase> cases = {
      {{"--test", path("absent.npy"), "--test-labels", path("y.npy")},
       "--test: cannot read '" + path("absent.npy") + "': no such file"},
      {{"--test", path("x.npy"), "--test-labels", path("absent.npy")},
       "--test-labels: cannot read '" + path("absent.npy") + "': no such file"},
      {{"--test", path("x.npy")},
       "--test '" + path("x.npy") + "' needs --test-labels FILE (only CSV files hold their labels)"},
      {{"--test", path("notes.md"), "--test-labels", path("y.npy")},
       "--test: cannot tell the format of '" + path("notes.md") + "'"},
      {{"--test", path("notes.txt")},
       "--test: '" + path("notes.txt") + "' is text, which feeds only a language model"},
      {{"--test", dir_.file("").string(), "--test-labels", path("y.npy")},
       "it is a directory"},
      {{"--load", path("absent.safetensors")},
       "--load: cannot read '" + path("absent.safetensors") + "': no such file"},
  };
  for (const FlagCase &flagCase : cases)
    expectUsageError(flagCase);
}

TEST_F(TrainerFlagsTest, DataFlagsComeInPairs) {
  SoftmaxRegression model(4, 3, 4);
  auto run = runTrainer(model, {"--labels", path("y.npy")});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --labels needs --data\n");
  run = runTrainer(model, {"--data", path("x.npy")});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("--data '" + path("x.npy") + "' needs --labels FILE"),
            std::string::npos)
      << run.err;
  run = runTrainer(model, {"--data", path("absent.npy"), "--labels", path("y.npy")});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("--data: cannot read"), std::string::npos) << run.err;
  run = runTrainer(model, {});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: no training data: the model's train section names none; pass "
                     "--data FILE\n");
}

TEST_F(TrainerFlagsTest, DataFilesByTheNamesOfInputsAndLabels) {
  SoftmaxRegression model(4, 3, 4);
  // The model's only input and label may be named too.
  auto run = runTrainer(model, {"--data", "x=" + path("x.npy"), "--labels",
                                "y=" + path("y.npy"), "--epochs", "1", "--quiet"});
  EXPECT_EQ(run.code, 0) << run.err;
  run = runTrainer(model, {"--data", path("x.npy"), "--data", path("x.npy"), "--labels",
                           path("y.npy")});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --data is given 2 times, but the model has one input, 'x'\n");
  run = runTrainer(model, {"--data", "x=" + path("x.npy"), "--data", "x=" + path("x.npy"),
                           "--labels", path("y.npy")});
  EXPECT_EQ(run.err, "error: --data: two files for the input 'x'\n");
  // Two inputs: each needs its file, by name.
  model.mutableInfo().inputs.push_back({"meta", DType::F32, {2}});
  run = runTrainer(model, {"--data", path("x.npy"), "--labels", path("y.npy")});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --data: the model has the inputs x, meta: give one --data "
                     "NAME=FILE for each, got '" + path("x.npy") + "'\n");
  run = runTrainer(model, {"--data", "x=" + path("x.npy"), "--labels", path("y.npy")});
  EXPECT_EQ(run.err, "error: --data: no file for the input 'meta' (--data meta=FILE)\n");
}

TEST_F(TrainerFlagsTest, OutputFilesMustBeWritable) {
  std::string noDirectory = dir_.file("absent-directory").string() + "/out";
  std::vector<FlagCase> cases = {
      {{"--save", noDirectory + ".safetensors"},
       "--save: cannot write '" + noDirectory + ".safetensors': No such file or directory"},
      {{"--log", noDirectory + ".csv"},
       "--log: cannot write '" + noDirectory + ".csv': No such file or directory"},
      {{"--log", path("log.txt")}, "--log: cannot tell the format of '" + path("log.txt") +
                                       "' (expected a name ending in .csv or .jsonl)"},
      {{"--save", dir_.file("").string()}, "--save: cannot write"},
  };
  for (const FlagCase &flagCase : cases)
    expectUsageError(flagCase);
  // Checking writability leaves no file behind.
  SoftmaxRegression model(4, 3, 4);
  auto run = runTrainer(model, {"--data", path("x.npy"), "--labels", path("y.npy"), "--save",
                                path("w.safetensors"), "--epochs", "0"});
  EXPECT_EQ(run.code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("w.safetensors")));
}

TEST_F(TrainerFlagsTest, ModesNeedTheirFlagsAndExcludeOthers) {
  std::vector<FlagCase> cases = {
      {{"--init-only"}, "--data has no effect with --init-only"},
      {{"--eval", "--load", path("w.safetensors")}, "--data has no effect with --eval"},
      {{"--init-only", "--eval"}, "--init-only and --eval cannot be combined"},
      {{"--eval", "--predict", path("x.npy")}, "--eval and --predict cannot be combined"},
      {{"--out", path("out.npy")}, "--out needs --predict"},
      {{"--tokens", "3"}, "--tokens needs --generate"},
      {{"--temperature", "0.5"}, "--temperature needs --generate"},
      {{"--generate", "ab"}, "--data has no effect with --generate"},
  };
  for (const FlagCase &flagCase : cases)
    expectUsageError(flagCase);

  SoftmaxRegression model(4, 3, 4);
  // --generate samples from a language model's logits, with the weights of a
  // trained one (tests/e2e/language_model covers a real one).
  auto generated = runTrainer(model, {"--generate", "ab", "--load", path("x.npy")});
  EXPECT_EQ(generated.code, 2);
  EXPECT_NE(generated.err.find("--generate needs a language model: one input of token ids"),
            std::string::npos)
      << generated.err;
  generated = runTrainer(model, {"--generate", "ab"});
  EXPECT_EQ(generated.code, 2);
  EXPECT_NE(generated.err.find("--generate needs a language model"), std::string::npos)
      << generated.err;
  auto run = runTrainer(model, {"--init-only"});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --init-only needs --save W.safetensors\n");
  run = runTrainer(model, {"--init-only", "--save", path("w.safetensors"), "--epochs", "3"});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --epochs has no effect with --init-only\n");
  run = runTrainer(model, {"--eval"});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --eval needs --load W.safetensors (the weights to evaluate)\n");
  run = runTrainer(model, {"--predict", path("x.npy"), "--out", path("out.npy")});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --predict needs --load W.safetensors (the weights to run)\n");

  run = runTrainer(model, {"--export-onnx", path("net.onnx")});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --export-onnx needs --load W.safetensors (the trained weights to "
                     "write into the graph)\n");

  ASSERT_EQ(runTrainer(model, {"--init-only", "--save", path("w.safetensors")}).code, 0);
  run = runTrainer(model, {"--export-onnx", path("net.onnx"), "--load", path("w.safetensors"),
                           "--epochs", "2"});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --epochs has no effect with --export-onnx\n");
  run = runTrainer(model, {"--export-onnx", path("net.onnx"), "--eval"});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --eval and --export-onnx cannot be combined\n");
  // A model without an ONNX graph (this one is written by hand; a compiled
  // one without an ONNX form names the op) writes nothing.
  run = runTrainer(model, {"--export-onnx", path("net.onnx"), "--load", path("w.safetensors")});
  EXPECT_NE(run.code, 0);
  EXPECT_NE(run.err.find("--export-onnx: this program was built without its ONNX graph"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(std::filesystem::exists(path("net.onnx")));
  model.mutableInfo().onnx.unsupported = "'nn.lstm' (m.gc:3) has no ONNX form";
  run = runTrainer(model, {"--export-onnx", path("net.onnx"), "--load", path("w.safetensors")});
  EXPECT_NE(run.err.find("has no ONNX form: 'nn.lstm' (m.gc:3)"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(path("net.onnx")));
  model.mutableInfo().onnx.unsupported.clear();

  run = runTrainer(model, {"--predict", path("x.npy"), "--load", path("w.safetensors")});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: --predict needs --out Y.npy (or Y.csv)\n");
  run = runTrainer(model, {"--eval", "--load", path("w.safetensors")});
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.err, "error: no test data to evaluate: the model's train section names none; "
                     "pass --test FILE\n");
}

// The checkpoint interval's default is ModelInfo's (the compiler sets it only
// for a model that says `every`), and the program shows and uses it.
TEST_F(TrainerFlagsTest, CheckpointIntervalDefaultsToTheModelsInfo) {
  SoftmaxRegression model(4, 3, 4);
  auto help = runTrainer(model, {"--help"});
  EXPECT_EQ(help.code, 0) << help.err;
  EXPECT_NE(help.out.find("optimizer steps between checkpoints (default 1000)"),
            std::string::npos)
      << help.out;
  SoftmaxRegression every(4, 3, 4);
  every.mutableInfo().checkpointEvery = 7;
  auto shown = runTrainer(every, {"--help"});
  EXPECT_NE(shown.out.find("optimizer steps between checkpoints (default 7)"),
            std::string::npos)
      << shown.out;
}

} // namespace
} // namespace gradc::rt
