// error.cpp — formatting of located runtime errors.
#include "gradc/runtime/error.h"

#include <cmath>

namespace gradc::rt {

Error Error::atByteOffset(std::string_view file, uint64_t offset,
                          std::string_view message) {
  std::string text(file);
  text += ": byte offset ";
  text += std::to_string(offset);
  text += ": ";
  text += message;
  return Error(text);
}

Error Error::atLineColumn(std::string_view file, uint64_t line, uint64_t column,
                          std::string_view message) {
  std::string text(file);
  text += ':';
  text += std::to_string(line);
  text += ':';
  text += std::to_string(column);
  text += ": ";
  text += message;
  return Error(text);
}

Error Error::inFile(std::string_view file, std::string_view message) {
  std::string text(file);
  text += ": ";
  text += message;
  return Error(text);
}

namespace {

template <typename T> void checkFiniteImpl(const T *data, int64_t count, const char *what) {
  for (int64_t i = 0; i < count; ++i) {
    if (std::isfinite(data[i]))
      continue;
    std::string value = std::isnan(data[i]) ? "NaN" : data[i] > 0 ? "inf" : "-inf";
    throw NumericsError(std::string(what) + " produced " + value + " at element " +
                        std::to_string(i) + " of " + std::to_string(count));
  }
}

} // namespace

void checkFinite(const float *data, int64_t count, const char *what) {
  checkFiniteImpl(data, count, what);
}

void checkFinite(const double *data, int64_t count, const char *what) {
  checkFiniteImpl(data, count, what);
}

} // namespace gradc::rt
