// scratch.h — per-thread scratch memory the kernels reuse from call to call.
#ifndef GRADC_RUNTIME_SRC_SCRATCH_H
#define GRADC_RUNTIME_SRC_SCRATCH_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace gradc::rt::detail {

/// Scratch memory of the calling thread that outlives the call: a step runs
/// the same kernels every time, and memory freed and allocated again would be
/// returned to the system and faulted in again each step. `slot` (0 to 3)
/// tells apart the arrays one kernel needs at once; a kernel's pointers are
/// valid until the next call on this thread with the same slot. Uninitialized.
template <typename T> T *scratch(int slot, int64_t count) {
  struct Buffer {
    std::unique_ptr<unsigned char[]> data;
    size_t bytes = 0;
  };
  thread_local Buffer buffers[4];
  Buffer &buffer = buffers[slot];
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(count, 1)) * sizeof(T);
  if (buffer.bytes < bytes) {
    buffer.data.reset();
    buffer.data.reset(new unsigned char[bytes]);
    buffer.bytes = bytes;
  }
  return reinterpret_cast<T *>(buffer.data.get());
}

} // namespace gradc::rt::detail

#endif // GRADC_RUNTIME_SRC_SCRATCH_H
