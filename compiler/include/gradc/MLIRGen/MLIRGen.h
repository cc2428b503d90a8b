//===- MLIRGen.h - model file syntax tree to the nn dialect ----*- C++ -*-===//

#ifndef GRADC_MLIRGEN_MLIRGEN_H
#define GRADC_MLIRGEN_MLIRGEN_H

#include "gradc/Frontend/AST.h"
#include "gradc/Frontend/Diagnostics.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace gradc {

struct MLIRGenOptions {
  /// Overrides `batch` of the train section (and its default, 32).
  std::optional<int64_t> batch;
  /// Compiles every f32 tensor as f64 (gradient checking).
  bool f64 = false;
  /// Processes of data-parallel training: the batch (the train section's, or
  /// `batch`) is the global batch, split into `ranks` equal per-rank batches,
  /// and the entry points are built at the per-rank batch.
  int64_t ranks = 1;
};

/// Builds the nn-dialect module of a model file: `@forward` (training mode,
/// batch B), `@forward_eval` (evaluation mode, batch B) and
/// `@forward_eval_one` (evaluation mode, batch 1), with the train section as
/// the module's `nn.train` attribute. Every mistake is reported through
/// `diag` at its place in the model file; returns null when there was any.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const FileAST &file,
                                          llvm::SourceMgr &sourceMgr,
                                          DiagnosticEngine &diag,
                                          const MLIRGenOptions &options = {});

} // namespace gradc

#endif // GRADC_MLIRGEN_MLIRGEN_H
