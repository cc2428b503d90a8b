// replay_main.cpp — the main() of fuzz targets in builds without libFuzzer:
// runs LLVMFuzzerTestOneInput once on every file named (directories are read
// recursively), so that seed corpora and regression inputs are replayed by
// every build. Flags (arguments starting with '-') are libFuzzer's and are
// ignored.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

namespace {

bool replay(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  size_t inputs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("-", 0) == 0)
      continue;
    std::filesystem::path path(arg);
    if (std::filesystem::is_directory(path)) {
      for (const auto &entry : std::filesystem::recursive_directory_iterator(path))
        if (entry.is_regular_file()) {
          ok = replay(entry.path()) && ok;
          ++inputs;
        }
    } else {
      ok = replay(path) && ok;
      ++inputs;
    }
  }
  std::printf("replayed %zu inputs\n", inputs);
  return ok ? 0 : 1;
}
