// tensor.cpp — dtypes, TensorView and the owned Tensor.
#include "gradc/runtime/tensor.h"

#include "gradc/runtime/checked_math.h"

#include <cstring>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <limits>
#include <utility>

namespace gradc::rt {

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::U8:
    return 1;
  }
  throw Error("invalid dtype " + std::to_string(static_cast<int>(dtype)));
}

std::string_view dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::U8:
    return "u8";
  }
  throw Error("invalid dtype " + std::to_string(static_cast<int>(dtype)));
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

namespace {

// Throws unless `shape` is a valid shape; returns its element count.
uint64_t validatedElementCount(const std::vector<int64_t> &shape) {
  for (int64_t dim : shape)
    if (dim < 0)
      throw Error("negative dimension in shape " + formatShape(shape));
  std::optional<uint64_t> count = tryElementCount(shape);
  if (!count)
    throw Error("element count of shape " + formatShape(shape) +
                " overflows 64 bits");
  return *count;
}

uint64_t validatedByteCount(DType dtype, const std::vector<int64_t> &shape) {
  std::optional<uint64_t> bytes =
      tryMul(validatedElementCount(shape), uint64_t{dtypeSize(dtype)});
  if (!bytes)
    throw Error("byte size of " + std::string(dtypeName(dtype)) + " tensor " +
                formatShape(shape) + " overflows 64 bits");
  return *bytes;
}

} // namespace

uint64_t TensorView::numBytes() const {
  return validatedByteCount(dtype, shape);
}

namespace {
/// Tensors of at least this many bytes get their own anonymous mapping.
constexpr size_t kMappedBytes = size_t(1) << 20;
} // namespace

Tensor::Tensor() : shape_{0} {}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)),
      numElements_(validatedElementCount(shape_)) {
  uint64_t bytes = validatedByteCount(dtype_, shape_);
  if (bytes == 0)
    return;
  // aligned_alloc wants a size that is a multiple of the alignment.
  std::optional<uint64_t> padded = tryAdd(bytes, uint64_t{kAlignment - 1});
  if (!padded || *padded > std::numeric_limits<size_t>::max())
    throw Error("tensor of " + std::to_string(bytes) +
                " bytes does not fit in memory");
  size_t allocation = static_cast<size_t>(*padded / kAlignment * kAlignment);
  if (allocation >= kMappedBytes) {
    // Pages of an anonymous mapping read as zero and take memory only when
    // first written: a buffer a run never uses (the gradients of a program
    // whose steps keep them to themselves) costs no memory.
    void *pages = mmap(nullptr, allocation, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
    if (pages == MAP_FAILED)
      throw Error("out of memory allocating a tensor of " + std::to_string(bytes) + " bytes");
    storage_ = std::unique_ptr<std::byte[], FreeAligned>(static_cast<std::byte *>(pages),
                                                         FreeAligned{allocation});
    return;
  }
  storage_.reset(static_cast<std::byte *>(std::aligned_alloc(kAlignment, allocation)));
  if (!storage_)
    throw Error("out of memory allocating a tensor of " +
                std::to_string(bytes) + " bytes");
  std::memset(storage_.get(), 0, allocation);
}

void Tensor::FreeAligned::operator()(std::byte *pointer) const {
  if (fd >= 0)
    close(fd);
  if (fileBase != nullptr)
    munmap(fileBase, mapped);
  else if (mapped != 0)
    munmap(pointer, mapped);
  else
    std::free(pointer);
}

Tensor Tensor::mapFile(const std::string &path, uint64_t offset, DType dtype,
                       std::vector<int64_t> shape) {
  Tensor tensor;
  tensor.dtype_ = dtype;
  tensor.shape_ = std::move(shape);
  tensor.numElements_ = validatedElementCount(tensor.shape_);
  const uint64_t bytes = validatedByteCount(dtype, tensor.shape_);
  if (offset % kAlignment != 0)
    throw Error::inFile(path, "data at byte offset " + std::to_string(offset) +
                                  " is not " + std::to_string(kAlignment) +
                                  "-byte aligned for mapping");
  std::optional<uint64_t> end = tryAdd(offset, bytes);
  if (!end || *end > std::numeric_limits<size_t>::max() || bytes == 0)
    throw Error::inFile(path, "cannot map " + std::to_string(bytes) + " bytes at offset " +
                                  std::to_string(offset));
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error::inFile(path, std::string("cannot open for reading: ") + std::strerror(errno));
  struct stat info;
  if (fstat(fd, &info) != 0 || static_cast<uint64_t>(info.st_size) < *end) {
    close(fd);
    throw Error::inFile(path, "is shorter than the " + std::to_string(*end) +
                                  " bytes its data needs");
  }
  const size_t length = static_cast<size_t>(*end);
  void *pages = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (pages == MAP_FAILED) {
    const int error = errno;
    close(fd);
    throw Error::inFile(path, std::string("cannot map: ") + std::strerror(error));
  }
  auto *base = static_cast<std::byte *>(pages);
  tensor.storage_ =
      std::unique_ptr<std::byte[], FreeAligned>(base + offset, FreeAligned{length, base, fd});
  tensor.filePath_ = path;
  tensor.fileOffset_ = offset;
  return tensor;
}

void Tensor::readBytes(uint64_t offset, void *destination, size_t count) const {
  const FreeAligned &deleter = storage_.get_deleter();
  if (!isFileMapped() || deleter.fd < 0) {
    std::memcpy(destination, storage_.get() + offset, count);
    return;
  }
  auto *out = static_cast<char *>(destination);
  uint64_t at = fileOffset_ + offset;
  while (count > 0) {
    ssize_t got = pread(deleter.fd, out, count, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      throw Error::atByteOffset(filePath_, at, std::string("cannot read: ") + std::strerror(errno));
    if (got == 0)
      throw Error::atByteOffset(filePath_, at, "the file was cut short while in use");
    out += got, at += static_cast<uint64_t>(got), count -= static_cast<size_t>(got);
  }
}

void Tensor::releasePages() {
  const FreeAligned &deleter = storage_.get_deleter();
  if (isFileMapped())
    madvise(deleter.fileBase, deleter.mapped, MADV_DONTNEED);
}

Tensor::Tensor(Tensor &&other) noexcept
    : dtype_(other.dtype_), shape_(std::move(other.shape_)),
      numElements_(std::exchange(other.numElements_, 0)),
      storage_(std::move(other.storage_)), filePath_(std::move(other.filePath_)),
      fileOffset_(std::exchange(other.fileOffset_, 0)) {}

Tensor &Tensor::operator=(Tensor &&other) noexcept {
  dtype_ = other.dtype_;
  shape_ = std::move(other.shape_);
  numElements_ = std::exchange(other.numElements_, 0);
  storage_ = std::move(other.storage_);
  filePath_ = std::move(other.filePath_);
  fileOffset_ = std::exchange(other.fileOffset_, 0);
  return *this;
}

Tensor Tensor::clone() const {
  Tensor copy(dtype_, shape_);
  if (numBytes() > 0)
    std::memcpy(copy.bytes(), bytes(), numBytes());
  return copy;
}

int64_t Tensor::dim(size_t axis) const {
  if (axis >= shape_.size())
    throw Error("axis " + std::to_string(axis) + " out of range for shape " +
                formatShape(shape_));
  return shape_[axis];
}

void Tensor::checkAccess(DType requested) const {
  if (requested != dtype_)
    throw Error("tensor holds " + std::string(dtypeName(dtype_)) +
                " elements, accessed as " + std::string(dtypeName(requested)));
}

void Tensor::reshape(std::vector<int64_t> shape) {
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      throw Error("Tensor::reshape: negative dimension " + std::to_string(dim));
    count *= static_cast<uint64_t>(dim);
  }
  if (count != numElements_)
    throw Error("Tensor::reshape: " + std::to_string(count) + " elements cannot hold the " +
                std::to_string(numElements_) + " of this tensor");
  shape_ = std::move(shape);
}

} // namespace gradc::rt
