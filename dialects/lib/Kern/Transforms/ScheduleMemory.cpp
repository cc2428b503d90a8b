//===- ScheduleMemory.cpp - an order of steps with fewer live bytes -------===//
//
// gradc-schedule-memory: reorders a function's steps (within their
// dependences) to lower the most bytes of temporaries live at once.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Dialect/Kern/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <map>

namespace gradc {
#define GEN_PASS_DEF_SCHEDULEMEMORY
#include "gradc/Dialect/Kern/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;

namespace {

/// A list schedule that, among the steps whose predecessors have run, runs
/// the one that adds the fewest live bytes (ties: program order).
SmallVector<Operation *> memoryAwareOrder(func::FuncOp func, const KernGraph &graph) {
  unsigned n = graph.steps.size();
  // Per temporary: its size, how many steps touch it, how many have run.
  llvm::DenseMap<Value, int64_t> bytes;
  llvm::DenseMap<Value, unsigned> users, done;
  for (auto alloc : func.getBody().front().getOps<kern::AllocOp>())
    bytes[alloc.getResult()] = arenaAligned(bufferBytes(alloc.getType()));
  auto touched = [&](unsigned s) {
    SmallVector<Value, 8> list;
    for (Value v : llvm::concat<const Value>(graph.steps[s].reads, graph.steps[s].writes))
      if (bytes.count(v) && !llvm::is_contained(list, v))
        list.push_back(v);
    return list;
  };
  std::vector<SmallVector<Value, 8>> touches(n);
  for (unsigned s = 0; s < n; ++s) {
    touches[s] = touched(s);
    for (Value v : touches[s])
      ++users[v];
  }
  std::vector<unsigned> waiting(n);
  SmallVector<unsigned> ready;
  for (unsigned s = 0; s < n; ++s)
    if ((waiting[s] = graph.preds[s].size()) == 0)
      ready.push_back(s);
  SmallVector<Operation *> order;
  while (!ready.empty()) {
    auto score = [&](unsigned s) {
      int64_t delta = 0;
      for (Value v : touches[s]) {
        if (done[v] == 0)
          delta += bytes[v]; // becomes live
        if (done[v] + 1 == users[v])
          delta -= bytes[v]; // dies after this step
      }
      return delta;
    };
    auto best = ready.begin();
    int64_t bestScore = score(*best);
    for (auto it = std::next(ready.begin()); it != ready.end(); ++it) {
      int64_t value = score(*it);
      if (value < bestScore || (value == bestScore && *it < *best)) {
        best = it;
        bestScore = value;
      }
    }
    unsigned s = *best;
    ready.erase(best);
    order.push_back(graph.steps[s].op);
    for (Value v : touches[s])
      ++done[v];
    for (unsigned next : graph.succs[s])
      if (--waiting[next] == 0)
        ready.push_back(next);
  }
  return order;
}

struct ScheduleMemoryPass : public gradc::impl::ScheduleMemoryBase<ScheduleMemoryPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      KernGraph graph(func);
      int64_t before = Liveness(graph, func).peakBytes;
      SmallVector<Operation *> original;
      for (const KernGraph::Step &step : graph.steps)
        original.push_back(step.op);
      reorderSteps(func, memoryAwareOrder(func, graph));
      KernGraph after(func);
      if (Liveness(after, func).peakBytes >= before)
        reorderSteps(func, original); // keep program order unless it helps
    }
  }
};

} // namespace
