// onnx_fuzzer.cpp — fuzzes ONNX files through the importer and the rest of
// the compiler: the input is written to a file that a fixed model imports
// (`import net from onnx(...)`), then parsed, checked, built and compiled to
// C++. Any stage may refuse it with a diagnostic; none may crash.
#include "compile_fuzz.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace {

/// A file of this process's own for the fuzzed ONNX bytes, removed when the
/// process exits.
struct OnnxFile {
  std::string path;
  OnnxFile() {
    llvm::SmallString<128> dir;
    llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, dir);
    llvm::sys::path::append(dir, "gradc-fuzz-onnx-" +
                                     std::to_string(llvm::sys::Process::getProcessId()) +
                                     ".onnx");
    path = dir.str().str();
  }
  ~OnnxFile() { llvm::sys::fs::remove(path); }
};

const std::string &onnxPath() {
  static const OnnxFile file;
  return file.path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(onnxPath(), ec);
    if (ec)
      return 0;
    out.write(reinterpret_cast<const char *>(data), size);
  }
  // One float input of rank 2, as the seeds have; the loss accepts any float
  // output.
  std::string model = "import net from onnx(\"" + onnxPath() +
                      "\")\nmodel Fuzzed {\n  input x: f32[B, 4]\n  let out = net(x)\n"
                      "  loss mean(out * out)\n  output out\n}\ntrain {\n  batch 2\n}\n";
  gradc::fuzz::compileModelFile(model);
  return 0;
}
