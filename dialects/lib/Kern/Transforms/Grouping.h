//===- Grouping.h - grouping kernels into kern.fused ops ---------*- C++ -*-===//
//
// Internal to the kern fusion passes. Both grouping passes share one
// algorithm: kernels join the group of the kernel that wrote what they read,
// when the shapes agree and the merged group would not have to run both
// before and after some other step.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_DIALECT_KERN_TRANSFORMS_GROUPING_H
#define GRADC_DIALECT_KERN_TRANSFORMS_GROUPING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace gradc {

/// Groups `func`'s kernels into `kern.fused` ops: elementwise groups of one
/// shape (`elementwise`), or elementwise kernels after the producer of what
/// they read (`epilogues`).
void groupKernels(mlir::func::FuncOp func, bool elementwise, bool epilogues);

} // namespace gradc

#endif // GRADC_DIALECT_KERN_TRANSFORMS_GROUPING_H
