// tensor.h — the runtime's owned, dense, row-major tensor and its element types.
#ifndef GRADC_RUNTIME_TENSOR_H
#define GRADC_RUNTIME_TENSOR_H

#include "gradc/runtime/error.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gradc::rt {

/// Element types a Tensor can hold.
enum class DType : uint8_t { F32, F64, I32, I64, U8 };

/// Bytes per element: 4, 8, 4, 8, 1.
size_t dtypeSize(DType dtype);

/// Lower-case name as used in messages: "f32", "f64", "i32", "i64", "u8".
std::string_view dtypeName(DType dtype);

/// The DType of a C++ element type: DTypeOf<float>::value == DType::F32.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::F32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::F64; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::I32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::I64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::U8; };

/// "[2, 3, 4]"; "[]" for rank 0.
std::string formatShape(const std::vector<int64_t> &shape);

/// A non-owning description of dense row-major data that lives elsewhere
/// (a Tensor, or a slice of the training program's arena). Writers take views
/// so that parameters can be saved without first copying them into Tensors.
struct TensorView {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;

  /// Element count times element size; throws Error on a negative dimension
  /// or overflow.
  uint64_t numBytes() const;
};

/// An owned, contiguous, row-major tensor. Storage is aligned to kAlignment
/// bytes and zero-initialised. Tensors are move-only: copying a data set by
/// accident is expensive, so copies are spelled clone().
class Tensor {
public:
  static constexpr size_t kAlignment = 64;

  /// An empty f32 tensor of shape [0].
  Tensor();

  /// A zero-filled tensor. Throws Error when a dimension is negative, when the
  /// element count or byte size overflows, or when allocation fails.
  Tensor(DType dtype, std::vector<int64_t> shape);

  /// A moved-from Tensor may only be assigned to or destroyed.
  Tensor(Tensor &&other) noexcept;
  Tensor &operator=(Tensor &&other) noexcept;
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;
  ~Tensor() = default;

  /// A deep copy.
  Tensor clone() const;

  /// The same elements with another shape of the same element count; throws
  /// Error otherwise.
  void reshape(std::vector<int64_t> shape);

  /// A tensor over bytes [offset, offset + its size) of a file, mapped
  /// copy-on-write rather than read: pages are read from the file when first
  /// touched, and releasePages() gives them back, so a data set read a batch
  /// at a time stays out of the process's memory. offset must be a multiple
  /// of kAlignment. Throws Error naming the file when it cannot be mapped.
  static Tensor mapFile(const std::string &path, uint64_t offset, DType dtype,
                        std::vector<int64_t> shape);

  /// The file a mapped tensor's data lies in, at byte fileOffset(); "" if none.
  const std::string &filePath() const { return filePath_; }

  /// Whether the storage is a file mapping (mapFile).
  bool isFileMapped() const {
    return storage_ != nullptr && storage_.get_deleter().fileBase != nullptr;
  }

  /// For a file mapping: drops the pages read so far from the process (the
  /// next access reads them from the file again, usually from the page
  /// cache). Writes to the tensor since mapping are lost. Does nothing for
  /// other tensors.
  void releasePages();

  /// For a file mapping: copies `count` bytes from byte `offset` of the
  /// tensor's data by reading the file (pread), without touching the mapping:
  /// the kernel may map far more than a page around any access to it (large
  /// page-cache folios). Throws Error naming the file on a read error or a
  /// file cut short. Other tensors: a plain copy.
  void readBytes(uint64_t offset, void *destination, size_t count) const;

  DType dtype() const { return dtype_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  size_t rank() const { return shape_.size(); }
  /// The size of one axis; throws Error when axis >= rank().
  int64_t dim(size_t axis) const;
  /// Product of the dimensions; 1 for rank 0.
  uint64_t numElements() const { return numElements_; }
  uint64_t numBytes() const { return numElements_ * dtypeSize(dtype_); }

  /// Typed element access; throws Error when T does not match dtype().
  /// Null when the tensor has no elements.
  template <typename T> T *data() {
    checkAccess(DTypeOf<T>::value);
    return reinterpret_cast<T *>(storage_.get());
  }
  template <typename T> const T *data() const {
    checkAccess(DTypeOf<T>::value);
    return reinterpret_cast<const T *>(storage_.get());
  }

  /// Untyped access to the numBytes() bytes of storage; null when empty.
  std::byte *bytes() { return storage_.get(); }
  const std::byte *bytes() const { return storage_.get(); }

  TensorView view() const { return {dtype_, shape_, storage_.get()}; }

private:
  /// Frees storage from aligned_alloc, or unmaps it when it was mapped.
  struct FreeAligned {
    FreeAligned() : mapped(0), fileBase(nullptr), fd(-1) {}
    explicit FreeAligned(size_t length, std::byte *base = nullptr, int file = -1)
        : mapped(length), fileBase(base), fd(file) {}
    void operator()(std::byte *pointer) const;
    size_t mapped;       ///< the length of a mapping; 0 for aligned_alloc
    std::byte *fileBase; ///< the start of a file mapping, else null
    int fd;              ///< the mapped file, open for readFile(); -1 if none
  };

  void checkAccess(DType requested) const;

  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  uint64_t numElements_ = 0;
  std::unique_ptr<std::byte[], FreeAligned> storage_;
  std::string filePath_;   ///< a file mapping's file
  uint64_t fileOffset_ = 0; ///< where in it the data starts
};

} // namespace gradc::rt

#endif // GRADC_RUNTIME_TENSOR_H
