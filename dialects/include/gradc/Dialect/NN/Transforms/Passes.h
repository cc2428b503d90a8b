//===- Passes.h - passes over the nn dialect ---------- -*- C++ -*-===//

#ifndef GRADC_DIALECT_NN_TRANSFORMS_PASSES_H
#define GRADC_DIALECT_NN_TRANSFORMS_PASSES_H

#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace gradc {

#define GEN_PASS_DECL
#include "gradc/Dialect/NN/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "gradc/Dialect/NN/Transforms/Passes.h.inc"

} // namespace gradc

#endif // GRADC_DIALECT_NN_TRANSFORMS_PASSES_H
