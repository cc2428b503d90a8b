//===- PlanMemory.cpp - one arena per function for its temporaries ------===//
//
// gradc-plan-memory: gives every temporary an offset in one arena per
// function, shared by temporaries that are never live together.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Dialect/Kern/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <map>

namespace gradc {
#define GEN_PASS_DEF_PLANMEMORY
#include "gradc/Dialect/Kern/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;

namespace {

struct Buffer {
  unsigned first, last;
  int64_t size;
  unsigned id;
  int64_t offset = -1;
};

bool liveTogether(const Buffer &a, const Buffer &b) {
  return a.first <= b.last && b.first <= a.last;
}

/// Places buffers in the given order, each in the gap among the already
/// placed buffers it is live with: the smallest gap that fits (best fit) or
/// the lowest (first fit). Returns the arena size.
int64_t place(std::vector<Buffer> &buffers, ArrayRef<unsigned> order, bool bestFit) {
  std::vector<unsigned> placed;
  int64_t arena = 0;
  for (unsigned i : order) {
    Buffer &b = buffers[i];
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (unsigned j : placed)
      if (liveTogether(b, buffers[j]))
        busy.push_back({buffers[j].offset, buffers[j].offset + buffers[j].size});
    llvm::sort(busy);
    int64_t cursor = 0, bestOffset = -1, bestGap = 0;
    for (auto [start, end] : busy) {
      int64_t gap = start - cursor;
      if (gap >= b.size && (bestOffset < 0 || (bestFit && gap < bestGap))) {
        bestOffset = cursor;
        bestGap = gap;
        if (!bestFit)
          break;
      }
      cursor = std::max(cursor, end);
    }
    b.offset = bestOffset >= 0 ? bestOffset : cursor;
    arena = std::max(arena, b.offset + b.size);
    placed.push_back(i);
  }
  return arena;
}

struct Plan {
  StringRef strategy;
  int64_t arena;
  std::vector<Buffer> buffers;
};

Plan bestPlan(std::vector<Buffer> buffers) {
  std::vector<unsigned> bySize(buffers.size()), byStart(buffers.size());
  for (unsigned i = 0; i < buffers.size(); ++i)
    bySize[i] = byStart[i] = i;
  // Greedy by size (TFLite's arena planner, XLA's heap simulator): largest
  // first; ties by first use.
  llvm::stable_sort(bySize, [&](unsigned a, unsigned b) {
    if (buffers[a].size != buffers[b].size)
      return buffers[a].size > buffers[b].size;
    return buffers[a].first < buffers[b].first;
  });
  // Greedy by first use: the order a heap would allocate in.
  llvm::stable_sort(byStart, [&](unsigned a, unsigned b) {
    if (buffers[a].first != buffers[b].first)
      return buffers[a].first < buffers[b].first;
    return buffers[a].size > buffers[b].size;
  });
  std::optional<Plan> best;
  const std::pair<StringRef, std::pair<std::vector<unsigned> *, bool>> strategies[] = {
      {"size-best-fit", {&bySize, true}},
      {"size-first-fit", {&bySize, false}},
      {"start-best-fit", {&byStart, true}},
      {"start-first-fit", {&byStart, false}},
  };
  for (auto &[name, how] : strategies) {
    std::vector<Buffer> trial = buffers;
    int64_t arena = place(trial, *how.first, how.second);
    if (!best || arena < best->arena)
      best = Plan{name, arena, std::move(trial)};
  }
  if (!best)
    return Plan{"none", 0, {}};
  return *best;
}

struct PlanMemoryPass : public gradc::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      KernGraph graph(func);
      Liveness liveness(graph, func);
      std::vector<Buffer> buffers;
      for (auto [i, interval] : llvm::enumerate(liveness.intervals))
        buffers.push_back({interval.first, interval.last, arenaAligned(interval.bytes),
                           static_cast<unsigned>(i)});
      Plan plan = bestPlan(std::move(buffers));
      Builder b(func.getContext());
      for (const Buffer &buffer : plan.buffers)
        liveness.intervals[buffer.id].alloc->setAttr("offset",
                                                     b.getI64IntegerAttr(buffer.offset));
      func->setAttr("kern.arena_bytes", b.getI64IntegerAttr(plan.arena));
      func->setAttr("kern.plan", b.getStringAttr(plan.strategy));
    }
  }
};

} // namespace
