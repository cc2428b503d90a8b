// idx.cpp — IDX reader: header validation, gzip decompression, big-endian conversion.
#include "gradc/runtime/idx.h"

#include "byte_order.h"
#include "file_io.h"
#include "gradc/runtime/checked_math.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace gradc::rt {

namespace {

using detail::loadBigEndian;

constexpr size_t kMaxRank = 8;
constexpr size_t kPrefixBytes = 4; // 0, 0, element type, rank

struct IdxElementType {
  uint8_t code;
  const char *name;
  size_t fileBytes;
  DType dtype;
};

constexpr std::array<IdxElementType, 6> kElementTypes = {{
    {0x08, "unsigned byte", 1, DType::U8},
    {0x09, "signed byte", 1, DType::I32},
    {0x0B, "int16", 2, DType::I32},
    {0x0C, "int32", 4, DType::I32},
    {0x0D, "float32", 4, DType::F32},
    {0x0E, "float64", 8, DType::F64},
}};

const IdxElementType *findElementType(uint8_t code) {
  for (const IdxElementType &type : kElementTypes)
    if (type.code == code)
      return &type;
  return nullptr;
}

std::string hex(uint64_t value, int digits) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%0*llX", digits,
                static_cast<unsigned long long>(value));
  return text;
}

struct GzCloser {
  void operator()(gzFile_s *file) const { gzclose(file); }
};

// The decompressed bytes of a file, read in order. zlib passes files that are
// not gzip through unchanged, so raw and compressed files share this path.
class IdxStream {
public:
  explicit IdxStream(const std::filesystem::path &path)
      : name_(path.string()), file_(gzopen(name_.c_str(), "rb")) {
    if (!file_)
      throw Error::inFile(name_, "cannot open: " + std::string(std::strerror(errno)));
    gzbuffer(file_.get(), 1 << 17);
  }

  // Reads up to `count` bytes; fewer only at the end of the stream.
  uint64_t readSome(void *destination, uint64_t count) {
    auto *out = static_cast<unsigned char *>(destination);
    uint64_t done = 0;
    while (done < count) {
      unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(count - done, 1u << 30));
      int got = gzread(file_.get(), out + done, chunk);
      // A truncated stream still returns the data before the cut; only
      // gzerror tells it from a clean end.
      int code = Z_OK;
      std::string_view reason = gzerror(file_.get(), &code);
      if (got < 0 || code != Z_OK) {
        // zlib prefixes the path, which the Error already names.
        if (reason.substr(0, name_.size() + 2) == name_ + ": ")
          reason.remove_prefix(name_.size() + 2);
        throw Error::atByteOffset(name_, position_ + done + std::max(got, 0),
                                  "cannot decompress: " + std::string(reason));
      }
      if (got == 0)
        break;
      done += static_cast<uint64_t>(got);
    }
    position_ += done;
    return done;
  }

  // The length of the whole stream, measured by reading it once; then starts
  // again from the beginning.
  uint64_t measureAndRewind() {
    std::vector<unsigned char> scratch(1 << 16);
    while (readSome(scratch.data(), scratch.size()) == scratch.size()) {
    }
    uint64_t length = position_;
    if (gzrewind(file_.get()) != 0)
      throw Error::atByteOffset(name_, 0, "cannot rewind the gzip stream");
    position_ = 0;
    return length;
  }

private:
  std::string name_;
  std::unique_ptr<gzFile_s, GzCloser> file_;
  uint64_t position_ = 0;
};

// Converts `count` big-endian signed integers of `fileBytes` bytes to int32.
void widenSignedBigEndian(const unsigned char *in, uint64_t count,
                          size_t fileBytes, int32_t *out) {
  const uint64_t signBit = uint64_t{1} << (8 * fileBytes - 1);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t raw = loadBigEndian(in + i * fileBytes, fileBytes);
    out[i] = static_cast<int32_t>(static_cast<int64_t>(raw ^ signBit) -
                                  static_cast<int64_t>(signBit));
  }
}

} // namespace

Tensor loadIdx(const std::filesystem::path &path, const LoadLimits &limits) {
  const std::string name = path.string();
  // Opening through InputFile first refuses directories and missing files
  // with a clear message, and gives the size of a raw file.
  detail::InputFile file(path);
  unsigned char magic[2] = {0, 0};
  file.read(magic, std::min<uint64_t>(file.size(), 2), "magic");
  const bool compressed = magic[0] == 0x1F && magic[1] == 0x8B;

  IdxStream stream(path);
  const uint64_t totalBytes = compressed ? stream.measureAndRewind() : file.size();
  const std::string where = compressed ? " (decompressed)" : "";

  std::array<unsigned char, kPrefixBytes + 4 * kMaxRank> header{};
  uint64_t prefixRead = stream.readSome(header.data(), kPrefixBytes);
  if (prefixRead < kPrefixBytes)
    throw Error::atByteOffset(name, prefixRead,
                              "truncated: an IDX header needs 4 bytes, the file" +
                                  where + " has " + std::to_string(prefixRead));
  if (header[0] != 0 || header[1] != 0)
    throw Error::atByteOffset(
        name, 0,
        "wrong magic " + hex(loadBigEndian(header.data(), 4), 8) +
            ": not an IDX file (expected 00 00 <type> <rank>)");
  const IdxElementType *type = findElementType(header[2]);
  if (!type)
    throw Error::atByteOffset(name, 2,
                              "unknown IDX element type code " + hex(header[2], 2));
  const size_t rank = header[3];
  if (rank == 0 || rank > kMaxRank)
    throw Error::atByteOffset(name, 3,
                              "rank " + std::to_string(rank) +
                                  " is out of range (1 to 8)");

  const uint64_t headerBytes = kPrefixBytes + 4 * rank;
  uint64_t dimsRead = stream.readSome(header.data() + kPrefixBytes, 4 * rank);
  if (dimsRead < 4 * rank)
    throw Error::atByteOffset(name, kPrefixBytes + dimsRead,
                              "truncated: the header declares " +
                                  std::to_string(rank) + " dimensions");
  std::vector<int64_t> shape(rank);
  for (size_t i = 0; i < rank; ++i)
    shape[i] = static_cast<int64_t>(
        loadBigEndian(header.data() + kPrefixBytes + 4 * i, 4));

  std::optional<uint64_t> count = tryElementCount(shape);
  std::optional<uint64_t> tensorBytes;
  std::optional<uint64_t> dataBytes;
  if (count) {
    tensorBytes = tryMul(*count, uint64_t{dtypeSize(type->dtype)});
    dataBytes = tryMul(*count, uint64_t{type->fileBytes});
  }
  if (!tensorBytes || !dataBytes)
    throw Error::atByteOffset(name, kPrefixBytes,
                              "element count of shape " + formatShape(shape) +
                                  " overflows 64 bits");
  if (*tensorBytes > limits.maxTensorBytes)
    throw Error::atByteOffset(
        name, kPrefixBytes,
        "shape " + formatShape(shape) + " needs a tensor of " +
            std::to_string(*tensorBytes) + " bytes, above the limit of " +
            std::to_string(limits.maxTensorBytes));

  const uint64_t expectedBytes = headerBytes + *dataBytes;
  if (totalBytes < expectedBytes)
    throw Error::atByteOffset(
        name, totalBytes,
        "truncated: shape " + formatShape(shape) + " of " + type->name +
            " needs " + std::to_string(expectedBytes) + " bytes, the file" +
            where + " has " + std::to_string(totalBytes));
  if (totalBytes > expectedBytes)
    throw Error::atByteOffset(
        name, expectedBytes,
        std::to_string(totalBytes - expectedBytes) +
            " trailing bytes after the data of shape " + formatShape(shape));

  // The file was measured above; a shorter read means it changed since.
  auto readData = [&](void *destination) {
    if (stream.readSome(destination, *dataBytes) != *dataBytes)
      throw Error::atByteOffset(name, headerBytes,
                                "file changed while it was being read");
  };
  Tensor tensor(type->dtype, shape);
  if (type->fileBytes == dtypeSize(type->dtype)) {
    readData(tensor.bytes());
    detail::toHostOrder(tensor.bytes(), *count, type->fileBytes,
                        /*storedLittleEndian=*/false);
  } else {
    std::vector<unsigned char> raw(static_cast<size_t>(*dataBytes));
    readData(raw.data());
    widenSignedBigEndian(raw.data(), *count, type->fileBytes,
                         tensor.data<int32_t>());
  }
  return tensor;
}

} // namespace gradc::rt
