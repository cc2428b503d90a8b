// safetensors_test.cpp — tests of the safetensors reader and writer.
#include "gradc/runtime/safetensors.h"

#include "test_util.h"

#include <cstring>

namespace gradc::rt {
namespace {

using testing::appendLittleEndian;
using testing::TempDir;

// A safetensors file with this header text and byte buffer, unpadded.
std::string safetensorsBytes(std::string_view header, std::string_view buffer) {
  std::string bytes;
  appendLittleEndian(bytes, header.size(), 8);
  return bytes + std::string(header) + std::string(buffer);
}

SafetensorsContents parse(std::string_view header, std::string_view buffer,
                          const LoadLimits &limits = {}) {
  return parseSafetensors(safetensorsBytes(header, buffer), "w.safetensors", limits);
}

template <typename T> Tensor filled(std::vector<int64_t> shape, T first) {
  Tensor tensor(DTypeOf<T>::value, std::move(shape));
  for (uint64_t i = 0; i < tensor.numElements(); ++i)
    tensor.data<T>()[i] = static_cast<T>(first + static_cast<T>(i));
  return tensor;
}

void expectSameTensors(const std::map<std::string, Tensor> &actual,
                       const std::map<std::string, Tensor> &expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto &[name, tensor] : expected) {
    SCOPED_TRACE(name);
    auto found = actual.find(name);
    ASSERT_NE(found, actual.end());
    EXPECT_EQ(found->second.dtype(), tensor.dtype());
    EXPECT_EQ(found->second.shape(), tensor.shape());
    ASSERT_EQ(found->second.numBytes(), tensor.numBytes());
    if (tensor.numBytes() > 0) {
      EXPECT_EQ(std::memcmp(found->second.bytes(), tensor.bytes(), tensor.numBytes()), 0);
    }
  }
}

TEST(SafetensorsTest, WritesExactLayout) {
  Tensor a(DType::U8, {3});
  a.data<uint8_t>()[0] = 1, a.data<uint8_t>()[1] = 2, a.data<uint8_t>()[2] = 3;
  Tensor b(DType::F32, {2});
  b.data<float>()[0] = 1.0f, b.data<float>()[1] = -2.0f;
  std::string bytes = serializeSafetensors({{"a", a.view()}, {"b", b.view()}},
                                           {{"format", "pt"}});

  // Keys sorted; the f32 tensor's bytes come first so that it is 4-byte aligned.
  std::string json = R"({"__metadata__":{"format":"pt"},)"
                     R"("a":{"data_offsets":[8,11],"dtype":"U8","shape":[3]},)"
                     R"("b":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}})";
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string expected;
  appendLittleEndian(expected, json.size(), 8);
  expected += json;
  expected += std::string("\x00\x00\x80\x3F\x00\x00\x00\xC0\x01\x02\x03", 11);
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(json.size() % 8, 0u);

  SafetensorsContents contents = parseSafetensors(expected, "hand-made");
  EXPECT_EQ(contents.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  ASSERT_EQ(contents.tensors.count("b"), 1u);
  EXPECT_EQ(contents.tensors.at("b").data<float>()[1], -2.0f);
  EXPECT_EQ(contents.tensors.at("a").data<uint8_t>()[2], 3);
}

TEST(SafetensorsTest, RoundTripsThroughFile) {
  std::map<std::string, Tensor> tensors;
  tensors.emplace("fc1.weight", filled<float>({4, 3}, 0.5f));
  tensors.emplace("fc1.bias", filled<double>({4}, -1.0));
  tensors.emplace("step", filled<int64_t>({}, 1000));
  tensors.emplace("counts", filled<int32_t>({2, 2}, -7));
  tensors.emplace("mask", filled<uint8_t>({5}, 250));
  tensors.emplace("empty", Tensor(DType::F32, {0, 3}));
  TempDir dir;
  saveSafetensors(dir.file("model.safetensors"), viewsOf(tensors), {{"epoch", "3"}});
  SafetensorsContents loaded = loadSafetensors(dir.file("model.safetensors"));
  expectSameTensors(loaded.tensors, tensors);
  EXPECT_EQ(loaded.metadata.at("epoch"), "3");

  SafetensorsContents fromMemory =
      parseSafetensors(serializeSafetensors(viewsOf(tensors)), "memory");
  expectSameTensors(fromMemory.tensors, tensors);
  EXPECT_TRUE(fromMemory.metadata.empty());
}

TEST(SafetensorsTest, ReadsEmptyFile) {
  EXPECT_TRUE(parse("{}", "").tensors.empty());
}

TEST(SafetensorsTest, RefusesShortFileAndBadHeaderLength) {
  EXPECT_RT_ERROR(parseSafetensors(std::string("\x02\x00", 2), "w.safetensors"),
                  "w.safetensors: byte offset 2: truncated: the file has 2 bytes");
  std::string pastEnd;
  appendLittleEndian(pastEnd, 100, 8);
  EXPECT_RT_ERROR(parseSafetensors(pastEnd + "{}", "w.safetensors"),
                  "byte offset 0: header length 100 runs past the end of the 10-byte file");
  std::string huge;
  appendLittleEndian(huge, 200'000'000, 8);
  EXPECT_RT_ERROR(parseSafetensors(huge + "{}", "w.safetensors"),
                  "header length 200000000 is above the limit of 100000000");
}

TEST(SafetensorsTest, RefusesInvalidJson) {
  EXPECT_RT_ERROR(parse(R"({"a": )", ""), "byte offset 14: invalid JSON header: parse error");
  EXPECT_RT_ERROR(parse("[1, 2]", ""), "header is not a JSON object");
  // A number beyond a double's range (found by fuzzing: it escaped as a
  // nlohmann exception, without the file or the offset).
  EXPECT_RT_ERROR(parse(R"({"a": 184e467})", ""),
                  "w.safetensors: byte offset 14: invalid JSON header: number overflow "
                  "parsing '184e467'");
}

TEST(SafetensorsTest, RefusesNamesThatAreNotUtf8) {
  EXPECT_RT_ERROR(parse("{\"\xFF\":{}}", ""), "byte offset 10: header is not valid UTF-8");
  EXPECT_RT_ERROR(parse("{\"\xED\xA0\x80\":{}}", ""), "not valid UTF-8"); // a surrogate
}

TEST(SafetensorsTest, RefusesDuplicateNames) {
  const std::string entry = R"({"dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  const std::string header = "{\"a\":" + entry + ",\"a\":" + entry + "}";
  const size_t second = header.rfind("\"a\"");
  EXPECT_RT_ERROR(parse(header, "x"),
                  "byte offset " + std::to_string(8 + second) + ": duplicate name 'a'");
}

TEST(SafetensorsTest, RefusesUnsupportedDType) {
  EXPECT_RT_ERROR(parse(R"({"w":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})", "xx"),
                  "tensor 'w': unsupported dtype 'BF16'");
}

TEST(SafetensorsTest, RefusesMalformedEntries) {
  EXPECT_RT_ERROR(parse(R"({"w":{"dtype":"F32","shape":[1]}})", ""),
                  "byte offset 9: tensor 'w': entry needs dtype, shape and data_offsets");
  EXPECT_RT_ERROR(parse(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", ""),
                  "shape [-1] is not a list of dimensions");
  EXPECT_RT_ERROR(parse(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", ""),
                  "data_offsets [0] is not a pair of offsets");
  EXPECT_RT_ERROR(parse(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}})", "x"),
                  "data_offsets [1,0] end before they begin");
  EXPECT_RT_ERROR(
      parse(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":0}})", "x"),
      "unexpected key 'x'");
  // The writer refuses an empty name, so the reader does too: what it accepts
  // can be written back.
  EXPECT_RT_ERROR(parse(R"({"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", ""),
                  "byte offset 9: a tensor has an empty name");
  EXPECT_RT_ERROR(parse(R"({"__metadata__":{"k":1}})", ""),
                  "__metadata__ value of 'k' is not a string");
}

TEST(SafetensorsTest, RefusesSizeMismatch) {
  EXPECT_RT_ERROR(parse(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                        std::string(8, '\0')),
                  "tensor 'w': F32 shape [3] needs 12 bytes, data_offsets [0,8] hold 8");
}

TEST(SafetensorsTest, RefusesOffsetsOutOfRange) {
  EXPECT_RT_ERROR(parse(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                        std::string(4, '\0')),
                  "data_offsets [0,8] run past the end of the 4-byte buffer");
}

TEST(SafetensorsTest, RefusesOverlapsGapsAndTrailingBytes) {
  const std::string overlapping =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  EXPECT_RT_ERROR(parse(overlapping, std::string(12, '\0')),
                  "byte offset " + std::to_string(8 + overlapping.size() + 4) +
                      ": tensor 'b' overlaps tensor 'a'");
  EXPECT_RT_ERROR(parse(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                        std::string(12, '\0')),
                  "gap in the byte buffer: bytes [4, 8) belong to no tensor");
  EXPECT_RT_ERROR(parse(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                        std::string(6, '\0')),
                  "2 trailing bytes after the last tensor");
}

TEST(SafetensorsTest, RefusesTensorAboveLimit) {
  LoadLimits limits;
  limits.maxTensorBytes = 4;
  EXPECT_RT_ERROR(parse(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                        std::string(8, '\0'), limits),
                  "8 bytes is above the limit of 4");
}

TEST(SafetensorsTest, ReportsFileNameOnLoad) {
  TempDir dir;
  testing::writeBytes(dir.file("bad.safetensors"), safetensorsBytes("{", ""));
  EXPECT_RT_ERROR(loadSafetensors(dir.file("bad.safetensors")),
                  "bad.safetensors: byte offset 9: invalid JSON header");
  EXPECT_RT_ERROR(loadSafetensors(dir.file("none.safetensors")), "cannot open");
}

TEST(SafetensorsTest, WriterRefusesBadNamesAndViews) {
  Tensor tensor(DType::F32, {1});
  EXPECT_RT_ERROR(serializeSafetensors({{"__metadata__", tensor.view()}}),
                  "invalid safetensors tensor name '__metadata__'");
  EXPECT_RT_ERROR(serializeSafetensors({{"\xC0\xAF", tensor.view()}}), "invalid safetensors");
  EXPECT_RT_ERROR(serializeSafetensors({{"w", TensorView{DType::F32, {2}, nullptr}}}),
                  "tensor 'w' has no data");
  EXPECT_RT_ERROR(serializeSafetensors({}, {{"k", "\xFF"}}), "not valid UTF-8");
}

} // namespace
} // namespace gradc::rt
