//===- KernGraph.cpp - dependences and liveness of kern functions ---------===//

#include "gradc/Dialect/Kern/Analysis/KernGraph.h"

#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace gradc;

Value gradc::rootBuffer(Value value) {
  while (auto view = value.getDefiningOp<kern::ViewOp>())
    value = view.getSource();
  return value;
}

int64_t gradc::bufferBytes(MemRefType type) {
  Type element = type.getElementType();
  int64_t width = element.isInteger(1) ? 1 : (element.getIntOrFloatBitWidth() + 7) / 8;
  return type.getNumElements() * width;
}

int64_t gradc::allocBytes(Operation *alloc) {
  auto type = cast<MemRefType>(alloc->getResult(0).getType());
  auto rows = alloc->getAttrOfType<IntegerAttr>(kTileRowsAttrName);
  if (!rows || type.getRank() == 0 || type.getDimSize(0) == 0)
    return bufferBytes(type);
  return bufferBytes(type) / type.getDimSize(0) * std::min(rows.getInt(), type.getDimSize(0));
}

void gradc::collectAccesses(Operation *op, SmallVectorImpl<Value> &reads,
                            SmallVectorImpl<Value> &writes) {
  auto add = [](SmallVectorImpl<Value> &list, Value value) {
    Value root = rootBuffer(value);
    if (!llvm::is_contained(list, root))
      list.push_back(root);
  };
  if (auto kernel = dyn_cast<kern::KernelOp>(op)) {
    for (Value in : kernel.getIns())
      add(reads, in);
    for (Value out : kernel.getOuts())
      add(writes, out);
  } else if (auto copy = dyn_cast<kern::CopyOp>(op)) {
    add(reads, copy.getSource());
    add(writes, copy.getTarget());
  } else if (auto xent = dyn_cast<kern::SoftmaxCrossEntropyOp>(op)) {
    for (Value in : {xent.getLogits(), xent.getLabels(), xent.getDloss()})
      add(reads, in);
    for (Value out : {xent.getLoss(), xent.getDlogits()})
      add(writes, out);
  } else if (auto fused = dyn_cast<kern::FusedOp>(op)) {
    for (kern::KernelOp kernel : fused.getKernels()) {
      for (Value in : kernel.getIns())
        if (!fused.isLocal(in))
          add(reads, in);
      for (Value out : kernel.getOuts())
        if (!fused.isLocal(out))
          add(writes, out);
    }
  }
}

KernGraph::KernGraph(func::FuncOp func) {
  for (Operation &op : func.getBody().front()) {
    if (isa<kern::AllocOp, kern::ViewOp>(op) || op.hasTrait<OpTrait::IsTerminator>())
      continue;
    Step step{&op, {}, {}};
    collectAccesses(&op, step.reads, step.writes);
    index[&op] = steps.size();
    steps.push_back(std::move(step));
  }
  succs.resize(steps.size());
  preds.resize(steps.size());
  llvm::DenseMap<Value, unsigned> lastWriter;
  llvm::DenseMap<Value, SmallVector<unsigned, 4>> readersSinceWrite;
  auto edge = [&](unsigned from, unsigned to) {
    if (from == to || llvm::is_contained(succs[from], to))
      return;
    succs[from].push_back(to);
    preds[to].push_back(from);
  };
  for (unsigned j = 0; j < steps.size(); ++j) {
    for (Value read : steps[j].reads) {
      auto it = lastWriter.find(read);
      if (it != lastWriter.end())
        edge(it->second, j);
    }
    for (Value write : steps[j].writes) {
      auto it = lastWriter.find(write);
      if (it != lastWriter.end())
        edge(it->second, j);
      for (unsigned reader : readersSinceWrite[write])
        edge(reader, j);
    }
    for (Value write : steps[j].writes) {
      lastWriter[write] = j;
      readersSinceWrite[write].clear();
    }
    for (Value read : steps[j].reads)
      readersSinceWrite[read].push_back(j);
  }
}

Liveness::Liveness(const KernGraph &graph, func::FuncOp func) {
  llvm::DenseMap<Operation *, unsigned> slot;
  for (auto alloc : func.getBody().front().getOps<kern::AllocOp>()) {
    slot[alloc] = intervals.size();
    intervals.push_back({alloc, allocBytes(alloc), ~0u, 0});
  }
  for (auto [position, step] : llvm::enumerate(graph.steps)) {
    for (ArrayRef<Value> list : {ArrayRef<Value>(step.reads), ArrayRef<Value>(step.writes)})
      for (Value root : list) {
        auto it = slot.find(root.getDefiningOp());
        if (it == slot.end())
          continue;
        Interval &interval = intervals[it->second];
        interval.first = std::min<unsigned>(interval.first, position);
        interval.last = std::max<unsigned>(interval.last, position);
      }
  }
  for (Interval &interval : intervals) {
    if (interval.first == ~0u)
      interval.first = interval.last = 0; // never used: live nowhere that matters
    totalBytes += interval.bytes;
  }
  std::vector<int64_t> delta(graph.steps.size() + 1, 0);
  for (const Interval &interval : intervals) {
    delta[interval.first] += interval.bytes;
    delta[interval.last + 1] -= interval.bytes;
  }
  int64_t live = 0;
  for (unsigned s = 0; s < graph.steps.size(); ++s) {
    live += delta[s];
    if (live > peakBytes) {
      peakBytes = live;
      peakStep = s;
    }
  }
}

void gradc::reorderSteps(func::FuncOp func, ArrayRef<Operation *> order) {
  Block &body = func.getBody().front();
  Operation *terminator = body.getTerminator();
  SmallVector<Operation *> allocs, views;
  for (Operation &op : body) {
    if (isa<kern::AllocOp>(op))
      allocs.push_back(&op);
    else if (isa<kern::ViewOp>(op))
      views.push_back(&op);
  }
  for (Operation *op : llvm::concat<Operation *const>(allocs, views, order))
    op->moveBefore(terminator);
}
