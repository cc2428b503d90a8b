// error.h — the one exception type the runtime throws, with a message that names the place.
#ifndef GRADC_RUNTIME_ERROR_H
#define GRADC_RUNTIME_ERROR_H

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gradc::rt {

/// Every failure the runtime reports — bad input files, size overflow, misuse of
/// a tensor — is an Error. Loaders build it with one of the factories below, so
/// the message always starts with where the problem is:
///
///   "train.npy: byte offset 10: header is 20000 bytes, more than the 10000 allowed"
///   "iris.csv:4:7: 'abc' is not a number"
class Error : public std::runtime_error {
public:
  explicit Error(const std::string &message) : std::runtime_error(message) {}

  /// "<file>: byte offset <offset>: <message>" — for binary formats.
  static Error atByteOffset(std::string_view file, uint64_t offset,
                            std::string_view message);

  /// "<file>:<line>:<column>: <message>" — for text formats; both 1-based.
  static Error atLineColumn(std::string_view file, uint64_t line,
                            uint64_t column, std::string_view message);

  /// "<file>: <message>" — for failures with no position (cannot open, ...).
  static Error inFile(std::string_view file, std::string_view message);
};

/// A NaN or infinity where training cannot go on: a non-finite loss or
/// gradient, or (with --check-numerics) a kernel's non-finite output. The
/// message names the step, parameter or model-file line.
class NumericsError : public Error {
public:
  explicit NumericsError(const std::string &message) : Error(message) {}
};

/// Throws NumericsError "<what> produced <NaN|inf|-inf> at element <i> of <count>"
/// when data[0..count) holds a non-finite value; `what` names the kernel and
/// its model-file line.
void checkFinite(const float *data, int64_t count, const char *what);
void checkFinite(const double *data, int64_t count, const char *what);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_ERROR_H
