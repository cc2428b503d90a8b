// idx_test.cpp — tests of the IDX reader on raw and gzip files, good and bad.
#include "gradc/runtime/idx.h"

#include "test_util.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace gradc::rt {
namespace {

using testing::appendBigEndian;
using testing::TempDir;
using testing::writeBytes;

std::string idxHeader(uint8_t typeCode, const std::vector<uint32_t> &dims) {
  std::string bytes = {0, 0, static_cast<char>(typeCode), static_cast<char>(dims.size())};
  for (uint32_t dim : dims)
    appendBigEndian(bytes, dim, 4);
  return bytes;
}

void writeGzip(const std::filesystem::path &path, std::string_view bytes) {
  gzFile file = gzopen(path.string().c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

class IdxTest : public ::testing::Test {
protected:
  std::filesystem::path write(std::string_view bytes) {
    std::filesystem::path path = dir_.file("data.idx");
    writeBytes(path, bytes);
    return path;
  }

  TempDir dir_;
};

TEST_F(IdxTest, ReadsLabels) {
  Tensor labels = loadIdx(write(idxHeader(0x08, {5}) + std::string("\x03\x01\x04\x01\x05", 5)));
  ASSERT_EQ(labels.dtype(), DType::U8);
  ASSERT_EQ(labels.shape(), std::vector<int64_t>{5});
  const uint8_t *values = labels.data<uint8_t>();
  EXPECT_EQ(std::vector<uint8_t>(values, values + 5), (std::vector<uint8_t>{3, 1, 4, 1, 5}));
}

TEST_F(IdxTest, ReadsImages) {
  std::string pixels(2 * 3 * 4, '\0');
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<char>(10 * i);
  Tensor images = loadIdx(write(idxHeader(0x08, {2, 3, 4}) + pixels));
  ASSERT_EQ(images.shape(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(images.data<uint8_t>()[23], 230);
}

TEST_F(IdxTest, WidensSignedBytesAndInt16) {
  Tensor bytes = loadIdx(write(idxHeader(0x09, {3}) + std::string("\x80\xff\x7f", 3)));
  ASSERT_EQ(bytes.dtype(), DType::I32);
  EXPECT_EQ(bytes.data<int32_t>()[0], -128);
  EXPECT_EQ(bytes.data<int32_t>()[1], -1);
  EXPECT_EQ(bytes.data<int32_t>()[2], 127);

  std::string payload;
  appendBigEndian(payload, 0x8000, 2);
  appendBigEndian(payload, 0x1234, 2);
  Tensor shorts = loadIdx(write(idxHeader(0x0B, {2}) + payload));
  EXPECT_EQ(shorts.data<int32_t>()[0], -32768);
  EXPECT_EQ(shorts.data<int32_t>()[1], 0x1234);
}

TEST_F(IdxTest, ReadsBigEndianWideTypes) {
  std::string ints;
  appendBigEndian(ints, 0xFFFFFFFE, 4);
  EXPECT_EQ(loadIdx(write(idxHeader(0x0C, {1}) + ints)).data<int32_t>()[0], -2);

  std::string floats;
  appendBigEndian(floats, 0x3FC00000, 4); // 1.5f
  Tensor single = loadIdx(write(idxHeader(0x0D, {1, 1}) + floats));
  EXPECT_EQ(single.data<float>()[0], 1.5f);

  std::string doubles;
  appendBigEndian(doubles, 0xC004000000000000, 8); // -2.5
  Tensor wide = loadIdx(write(idxHeader(0x0E, {1}) + doubles));
  EXPECT_EQ(wide.data<double>()[0], -2.5);
}

TEST_F(IdxTest, ReadsGzipRoundTrip) {
  std::string pixels(4 * 7 * 7, '\0');
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<char>(i * 37 % 256);
  std::filesystem::path path = dir_.file("images.gz");
  writeGzip(path, idxHeader(0x08, {4, 7, 7}) + pixels);
  Tensor images = loadIdx(path);
  ASSERT_EQ(images.shape(), (std::vector<int64_t>{4, 7, 7}));
  EXPECT_EQ(std::memcmp(images.bytes(), pixels.data(), pixels.size()), 0);
}

TEST_F(IdxTest, RefusesTruncatedGzip) {
  std::filesystem::path path = dir_.file("short.gz");
  writeGzip(path, idxHeader(0x08, {10, 10}) + std::string(99, 'x'));
  EXPECT_RT_ERROR(loadIdx(path),
                  "short.gz: byte offset 111: truncated: shape [10, 10] of unsigned byte "
                  "needs 112 bytes, the file (decompressed) has 111");
}

TEST_F(IdxTest, RefusesTrailingGzipBytes) {
  std::filesystem::path path = dir_.file("long.gz");
  writeGzip(path, idxHeader(0x08, {3}) + std::string(5, 'x'));
  EXPECT_RT_ERROR(loadIdx(path), "byte offset 11: 2 trailing bytes");
}

TEST_F(IdxTest, RefusesCorruptGzip) {
  // A valid gzip member header followed by a deflate stream of garbage.
  std::string bytes("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  bytes += std::string(40, '\xAB');
  EXPECT_RT_ERROR(loadIdx(write(bytes)), "cannot decompress");
}

TEST_F(IdxTest, RefusesCutGzipStream) {
  std::filesystem::path path = dir_.file("cut.gz");
  writeGzip(path, idxHeader(0x08, {1000}) + std::string(1000, 'x'));
  std::string compressed = testing::readBytes(path);
  writeBytes(path, compressed.substr(0, compressed.size() - 6));
  EXPECT_RT_ERROR(loadIdx(path), "cannot decompress: unexpected end of file");
}

TEST_F(IdxTest, RefusesWrongMagic) {
  EXPECT_RT_ERROR(loadIdx(write(std::string("\x12\x34\x08\x01\0\0\0\1", 8))),
                  "byte offset 0: wrong magic 0x12340801");
}

TEST_F(IdxTest, RefusesUnknownElementType) {
  EXPECT_RT_ERROR(loadIdx(write(idxHeader(0x0A, {1}) + "x")),
                  "byte offset 2: unknown IDX element type code 0x0A");
}

TEST_F(IdxTest, RefusesRankZeroAndAboveEight) {
  EXPECT_RT_ERROR(loadIdx(write(idxHeader(0x08, {}))), "byte offset 3: rank 0 is out of range");
  EXPECT_RT_ERROR(loadIdx(write(idxHeader(0x08, std::vector<uint32_t>(9, 1)) + "x")),
                  "rank 9 is out of range");
}

TEST_F(IdxTest, RefusesTruncatedHeader) {
  EXPECT_RT_ERROR(loadIdx(write(std::string("\0\0", 2))), "byte offset 2: truncated");
  EXPECT_RT_ERROR(loadIdx(write(idxHeader(0x08, {5, 5}).substr(0, 9))),
                  "byte offset 9: truncated: the header declares 2 dimensions");
}

TEST_F(IdxTest, RefusesTruncatedData) {
  EXPECT_RT_ERROR(loadIdx(write(idxHeader(0x0D, {2, 2}) + std::string(15, '\0'))),
                  "byte offset 27: truncated: shape [2, 2] of float32 needs 28 bytes");
}

TEST_F(IdxTest, RefusesTrailingBytes) {
  EXPECT_RT_ERROR(loadIdx(write(idxHeader(0x08, {2}) + "abc")),
                  "data.idx: byte offset 10: 1 trailing bytes after the data of shape [2]");
}

TEST_F(IdxTest, RefusesDimensionProductOverflow) {
  EXPECT_RT_ERROR(loadIdx(write(idxHeader(0x08, std::vector<uint32_t>(8, 0xFFFFFFFF)))),
                  "byte offset 4: element count of shape");
}

TEST_F(IdxTest, RefusesTensorAboveLimit) {
  LoadLimits limits;
  limits.maxTensorBytes = 15;
  std::filesystem::path path = write(idxHeader(0x0C, {4}) + std::string(16, '\0'));
  EXPECT_RT_ERROR(loadIdx(path, limits), "needs a tensor of 16 bytes, above the limit of 15");
  limits.maxTensorBytes = 16;
  EXPECT_EQ(loadIdx(path, limits).numElements(), 4u);
  // The limit applies before the data is read, so a huge claim is refused cheaply.
  EXPECT_RT_ERROR(loadIdx(write(idxHeader(0x0E, {0xFFFFFFFF, 0xFFFF}))), "above the limit");
}

TEST_F(IdxTest, RefusesMissingAndEmptyFiles) {
  EXPECT_RT_ERROR(loadIdx(dir_.file("absent.idx")), "absent.idx: cannot open");
  EXPECT_RT_ERROR(loadIdx(write("")), "truncated: an IDX header needs 4 bytes");
}

TEST(FashionMnistTest, LoadsTestSet) {
  const std::filesystem::path root = "/usr/share/datasets/fashion-mnist";
  const std::filesystem::path imagesPath = root / "t10k-images-idx3-ubyte.gz";
  const std::filesystem::path labelsPath = root / "t10k-labels-idx1-ubyte.gz";
  if (!std::filesystem::exists(imagesPath) || !std::filesystem::exists(labelsPath))
    GTEST_SKIP() << "Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)";

  Tensor images = loadIdx(imagesPath);
  EXPECT_EQ(images.dtype(), DType::U8);
  EXPECT_EQ(images.shape(), (std::vector<int64_t>{10000, 28, 28}));
  Tensor labels = loadIdx(labelsPath);
  ASSERT_EQ(labels.shape(), std::vector<int64_t>{10000});
  const uint8_t *values = labels.data<uint8_t>();
  EXPECT_TRUE(std::all_of(values, values + 10000, [](uint8_t label) { return label < 10; }));
  const uint8_t *pixels = images.data<uint8_t>();
  EXPECT_TRUE(std::any_of(pixels, pixels + images.numElements(),
                          [](uint8_t pixel) { return pixel > 200; }));
}

} // namespace
} // namespace gradc::rt
