//===- KernOps.h - the kern dialect ----------------------------*- C++ -*-===//

#ifndef GRADC_DIALECT_KERN_IR_KERNOPS_H
#define GRADC_DIALECT_KERN_IR_KERNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Dialect/NN/IR/NNOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include "gradc/Dialect/Kern/IR/KernDialect.h.inc"

#define GET_OP_CLASSES
#include "gradc/Dialect/Kern/IR/KernOps.h.inc"

namespace gradc::kern {

/// The argument attribute that makes an argument an output buffer, naming
/// what it receives: a loss, a metric's statistics, the output, a gradient.
inline constexpr llvm::StringLiteral kOutAttrName = "kern.out";

/// What output argument `i` of `func` receives (`kern.out`); std::nullopt
/// for an argument that is not an output buffer.
std::optional<nn::Role> outputRole(mlir::FunctionOpInterface func, unsigned i);

/// Whether `role` can be an output buffer's (loss, metric, output, grad).
bool isOutputRole(nn::Role role);

} // namespace gradc::kern

#endif // GRADC_DIALECT_KERN_IR_KERNOPS_H
