// idx_fuzzer.cpp — fuzzes loadIdx on raw and gzip-compressed files, and the
// conversion of what it loads into a model's samples.
//
// The first byte chooses how the rest becomes the file: even, as it is (a
// file whose own bytes start with 1f 8b is then a gzip stream the fuzzer
// corrupts directly); odd, gzip-compressed, so that the fuzzer mutates the IDX
// structure inside a valid gzip stream.
#include "loader_fuzz.h"
#include "memory_file.h"

#include "gradc/runtime/idx.h"

#include <zlib.h>

#include <vector>

using namespace gradc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  static fuzz::MemoryFile file("idx");
  const bool compress = data[0] & 1;
  ++data;
  --size;
  if (compress) {
    // A gzip stream (windowBits 15 + 16) at level 1: the container loadIdx
    // recognises by its magic bytes.
    std::vector<unsigned char> packed(compressBound(size) + 32);
    z_stream stream{};
    if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return 0;
    stream.next_in = const_cast<Bytef *>(data);
    stream.avail_in = static_cast<uInt>(size);
    stream.next_out = packed.data();
    stream.avail_out = static_cast<uInt>(packed.size());
    int rc = deflate(&stream, Z_FINISH);
    size_t packedSize = stream.total_out;
    deflateEnd(&stream);
    if (rc != Z_STREAM_END)
      return 0;
    file.assign(packed.data(), packedSize);
  } else {
    file.assign(data, size);
  }

  int64_t valuesPerSample = 0;
  try {
    rt::Tensor tensor = rt::loadIdx(file.path(), fuzz::fuzzLimits());
    valuesPerSample = tensor.rank() > 1 ? static_cast<int64_t>(tensor.numElements() /
                                                               std::max<int64_t>(tensor.dim(0), 1))
                                        : 1;
  } catch (const rt::Error &) {
    return 0;
  }
  fuzz::loadAsDataset("idx", file.path(), valuesPerSample, 10);
  return 0;
}
