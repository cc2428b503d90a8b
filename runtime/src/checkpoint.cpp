// checkpoint.cpp — atomic file replacement, CRC-32C, and checkpoints of a Model's buffers.
#include "gradc/runtime/checkpoint.h"

#include "byte_order.h"
#include "file_io.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/safetensors.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>
#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

namespace gradc::rt {

namespace {

constexpr const char *kFormat = "gradc-checkpoint";
constexpr const char *kVersion = "1";

std::string systemReason() { return std::strerror(errno); }

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  FileDescriptor(const FileDescriptor &) = delete;
  FileDescriptor &operator=(const FileDescriptor &) = delete;
  int get() const { return fd_; }
  /// Closes now, reporting the result (a delayed write error shows here).
  int close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

private:
  int fd_;
};

void writeAll(int fd, std::string_view bytes, const std::string &name) {
  const char *data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      throw Error::inFile(name, "write failed: " + systemReason());
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
}

// Tables for slicing-by-8: table[0] is the bytewise table of the reflected
// Castagnoli polynomial, table[k][b] the CRC of byte b followed by k zero bytes.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

CrcTables crcTables() {
  CrcTables tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    tables[0][i] = crc;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (size_t k = 1; k < 8; ++k)
      tables[k][i] = (tables[k - 1][i] >> 8) ^ tables[0][tables[k - 1][i] & 0xFF];
  return tables;
}

// The CRC-32C of a buffer's bytes as a safetensors file stores them
// (little-endian).
uint32_t tensorCrc(DType dtype, const void *data, uint64_t bytes) {
  if (detail::kHostIsLittleEndian || dtypeSize(dtype) == 1)
    return crc32c(data, bytes);
  std::vector<std::byte> swapped(static_cast<const std::byte *>(data),
                                 static_cast<const std::byte *>(data) + bytes);
  detail::swapElementBytes(swapped.data(), bytes / dtypeSize(dtype), dtypeSize(dtype));
  return crc32c(swapped.data(), bytes);
}

bool isCheckpointed(const BufferRef &buffer) { return buffer.kind != BufferKind::Grad; }

// Where a tensor's bytes start in a safetensors file, from its header; 0 when
// the header cannot tell.
uint64_t tensorOffset(const std::filesystem::path &path, const std::string &name) {
  try {
    detail::InputFile file(path);
    unsigned char length[8];
    file.read(length, 8, "header length");
    uint64_t headerBytes = detail::loadLittleEndian(length, 8);
    std::string header(static_cast<size_t>(headerBytes), '\0');
    file.read(header.data(), headerBytes, "header");
    nlohmann::json json = nlohmann::json::parse(header);
    return 8 + headerBytes + json.at(name).at("data_offsets").at(0).get<uint64_t>();
  } catch (const std::exception &) {
    return 0;
  }
}

} // namespace

uint32_t crc32c(const void *data, size_t size, uint32_t crc) {
  static const CrcTables tables = crcTables();
  const auto *bytes = static_cast<const unsigned char *>(data);
  crc = ~crc;
  // Eight bytes at a time, read as two little-endian words whatever the host.
  for (; size >= 8; size -= 8, bytes += 8) {
    const uint32_t low = crc ^ (uint32_t{bytes[0]} | uint32_t{bytes[1]} << 8 |
                                uint32_t{bytes[2]} << 16 | uint32_t{bytes[3]} << 24);
    crc = tables[7][low & 0xFF] ^ tables[6][(low >> 8) & 0xFF] ^
          tables[5][(low >> 16) & 0xFF] ^ tables[4][low >> 24] ^ tables[3][bytes[4]] ^
          tables[2][bytes[5]] ^ tables[1][bytes[6]] ^ tables[0][bytes[7]];
  }
  for (; size > 0; --size, ++bytes)
    crc = tables[0][(crc ^ *bytes) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void writeFileAtomically(const std::filesystem::path &path, std::string_view bytes) {
  const std::string name = path.string();
  std::filesystem::path directory = path.parent_path();
  if (directory.empty())
    directory = ".";
  const std::filesystem::path temporary =
      directory / ("." + path.filename().string() + ".tmp");
  try {
    FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (file.get() < 0)
      throw Error::inFile(name, "cannot write " + temporary.string() + ": " + systemReason());
    writeAll(file.get(), bytes, name);
    if (::fsync(file.get()) != 0)
      throw Error::inFile(name, "cannot flush " + temporary.string() + ": " + systemReason());
    if (file.close() != 0)
      throw Error::inFile(name, "write failed: " + systemReason());
    if (std::rename(temporary.c_str(), path.c_str()) != 0)
      throw Error::inFile(name, "cannot rename " + temporary.string() + " to it: " +
                                    systemReason());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
  FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0)
    throw Error::inFile(name, "cannot flush its directory: " + systemReason());
}

void saveCheckpoint(Model &model, const std::filesystem::path &path,
                    const std::map<std::string, std::string> &extra) {
  const ModelInfo &info = model.info();
  std::map<std::string, TensorView> views;
  nlohmann::ordered_json crcs = nlohmann::ordered_json::object();
  for (const BufferRef &buffer : model.buffers()) {
    if (!isCheckpointed(buffer))
      continue;
    TensorView view{buffer.dtype, buffer.shape, buffer.data};
    if (!views.emplace(buffer.name, view).second)
      throw Error("the model has two buffers named '" + buffer.name + "'");
    crcs[buffer.name] = tensorCrc(buffer.dtype, buffer.data, view.numBytes());
  }
  std::map<std::string, std::string> metadata = {
      {"format", kFormat},
      {"version", kVersion},
      {"model", info.name},
      {"fingerprint", info.fingerprint},
      {"step", std::to_string(model.step())},
      {"crc32c", crcs.dump()},
      {"batch", std::to_string(info.batch)},
      {"train_settings", info.trainSettings},
  };
  for (const auto &[key, value] : extra)
    if (!metadata.emplace(key, value).second)
      throw Error("checkpoint metadata key '" + key + "' is reserved");
  writeFileAtomically(path, serializeSafetensors(views, metadata));
}

namespace {

// "key=value" lines as a map.
std::map<std::string, std::string> settingsOf(const std::string &lines) {
  std::map<std::string, std::string> settings;
  size_t start = 0;
  while (start < lines.size()) {
    size_t end = lines.find('\n', start);
    if (end == std::string::npos)
      end = lines.size();
    std::string line = lines.substr(start, end - start);
    size_t equals = line.find('=');
    if (equals != std::string::npos)
      settings[line.substr(0, equals)] = line.substr(equals + 1);
    start = end + 1;
  }
  return settings;
}

// What differs between the model that wrote `contents` and `model`, for the
// message that refuses the checkpoint: its tensors, its batch, its training
// settings, or else the computation itself.
std::string differences(const SafetensorsContents &contents, Model &model) {
  const ModelInfo &info = model.info();
  std::vector<std::string> found;
  std::set<std::string> ours;
  for (const BufferRef &buffer : model.buffers()) {
    if (!isCheckpointed(buffer))
      continue;
    ours.insert(buffer.name);
    auto tensor = contents.tensors.find(buffer.name);
    if (tensor == contents.tensors.end())
      found.push_back("it lacks " + buffer.name);
    else if (tensor->second.dtype() != buffer.dtype || tensor->second.shape() != buffer.shape)
      found.push_back(buffer.name + " is " + std::string(dtypeName(tensor->second.dtype())) +
                      " " + formatShape(tensor->second.shape()) + " there, " +
                      std::string(dtypeName(buffer.dtype)) + " " + formatShape(buffer.shape) +
                      " here");
  }
  for (const auto &[name, tensor] : contents.tensors)
    if (ours.count(name) == 0)
      found.push_back("it holds " + name + ", which this model does not have");
  auto batch = contents.metadata.find("batch");
  if (batch != contents.metadata.end() && batch->second != std::to_string(info.batch))
    found.push_back("batch " + batch->second + " there, " + std::to_string(info.batch) + " here");
  auto recorded = contents.metadata.find("train_settings");
  if (recorded != contents.metadata.end()) {
    std::map<std::string, std::string> theirs = settingsOf(recorded->second),
                                       mine = settingsOf(info.trainSettings);
    std::set<std::string> keys;
    for (const auto *settings : {&theirs, &mine})
      for (const auto &entry : *settings)
        keys.insert(entry.first);
    for (const std::string &key : keys) {
      if (key == "batch")
        continue;
      auto there = theirs.find(key), here = mine.find(key);
      std::string a = there == theirs.end() ? "unset" : there->second,
                  b = here == mine.end() ? "unset" : here->second;
      if (a != b)
        found.push_back(key + " " + a + " there, " + b + " here");
    }
  }
  if (found.empty())
    return "the network's computation differs (a layer, an activation, the loss or a metric), "
           "or the programs were built by different versions of gradc";
  const size_t shown = std::min<size_t>(found.size(), 6);
  std::string text;
  for (size_t i = 0; i < shown; ++i)
    text += (i ? "; " : "") + found[i];
  if (found.size() > shown)
    text += "; and " + std::to_string(found.size() - shown) + " more differences";
  return text;
}

} // namespace

bool isCheckpointMetadata(const std::map<std::string, std::string> &metadata) {
  auto format = metadata.find("format");
  return format != metadata.end() && format->second == kFormat;
}

TensorMatch matchTensors(const SafetensorsContents &contents,
                         const std::vector<BufferRef> &buffers,
                         const std::function<bool(const BufferRef &)> &load,
                         const std::function<bool(const BufferRef &)> &allow,
                         const std::function<void(const BufferRef &, const Tensor &)> &check) {
  TensorMatch match;
  std::set<std::string> expected;
  for (const BufferRef &buffer : buffers) {
    const bool loaded = load(buffer);
    if (!loaded && !allow(buffer))
      continue;
    auto found = contents.tensors.find(buffer.name);
    if (found == contents.tensors.end()) {
      if (loaded)
        match.missing.push_back(buffer.name);
      continue;
    }
    check(buffer, found->second);
    expected.insert(buffer.name);
  }
  for (const auto &[name, tensor] : contents.tensors)
    if (expected.count(name) == 0)
      match.extra.push_back(name);
  return match;
}

void copyTensors(const SafetensorsContents &contents, const std::vector<BufferRef> &buffers,
                 const std::function<bool(const BufferRef &)> &load) {
  for (const BufferRef &buffer : buffers) {
    if (!load(buffer))
      continue;
    const Tensor &tensor = contents.tensors.at(buffer.name);
    if (tensor.numBytes() > 0)
      std::memcpy(buffer.data, tensor.bytes(), tensor.numBytes());
  }
}

std::string nameList(const std::vector<std::string> &names) {
  std::string text;
  for (const std::string &name : names)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

void verifyCheckpointTensors(const SafetensorsContents &contents,
                             const std::filesystem::path &path) {
  const std::string file = path.string();
  auto found = contents.metadata.find("crc32c");
  if (found == contents.metadata.end())
    throw Error::inFile(file, "is not a gradc checkpoint (its metadata has no 'crc32c')");
  nlohmann::json crcs;
  try {
    crcs = nlohmann::json::parse(found->second);
  } catch (const nlohmann::json::exception &) {
    throw Error::inFile(file, "damaged metadata: crc32c is not JSON");
  }
  for (const auto &[name, tensor] : contents.tensors) {
    if (!crcs.contains(name) || !crcs[name].is_number_unsigned())
      throw Error::inFile(file, "damaged metadata: no CRC-32C for tensor '" + name + "'");
    if (tensorCrc(tensor.dtype(), tensor.bytes(), tensor.numBytes()) !=
        crcs[name].get<uint32_t>())
      throw Error::atByteOffset(file, tensorOffset(path, name),
                                "tensor '" + name +
                                    "' does not match its CRC-32C: the file is damaged");
  }
}

std::map<std::string, std::string> loadCheckpoint(Model &model,
                                                  const std::filesystem::path &path) {
  const std::string file = path.string();
  const ModelInfo &info = model.info();
  SafetensorsContents contents = loadSafetensors(path);
  std::map<std::string, std::string> &metadata = contents.metadata;
  auto field = [&](const char *key) {
    auto found = metadata.find(key);
    if (found == metadata.end())
      throw Error::inFile(file, std::string("is not a gradc checkpoint (its metadata has no '") +
                                    key + "')");
    return found->second;
  };
  if (field("format") != kFormat)
    throw Error::inFile(file, "is not a gradc checkpoint (format '" + field("format") + "')");
  if (field("version") != kVersion)
    throw Error::inFile(file, "is a version " + field("version") +
                                  " checkpoint; this program reads version " + kVersion);
  if (field("model") != info.name || field("fingerprint") != info.fingerprint)
    throw Error::inFile(file, "is a checkpoint of model '" + field("model") + "' (fingerprint '" +
                                  field("fingerprint") + "'), not of this program's '" +
                                  info.name + "' (fingerprint '" + info.fingerprint +
                                  "'): " + differences(contents, model));

  verifyCheckpointTensors(contents, path);

  std::vector<BufferRef> buffers = model.buffers();
  TensorMatch match = matchTensors(
      contents, buffers, isCheckpointed, [](const BufferRef &) { return false; },
      [&](const BufferRef &buffer, const Tensor &tensor) {
        if (tensor.dtype() != buffer.dtype || tensor.shape() != buffer.shape)
          throw Error::inFile(file, "holds " + buffer.name + " as " +
                                        std::string(dtypeName(tensor.dtype())) + " " +
                                        formatShape(tensor.shape()) + ", but this model's is " +
                                        std::string(dtypeName(buffer.dtype)) + " " +
                                        formatShape(buffer.shape));
      });
  if (!match.missing.empty())
    throw Error::inFile(file, "is not a checkpoint of this model: it lacks " +
                                  nameList(match.missing));
  if (!match.extra.empty())
    throw Error::inFile(file, "is not a checkpoint of this model: it holds " +
                                  nameList(match.extra) + ", which the model does not have");
  int64_t step = 0;
  try {
    size_t used = 0;
    step = std::stoll(field("step"), &used);
    if (used != field("step").size() || step < 0)
      throw std::invalid_argument("step");
  } catch (const std::logic_error &) {
    throw Error::inFile(file, "damaged metadata: step '" + field("step") + "'");
  }

  copyTensors(contents, buffers, isCheckpointed);
  model.setStep(step);
  return std::move(metadata);
}

} // namespace gradc::rt
