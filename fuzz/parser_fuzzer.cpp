// parser_fuzzer.cpp — fuzzes the model-language lexer and parser, and the
// syntax-tree dump of what they accept.
#include "gradc/Frontend/AST.h"
#include "gradc/Frontend/Parser.h"

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
  std::string messages;
  llvm::raw_string_ostream os(messages);
  DiagnosticEngine diag(&sourceMgr, os);
  std::unique_ptr<FileAST> ast = parseFile(sourceMgr, sourceMgr.getMainFileID(), diag);
  if (ast) {
    llvm::raw_null_ostream null;
    dumpAST(*ast, null);
  }
  return 0;
}
