//===- KernelPrinter.h - one kern.kernel as C++ ----------------*- C++ -*-===//
//
// Internal to the C++ emitter: prints a kernel, its payload's C++ as the
// payload's interfaces state it (NNKernels.cpp): an elementwise op as a loop
// over its element expression, any other op as the statements it prints;
// fused groups as one loop nest of element expressions.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_LIB_TARGET_KERNELPRINTER_H
#define GRADC_LIB_TARGET_KERNELPRINTER_H

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/CppKernels.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace gradc::emit {

/// "float", "double", "int32_t", "bool", "int64_t".
inline std::string cType(mlir::Type element) { return cpp::typeName(element); }

/// A C++ identifier for a model name: `dense_0.weight` -> `dense_0_weight`.
std::string identifier(llvm::StringRef name);

/// Prints kernels of one function; `names` gives each buffer's pointer expression.
class KernelPrinter {
public:
  KernelPrinter(llvm::raw_ostream &os, const llvm::DenseMap<mlir::Value, std::string> &names)
      : os(os), names(names) {}

  mlir::LogicalResult print(kern::KernelOp kernel);
  void printCopy(kern::CopyOp copy);
  /// A `kern.fused` group: its producer's call, if any, then one loop nest
  /// computing every elementwise kernel per element.
  mlir::LogicalResult printFused(kern::FusedOp fused);
  void printSoftmaxCrossEntropy(kern::SoftmaxCrossEntropyOp op);
  /// Loops over all elements of a flat group run to `count` (a C++
  /// expression, the parameter of a shared loop) instead of its size.
  void setLoopCount(std::string count) { loopCount = std::move(count); }

private:
  mlir::LogicalResult printElementwise(kern::KernelOp kernel);

  std::string name(mlir::Value value) const { return names.lookup(value); }

  llvm::raw_ostream &os;
  const llvm::DenseMap<mlir::Value, std::string> &names;
  std::string loopCount;
};

} // namespace gradc::emit

#endif // GRADC_LIB_TARGET_KERNELPRINTER_H
