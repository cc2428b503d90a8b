//===- Passes.h - passes over the kern dialect -------- -*- C++ -*-===//

#ifndef GRADC_DIALECT_KERN_TRANSFORMS_PASSES_H
#define GRADC_DIALECT_KERN_TRANSFORMS_PASSES_H

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace gradc {

#define GEN_PASS_DECL
#include "gradc/Dialect/Kern/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "gradc/Dialect/Kern/Transforms/Passes.h.inc"

} // namespace gradc

#endif // GRADC_DIALECT_KERN_TRANSFORMS_PASSES_H
