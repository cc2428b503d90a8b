//===- NNDialect.h - the nn dialect ----------------------------*- C++ -*-===//

#ifndef GRADC_DIALECT_NN_IR_NNDIALECT_H
#define GRADC_DIALECT_NN_IR_NNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "gradc/Dialect/NN/IR/NNDialect.h.inc"

#endif // GRADC_DIALECT_NN_IR_NNDIALECT_H
