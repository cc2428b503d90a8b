// mlirgen_fuzzer.cpp — fuzzes model files through the whole compiler: parser,
// MLIRGen and every pass down to the generated C++.
#include "compile_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gradc::fuzz::compileModelFile(llvm::StringRef(reinterpret_cast<const char *>(data), size));
  return 0;
}
