// test_util.h — temporary directories, byte builders and error matchers for runtime tests.
#ifndef GRADC_TESTS_RUNTIME_TEST_UTIL_H
#define GRADC_TESTS_RUNTIME_TEST_UTIL_H

#include "gradc/runtime/error.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace gradc::rt::testing {

/// A fresh directory under the system temporary directory, removed with
/// everything in it when the object goes away.
class TempDir {
public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("gradc-runtime-tests-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  std::filesystem::path file(std::string_view name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

inline void writeBytes(const std::filesystem::path &path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline std::string readBytes(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void appendBigEndian(std::string &out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

inline void appendLittleEndian(std::string &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

/// Success when `run` throws a gradc::rt::Error whose message contains
/// `expected`.
template <typename Run>
::testing::AssertionResult throwsError(Run &&run, std::string_view expected) {
  try {
    run();
  } catch (const Error &error) {
    if (std::string_view(error.what()).find(expected) != std::string_view::npos)
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "error \"" << error.what() << "\" does not contain \"" << expected << "\"";
  }
  return ::testing::AssertionFailure()
         << "no Error thrown; expected one containing \"" << expected << "\"";
}

} // namespace gradc::rt::testing

/// Expects `statement` to throw a gradc::rt::Error containing `substring`.
#define EXPECT_RT_ERROR(statement, substring)                                  \
  EXPECT_TRUE(::gradc::rt::testing::throwsError([&] { (void)(statement); },    \
                                                (substring)))

#endif // GRADC_TESTS_RUNTIME_TEST_UTIL_H
