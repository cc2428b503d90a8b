// load_limits.h — the size limits every loader enforces before it allocates.
#ifndef GRADC_RUNTIME_LOAD_LIMITS_H
#define GRADC_RUNTIME_LOAD_LIMITS_H

#include <cstdint>

namespace gradc::rt {

/// 16 GiB: far above any data set a single process trains on, far below what a
/// corrupt header can claim.
inline constexpr uint64_t kDefaultMaxTensorBytes = uint64_t{16} << 30;

/// Limits a loader checks against the sizes a file declares, so that a corrupt
/// or hostile header is refused with an error instead of an allocation failure.
struct LoadLimits {
  /// The largest tensor, in bytes after conversion, a loader will create.
  uint64_t maxTensorBytes = kDefaultMaxTensorBytes;
  /// Map the data of a .npy file whose bytes need no conversion (native byte
  /// order, 64-byte aligned data) instead of reading it: Tensor::mapFile. The
  /// trainer's --stream-data.
  bool mapFiles = false;
};

} // namespace gradc::rt

#endif // GRADC_RUNTIME_LOAD_LIMITS_H
