//===- InternalErrors.h - gradc's message for its own crashes ---*- C++ -*-===//
//
// A crash, a failed check or an LLVM fatal error inside gradc prints
//   gradc: internal error (<what>) while <activity> at MODEL:LINE:COL
// naming the model-file line being compiled (gradc::CompilerScope), instead of
// LLVM's stack dump, and exits with a non-zero status.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_TOOLS_GRADC_INTERNALERRORS_H
#define GRADC_TOOLS_GRADC_INTERNALERRORS_H

#include "mlir/Pass/PassManager.h"

namespace gradc {

/// Installs the handlers; replaces llvm::InitLLVM, whose job it does besides.
/// Call first in main; the returned object shuts LLVM down when destroyed.
class InternalErrorHandlers {
public:
  InternalErrorHandlers(int argc, char **argv);
  ~InternalErrorHandlers();

  /// After the command line is parsed: with the hidden --crash-backtrace,
  /// internal errors also print the compiler's stack.
  void applyOptions();

private:
  const char *argv0;
};

/// Opens a CompilerScope for every pass and pattern application of `pm`'s
/// context; adds the test pass that --gradc-test-internal-error asks for.
void instrumentForInternalErrors(mlir::PassManager &pm);

} // namespace gradc

#endif // GRADC_TOOLS_GRADC_INTERNALERRORS_H
