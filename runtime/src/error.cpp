// error.cpp — formatting of located runtime errors.
#include "gradc/runtime/error.h"

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

} // namespace gradc::rt
