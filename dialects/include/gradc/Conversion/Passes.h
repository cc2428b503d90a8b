//===- Passes.h - conversions between gradc dialects - -*- C++ -*-===//

#ifndef GRADC_CONVERSION_PASSES_H
#define GRADC_CONVERSION_PASSES_H

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace gradc {

#define GEN_PASS_DECL
#include "gradc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "gradc/Conversion/Passes.h.inc"

} // namespace gradc

#endif // GRADC_CONVERSION_PASSES_H
