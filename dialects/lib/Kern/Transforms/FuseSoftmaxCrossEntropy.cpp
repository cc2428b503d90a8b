//===- FuseSoftmaxCrossEntropy.cpp - a loss and its gradient in one pass --===//
//
// gradc-fuse-softmax-cross-entropy: the loss and its gradient from one read
// of the logits (kern.softmax_cross_entropy).
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Dialect/Kern/Transforms/Passes.h"
#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace gradc {
#define GEN_PASS_DEF_FUSESOFTMAXCROSSENTROPY
#include "gradc/Dialect/Kern/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;

namespace {

void fuseSoftmaxCrossEntropy(func::FuncOp func) {
  SmallVector<kern::KernelOp> losses;
  func.walk([&](kern::KernelOp kernel) {
    if (isa<nn::SoftmaxCrossEntropyOp>(kernel.getPayload()) && kernel->getParentOp() == func)
      losses.push_back(kernel);
  });
  for (kern::KernelOp loss : losses) {
    auto lossOp = cast<nn::SoftmaxCrossEntropyOp>(loss.getPayload());
    Value logits = loss.getIns()[0], labels = loss.getIns()[1];
    // The backward kernel of the same logits and labels, with nothing writing
    // either in between.
    kern::KernelOp backward;
    for (Operation *op = loss->getNextNode(); op; op = op->getNextNode()) {
      auto kernel = dyn_cast<kern::KernelOp>(op);
      auto payload =
          kernel ? dyn_cast<nn::SoftmaxCrossEntropyBackwardOp>(kernel.getPayload()) : nullptr;
      if (payload && kernel.getIns()[0] == logits && kernel.getIns()[1] == labels &&
          payload.getIgnoreIndexAttr() == lossOp.getIgnoreIndexAttr()) {
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
                                                loss.getOuts()[0], backward.getOuts()[0],
                                                lossOp.getIgnoreIndexAttr());
    loss.erase();
    backward.erase();
  }
}

struct FuseSoftmaxCrossEntropyPass
    : public gradc::impl::FuseSoftmaxCrossEntropyBase<FuseSoftmaxCrossEntropyPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      fuseSoftmaxCrossEntropy(func);
  }
};

} // namespace
