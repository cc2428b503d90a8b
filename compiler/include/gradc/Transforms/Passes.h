//===- Passes.h - gradc passes ---------------------------------*- C++ -*-===//

#ifndef GRADC_TRANSFORMS_PASSES_H
#define GRADC_TRANSFORMS_PASSES_H

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace gradc {

#define GEN_PASS_DECL
#include "gradc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "gradc/Transforms/Passes.h.inc"

} // namespace gradc

#endif // GRADC_TRANSFORMS_PASSES_H
