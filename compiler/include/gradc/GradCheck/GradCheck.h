//===- GradCheck.h - compiled gradients against finite differences -*- C++ -*-===//

#ifndef GRADC_GRADCHECK_GRADCHECK_H
#define GRADC_GRADCHECK_GRADCHECK_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>

namespace gradc {

struct GradCheckOptions {
  uint64_t seed = 0;
  /// Entries checked per parameter; tensors with at most this many entries
  /// are checked whole. 0: every entry of every parameter.
  int64_t entriesPerParam = 16;
  double eps = 1e-6;
  double atol = 1e-5; ///< as torch.autograd.gradcheck
  double rtol = 1e-3;
};

/// Checks `@loss_grad` against central finite differences of `@forward`'s
/// loss, both evaluated by the reference interpreter, on random inputs and
/// parameters drawn from `seed`. Prints one line per parameter (max absolute
/// and relative error) and returns whether every checked entry satisfies
/// |analytic - numeric| <= atol + rtol |numeric|. Returns failure when the
/// module cannot be evaluated (an error has been reported).
mlir::FailureOr<bool> runGradCheck(mlir::ModuleOp module, const GradCheckOptions &options,
                                   llvm::raw_ostream &os);

} // namespace gradc

#endif // GRADC_GRADCHECK_GRADCHECK_H
