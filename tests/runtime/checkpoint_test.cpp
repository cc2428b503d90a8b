// checkpoint_test.cpp — checkpoint files: what they hold, what they refuse, and that
// a writer killed at any moment leaves the previous checkpoint loadable.
#include "gradc/runtime/checkpoint.h"

#include "gradc/runtime/safetensors.h"

#include "test_util.h"
#include "trainer_test_models.h"

#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

namespace gradc::rt {
namespace {

using testing::readBytes;
using testing::SoftmaxRegression;
using testing::TempDir;
using testing::writeBytes;

// A model whose buffers are filled with a recognizable pattern.
void fill(SoftmaxRegression &model, float base) {
  for (const BufferRef &buffer : model.buffers())
    for (int64_t i = 0; i < buffer.numElements(); ++i)
      static_cast<float *>(buffer.data)[i] = base + static_cast<float>(i);
  model.setStep(static_cast<int64_t>(base));
}

std::vector<float> contents(SoftmaxRegression &model) {
  std::vector<float> all;
  for (const BufferRef &buffer : model.buffers())
    all.insert(all.end(), static_cast<float *>(buffer.data),
               static_cast<float *>(buffer.data) + buffer.numElements());
  return all;
}

TEST(CheckpointTest, HoldsEveryBufferTheStepAndTheMetadata) {
  TempDir dir;
  SoftmaxRegression model(4, 3, 8);
  model.mutableInfo().fingerprint = "0123456789abcdef";
  fill(model, 7);
  saveCheckpoint(model, dir.file("c.safetensors"), {{"epochs_done", "2"}});
  SafetensorsContents file = loadSafetensors(dir.file("c.safetensors"));
  EXPECT_EQ(file.tensors.size(), 3u); // weight, bias and the optimizer's momentum
  EXPECT_EQ(file.tensors.count("dense_0.weight.momentum"), 1u);
  EXPECT_EQ(file.metadata.at("format"), "gradc-checkpoint");
  EXPECT_EQ(file.metadata.at("fingerprint"), "0123456789abcdef");
  EXPECT_EQ(file.metadata.at("model"), "SoftmaxRegression");
  EXPECT_EQ(file.metadata.at("step"), "7");
  EXPECT_EQ(file.metadata.at("epochs_done"), "2");
  auto crcs = nlohmann::json::parse(file.metadata.at("crc32c"));
  const Tensor &bias = file.tensors.at("dense_0.bias");
  EXPECT_EQ(crcs["dense_0.bias"].get<uint32_t>(), crc32c(bias.bytes(), bias.numBytes()));

  SoftmaxRegression loaded(4, 3, 8);
  loaded.mutableInfo().fingerprint = "0123456789abcdef";
  auto metadata = loadCheckpoint(loaded, dir.file("c.safetensors"));
  EXPECT_EQ(contents(loaded), contents(model));
  EXPECT_EQ(loaded.step(), 7);
  EXPECT_EQ(metadata.at("epochs_done"), "2");
}

TEST(CheckpointTest, Crc32cIsCastagnolis) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u); // the standard check value
  EXPECT_EQ(crc32c("", 0), 0u);
  EXPECT_EQ(crc32c("6789", 4, crc32c("12345", 5)), 0xE3069283u);
}

TEST(CheckpointTest, RefusesAnotherModel) {
  TempDir dir;
  SoftmaxRegression model(4, 3, 8);
  model.mutableInfo().fingerprint = "aaaaaaaaaaaaaaaa";
  fill(model, 1);
  saveCheckpoint(model, dir.file("c.safetensors"), {});
  const std::string file = dir.file("c.safetensors").string();

  SoftmaxRegression other(4, 3, 8);
  other.mutableInfo().fingerprint = "bbbbbbbbbbbbbbbb";
  EXPECT_RT_ERROR(loadCheckpoint(other, file),
                  file + ": is a checkpoint of model 'SoftmaxRegression' (fingerprint "
                         "'aaaaaaaaaaaaaaaa'), not of this program's 'SoftmaxRegression' "
                         "(fingerprint 'bbbbbbbbbbbbbbbb')");
  // Without fingerprints, the buffers' shapes tell.
  SoftmaxRegression wider(5, 3, 8), plain(4, 3, 8);
  saveCheckpoint(plain, dir.file("plain.safetensors"), {});
  EXPECT_RT_ERROR(loadCheckpoint(wider, dir.file("plain.safetensors")),
                  "holds dense_0.weight as f32 [3, 4], but this model's is f32 [3, 5]");
  std::vector<float> before = contents(other);
  EXPECT_RT_ERROR(loadCheckpoint(other, file), "not of this program's");
  EXPECT_EQ(contents(other), before);
  // Weights files are not checkpoints.
  writeBytes(dir.file("w.safetensors"),
             serializeSafetensors({{"dense_0.weight", Tensor(DType::F32, {3, 4}).view()}},
                                  {{"format", "pt"}}));
  EXPECT_RT_ERROR(loadCheckpoint(plain, dir.file("w.safetensors")), "is not a gradc checkpoint");
}

TEST(CheckpointTest, RefusesDamagedAndTruncatedFilesNamingTheOffset) {
  TempDir dir;
  SoftmaxRegression model(4, 3, 8);
  fill(model, 3);
  saveCheckpoint(model, dir.file("c.safetensors"), {});
  const std::string bytes = readBytes(dir.file("c.safetensors"));
  const std::string file = dir.file("bad.safetensors").string();

  // A flipped bit in the last tensor's data.
  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x10;
  writeBytes(file, flipped);
  SoftmaxRegression loaded(4, 3, 8);
  try {
    loadCheckpoint(loaded, file);
    FAIL() << "a damaged checkpoint loaded";
  } catch (const Error &error) {
    std::string message = error.what();
    EXPECT_EQ(message.rfind(file + ": byte offset ", 0), 0u) << message;
    EXPECT_NE(message.find("does not match its CRC-32C: the file is damaged"), std::string::npos)
        << message;
  }
  // Cut short anywhere: in the length, the header, or the data.
  for (size_t size : {size_t{3}, size_t{40}, bytes.size() - 1}) {
    writeBytes(file, bytes.substr(0, size));
    EXPECT_RT_ERROR(loadCheckpoint(loaded, file), file + ": byte offset ") << size;
  }
  EXPECT_EQ(loaded.step(), 0);
}

TEST(CheckpointTest, AtomicWriteReplacesTheFileAndLeavesNoTemporary) {
  TempDir dir;
  writeFileAtomically(dir.file("f"), "first");
  writeFileAtomically(dir.file("f"), "second");
  EXPECT_EQ(readBytes(dir.file("f")), "second");
  EXPECT_FALSE(std::filesystem::exists(dir.file(".f.tmp")));
  EXPECT_RT_ERROR(writeFileAtomically(dir.file("missing/f"), "x"), "missing/f");
}

// A child process rewrites the checkpoint with new contents as fast as it can;
// the parent kills it (SIGKILL) at random moments. After every kill the file
// must load, and hold one of the complete states the child wrote.
TEST(CheckpointTest, KillDuringSavesLeavesALoadableCheckpoint) {
  TempDir dir;
  const std::filesystem::path path = dir.file("checkpoint.safetensors");
  // Large enough that a write takes a while: 3 × 512 × 512 floats.
  auto makeModel = [] { return SoftmaxRegression(512, 512, 8); };
  {
    SoftmaxRegression model = makeModel();
    fill(model, 0);
    saveCheckpoint(model, path, {});
  }
  std::mt19937 random(12345);
  int killedMidWrite = 0;
  for (int round = 0; round < 20; ++round) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      SoftmaxRegression model = makeModel();
      for (int version = 1;; ++version) {
        fill(model, static_cast<float>(version));
        saveCheckpoint(model, path, {});
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 60000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    killedMidWrite += std::filesystem::exists(dir.file(".checkpoint.safetensors.tmp"));

    SoftmaxRegression loaded = makeModel();
    ASSERT_NO_THROW(loadCheckpoint(loaded, path)) << "round " << round;
    // Every buffer holds the pattern of the same version.
    const float version = static_cast<float>(loaded.step());
    for (const BufferRef &buffer : loaded.buffers())
      for (int64_t i : {int64_t{0}, buffer.numElements() - 1})
        ASSERT_EQ(static_cast<float *>(buffer.data)[i], version + static_cast<float>(i))
            << buffer.name << " round " << round;
  }
  // The kills did land in the middle of writes (a temporary was left behind).
  EXPECT_GT(killedMidWrite, 0);
}

} // namespace
} // namespace gradc::rt
