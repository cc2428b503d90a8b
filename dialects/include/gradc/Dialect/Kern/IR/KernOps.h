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

#include "gradc/Dialect/Kern/IR/KernDialect.h.inc"

#define GET_OP_CLASSES
#include "gradc/Dialect/Kern/IR/KernOps.h.inc"

#endif // GRADC_DIALECT_KERN_IR_KERNOPS_H
