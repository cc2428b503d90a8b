// npy_test.cpp — tests of the .npy reader and writer.
#include "gradc/runtime/npy.h"

#include "test_util.h"

#include <cstring>

namespace gradc::rt {
namespace {

using testing::appendBigEndian;
using testing::appendLittleEndian;
using testing::readBytes;
using testing::TempDir;
using testing::writeBytes;

// A .npy file of the given version, its header padded as numpy pads it.
std::string npyFile(int major, std::string dict, std::string_view data) {
  const size_t lengthBytes = major == 1 ? 2 : 4;
  std::string bytes = "\x93NUMPY";
  bytes.push_back(static_cast<char>(major));
  bytes.push_back('\0');
  size_t unpadded = bytes.size() + lengthBytes + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  appendLittleEndian(bytes, dict.size(), static_cast<int>(lengthBytes));
  return bytes + dict + std::string(data);
}

std::string dictFor(std::string_view descr, std::string_view shape,
                    std::string_view fortranOrder = "False") {
  return "{'descr': '" + std::string(descr) + "', 'fortran_order': " +
         std::string(fortranOrder) + ", 'shape': " + std::string(shape) + ", }";
}

class NpyTest : public ::testing::Test {
protected:
  std::filesystem::path write(std::string_view bytes) {
    std::filesystem::path path = dir_.file("array.npy");
    writeBytes(path, bytes);
    return path;
  }

  template <typename T> void expectRoundTrip(std::vector<int64_t> shape) {
    Tensor original(DTypeOf<T>::value, shape);
    for (uint64_t i = 0; i < original.numElements(); ++i)
      original.data<T>()[i] = static_cast<T>(i * 3 + 1);
    std::filesystem::path path = dir_.file("round.npy");
    saveNpy(path, original.view());
    Tensor loaded = loadNpy(path);
    EXPECT_EQ(loaded.dtype(), original.dtype());
    EXPECT_EQ(loaded.shape(), shape);
    ASSERT_EQ(loaded.numBytes(), original.numBytes());
    if (original.numBytes() > 0) {
      EXPECT_EQ(std::memcmp(loaded.bytes(), original.bytes(), original.numBytes()), 0);
    }
  }

  TempDir dir_;
};

TEST_F(NpyTest, RoundTripsEveryDType) {
  expectRoundTrip<float>({2, 3});
  expectRoundTrip<double>({4});
  expectRoundTrip<int32_t>({});
  expectRoundTrip<int64_t>({2, 0, 3});
  expectRoundTrip<uint8_t>({5, 1});
}

// LoadLimits::mapFiles (--stream-data): the data is the file's, mapped, and
// stays readable after its pages are given back; a big-endian file is read
// and converted as usual.
TEST_F(NpyTest, MapsDataThatNeedsNoConversion) {
  Tensor original(DType::F32, {300, 17});
  for (uint64_t i = 0; i < original.numElements(); ++i)
    original.data<float>()[i] = static_cast<float>(i) * 0.5f - 3.0f;
  std::filesystem::path path = dir_.file("mapped.npy");
  saveNpy(path, original.view());
  LoadLimits limits;
  limits.mapFiles = true;
  Tensor mapped = loadNpy(path, limits);
  EXPECT_TRUE(mapped.isFileMapped());
  EXPECT_EQ(mapped.shape(), original.shape());
  ASSERT_EQ(std::memcmp(mapped.bytes(), original.bytes(), original.numBytes()), 0);
  mapped.releasePages();
  EXPECT_EQ(std::memcmp(mapped.bytes(), original.bytes(), original.numBytes()), 0);
  EXPECT_FALSE(loadNpy(path).isFileMapped());
  // Moving keeps the mapping; the moved-from tensor holds nothing.
  Tensor moved = std::move(mapped);
  EXPECT_TRUE(moved.isFileMapped());
  EXPECT_FALSE(mapped.isFileMapped());
  EXPECT_EQ(moved.data<float>()[5099], original.data<float>()[5099]);
  // Samples are read from the file (pread), not through the mapping.
  float value = 0;
  moved.readBytes(4 * 5098, &value, sizeof value);
  EXPECT_EQ(value, original.data<float>()[5098]);
  // A file cut short under a running program: a read past its end is an
  // error naming the file and offset (the mapping itself is not touched).
  std::filesystem::resize_file(path, 1024);
  EXPECT_RT_ERROR(moved.readBytes(4 * 5098, &value, sizeof value),
                  "the file was cut short while in use");
}

TEST_F(NpyTest, MappingAShortFileNamesIt) {
  std::filesystem::path path = dir_.file("short.npy");
  saveNpy(path, Tensor(DType::F32, {4}).view());
  EXPECT_RT_ERROR(Tensor::mapFile(path.string(), 128, DType::F32, {100}),
                  "is shorter than the 528 bytes its data needs");
  EXPECT_RT_ERROR(Tensor::mapFile(path.string(), 100, DType::F32, {1}),
                  "is not 64-byte aligned for mapping");
}

TEST_F(NpyTest, WritesNumpyHeaderLayout) {
  Tensor tensor(DType::F32, {2, 3});
  saveNpy(dir_.file("a.npy"), tensor.view());
  std::string bytes = readBytes(dir_.file("a.npy"));
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  size_t headerBytes = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  EXPECT_EQ((10 + headerBytes) % 64, 0u);
  EXPECT_EQ(bytes.size(), 10 + headerBytes + 24);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(bytes.substr(10, dict.size()), dict);
  EXPECT_EQ(bytes[10 + headerBytes - 1], '\n');

  saveNpy(dir_.file("b.npy"), Tensor(DType::U8, {7}).view());
  EXPECT_NE(readBytes(dir_.file("b.npy")).find("'descr': '|u1'"), std::string::npos);
  EXPECT_NE(readBytes(dir_.file("b.npy")).find("'shape': (7,), }"), std::string::npos);
}

TEST_F(NpyTest, ReadsVersions2And3) {
  std::string data;
  appendLittleEndian(data, 7, 8);
  appendLittleEndian(data, static_cast<uint64_t>(-9), 8);
  for (int major : {2, 3}) {
    Tensor tensor = loadNpy(write(npyFile(major, dictFor("<i8", "(2,)"), data)));
    EXPECT_EQ(tensor.data<int64_t>()[0], 7);
    EXPECT_EQ(tensor.data<int64_t>()[1], -9);
  }
}

TEST_F(NpyTest, ConvertsBigEndianData) {
  std::string floats;
  appendBigEndian(floats, 0x3FC00000, 4); // 1.5f
  appendBigEndian(floats, 0xC0200000, 4); // -2.5f
  Tensor tensor = loadNpy(write(npyFile(1, dictFor(">f4", "(1, 2)"), floats)));
  EXPECT_EQ(tensor.data<float>()[0], 1.5f);
  EXPECT_EQ(tensor.data<float>()[1], -2.5f);
}

TEST_F(NpyTest, AcceptsHeaderVariants) {
  // Double quotes, reordered keys, no trailing comma, Python 2 long suffix.
  std::string dict = "{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"|u1\"}";
  Tensor tensor = loadNpy(write(npyFile(1, dict, "abc")));
  EXPECT_EQ(tensor.shape(), std::vector<int64_t>{3});
  EXPECT_EQ(tensor.data<uint8_t>()[2], 'c');
}

TEST_F(NpyTest, RefusesWrongMagicAndVersion) {
  EXPECT_RT_ERROR(loadNpy(write(std::string("\x93NUMPX\x01\x00\x00\x00", 10))),
                  "byte offset 0: not a .npy file");
  std::string version4 = npyFile(1, dictFor("<f4", "()"), "abcd");
  version4[6] = 4;
  EXPECT_RT_ERROR(loadNpy(write(version4)), "byte offset 6: unsupported .npy version 4.0");
  EXPECT_RT_ERROR(loadNpy(write("\x93NUM")), "byte offset 0: truncated");
}

TEST_F(NpyTest, RefusesFortranOrder) {
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("<f4", "(2, 2)", "True"),
                                        std::string(16, '\0')))),
                  "fortran_order True is not supported");
}

TEST_F(NpyTest, RefusesObjectAndStructuredDTypes) {
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("|O", "(1,)"), std::string(8, '\0')))),
                  "byte offset 20: object arrays ('|O') are not supported");
  std::string structured =
      "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }";
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, structured, std::string(4, '\0')))),
                  "structured dtypes are not supported");
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("<f2", "(1,)"), "ab"))),
                  "unsupported dtype '<f2'");
}

TEST_F(NpyTest, RefusesOversizedHeader) {
  std::string dict = dictFor("<f4", "(1,)") + std::string(20000, ' ');
  std::filesystem::path path = write(npyFile(2, dict, "abcd"));
  EXPECT_RT_ERROR(loadNpy(path), "byte offset 8: header is 20");
  EXPECT_RT_ERROR(loadNpy(path), "bytes, more than the 10000 allowed");
}

TEST_F(NpyTest, RefusesShapeOverflow) {
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("<f8", "(4294967296, 4294967296)"), ""))),
                  "element count of shape [4294967296, 4294967296] overflows 64 bits");
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("<f8", "(99999999999999999999,)"), ""))),
                  "dimension does not fit in 64 bits");
}

TEST_F(NpyTest, RefusesTensorAboveLimit) {
  LoadLimits limits;
  limits.maxTensorBytes = 7;
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("<f4", "(2,)"), std::string(8, '\0'))),
                          limits),
                  "above the limit of 7");
}

TEST_F(NpyTest, RefusesTruncatedAndTrailingData) {
  // This header pads to 128 bytes, so the data starts at offset 128.
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("<i4", "(3,)"), std::string(11, '\0')))),
                  "byte offset 139: truncated: shape [3] of i32 needs 12 data bytes, the file has 11");
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("<i4", "(3,)"), std::string(13, '\0')))),
                  "byte offset 140: 1 trailing bytes");
}

TEST_F(NpyTest, RefusesMalformedHeaders) {
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, "{'descr': '<f4', 'shape': (1,), }", "abcd"))),
                  "header lacks one of the keys");
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("<f4", "(1, -2)"), ""))),
                  "expected a non-negative dimension");
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, "{'descr' '<f4'}", ""))),
                  "byte offset 19: malformed header: expected ':'");
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, dictFor("<f4", "(1,)") + "x", "abcd"))),
                  "unexpected text after the header dictionary");
  std::string repeated = "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                         "'shape': (1,), }";
  EXPECT_RT_ERROR(loadNpy(write(npyFile(1, repeated, "abcd"))),
                  "unexpected or repeated key 'descr'");
}

TEST_F(NpyTest, SaveRefusesViewWithoutData) {
  TensorView view{DType::F32, {2}, nullptr};
  EXPECT_RT_ERROR(saveNpy(dir_.file("x.npy"), view), "no data");
  EXPECT_RT_ERROR(saveNpy(dir_.file("missing/x.npy"), Tensor(DType::U8, {1}).view()),
                  "cannot open for writing");
}

} // namespace
} // namespace gradc::rt
