//===- Fusion.cpp - fusing kernels at the kern level ----------------------===//
//
// Three passes over kern-level functions:
//  - gradc-fuse-softmax-cross-entropy: the loss and its gradient from one read
//    of the logits;
//  - gradc-fuse-elementwise: producer-consumer groups of elementwise kernels
//    of one shape become one loop (`kern.fused`, kind "elementwise");
//  - gradc-fuse-epilogues: elementwise kernels over the output of a matrix
//    product, convolution or normalization run right after it, in one
//    `kern.fused` of kind "epilogue".
// Both grouping passes share one algorithm: kernels join the group of the
// kernel that wrote what they read, when the shapes agree and the merged
// group would not have to run both before and after some other step.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Transforms/KernGraph.h"
#include "gradc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/EquivalenceClasses.h"

#include <queue>

namespace gradc {
#define GEN_PASS_DEF_FUSESOFTMAXCROSSENTROPY
#define GEN_PASS_DEF_FUSEELEMENTWISE
#define GEN_PASS_DEF_FUSEEPILOGUES
#include "gradc/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;

namespace {

ArrayRef<int64_t> shapeOf(Value value) { return cast<MemRefType>(value.getType()).getShape(); }

//===----------------------------------------------------------------------===//
// Softmax cross-entropy
//===----------------------------------------------------------------------===//

void fuseSoftmaxCrossEntropy(func::FuncOp func) {
  SmallVector<kern::KernelOp> losses;
  func.walk([&](kern::KernelOp kernel) {
    if (isa<nn::SoftmaxCrossEntropyOp>(kernel.getPayload()) && kernel->getParentOp() == func)
      losses.push_back(kernel);
  });
  for (kern::KernelOp loss : losses) {
    Value logits = loss.getIns()[0], labels = loss.getIns()[1];
    // The backward kernel of the same logits and labels, with nothing writing
    // either in between.
    kern::KernelOp backward;
    for (Operation *op = loss->getNextNode(); op; op = op->getNextNode()) {
      auto kernel = dyn_cast<kern::KernelOp>(op);
      if (kernel && isa<nn::SoftmaxCrossEntropyBackwardOp>(kernel.getPayload()) &&
          kernel.getIns()[0] == logits && kernel.getIns()[1] == labels) {
        backward = kernel;
        break;
      }
      SmallVector<Value> reads, writes;
      collectAccesses(op, reads, writes);
      if (llvm::is_contained(writes, rootBuffer(logits)) ||
          llvm::is_contained(writes, rootBuffer(labels)) ||
          llvm::is_contained(reads, rootBuffer(loss.getOuts()[0])) ||
          llvm::is_contained(writes, rootBuffer(loss.getOuts()[0])))
        break;
    }
    if (!backward)
      continue;
    // The incoming gradient must exist where the loss is computed.
    Value dloss = backward.getIns()[2];
    Operation *dlossDef = rootBuffer(dloss).getDefiningOp();
    bool dlossReady = !dlossDef || isa<kern::AllocOp>(dlossDef);
    if (dlossReady && dlossDef) {
      // Its writer must come before the loss kernel.
      for (Operation *op = loss->getNextNode(); op != backward; op = op->getNextNode()) {
        SmallVector<Value> reads, writes;
        collectAccesses(op, reads, writes);
        if (llvm::is_contained(writes, rootBuffer(dloss)))
          dlossReady = false;
      }
    }
    if (!dlossReady)
      continue;
    // Nothing between may read or write the gradient's buffer: it is
    // written earlier now.
    bool clear = true;
    for (Operation *op = loss->getNextNode(); op != backward; op = op->getNextNode()) {
      SmallVector<Value> reads, writes;
      collectAccesses(op, reads, writes);
      Value target = rootBuffer(backward.getOuts()[0]);
      if (llvm::is_contained(reads, target) || llvm::is_contained(writes, target))
        clear = false;
    }
    if (!clear)
      continue;
    // The gradient's buffer must exist at the loss kernel.
    Value dlogits = backward.getOuts()[0];
    if (Operation *def = dlogits.getDefiningOp()) {
      if (!isa<kern::AllocOp>(def))
        continue;
      if (loss->isBeforeInBlock(def))
        def->moveBefore(loss);
    }
    OpBuilder builder(loss);
    Location loc = builder.getFusedLoc({loss.getLoc(), backward.getLoc()});
    builder.create<kern::SoftmaxCrossEntropyOp>(loc, logits, labels, dloss,
                                                loss.getOuts()[0], backward.getOuts()[0]);
    loss.erase();
    backward.erase();
  }
}

//===----------------------------------------------------------------------===//
// Grouping
//===----------------------------------------------------------------------===//

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

struct FuseSoftmaxCrossEntropyPass
    : public gradc::impl::FuseSoftmaxCrossEntropyBase<FuseSoftmaxCrossEntropyPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      fuseSoftmaxCrossEntropy(func);
  }
};

struct FuseElementwisePass : public gradc::impl::FuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      Grouper(func, /*elementwise=*/true, /*epilogues=*/false).run();
  }
};

/// Rows per call of the runtime's matrix products (gradc::rt::kGemmRowBlock).
constexpr int64_t kGemmRowBlock = 128;

// Marks the results of 2-D matrix products that only their flat epilogue
// reads, and that span at least two tiles, to be computed a tile of rows at a
// time (kTileRowsAttrName on the alloc; KernelPrinter::printFused).
void tileEpilogues(func::FuncOp func, int64_t tileBytes) {
  for (auto fused : func.getBody().front().getOps<kern::FusedOp>()) {
    if (fused.getKind() != "epilogue")
      continue;
    // The producer, then the loop's kernels (constants become literals).
    SmallVector<kern::KernelOp> kernels;
    for (kern::KernelOp kernel : fused.getKernels())
      if (!kernel.isConstant())
        kernels.push_back(kernel);
    if (kernels.empty())
      continue;
    kern::KernelOp producer = kernels.front();
    auto rowBlocks = dyn_cast<nn::KernelOpInterface>(producer.getPayload());
    if (!rowBlocks || !rowBlocks.canComputeRowBlocks() || producer.getOuts().size() != 1)
      continue;
    Value product = producer.getOuts().front();
    auto alloc = product.getDefiningOp<kern::AllocOp>();
    MemRefType type = alloc ? alloc.getType() : MemRefType();
    if (!alloc || alloc->getParentOp() != func.getOperation() || type.getRank() != 2 ||
        type.getShape() != fused.getShape())
      continue;
    // Read by the epilogue alone, which treats every buffer as flat.
    bool onlyEpilogue = llvm::all_of(alloc->getUsers(), [&](Operation *user) {
      return fused->isProperAncestor(user);
    });
    bool flat = llvm::all_of(ArrayRef(kernels).drop_front(), [&](kern::KernelOp kernel) {
      auto flatBuffer = [&](Value v) {
        auto shape = cast<MemRefType>(v.getType()).getShape();
        return fused.isLocal(v) || shape == fused.getShape() ||
               cast<MemRefType>(v.getType()).getNumElements() == 1;
      };
      return llvm::all_of(kernel.getIns(), flatBuffer) &&
             llvm::all_of(kernel.getOuts(), flatBuffer) &&
             llvm::none_of(kernel.getOuts(), [&](Value v) { return v == product; });
    });
    // Whole blocks of the runtime's GEMM rows, so that the tiles' products
    // are bitwise the whole product's.
    int64_t rowBytes = bufferBytes(type) / std::max<int64_t>(type.getDimSize(0), 1);
    int64_t rows = tileBytes / std::max<int64_t>(rowBytes, 1) / kGemmRowBlock * kGemmRowBlock;
    rows = std::max(rows, kGemmRowBlock);
    if (!onlyEpilogue || !flat || kernels.size() < 2 || 2 * rows > type.getDimSize(0))
      continue;
    alloc->setAttr(kTileRowsAttrName, IntegerAttr::get(IntegerType::get(func.getContext(), 64),
                                                       rows));
  }
}

struct FuseEpiloguesPass : public gradc::impl::FuseEpiloguesBase<FuseEpiloguesPass> {
  using FuseEpiloguesBase::FuseEpiloguesBase;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      Grouper(func, /*elementwise=*/false, /*epilogues=*/true).run();
      tileEpilogues(func, tileBytes);
    }
  }
};

} // namespace
