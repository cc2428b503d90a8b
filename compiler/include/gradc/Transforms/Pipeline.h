//===- Pipeline.h - the passes from nn IR to planned kernels ---*- C++ -*-===//
//
// gradc's pipeline in one place: `gradc` builds it for every model it
// compiles, and `gradc-opt --gradc-train-pipeline` runs the same passes with
// the same options on nn IR, so that a stage can be replayed and tested alone.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_TRANSFORMS_PIPELINE_H
#define GRADC_TRANSFORMS_PIPELINE_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace gradc {

/// Where the pipeline stops, as `gradc --emit` names the stages.
enum class PipelineStage { Grad, Train, Kern };

struct TrainPipelineOptions : public mlir::PassPipelineOptions<TrainPipelineOptions> {
  Option<PipelineStage> stopAfter{
      *this, "stop-after", llvm::cl::desc("The last stage"),
      llvm::cl::init(PipelineStage::Kern),
      llvm::cl::values(
          clEnumValN(PipelineStage::Grad, "grad", "after autodiff: @loss_grad added"),
          clEnumValN(PipelineStage::Train, "train", "the entry points, at the nn level"),
          clEnumValN(PipelineStage::Kern, "kern", "kernels over buffers, fused and planned"))};
  Option<bool> fuse{*this, "fuse", llvm::cl::desc("Fuse kernels (gradc -fno-fuse: false)"),
                    llvm::cl::init(true)};
  Option<bool> plan{*this, "plan",
                    llvm::cl::desc("Schedule and plan memory (gradc -fno-plan: false)"),
                    llvm::cl::init(true)};
  Option<bool> stepGradients{
      *this, "step-gradients",
      llvm::cl::desc("train_step returns the gradients (gradc -fno-step-gradients: false)"),
      llvm::cl::init(true)};
  Option<int64_t> epilogueTileBytes{
      *this, "epilogue-tile-bytes",
      llvm::cl::desc("Bytes of one tile of a product its epilogue consumes by rows"),
      llvm::cl::init(1 << 20)};
};

/// nn IR (@forward) up to `stage` (at most the kern level): autodiff, the
/// train step, their cleanups and the lowering to kernels.
void buildNNPipeline(mlir::OpPassManager &pm, const TrainPipelineOptions &options,
                     PipelineStage stage);

/// At the kern level: fusion and memory planning, as the options say.
void buildKernPipeline(mlir::OpPassManager &pm, const TrainPipelineOptions &options);

/// Both, up to options.stopAfter, for a pass manager that runs them in one
/// go (gradc-opt).
void buildTrainPipeline(mlir::OpPassManager &pm, const TrainPipelineOptions &options);

/// Registers `gradc-train-pipeline` with MLIR's pass registry.
void registerTrainPipeline();

} // namespace gradc

#endif // GRADC_TRANSFORMS_PIPELINE_H
