//===- FuseEpilogues.cpp - elementwise kernels after their producer -------===//
//
// gradc-fuse-epilogues: elementwise kernels over the output of a matrix
// product, convolution or normalization run right after it, in one
// `kern.fused` of kind "epilogue" (Grouping.cpp); a product only its flat
// epilogue reads is computed a tile of rows at a time.
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Dialect/Kern/Transforms/Passes.h"
#include "Grouping.h"
#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace gradc {
#define GEN_PASS_DEF_FUSEEPILOGUES
#include "gradc/Dialect/Kern/Transforms/Passes.h.inc"
} // namespace gradc

using namespace mlir;
using namespace gradc;

namespace {

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
      groupKernels(func, /*elementwise=*/false, /*epilogues=*/true);
      tileEpilogues(func, tileBytes);
    }
  }
};

} // namespace
