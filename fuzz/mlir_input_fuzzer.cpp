// mlir_input_fuzzer.cpp — fuzzes .mlir input as gradc reads it: MLIR's parser
// with the nn, kern and func dialects (their custom syntax, attributes and
// verifiers), printing, and the compiler's passes and C++ emitter on whatever
// verifies.
#include "compile_fuzz.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/raw_ostream.h"

using namespace gradc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::FuzzContext fuzzContext;
  mlir::ParserConfig config(&fuzzContext.context);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceString<mlir::ModuleOp>(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), config, "fuzz.mlir");
  if (!module || mlir::failed(mlir::verify(*module)))
    return 0;
  llvm::raw_null_ostream null;
  module->print(null);
  fuzz::compileToCpp(*module);
  return 0;
}
