// memory_file.h — a fuzz input as a file (an anonymous in-memory file) for the
// runtime's loaders, which read paths.
#ifndef GRADC_FUZZ_MEMORY_FILE_H
#define GRADC_FUZZ_MEMORY_FILE_H

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace gradc::fuzz {

/// One memfd per process, rewritten for every input; path() names it.
class MemoryFile {
public:
  explicit MemoryFile(const char *name) : fd_(memfd_create(name, 0)) {
    if (fd_ < 0)
      std::abort();
  }
  ~MemoryFile() { close(fd_); }
  MemoryFile(const MemoryFile &) = delete;
  MemoryFile &operator=(const MemoryFile &) = delete;

  /// Replaces the file's contents.
  void assign(const void *data, size_t size) {
    if (ftruncate(fd_, 0) != 0)
      std::abort();
    const auto *bytes = static_cast<const char *>(data);
    for (size_t done = 0; done < size;) {
      ssize_t written = pwrite(fd_, bytes + done, size - done, static_cast<off_t>(done));
      if (written <= 0)
        std::abort();
      done += static_cast<size_t>(written);
    }
  }

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
  int fd_;
};

} // namespace gradc::fuzz

#endif // GRADC_FUZZ_MEMORY_FILE_H
