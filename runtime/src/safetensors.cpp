// safetensors.cpp — safetensors reader (validating header, offsets and sizes) and writer.
#include "gradc/runtime/safetensors.h"

#include "byte_order.h"
#include "file_io.h"
#include "gradc/runtime/checked_math.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <optional>
#include <limits>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

namespace gradc::rt {

using nlohmann::json;

namespace {

constexpr uint64_t kLengthFieldBytes = 8;
constexpr uint64_t kHeaderAlignment = 8;
constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeName {
  DType dtype;
  std::string_view name;
};
constexpr DTypeName kDTypeNames[] = {{DType::F32, "F32"},
                                     {DType::F64, "F64"},
                                     {DType::I32, "I32"},
                                     {DType::I64, "I64"},
                                     {DType::U8, "U8"}};

std::optional<DType> dtypeFromName(std::string_view name) {
  for (const DTypeName &entry : kDTypeNames)
    if (entry.name == name)
      return entry.dtype;
  return std::nullopt;
}

std::string_view nameOf(DType dtype) {
  for (const DTypeName &entry : kDTypeNames)
    if (entry.dtype == dtype)
      return entry.name;
  throw Error("invalid dtype " + std::to_string(static_cast<int>(dtype)));
}

// The offset of the first byte that is not part of well-formed UTF-8
// (no overlong forms, no surrogates, nothing above U+10FFFF).
std::optional<size_t> firstInvalidUtf8(std::string_view text) {
  const auto *bytes = reinterpret_cast<const unsigned char *>(text.data());
  for (size_t i = 0; i < text.size();) {
    unsigned char lead = bytes[i];
    size_t length;
    unsigned char low = 0x80, high = 0xBF; // allowed range of the 2nd byte
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0)
        low = 0xA0;
      if (lead == 0xED)
        high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0)
        low = 0x90;
      if (lead == 0xF4)
        high = 0x8F;
    } else {
      return i;
    }
    if (i + length > text.size() || bytes[i + 1] < low || bytes[i + 1] > high)
      return i;
    for (size_t k = 2; k < length; ++k)
      if ((bytes[i + k] & 0xC0) != 0x80)
        return i;
    i += length;
  }
  return std::nullopt;
}

std::string inQuotes(std::string_view name) { return "'" + std::string(name) + "'"; }

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
  uint64_t end;
};

// Reads and checks the JSON header and the entries it describes; allocates
// nothing but the header text.
class HeaderValidator {
public:
  HeaderValidator(std::string_view file, std::string text, uint64_t bufferBytes,
                  const LoadLimits &limits)
      : file_(file), text_(std::move(text)), bufferBytes_(bufferBytes),
        limits_(limits) {}

  std::pair<std::vector<Entry>, std::map<std::string, std::string>> validate() {
    if (std::optional<size_t> bad = firstInvalidUtf8(text_))
      fail(*bad, "header is not valid UTF-8");
    json header = parse();
    if (!header.is_object())
      fail(0, "header is not a JSON object");

    std::vector<Entry> entries;
    std::map<std::string, std::string> metadata;
    for (const auto &[name, value] : header.items()) {
      if (name == kMetadataKey)
        metadata = parseMetadata(value);
      else
        entries.push_back(parseEntry(name, value));
    }
    checkCoverage(entries);
    return {std::move(entries), std::move(metadata)};
  }

private:
  [[noreturn]] void fail(uint64_t headerOffset, const std::string &message) const {
    throw Error::atByteOffset(file_, kLengthFieldBytes + headerOffset, message);
  }

  // Where a name appears as a key in the header text, for messages; the start
  // of the header when it is spelled with escapes.
  size_t keyOffset(std::string_view name, size_t occurrence = 1) const {
    const std::string key = json(name).dump();
    size_t at = std::string::npos;
    for (size_t from = 0; occurrence > 0; --occurrence, from = at + 1)
      if ((at = text_.find(key, from)) == std::string::npos)
        return 0;
    return at;
  }

  json parse() const {
    std::set<std::string> names;
    json::parser_callback_t rejectDuplicates = [&](int depth, json::parse_event_t event,
                                                   json &parsed) {
      if (event == json::parse_event_t::key && depth == 1 &&
          !names.insert(parsed.get<std::string>()).second)
        fail(keyOffset(parsed.get<std::string>(), 2),
             "duplicate name " + inQuotes(parsed.get<std::string>()));
      return true;
    };
    try {
      return json::parse(text_, rejectDuplicates);
    } catch (const json::exception &error) {
      // A syntax error knows its byte; a number too large for 64 bits
      // (out_of_range) only its text, quoted in the message.
      std::string reason = error.what();
      reason.erase(0, reason.find("] ") + 2); // drop "[json.exception...] "
      size_t at = 0;
      if (const auto *syntax = dynamic_cast<const json::parse_error *>(&error))
        at = syntax->byte > 0 ? syntax->byte - 1 : 0;
      else if (size_t open = reason.find('\''); open != std::string::npos)
        at = std::min(text_.find(reason.substr(open + 1, reason.rfind('\'') - open - 1)),
                      text_.size());
      fail(at, "invalid JSON header: " + reason);
    }
  }

  std::map<std::string, std::string> parseMetadata(const json &value) const {
    std::map<std::string, std::string> metadata;
    if (!value.is_object())
      fail(keyOffset(kMetadataKey), "__metadata__ is not an object of strings");
    for (const auto &[key, item] : value.items()) {
      if (!item.is_string())
        fail(keyOffset(kMetadataKey), "__metadata__ value of " + inQuotes(key) +
                                          " is not a string");
      metadata.emplace(key, item.get<std::string>());
    }
    return metadata;
  }

  Entry parseEntry(const std::string &name, const json &value) const {
    const size_t at = keyOffset(name);
    if (name.empty()) // the writer refuses it too: no tensor could be named so
      fail(at, "a tensor has an empty name");
    auto failEntry = [&](const std::string &message) {
      fail(at, "tensor " + inQuotes(name) + ": " + message);
    };
    if (!value.is_object())
      failEntry("entry is not an object");
    for (const auto &[key, item] : value.items())
      if (key != "dtype" && key != "shape" && key != "data_offsets")
        failEntry("unexpected key " + inQuotes(key));
    if (!value.contains("dtype") || !value.contains("shape") ||
        !value.contains("data_offsets"))
      failEntry("entry needs dtype, shape and data_offsets");

    const json &dtypeJson = value["dtype"];
    if (!dtypeJson.is_string())
      failEntry("dtype is not a string");
    std::optional<DType> dtype = dtypeFromName(dtypeJson.get<std::string>());
    if (!dtype)
      failEntry("unsupported dtype " + inQuotes(dtypeJson.get<std::string>()) +
                " (supported: F32, F64, I32, I64, U8)");

    std::vector<int64_t> shape;
    const json &shapeJson = value["shape"];
    if (!shapeJson.is_array())
      failEntry("shape is not an array");
    for (const json &dim : shapeJson) {
      if (!dim.is_number_unsigned() ||
          dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        failEntry("shape " + shapeJson.dump() + " is not a list of dimensions");
      shape.push_back(dim.get<int64_t>());
    }

    const json &offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      failEntry("data_offsets " + offsets.dump() + " is not a pair of offsets");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end)
      failEntry("data_offsets " + offsets.dump() + " end before they begin");
    if (end > bufferBytes_)
      failEntry("data_offsets " + offsets.dump() + " run past the end of the " +
                std::to_string(bufferBytes_) +
                "-byte buffer: the file is truncated, or its offsets are wrong");

    std::optional<uint64_t> bytes = tryElementCount(shape);
    if (bytes)
      bytes = tryMul(*bytes, uint64_t{dtypeSize(*dtype)});
    if (!bytes)
      failEntry("size of shape " + formatShape(shape) + " overflows 64 bits");
    if (*bytes != end - begin)
      failEntry(std::string(nameOf(*dtype)) + " shape " + formatShape(shape) + " needs " +
                std::to_string(*bytes) + " bytes, data_offsets " + offsets.dump() +
                " hold " + std::to_string(end - begin));
    if (*bytes > limits_.maxTensorBytes)
      failEntry(std::to_string(*bytes) + " bytes is above the limit of " +
                std::to_string(limits_.maxTensorBytes));
    return {name, *dtype, std::move(shape), begin, end};
  }

  // The tensors must tile the buffer exactly: no overlap, no gap, no tail.
  void checkCoverage(std::vector<Entry> &entries) const {
    std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
      return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
    });
    const uint64_t bufferStart = kLengthFieldBytes + text_.size();
    uint64_t covered = 0;
    const Entry *previous = nullptr;
    for (const Entry &entry : entries) {
      if (entry.begin < covered)
        throw Error::atByteOffset(file_, bufferStart + entry.begin,
                                  "tensor " + inQuotes(entry.name) + " overlaps tensor " +
                                      inQuotes(previous->name));
      if (entry.begin > covered)
        throw Error::atByteOffset(file_, bufferStart + covered,
                                  "gap in the byte buffer: bytes [" +
                                      std::to_string(covered) + ", " +
                                      std::to_string(entry.begin) +
                                      ") belong to no tensor");
      covered = entry.end;
      previous = &entry;
    }
    if (covered != bufferBytes_)
      throw Error::atByteOffset(file_, bufferStart + covered,
                                std::to_string(bufferBytes_ - covered) +
                                    " trailing bytes after the last tensor");
  }

  std::string_view file_;
  std::string text_;
  uint64_t bufferBytes_;
  const LoadLimits &limits_;
};

// Reads a whole safetensors file from `source`, which offers size() and
// readAt(offset, destination, count).
template <typename Source>
SafetensorsContents load(Source &source, std::string_view name, const LoadLimits &limits) {
  const uint64_t total = source.size();
  if (total < kLengthFieldBytes)
    throw Error::atByteOffset(name, total,
                              "truncated: the file has " + std::to_string(total) +
                                  " bytes, fewer than the 8-byte header length");
  unsigned char lengthField[kLengthFieldBytes];
  source.readAt(0, lengthField, kLengthFieldBytes);
  const uint64_t headerBytes = detail::loadLittleEndian(lengthField, kLengthFieldBytes);
  if (headerBytes > kMaxSafetensorsHeaderBytes)
    throw Error::atByteOffset(name, 0,
                              "header length " + std::to_string(headerBytes) +
                                  " is above the limit of " +
                                  std::to_string(kMaxSafetensorsHeaderBytes));
  if (headerBytes > total - kLengthFieldBytes)
    throw Error::atByteOffset(name, 0,
                              "header length " + std::to_string(headerBytes) +
                                  " runs past the end of the " + std::to_string(total) +
                                  "-byte file: the file is truncated, or is not safetensors");
  std::string headerText(static_cast<size_t>(headerBytes), '\0');
  source.readAt(kLengthFieldBytes, headerText.data(), headerBytes);
  const uint64_t bufferStart = kLengthFieldBytes + headerBytes;

  auto [entries, metadata] =
      HeaderValidator(name, std::move(headerText), total - bufferStart, limits).validate();

  SafetensorsContents contents;
  contents.metadata = std::move(metadata);
  for (Entry &entry : entries) {
    Tensor tensor(entry.dtype, std::move(entry.shape));
    source.readAt(bufferStart + entry.begin, tensor.bytes(), entry.end - entry.begin);
    detail::toHostOrder(tensor.bytes(), tensor.numElements(), dtypeSize(tensor.dtype()),
                        /*storedLittleEndian=*/true);
    contents.tensors.emplace(std::move(entry.name), std::move(tensor));
  }
  return contents;
}

class MemorySource {
public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const { return bytes_.size(); }
  void readAt(uint64_t offset, void *destination, uint64_t count) const {
    if (count > 0)
      std::memcpy(destination, bytes_.data() + offset, static_cast<size_t>(count));
  }

private:
  std::string_view bytes_;
};

class FileSource {
public:
  explicit FileSource(detail::InputFile &file) : file_(file) {}
  uint64_t size() const { return file_.size(); }
  void readAt(uint64_t offset, void *destination, uint64_t count) {
    file_.seek(offset);
    file_.read(destination, count, "tensor data");
  }

private:
  detail::InputFile &file_;
};

// The header, and the tensors in the order their bytes follow it.
struct Layout {
  std::string header; // length field, JSON, padding
  std::vector<const TensorView *> order;
  std::vector<uint64_t> bytes;
};

Layout layOut(const std::map<std::string, TensorView> &tensors,
              const std::map<std::string, std::string> &metadata) {
  Layout layout;
  for (const auto &[key, value] : metadata)
    if (firstInvalidUtf8(key) || firstInvalidUtf8(value))
      throw Error("safetensors metadata " + inQuotes(key) + " is not valid UTF-8");
  std::vector<const std::pair<const std::string, TensorView> *> named;
  for (const auto &item : tensors) {
    if (item.first.empty() || item.first == kMetadataKey || firstInvalidUtf8(item.first))
      throw Error("invalid safetensors tensor name " + inQuotes(item.first));
    if (item.second.data == nullptr && item.second.numBytes() > 0)
      throw Error("tensor " + inQuotes(item.first) + " has no data");
    named.push_back(&item);
  }
  // Larger elements first keeps every tensor aligned to its element size.
  std::stable_sort(named.begin(), named.end(), [](const auto *a, const auto *b) {
    return dtypeSize(a->second.dtype) > dtypeSize(b->second.dtype);
  });

  json header = json::object();
  if (!metadata.empty())
    header[std::string(kMetadataKey)] = metadata;
  uint64_t offset = 0;
  for (const auto *item : named) {
    const TensorView &view = item->second;
    const uint64_t bytes = view.numBytes();
    const uint64_t end = checkedAdd(offset, bytes);
    header[item->first] = {{"dtype", nameOf(view.dtype)},
                           {"shape", view.shape},
                           {"data_offsets", {offset, end}}};
    layout.order.push_back(&view);
    layout.bytes.push_back(bytes);
    offset = end;
  }

  std::string text = header.dump();
  text.append((kHeaderAlignment - text.size() % kHeaderAlignment) % kHeaderAlignment, ' ');
  detail::appendLittleEndian(layout.header, text.size(), kLengthFieldBytes);
  layout.header += text;
  return layout;
}

// Calls write(pointer, count) with each tensor's bytes, little-endian.
template <typename Write> void writeData(const Layout &layout, Write write) {
  for (size_t i = 0; i < layout.order.size(); ++i) {
    const TensorView &view = *layout.order[i];
    const size_t elementSize = dtypeSize(view.dtype);
    if (detail::kHostIsLittleEndian || elementSize == 1) {
      write(view.data, layout.bytes[i]);
      continue;
    }
    std::vector<std::byte> swapped(static_cast<const std::byte *>(view.data),
                                   static_cast<const std::byte *>(view.data) +
                                       layout.bytes[i]);
    detail::swapElementBytes(swapped.data(), layout.bytes[i] / elementSize, elementSize);
    write(swapped.data(), layout.bytes[i]);
  }
}

} // namespace

std::map<std::string, TensorView> viewsOf(const std::map<std::string, Tensor> &tensors) {
  std::map<std::string, TensorView> views;
  for (const auto &[name, tensor] : tensors)
    views.emplace(name, tensor.view());
  return views;
}

SafetensorsContents loadSafetensors(const std::filesystem::path &path,
                                    const LoadLimits &limits) {
  detail::InputFile file(path);
  FileSource source(file);
  return load(source, file.name(), limits);
}

SafetensorsContents parseSafetensors(std::string_view bytes, std::string_view sourceName,
                                     const LoadLimits &limits) {
  MemorySource source(bytes);
  return load(source, sourceName, limits);
}

std::string serializeSafetensors(const std::map<std::string, TensorView> &tensors,
                                 const std::map<std::string, std::string> &metadata) {
  Layout layout = layOut(tensors, metadata);
  std::string bytes = std::move(layout.header);
  writeData(layout, [&](const void *data, uint64_t count) {
    if (count > 0)
      bytes.append(static_cast<const char *>(data), static_cast<size_t>(count));
  });
  return bytes;
}

void saveSafetensors(const std::filesystem::path &path,
                     const std::map<std::string, TensorView> &tensors,
                     const std::map<std::string, std::string> &metadata) {
  Layout layout = layOut(tensors, metadata);
  detail::OutputFile file(path);
  file.write(layout.header.data(), layout.header.size());
  writeData(layout, [&](const void *data, uint64_t count) { file.write(data, count); });
  file.close();
}

} // namespace gradc::rt
