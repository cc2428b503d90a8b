// file_io.cpp — checked binary file input and output.
#include "file_io.h"

#include "gradc/runtime/error.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <system_error>

namespace gradc::rt::detail {

namespace {

// Streams move at most this many bytes per call, which keeps the count within
// std::streamsize on every platform.
constexpr uint64_t kMaxChunk = uint64_t{1} << 30;

std::string systemReason() { return std::strerror(errno); }

} // namespace

InputFile::InputFile(const std::filesystem::path &path) : name_(path.string()) {
  std::error_code error;
  std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error)
    throw Error::inFile(name_, "cannot open: " + error.message());
  if (!std::filesystem::is_regular_file(status))
    throw Error::inFile(name_, "cannot open: not a regular file");
  size_ = std::filesystem::file_size(path, error);
  if (error)
    throw Error::inFile(name_, "cannot read size: " + error.message());
  stream_.open(path, std::ios::binary);
  if (!stream_)
    throw Error::inFile(name_, "cannot open: " + systemReason());
}

void InputFile::read(void *destination, uint64_t count, std::string_view what) {
  if (count > remaining())
    throw Error::atByteOffset(
        name_, position_,
        "truncated: " + std::string(what) + " needs " + std::to_string(count) +
            " bytes, only " + std::to_string(remaining()) + " remain");
  auto *out = static_cast<char *>(destination);
  for (uint64_t done = 0; done < count;) {
    uint64_t chunk = std::min(count - done, kMaxChunk);
    stream_.read(out + done, static_cast<std::streamsize>(chunk));
    if (static_cast<uint64_t>(stream_.gcount()) != chunk)
      throw Error::atByteOffset(name_, position_ + done,
                                "read failed: " + systemReason());
    done += chunk;
  }
  position_ += count;
}

void InputFile::seek(uint64_t offset) {
  if (offset > size_ ||
      offset > static_cast<uint64_t>(std::numeric_limits<std::streamoff>::max()))
    throw Error::atByteOffset(name_, offset, "seek past the end of the file");
  stream_.seekg(static_cast<std::streamoff>(offset));
  if (!stream_)
    throw Error::atByteOffset(name_, offset, "seek failed: " + systemReason());
  position_ = offset;
}

OutputFile::OutputFile(const std::filesystem::path &path)
    : name_(path.string()), stream_(path, std::ios::binary | std::ios::trunc) {
  if (!stream_)
    throw Error::inFile(name_, "cannot open for writing: " + systemReason());
}

void OutputFile::write(const void *data, uint64_t count) {
  const auto *in = static_cast<const char *>(data);
  for (uint64_t done = 0; done < count;) {
    uint64_t chunk = std::min(count - done, kMaxChunk);
    stream_.write(in + done, static_cast<std::streamsize>(chunk));
    if (!stream_)
      throw Error::inFile(name_, "write failed: " + systemReason());
    done += chunk;
  }
}

void OutputFile::close() {
  stream_.close();
  if (!stream_)
    throw Error::inFile(name_, "write failed: " + systemReason());
}

} // namespace gradc::rt::detail
