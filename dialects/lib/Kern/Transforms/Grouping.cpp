//===- Grouping.cpp - grouping kernels into kern.fused ops ---------------===//

#include "Grouping.h"

#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Dialect/Kern/IR/KernOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/EquivalenceClasses.h"

#include <queue>

using namespace mlir;
using namespace gradc;

namespace {

ArrayRef<int64_t> shapeOf(Value value) { return cast<MemRefType>(value.getType()).getShape(); }

bool isElementwiseStep(Operation *op) {
  if (auto kernel = dyn_cast<kern::KernelOp>(op))
    return kernel.isElementwise();
  if (auto fused = dyn_cast<kern::FusedOp>(op))
    return fused.getKind() == "elementwise";
  return false;
}

bool isProducerStep(Operation *op) {
  auto kernel = dyn_cast<kern::KernelOp>(op);
  return kernel && kernel.isEpilogueProducer();
}

/// The loop shape of a step that can be fused.
ArrayRef<int64_t> iterationShape(Operation *op) {
  if (auto kernel = dyn_cast<kern::KernelOp>(op))
    return shapeOf(kernel.getOuts().front());
  return cast<kern::FusedOp>(op).getShape();
}

class Grouper {
public:
  Grouper(func::FuncOp func, bool elementwise, bool epilogues)
      : func(func), graph(func), elementwise(elementwise), epilogues(epilogues) {}

  void run();

private:
  bool tryMerge(unsigned consumer, unsigned producer);
  bool createsCycle(const llvm::DenseSet<unsigned> &members, unsigned maxIndex);
  SmallVector<unsigned> membersOf(unsigned leader);
  void materialize();

  func::FuncOp func;
  KernGraph graph;
  bool elementwise, epilogues;
  llvm::EquivalenceClasses<unsigned> groups;
  /// Per group leader: the producer step, if the group has one.
  llvm::DenseMap<unsigned, unsigned> producerOf;
};

SmallVector<unsigned> Grouper::membersOf(unsigned leader) {
  SmallVector<unsigned> members(groups.member_begin(groups.findValue(leader)),
                                groups.member_end());
  llvm::sort(members);
  return members;
}

/// Whether some path leaves `members` and comes back: merging them would
/// then need a step to run both before and after the group.
bool Grouper::createsCycle(const llvm::DenseSet<unsigned> &members, unsigned maxIndex) {
  SmallVector<unsigned> stack;
  llvm::DenseSet<unsigned> seen;
  for (unsigned m : members)
    for (unsigned next : graph.succs[m])
      if (!members.contains(next) && seen.insert(next).second)
        stack.push_back(next);
  while (!stack.empty()) {
    unsigned s = stack.pop_back_val();
    if (s > maxIndex)
      continue; // edges only go forward: nothing after the group comes back
    for (unsigned next : graph.succs[s]) {
      if (members.contains(next))
        return true;
      if (seen.insert(next).second)
        stack.push_back(next);
    }
  }
  return false;
}

bool Grouper::tryMerge(unsigned consumer, unsigned producer) {
  unsigned a = groups.getLeaderValue(consumer), b = groups.getLeaderValue(producer);
  if (a == b)
    return false;
  Operation *consumerOp = graph.steps[consumer].op;
  Operation *producerOp = graph.steps[producer].op;
  ArrayRef<int64_t> shape = iterationShape(consumerOp);
  if (iterationShape(producerOp) != shape)
    return false;
  auto pa = producerOf.find(a), pb = producerOf.find(b);
  bool aHas = pa != producerOf.end(), bHas = pb != producerOf.end();
  if (aHas && bHas)
    return false;
  std::optional<unsigned> lead;
  if (aHas)
    lead = pa->second;
  if (bHas)
    lead = pb->second;
  if (lead ? !epilogues : !elementwise)
    return false;
  SmallVector<unsigned> merged = membersOf(a);
  llvm::append_range(merged, membersOf(b));
  llvm::DenseSet<unsigned> members(merged.begin(), merged.end());
  unsigned maxIndex = *llvm::max_element(merged);
  // The producer runs whole before the loop: everything else comes after it.
  if (lead)
    for (unsigned m : merged)
      if (m < *lead)
        return false;
  // Buffers written in the loop are accessed at the loop index only.
  llvm::DenseSet<Value> written;
  for (unsigned m : merged)
    if (!lead || m != *lead)
      for (Value w : graph.steps[m].writes)
        written.insert(w);
  for (unsigned m : merged) {
    if (lead && m == *lead)
      continue;
    bool ok = true;
    graph.steps[m].op->walk([&](kern::KernelOp kernel) {
      for (Value v : kernel->getOperands())
        if (written.contains(rootBuffer(v)) && shapeOf(v) != shape)
          ok = false;
    });
    if (!ok)
      return false;
  }
  if (createsCycle(members, maxIndex))
    return false;
  groups.unionSets(a, b);
  unsigned leader = groups.getLeaderValue(a);
  producerOf.erase(a);
  producerOf.erase(b);
  if (lead)
    producerOf[leader] = *lead;
  return true;
}

void Grouper::run() {
  for (unsigned s = 0; s < graph.steps.size(); ++s) {
    groups.insert(s);
    if (isProducerStep(graph.steps[s].op))
      producerOf[s] = s;
  }
  // Each elementwise step joins the groups of the steps that wrote what it
  // reads, in program order.
  for (unsigned j = 0; j < graph.steps.size(); ++j) {
    if (!isElementwiseStep(graph.steps[j].op))
      continue;
    for (unsigned p : graph.preds[j]) {
      Operation *op = graph.steps[p].op;
      if (!isElementwiseStep(op) && !isProducerStep(op))
        continue;
      // Only true dependences: p wrote something j reads.
      bool reads = llvm::any_of(graph.steps[p].writes, [&](Value w) {
        return llvm::is_contained(graph.steps[j].reads, w);
      });
      if (reads)
        tryMerge(j, p);
    }
  }
  materialize();
}

/// Splat constants a group reads become constants of its body.
void inlineConstants(kern::FusedOp fused) {
  Block &body = fused.getBody().front();
  llvm::DenseMap<Value, Value> local;
  SmallVector<kern::KernelOp> kernels(fused.getKernels());
  for (kern::KernelOp kernel : kernels) {
    for (OpOperand &operand : kernel.getInsMutable()) {
      Value in = operand.get();
      if (fused.isLocal(in))
        continue;
      auto alloc = in.getDefiningOp<kern::AllocOp>();
      if (!alloc)
        continue;
      kern::KernelOp constant;
      for (Operation *user : alloc->getUsers()) {
        auto writer = dyn_cast<kern::KernelOp>(user);
        if (writer && writer.isConstant() &&
            writer->getParentOp() == fused->getParentOp())
          constant = writer;
      }
      Attribute constantValue;
      if (constant)
        matchPattern(constant.getPayload(), m_Constant(&constantValue));
      auto value = dyn_cast_or_null<DenseElementsAttr>(constantValue);
      if (!value || !value.isSplat())
        continue;
      Value &replacement = local[in];
      if (!replacement) {
        OpBuilder builder = OpBuilder::atBlockBegin(&body);
        replacement = builder.create<kern::AllocOp>(constant.getLoc(), alloc.getType(), IntegerAttr());
        builder.create<kern::KernelOp>(constant.getLoc(), constant.getPayload(), ValueRange{},
                                       ValueRange{replacement});
      }
      operand.set(replacement);
    }
  }
}

void Grouper::materialize() {
  // Groups in an order that respects the dependences: Kahn's algorithm on
  // the contracted graph, earliest first member first.
  llvm::DenseMap<unsigned, SmallVector<unsigned>> members;
  for (unsigned s = 0; s < graph.steps.size(); ++s)
    members[groups.getLeaderValue(s)].push_back(s);
  llvm::DenseMap<unsigned, unsigned> indegree;
  llvm::DenseMap<unsigned, SmallVector<unsigned>> next;
  for (unsigned s = 0; s < graph.steps.size(); ++s) {
    unsigned from = groups.getLeaderValue(s);
    indegree.try_emplace(from, 0);
    for (unsigned t : graph.succs[s]) {
      unsigned to = groups.getLeaderValue(t);
      if (to == from || llvm::is_contained(next[from], to))
        continue;
      next[from].push_back(to);
      ++indegree[to];
    }
  }
  using Entry = std::pair<unsigned, unsigned>; // first member, leader
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> ready;
  for (auto &[leader, list] : members)
    if (indegree[leader] == 0)
      ready.push({list.front(), leader});
  SmallVector<Operation *> order;
  MLIRContext *context = func.getContext();
  while (!ready.empty()) {
    unsigned leader = ready.top().second;
    ready.pop();
    ArrayRef<unsigned> list = members[leader];
    if (list.size() == 1) {
      order.push_back(graph.steps[list.front()].op);
    } else {
      // One kern.fused holding the group's ops in program order.
      Operation *first = graph.steps[list.front()].op;
      OpBuilder builder(first);
      SmallVector<Location> locs;
      for (unsigned s : list)
        locs.push_back(graph.steps[s].op->getLoc());
      auto it = producerOf.find(leader);
      StringRef kind = it != producerOf.end() ? "epilogue" : "elementwise";
      auto fused = builder.create<kern::FusedOp>(
          builder.getFusedLoc(locs), builder.getStringAttr(kind),
          builder.getDenseI64ArrayAttr(iterationShape(first)));
      Block *body = new Block();
      fused.getBody().push_back(body);
      for (unsigned s : list) {
        Operation *op = graph.steps[s].op;
        if (auto inner = dyn_cast<kern::FusedOp>(op)) {
          // An elementwise group joining an epilogue: splice its body.
          body->getOperations().splice(body->end(), inner.getBody().front().getOperations());
          inner.erase();
        } else {
          op->moveBefore(body, body->end());
        }
      }
      // Temporaries only this group touches become per-iteration locals
      // (never the producer's outputs: it writes them whole).
      llvm::DenseSet<Value> producerOuts;
      if (it != producerOf.end())
        for (Value out : cast<kern::KernelOp>(body->front()).getOuts())
          producerOuts.insert(out);
      SmallVector<kern::AllocOp> candidates;
      for (kern::KernelOp kernel : fused.getKernels())
        for (Value out : kernel.getOuts())
          if (auto alloc = out.getDefiningOp<kern::AllocOp>())
            if (alloc->getParentOp() == func && !producerOuts.contains(out))
              candidates.push_back(alloc);
      for (kern::AllocOp alloc : candidates) {
        bool inside = llvm::all_of(alloc->getUsers(), [&](Operation *user) {
          return fused->isProperAncestor(user);
        });
        if (inside)
          alloc->moveBefore(body, body->begin());
      }
      inlineConstants(fused);
      order.push_back(fused);
    }
    for (unsigned to : next[leader])
      if (--indegree[to] == 0)
        ready.push({members[to].front(), to});
  }
  reorderSteps(func, order);
  // Constants now read only inside groups are dead.
  SmallVector<kern::KernelOp> constants;
  for (auto kernel : func.getBody().front().getOps<kern::KernelOp>())
    if (kernel.isConstant())
      constants.push_back(kernel);
  for (kern::KernelOp constant : constants) {
    Value out = constant.getOuts().front();
    auto alloc = out.getDefiningOp<kern::AllocOp>();
    if (alloc && alloc->hasOneUse()) {
      constant.erase();
      alloc.erase();
    }
  }
  (void)context;
}

} // namespace

void gradc::groupKernels(func::FuncOp func, bool elementwise, bool epilogues) {
  Grouper(func, elementwise, epilogues).run();
}
