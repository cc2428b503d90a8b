//===- CppKernels.h - pieces of the C++ that nn kernels print --*- C++ -*-===//
//
// What the ops' ElementwiseOpInterface and KernelOpInterface implementations
// (NNKernels.cpp) and the C++ emitter share: element types and literals as
// C++, and the index arithmetic of row-major, broadcasting loop nests.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_DIALECT_NN_IR_CPPKERNELS_H
#define GRADC_DIALECT_NN_IR_CPPKERNELS_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gradc::cpp {

/// "float", "double", "int32_t", "bool", "int64_t".
std::string typeName(mlir::Type element);

/// A literal of element type `element`: 0.5f, 0.5, 3, true, infinities, NaN.
std::string literal(double value, mlir::Type element);

/// `, <index>`, the last argument of a softmax cross-entropy kernel that
/// ignores label `index`; nothing when it ignores none.
std::string ignoredLabel(std::optional<int64_t> ignoreIndex);

/// Row-major strides of `shape`, in elements.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// The number of elements of `shape`.
int64_t product(llvm::ArrayRef<int64_t> shape);

/// Index, in an operand of `shape` broadcast to `result`, of the element at
/// loop counters i0, i1, ... over `result`.
std::string broadcastIndex(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> result);

/// Opens one `for` per dimension of `shape` (counters i0, i1, ...); returns
/// the indentation inside.
std::string openLoops(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> shape,
                      std::string indent = "  ");

} // namespace gradc::cpp

#endif // GRADC_DIALECT_NN_IR_CPPKERNELS_H
