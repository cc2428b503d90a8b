// safetensors.h — reader and writer for the safetensors weight and checkpoint format.
#ifndef GRADC_RUNTIME_SAFETENSORS_H
#define GRADC_RUNTIME_SAFETENSORS_H

#include "gradc/runtime/load_limits.h"
#include "gradc/runtime/tensor.h"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace gradc::rt {

/// The largest JSON header accepted, in bytes (the reference implementation's
/// limit).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

/// The contents of a safetensors file: tensors by name, and the optional
/// free-form "__metadata__" string map.
struct SafetensorsContents {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

/// Views of every tensor in a map, for writing them back out.
std::map<std::string, TensorView>
viewsOf(const std::map<std::string, Tensor> &tensors);

/// Reads a safetensors file. The layout is an 8-byte little-endian header
/// length N, N bytes of UTF-8 JSON
///   {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
///    ..., "__metadata__": {"<key>": "<value>"}}
/// then the byte buffer; offsets are relative to the buffer's start.
///
/// Supported dtypes: F32, F64, I32, I64, U8. Refused with an Error naming the
/// byte offset: a header length past the end of the file or above
/// kMaxSafetensorsHeaderBytes, a header that is not UTF-8 or not JSON, a
/// duplicate name, a malformed entry, an unsupported dtype, a shape whose size
/// disagrees with its offsets, offsets out of range, overlapping offsets, gaps
/// in the buffer, and a tensor larger than limits.maxTensorBytes. Everything is
/// validated before any tensor is allocated.
SafetensorsContents loadSafetensors(const std::filesystem::path &path,
                                    const LoadLimits &limits = {});

/// The same, from bytes in memory; sourceName stands for the file in messages.
SafetensorsContents parseSafetensors(std::string_view bytes,
                                     std::string_view sourceName,
                                     const LoadLimits &limits = {});

/// The bytes of a safetensors file holding these tensors. As in the reference
/// implementation, the header is padded with spaces to a multiple of 8 bytes
/// and the tensors are laid out by decreasing element size, then by name, so
/// that every tensor is aligned to its element size and the buffer has no
/// gaps. Throws Error for a name that is empty, not UTF-8 or "__metadata__",
/// or a view with null data and a non-zero size.
std::string serializeSafetensors(const std::map<std::string, TensorView> &tensors,
                                 const std::map<std::string, std::string> &metadata = {});

/// serializeSafetensors, written to a file. Throws Error when it cannot be
/// written.
void saveSafetensors(const std::filesystem::path &path,
                     const std::map<std::string, TensorView> &tensors,
                     const std::map<std::string, std::string> &metadata = {});

} // namespace gradc::rt

#endif // GRADC_RUNTIME_SAFETENSORS_H
