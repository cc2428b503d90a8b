//===- Summary.h - a model's layers, shapes and parameters -----*- C++ -*-===//
//
// `gradc MODEL.gc --summary`: the model as torchinfo and Keras' summary show
// one — each op of the training forward pass in order, with its model line,
// the layer whose parameters it uses, its output type and their count — and
// the totals of trainable, frozen and non-trainable values.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_TRANSFORMS_SUMMARY_H
#define GRADC_TRANSFORMS_SUMMARY_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace gradc {

/// Prints the summary of the nn-level module (as MLIRGen builds it, with its
/// @forward) to `os`; fails when the module has no @forward.
mlir::LogicalResult printModelSummary(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace gradc

#endif // GRADC_TRANSFORMS_SUMMARY_H
