// file_io.h — checked binary file input and output shared by the loaders and writers.
#ifndef GRADC_RUNTIME_SRC_FILE_IO_H
#define GRADC_RUNTIME_SRC_FILE_IO_H

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace gradc::rt::detail {

/// A regular file opened for reading, whose size is known before anything is
/// read, so loaders can compare declared sizes with actual ones up front.
class InputFile {
public:
  /// Throws Error when the path is not a readable regular file.
  explicit InputFile(const std::filesystem::path &path);

  const std::string &name() const { return name_; }
  uint64_t size() const { return size_; }
  uint64_t position() const { return position_; }
  uint64_t remaining() const { return size_ - position_; }

  /// Reads exactly `count` bytes; throws Error at the current offset, naming
  /// `what`, when fewer remain.
  void read(void *destination, uint64_t count, std::string_view what);

  void seek(uint64_t offset);

private:
  std::string name_;
  std::ifstream stream_;
  uint64_t size_ = 0;
  uint64_t position_ = 0;
};

/// A file opened for writing, truncated. Throws Error on any failure,
/// including the final flush in close(); destruction without close() is for
/// unwinding after an error and reports nothing.
class OutputFile {
public:
  explicit OutputFile(const std::filesystem::path &path);

  void write(const void *data, uint64_t count);
  void close();

private:
  std::string name_;
  std::ofstream stream_;
};

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_FILE_IO_H
