// npy.cpp — .npy reader (with a parser for its Python-literal header) and writer.
#include "gradc/runtime/npy.h"

#include "byte_order.h"
#include "file_io.h"
#include "gradc/runtime/checked_math.h"

#include <cctype>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gradc::rt {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr uint64_t kPreambleBytes = 8; // magic, major, minor
constexpr uint64_t kDataAlignment = 64;

struct NpyDtype {
  DType dtype;
  bool littleEndian;
};

std::optional<NpyDtype> findDtype(std::string_view descr) {
  struct Entry {
    std::string_view descr;
    NpyDtype type;
  };
  static constexpr Entry kEntries[] = {
      {"<f4", {DType::F32, true}},  {">f4", {DType::F32, false}},
      {"<f8", {DType::F64, true}},  {">f8", {DType::F64, false}},
      {"<i4", {DType::I32, true}},  {">i4", {DType::I32, false}},
      {"<i8", {DType::I64, true}},  {">i8", {DType::I64, false}},
      {"|u1", {DType::U8, true}},   {"<u1", {DType::U8, true}},
      {">u1", {DType::U8, true}},
  };
  for (const Entry &entry : kEntries)
    if (entry.descr == descr)
      return entry.type;
  return std::nullopt;
}

struct NpyHeader {
  NpyDtype type;
  std::vector<int64_t> shape;
};

// Parses the header: a Python dict literal with exactly the keys 'descr',
// 'fortran_order' and 'shape', padded with spaces and ending in a newline.
class HeaderParser {
public:
  HeaderParser(std::string_view text, std::string_view file, uint64_t offset)
      : text_(text), file_(file), offset_(offset) {}

  NpyHeader parse() {
    std::optional<NpyDtype> type;
    std::optional<std::vector<int64_t>> shape;
    bool sawFortranOrder = false;

    skipSpace();
    expect('{');
    parseSequence('}', [&] {
      size_t keyStart = pos_;
      std::string key = parseString();
      skipSpace();
      expect(':');
      skipSpace();
      size_t valueStart = pos_;
      if (key == "descr" && !type) {
        type = parseDescr();
      } else if (key == "fortran_order" && !sawFortranOrder) {
        if (parseBool())
          fail(valueStart,
               "fortran_order True is not supported; save the array in C order");
        sawFortranOrder = true;
      } else if (key == "shape" && !shape) {
        shape = parseShape();
      } else {
        fail(keyStart, "unexpected or repeated key '" + key + "'");
      }
    });
    skipSpace();
    if (pos_ != text_.size())
      fail(pos_, "unexpected text after the header dictionary");
    if (!type || !sawFortranOrder || !shape)
      fail(0, "header lacks one of the keys 'descr', 'fortran_order', 'shape'");
    return {*type, std::move(*shape)};
  }

private:
  [[noreturn]] void fail(size_t pos, const std::string &message) const {
    throw Error::atByteOffset(file_, offset_ + pos, message);
  }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n'))
      ++pos_;
  }

  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!consume(c))
      fail(pos_, std::string("malformed header: expected '") + c + "'");
  }

  // Items separated by commas, with an optional trailing comma, up to `close`
  // (the opening bracket already consumed).
  template <typename ParseItem> void parseSequence(char close, ParseItem parseItem) {
    for (skipSpace(); !consume(close); skipSpace()) {
      parseItem();
      skipSpace();
      if (!consume(',') && (pos_ >= text_.size() || text_[pos_] != close))
        fail(pos_, std::string("malformed header: expected ',' or '") + close + "'");
    }
  }

  std::string parseString() {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
      fail(pos_, "malformed header: expected a quoted string");
    char quote = text_[pos_++];
    size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos)
      fail(pos_ - 1, "malformed header: unterminated string");
    std::string value(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return value;
  }

  NpyDtype parseDescr() {
    size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '[')
      fail(start, "structured dtypes are not supported");
    std::string descr = parseString();
    if (descr.find('O') != std::string::npos)
      fail(start, "object arrays ('" + descr + "') are not supported");
    std::optional<NpyDtype> type = findDtype(descr);
    if (!type)
      fail(start, "unsupported dtype '" + descr +
                            "' (supported: f4, f8, i4, i8 either byte order, u1)");
    return *type;
  }

  bool parseBool() {
    for (std::string_view word : {"True", "False"})
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return word == "True";
      }
    fail(pos_, "malformed header: expected True or False");
  }

  std::vector<int64_t> parseShape() {
    std::vector<int64_t> shape;
    expect('(');
    parseSequence(')', [&] { shape.push_back(parseDimension()); });
    return shape;
  }

  int64_t parseDimension() {
    size_t start = pos_;
    int64_t value = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      std::optional<int64_t> next = tryMul(value, int64_t{10});
      if (next)
        next = tryAdd(*next, int64_t{text_[pos_] - '0'});
      if (!next)
        fail(start, "dimension does not fit in 64 bits");
      value = *next;
      ++pos_;
    }
    if (pos_ == start)
      fail(start, "malformed header: expected a non-negative dimension");
    consume('L'); // Python 2 wrote long integers with a suffix.
    return value;
  }

  std::string_view text_;
  std::string_view file_;
  uint64_t offset_;
  size_t pos_ = 0;
};

} // namespace

Tensor loadNpy(const std::filesystem::path &path, const LoadLimits &limits) {
  detail::InputFile file(path);
  const std::string &name = file.name();

  unsigned char preamble[kPreambleBytes];
  file.read(preamble, kPreambleBytes, "the .npy preamble");
  if (std::string_view(reinterpret_cast<const char *>(preamble), kMagic.size()) != kMagic)
    throw Error::atByteOffset(name, 0, "not a .npy file: wrong magic");
  const unsigned major = preamble[6], minor = preamble[7];
  if (major < 1 || major > 3 || minor != 0)
    throw Error::atByteOffset(name, 6,
                              "unsupported .npy version " + std::to_string(major) +
                                  "." + std::to_string(minor) +
                                  " (supported: 1.0, 2.0, 3.0)");

  const size_t lengthBytes = major == 1 ? 2 : 4;
  unsigned char lengthField[4];
  file.read(lengthField, lengthBytes, "the header length");
  const uint64_t headerBytes = detail::loadLittleEndian(lengthField, lengthBytes);
  if (headerBytes > kMaxNpyHeaderBytes)
    throw Error::atByteOffset(name, kPreambleBytes,
                              "header is " + std::to_string(headerBytes) +
                                  " bytes, more than the " +
                                  std::to_string(kMaxNpyHeaderBytes) + " allowed");
  const uint64_t headerStart = file.position();
  std::string headerText(static_cast<size_t>(headerBytes), '\0');
  file.read(headerText.data(), headerBytes, "the header");
  NpyHeader header = HeaderParser(headerText, name, headerStart).parse();

  std::optional<uint64_t> count = tryElementCount(header.shape);
  std::optional<uint64_t> dataBytes;
  if (count)
    dataBytes = tryMul(*count, uint64_t{dtypeSize(header.type.dtype)});
  if (!dataBytes)
    throw Error::atByteOffset(name, headerStart,
                              "element count of shape " + formatShape(header.shape) +
                                  " overflows 64 bits");
  if (*dataBytes > limits.maxTensorBytes)
    throw Error::atByteOffset(
        name, headerStart,
        "shape " + formatShape(header.shape) + " needs a tensor of " +
            std::to_string(*dataBytes) + " bytes, above the limit of " +
            std::to_string(limits.maxTensorBytes));
  const uint64_t dataStart = file.position();
  if (file.remaining() < *dataBytes)
    throw Error::atByteOffset(
        name, file.size(),
        "truncated: shape " + formatShape(header.shape) + " of " +
            std::string(dtypeName(header.type.dtype)) + " needs " +
            std::to_string(*dataBytes) + " data bytes, the file has " +
            std::to_string(file.remaining()));
  if (file.remaining() > *dataBytes)
    throw Error::atByteOffset(name, dataStart + *dataBytes,
                              std::to_string(file.remaining() - *dataBytes) +
                                  " trailing bytes after the data of shape " +
                                  formatShape(header.shape));

  // Mapped when asked for and the bytes are usable as they lie.
  const bool nativeOrder = header.type.littleEndian == detail::kHostIsLittleEndian ||
                           dtypeSize(header.type.dtype) == 1;
  if (limits.mapFiles && nativeOrder && *dataBytes > 0 && dataStart % Tensor::kAlignment == 0)
    return Tensor::mapFile(path.string(), dataStart, header.type.dtype, std::move(header.shape));
  Tensor tensor(header.type.dtype, std::move(header.shape));
  file.read(tensor.bytes(), *dataBytes, "the data");
  detail::toHostOrder(tensor.bytes(), *count, dtypeSize(tensor.dtype()),
                      header.type.littleEndian);
  return tensor;
}

namespace {

std::string_view descrOf(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::U8:
    return "|u1";
  }
  throw Error("invalid dtype " + std::to_string(static_cast<int>(dtype)));
}

// Everything before the data: preamble, header length, padded header.
std::string npyPrefix(const TensorView &tensor) {
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    shape += (i > 0 ? ", " : "") + std::to_string(tensor.shape[i]);
  if (tensor.shape.size() == 1)
    shape += ','; // a Python 1-tuple
  shape += ')';
  const std::string dict = "{'descr': '" + std::string(descrOf(tensor.dtype)) +
                           "', 'fortran_order': False, 'shape': " + shape + ", }";

  for (unsigned major : {1u, 2u}) {
    const uint64_t lengthBytes = major == 1 ? 2 : 4;
    uint64_t unpadded = kPreambleBytes + lengthBytes + dict.size() + 1;
    uint64_t headerBytes = dict.size() + 1 +
                           (kDataAlignment - unpadded % kDataAlignment) % kDataAlignment;
    if (major == 1 && headerBytes > std::numeric_limits<uint16_t>::max())
      continue;
    std::string prefix(kMagic);
    prefix.push_back(static_cast<char>(major));
    prefix.push_back('\0');
    detail::appendLittleEndian(prefix, headerBytes, lengthBytes);
    prefix += dict;
    prefix.append(headerBytes - dict.size() - 1, ' ');
    prefix.push_back('\n');
    return prefix;
  }
  throw Error("shape " + formatShape(tensor.shape) + " is too long for a .npy header");
}

} // namespace

void saveNpy(const std::filesystem::path &path, const TensorView &tensor) {
  const uint64_t dataBytes = tensor.numBytes();
  if (dataBytes > 0 && tensor.data == nullptr)
    throw Error::inFile(path.string(), "cannot save a tensor view with no data");
  const std::string prefix = npyPrefix(tensor);

  detail::OutputFile file(path);
  file.write(prefix.data(), prefix.size());
  if (detail::kHostIsLittleEndian || dtypeSize(tensor.dtype) == 1) {
    file.write(tensor.data, dataBytes);
  } else {
    std::vector<std::byte> swapped(static_cast<const std::byte *>(tensor.data),
                                   static_cast<const std::byte *>(tensor.data) + dataBytes);
    detail::swapElementBytes(swapped.data(), dataBytes / dtypeSize(tensor.dtype),
                             dtypeSize(tensor.dtype));
    file.write(swapped.data(), swapped.size());
  }
  file.close();
}

} // namespace gradc::rt
