//===- VerifyMemoryPlan.cpp - no two live temporaries overlap -----------===//
//
// gradc-verify-memory-plan: checks that no two temporaries live at the same
// time overlap in the arena.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Dialect/Kern/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <map>

namespace gradc {
#define GEN_PASS_DEF_VERIFYMEMORYPLAN
#include "gradc/Dialect/Kern/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;

namespace {

struct VerifyMemoryPlanPass
    : public gradc::impl::VerifyMemoryPlanBase<VerifyMemoryPlanPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      auto arenaAttr = func->getAttrOfType<IntegerAttr>("kern.arena_bytes");
      KernGraph graph(func);
      Liveness liveness(graph, func);
      bool planned = false;
      for (const Liveness::Interval &interval : liveness.intervals)
        planned |= static_cast<bool>(interval.alloc->getAttr("offset"));
      if (!planned && !arenaAttr)
        continue; // an unplanned function: every temporary has its own buffer
      if (!arenaAttr) {
        func.emitError() << "planned temporaries but no 'kern.arena_bytes'";
        return signalPassFailure();
      }
      int64_t arena = arenaAttr.getInt();
      bool failed = false;
      auto offsetOf = [](Operation *alloc) -> int64_t {
        auto attr = alloc->getAttrOfType<IntegerAttr>("offset");
        return attr ? attr.getInt() : -1;
      };
      for (const Liveness::Interval &a : liveness.intervals) {
        int64_t offset = offsetOf(a.alloc);
        if (offset < 0 || offset % kArenaAlignment != 0 || offset + a.bytes > arena) {
          a.alloc->emitError() << "temporary at offset " << offset << " of " << a.bytes
                               << " bytes does not lie " << kArenaAlignment
                               << "-byte aligned in the arena of " << arena << " bytes";
          failed = true;
        }
      }
      for (size_t i = 0; i < liveness.intervals.size(); ++i)
        for (size_t j = i + 1; j < liveness.intervals.size(); ++j) {
          const Liveness::Interval &a = liveness.intervals[i], &b = liveness.intervals[j];
          if (a.first > b.last || b.first > a.last)
            continue;
          int64_t ao = offsetOf(a.alloc), bo = offsetOf(b.alloc);
          if (ao < bo + b.bytes && bo < ao + a.bytes) {
            b.alloc->emitError() << "temporary [" << bo << ", " << bo + b.bytes
                                 << ") overlaps a temporary [" << ao << ", " << ao + a.bytes
                                 << ") live at the same time (steps " << std::max(a.first, b.first)
                                 << " to " << std::min(a.last, b.last) << ")"
                                 << "";
            a.alloc->emitRemark() << "the other temporary";
            failed = true;
          }
        }
      if (failed)
        return signalPassFailure();
    }
  }
};

} // namespace
