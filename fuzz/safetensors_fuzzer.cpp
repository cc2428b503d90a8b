// safetensors_fuzzer.cpp — fuzzes the safetensors reader (header, offsets,
// sizes), and writes back what it accepts, which must read back the same.
#include "loader_fuzz.h"

#include "gradc/runtime/safetensors.h"

#include <cstdlib>
#include <cstring>
#include <string_view>

using namespace gradc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  rt::SafetensorsContents contents;
  try {
    contents = rt::parseSafetensors(bytes, "fuzz.safetensors", fuzz::fuzzLimits());
  } catch (const rt::Error &) {
    return 0;
  }
  // What was accepted round-trips: same names, dtypes, shapes, bytes, metadata.
  std::string written = rt::serializeSafetensors(rt::viewsOf(contents.tensors), contents.metadata);
  rt::SafetensorsContents again = rt::parseSafetensors(written, "written", fuzz::fuzzLimits());
  if (again.metadata != contents.metadata || again.tensors.size() != contents.tensors.size())
    std::abort();
  for (const auto &[name, tensor] : contents.tensors) {
    const rt::Tensor &other = again.tensors.at(name);
    if (other.dtype() != tensor.dtype() || other.shape() != tensor.shape() ||
        (tensor.numBytes() > 0 &&
         std::memcmp(other.bytes(), tensor.bytes(), tensor.numBytes()) != 0))
      std::abort();
  }
  return 0;
}
