//===- FuseElementwise.cpp - elementwise kernels of one shape in one loop --===//
//
// gradc-fuse-elementwise: producer-consumer groups of elementwise kernels of
// one shape become one loop (`kern.fused`, kind "elementwise"); Grouping.cpp.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Dialect/Kern/Transforms/Passes.h"
#include "Grouping.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace gradc {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "gradc/Dialect/Kern/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;

namespace {

struct FuseElementwisePass : public gradc::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      groupKernels(func, /*elementwise=*/true, /*epilogues=*/false);
  }
};

} // namespace
