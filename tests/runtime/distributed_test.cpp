// distributed_test.cpp — the parts of data-parallel training that a single process
// shows: which job a process joins, the one-process communicator, per-rank dropout
// keys, and the trainer's refusals (tests/e2e/distributed runs real ranks).
#include "gradc/runtime/distributed.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/rng.h"
#include "gradc/runtime/trainer.h"

#include "test_util.h"
#include "trainer_test_models.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace gradc::rt {
namespace {

using testing::runTrainer;
using testing::SoftmaxRegression;
using testing::TempDir;
using testing::writeBlobs;

// Sets the launcher's variables for the lifetime of the object.
class LaunchedAs {
public:
  LaunchedAs(const char *size, const char *rank) {
    for (const char *name : kNames)
      if (const char *value = std::getenv(name))
        saved_.emplace_back(name, value);
    for (const char *name : kNames)
      unsetenv(name);
    if (size != nullptr) {
      setenv("OMPI_COMM_WORLD_SIZE", size, 1);
      setenv("OMPI_COMM_WORLD_RANK", rank, 1);
    }
  }
  ~LaunchedAs() {
    for (const char *name : kNames)
      unsetenv(name);
    for (const auto &[name, value] : saved_)
      setenv(name.c_str(), value.c_str(), 1);
  }

private:
  static constexpr const char *kNames[] = {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK",
                                           "PMIX_RANK", "PMIX_SIZE", "PMI_RANK", "PMI_SIZE"};
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST(Distributed, APlainProcessIsAJobOfOne) {
  LaunchedAs plain(nullptr, nullptr);
  std::unique_ptr<Communicator> comm = joinJob();
  EXPECT_EQ(comm->size(), 1);
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(launchedRanks(), 1);
  EXPECT_EQ(launchedRank(), 0);
}

TEST(Distributed, MpirunWithOneRankIsAJobOfOne) {
  LaunchedAs one("1", "0");
  EXPECT_EQ(launchedRanks(), 1);
  EXPECT_EQ(joinJob()->size(), 1);
}

TEST(Distributed, SeveralRanksNeedAProgramCompiledForThem) {
  // This test program does not link the runtime's MPI part, as gradc does not
  // for programs compiled without --ranks.
  LaunchedAs second("2", "1");
  EXPECT_EQ(launchedRanks(), 2);
  EXPECT_EQ(launchedRank(), 1);
  try {
    joinJob();
    FAIL() << "joined a job of 2 without MPI";
  } catch (const Error &error) {
    const std::string expected = builtWithMpi() ? "compile the model with gradc --ranks 2"
                                                : "built without MPI";
    EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
  }
}

TEST(Distributed, OneProcessLeavesDataAsItIs) {
  std::unique_ptr<Communicator> comm = singleProcess();
  std::vector<float> values = {1.5f, -2.0f};
  comm->sum(values.data(), 2, DType::F32, "values");
  EXPECT_EQ(values, (std::vector<float>{1.5f, -2.0f}));
  double agreed[1] = {0.25};
  comm->sumAgreed(agreed, 1, "agreed");
  EXPECT_EQ(agreed[0], 0.25);
  int64_t counts[2] = {3, -4};
  comm->max(counts, 2, "max");
  comm->min(counts, 2, "min");
  EXPECT_EQ(counts[0], 3);
  EXPECT_EQ(counts[1], -4);
  std::string text = "rank 0's";
  comm->broadcast(text, "text");
  EXPECT_EQ(text, "rank 0's");
  EXPECT_EQ(comm->gather("mine", "gather"), std::vector<std::string>{"mine"});
}

TEST(Distributed, RankZeroDrawsTheSingleProcessDropoutKeys) {
  for (int64_t step : {0, 1, 17})
    EXPECT_EQ(stepRngKey(42, step, 0), stepRngKey(42, step));
  // Rank r > 0: output r of the splitmix64 stream of the step's key ^ "RANK".
  for (int rank : {1, 2, 7})
    EXPECT_EQ(stepRngKey(42, 5, rank),
              Rng::outputAt(stepRngKey(42, 5) ^ 0x52414E4Bull, static_cast<uint64_t>(rank)));
  EXPECT_NE(stepRngKey(42, 5, 1), stepRngKey(42, 5, 0));
  EXPECT_NE(stepRngKey(42, 5, 1), stepRngKey(42, 5, 2));
  EXPECT_NE(stepRngKey(42, 5, 1), stepRngKey(42, 6, 1));
}

class DistributedTrainerTest : public ::testing::Test {
protected:
  void SetUp() override { writeBlobs(dir_.file("x.npy"), dir_.file("y.npy"), 24, 1); }
  std::vector<std::string> data() const {
    return {"--data", dir_.file("x.npy").string(), "--labels", dir_.file("y.npy").string()};
  }
  TempDir dir_;
  LaunchedAs plain_{nullptr, nullptr};
};

TEST_F(DistributedTrainerTest, AModelForTwoRanksDoesNotTrainOnOne) {
  SoftmaxRegression model(4, 3, 4);
  model.mutableInfo().ranks = 2;
  auto run = runTrainer(model, data());
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("compiled with gradc --ranks 2 (batch 4 per rank, global batch 8): "
                         "train it with mpirun -np 2"),
            std::string::npos)
      << run.err;
  // Evaluating does not depend on the ranks.
  std::vector<std::string> args = {"--init-only", "--save", dir_.file("w.safetensors").string()};
  EXPECT_EQ(runTrainer(model, args).code, 0);
}

TEST_F(DistributedTrainerTest, TheFlagsOfDataParallelRuns) {
  SoftmaxRegression model(4, 3, 4);
  std::vector<std::string> args = data();
  args.insert(args.end(), {"--epochs", "1", "--check-replicas", "--collective-timeout", "0"});
  auto run = runTrainer(model, args);
  EXPECT_EQ(run.code, 0) << run.err;
  for (const char *bad : {"-1", "soon", "nan", ""}) {
    std::vector<std::string> badArgs = data();
    badArgs.insert(badArgs.end(), {"--collective-timeout", bad});
    auto failed = runTrainer(model, badArgs);
    EXPECT_EQ(failed.code, 2) << bad;
    EXPECT_NE(failed.err.find("--collective-timeout must be a number of seconds >= 0"),
              std::string::npos)
        << failed.err;
  }
  auto misplaced = runTrainer(model, {"--init-only", "--save", dir_.file("w.safetensors").string(),
                                      "--check-replicas"});
  EXPECT_EQ(misplaced.code, 2);
  EXPECT_NE(misplaced.err.find("--check-replicas has no effect with --init-only"),
            std::string::npos)
      << misplaced.err;
}

} // namespace
} // namespace gradc::rt
