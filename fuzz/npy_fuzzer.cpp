// npy_fuzzer.cpp — fuzzes loadNpy (header parser, sizes, byte order) and the
// conversion of what it loads into a model's samples.
#include "loader_fuzz.h"
#include "memory_file.h"

#include "gradc/runtime/npy.h"

#include <algorithm>

using namespace gradc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fuzz::MemoryFile file("npy");
  file.assign(data, size);
  int64_t valuesPerSample = 0;
  try {
    rt::Tensor tensor = rt::loadNpy(file.path(), fuzz::fuzzLimits());
    valuesPerSample = tensor.rank() > 1 ? static_cast<int64_t>(tensor.numElements() /
                                                               std::max<int64_t>(tensor.dim(0), 1))
                                        : 1;
  } catch (const rt::Error &) {
    return 0;
  }
  fuzz::loadAsDataset("npy", file.path(), valuesPerSample, 3);
  return 0;
}
