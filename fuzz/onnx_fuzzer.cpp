// onnx_fuzzer.cpp — fuzzes ONNX files through the importer and the rest of
// the compiler: the input is written to a file that a fixed model imports
// (`import net from onnx(...)`), then parsed, checked, built and compiled to
// C++. Any stage may refuse it with a diagnostic; none may crash.
#include "compile_fuzz.h"

#include "gradc/Frontend/Parser.h"
#include "gradc/MLIRGen/MLIRGen.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace gradc;

namespace {

/// A file of this process's own for the fuzzed ONNX bytes.
const std::string &onnxPath() {
  static const std::string path = [] {
    llvm::SmallString<128> dir;
    llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, dir);
    llvm::sys::path::append(dir, "gradc-fuzz-onnx-" +
                                     std::to_string(llvm::sys::Process::getProcessId()) +
                                     ".onnx");
    return dir.str().str();
  }();
  return path;
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
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(model, "fuzz.gc"),
                               llvm::SMLoc());
  llvm::raw_null_ostream null;
  DiagnosticEngine diag(&sourceMgr, null);
  std::unique_ptr<FileAST> ast = parseFile(sourceMgr, sourceMgr.getMainFileID(), diag);
  if (!ast)
    return 0;
  fuzz::FuzzContext fuzzContext;
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(fuzzContext.context, *ast, sourceMgr, diag);
  if (module && !diag.hasErrors())
    fuzz::compileToCpp(*module);
  return 0;
}
