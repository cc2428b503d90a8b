//===- MemoryPlan.cpp - scheduling and static memory planning -------------===//
//
//  - gradc-schedule-memory: reorders a function's steps (within their
//    dependences) to lower the most bytes of temporaries live at once;
//  - gradc-plan-memory: gives every temporary an offset in one arena per
//    function, shared by temporaries that are never live together;
//  - gradc-verify-memory-plan: checks that no two temporaries live at the
//    same time overlap in the arena.
//
//===----------------------------------------------------------------------===//

#include "gradc/Transforms/KernGraph.h"
#include "gradc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <map>

namespace gradc {
#define GEN_PASS_DEF_SCHEDULEMEMORY
#define GEN_PASS_DEF_PLANMEMORY
#define GEN_PASS_DEF_VERIFYMEMORYPLAN
#include "gradc/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;

namespace {

constexpr int64_t kAlignment = 64;

int64_t aligned(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

//===----------------------------------------------------------------------===//
// Scheduling
//===----------------------------------------------------------------------===//

/// A list schedule that, among the steps whose predecessors have run, runs
/// the one that adds the fewest live bytes (ties: program order).
SmallVector<Operation *> memoryAwareOrder(func::FuncOp func, const KernGraph &graph) {
  unsigned n = graph.steps.size();
  // Per temporary: its size, how many steps touch it, how many have run.
  llvm::DenseMap<Value, int64_t> bytes;
  llvm::DenseMap<Value, unsigned> users, done;
  for (auto alloc : func.getBody().front().getOps<kern::AllocOp>())
    bytes[alloc.getResult()] = aligned(bufferBytes(alloc.getType()));
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

//===----------------------------------------------------------------------===//
// Planning
//===----------------------------------------------------------------------===//

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
        buffers.push_back({interval.first, interval.last, aligned(interval.bytes),
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

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

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
        if (offset < 0 || offset % kAlignment != 0 || offset + a.bytes > arena) {
          a.alloc->emitError() << "temporary at offset " << offset << " of " << a.bytes
                               << " bytes does not lie " << kAlignment
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
