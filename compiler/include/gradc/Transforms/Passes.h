//===- Passes.h - every gradc pass -----------------------------*- C++ -*-===//
//
// The passes live beside their dialects: nn passes in
// gradc/Dialect/NN/Transforms, kern passes in gradc/Dialect/Kern/Transforms,
// the nn-to-kern lowering in gradc/Conversion. This header registers them all
// (for gradc-opt and gradc).
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_TRANSFORMS_PASSES_H
#define GRADC_TRANSFORMS_PASSES_H

#include "gradc/Conversion/Passes.h"
#include "gradc/Dialect/Kern/Transforms/Passes.h"
#include "gradc/Dialect/NN/Transforms/Passes.h"

namespace gradc {

/// Registers every gradc pass with the global pass registry.
inline void registerGradcPasses() {
  registerNNTransformsPasses();
  registerKernTransformsPasses();
  registerConversionPasses();
}

} // namespace gradc

#endif // GRADC_TRANSFORMS_PASSES_H
