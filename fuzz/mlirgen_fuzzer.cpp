// mlirgen_fuzzer.cpp — fuzzes model files through the whole compiler: parser,
// MLIRGen and every pass down to the generated C++.
#include "compile_fuzz.h"

#include "gradc/Frontend/Parser.h"
#include "gradc/MLIRGen/MLIRGen.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace gradc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.gc"),
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
