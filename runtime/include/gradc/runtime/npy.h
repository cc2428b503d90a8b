// npy.h — reader and writer for NumPy's .npy format (versions 1.0, 2.0, 3.0).
#ifndef GRADC_RUNTIME_NPY_H
#define GRADC_RUNTIME_NPY_H

#include "gradc/runtime/load_limits.h"
#include "gradc/runtime/tensor.h"

#include <filesystem>

namespace gradc::rt {

/// The largest header loadNpy accepts, in bytes; the same limit as numpy's
/// default max_header_size.
inline constexpr uint64_t kMaxNpyHeaderBytes = 10000;

/// Reads a .npy file into a Tensor.
///
/// Supported dtypes are f4, f8, i4, i8 (little- or big-endian; big-endian data
/// is converted) and u1. Refused with an Error: other dtypes (object arrays and
/// structured dtypes included), fortran_order True, a header longer than
/// kMaxNpyHeaderBytes, a malformed header, a shape whose product overflows, a
/// tensor larger than limits.maxTensorBytes, and data shorter or longer than
/// the shape says. The header is validated before anything is allocated.
Tensor loadNpy(const std::filesystem::path &path, const LoadLimits &limits = {});

/// Writes a tensor as .npy: version 1.0 (2.0 only if the header needs it),
/// little-endian, C order, header padded so the data starts 64-byte aligned.
/// Throws Error when the file cannot be written.
void saveNpy(const std::filesystem::path &path, const TensorView &tensor);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_NPY_H
