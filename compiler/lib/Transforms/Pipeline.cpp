//===- Pipeline.cpp - the passes from nn IR to planned kernels ------------===//

#include "gradc/Transforms/Pipeline.h"
#include "gradc/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace gradc;

void gradc::buildNNPipeline(OpPassManager &pm, const TrainPipelineOptions &options,
                            PipelineStage stage) {
  pm.addPass(createAutodiff());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (stage == PipelineStage::Grad)
    return;
  TrainStepOptions trainStep;
  trainStep.stepGradients = options.stepGradients;
  pm.addPass(createTrainStep(trainStep));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (stage == PipelineStage::Kern)
    pm.addPass(createLowerToKern());
}

void gradc::buildKernPipeline(OpPassManager &pm, const TrainPipelineOptions &options) {
  if (options.fuse) {
    pm.addPass(createFuseSoftmaxCrossEntropy());
    pm.addPass(createFuseElementwise());
    FuseEpiloguesOptions epilogues;
    epilogues.tileBytes = options.epilogueTileBytes;
    pm.addPass(createFuseEpilogues(epilogues));
  }
  if (options.plan) {
    pm.addPass(createScheduleMemory());
    pm.addPass(createPlanMemory());
    pm.addPass(createVerifyMemoryPlan());
  }
}

void gradc::buildTrainPipeline(OpPassManager &pm, const TrainPipelineOptions &options) {
  buildNNPipeline(pm, options, options.stopAfter);
  if (options.stopAfter == PipelineStage::Kern)
    buildKernPipeline(pm, options);
}

void gradc::registerTrainPipeline() {
  PassPipelineRegistration<TrainPipelineOptions>(
      "gradc-train-pipeline",
      "gradc's pipeline from nn IR (@forward) to planned kernels, as gradc runs it: "
      "autodiff, the train step, the lowering to kern, fusion and memory planning",
      [](OpPassManager &pm, const TrainPipelineOptions &options) {
        buildTrainPipeline(pm, options);
      });
}
