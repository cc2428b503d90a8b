// checkpoint_fuzzer.cpp — fuzzes loadCheckpoint and loadWeights into a small
// model: a file they refuse must leave the model as it was.
#include "loader_fuzz.h"
#include "memory_file.h"

#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/weights.h"
#include "trainer_test_models.h"

#include <cstdlib>
#include <cstring>
#include <vector>

using namespace gradc;

namespace {

// The bytes of every buffer the model owns.
std::vector<char> snapshot(rt::Model &model) {
  std::vector<char> bytes;
  for (const rt::BufferRef &buffer : model.buffers()) {
    const auto *data = static_cast<const char *>(buffer.data);
    bytes.insert(bytes.end(), data, data + buffer.numElements() * 4);
  }
  return bytes;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::MemoryFile file("checkpoint");
  file.assign(data, size);
  rt::testing::SoftmaxRegression model(/*features=*/3, /*classes=*/2, /*batch=*/4);
  rt::initializeParameters(model, 1);
  const std::vector<char> before = snapshot(model);
  const int64_t stepBefore = model.step();
  try {
    rt::loadCheckpoint(model, file.path());
    return 0;
  } catch (const rt::Error &) {
  }
  if (snapshot(model) != before || model.step() != stepBefore)
    std::abort(); // a refused checkpoint changed the model
  try {
    rt::loadWeights(model, file.path());
    return 0;
  } catch (const rt::Error &) {
  }
  if (snapshot(model) != before)
    std::abort(); // refused weights changed the model
  return 0;
}
