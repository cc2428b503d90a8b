// idx.h — reader for IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed.
#ifndef GRADC_RUNTIME_IDX_H
#define GRADC_RUNTIME_IDX_H

#include "gradc/runtime/load_limits.h"
#include "gradc/runtime/tensor.h"

#include <filesystem>

namespace gradc::rt {

/// Reads an IDX file into a Tensor whose shape is the file's dimensions.
///
/// The file may be gzip-compressed (recognised by its magic bytes 1f 8b, not by
/// its name). The header is four bytes — two zeros, an element-type code, the
/// rank (1 to 8) — then one big-endian uint32 per dimension, then the elements,
/// big-endian, row-major. Element types map to tensor dtypes as:
///
///   0x08 unsigned byte -> u8     0x0C int32   -> i32
///   0x09 signed byte   -> i32    0x0D float32 -> f32
///   0x0B int16         -> i32    0x0E float64 -> f64
///
/// (signed bytes and int16 are widened, losslessly). So MNIST's label files
/// (magic 0x00000801) load as u8 [N] and its image files (0x00000803) as
/// u8 [N, 28, 28].
///
/// The data length is checked against the header before the tensor is
/// allocated: a file shorter or longer than its header says is an Error, as
/// are an unknown magic, rank 0 or above 8, a dimension product that overflows,
/// and a tensor larger than limits.maxTensorBytes. Offsets in messages count
/// bytes of the decompressed stream.
Tensor loadIdx(const std::filesystem::path &path, const LoadLimits &limits = {});

} // namespace gradc::rt

#endif // GRADC_RUNTIME_IDX_H
