// compile_fuzz.h — what the compiler's fuzz targets share: a context that
// drops diagnostics, and gradc's pipeline from the nn dialect to C++.
#ifndef GRADC_FUZZ_COMPILE_FUZZ_H
#define GRADC_FUZZ_COMPILE_FUZZ_H

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Frontend/Parser.h"
#include "gradc/MLIRGen/MLIRGen.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Target/EmitCpp.h"
#include "gradc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace gradc::fuzz {

/// A single-threaded context with gradc's dialects loaded, for one input.
class FuzzContext {
public:
  FuzzContext() : context(registry(), mlir::MLIRContext::Threading::DISABLED) {
    context.loadAllAvailableDialects();
    context.getDiagEngine().registerHandler(
        [](mlir::Diagnostic &) { return mlir::success(); });
  }

  mlir::MLIRContext context;

private:
  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry registry;
    registry.insert<nn::NNDialect, kern::KernDialect, mlir::func::FuncDialect>();
    return registry;
  }
};

/// What `gradc MODEL --emit=cpp` does after the front end: verify, autodiff,
/// train step, lowering to kernels, fusion, memory planning and the C++
/// emitter (the same passes in the same order as gradc's runPipeline). Any
/// stage may refuse the module with a diagnostic; none may crash.
inline void compileToCpp(mlir::ModuleOp module) {
  if (mlir::failed(mlir::verify(module)))
    return;
  mlir::PassManager pm(module.getContext());
  pm.enableVerifier(true);
  pm.addPass(createAutodiff());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(createTrainStep());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(createLowerToKern());
  pm.addPass(createFuseSoftmaxCrossEntropy());
  pm.addPass(createFuseElementwise());
  pm.addPass(createFuseEpilogues());
  pm.addPass(createScheduleMemory());
  pm.addPass(createPlanMemory());
  pm.addPass(createVerifyMemoryPlan());
  if (mlir::failed(pm.run(module)))
    return;
  (void)emitCpp(module, "fuzz.gc");
}

/// What `gradc MODEL --emit=cpp` does with the model file `source`: parse,
/// MLIRGen, then compileToCpp; diagnostics are dropped.
inline void compileModelFile(llvm::StringRef source) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(source, "fuzz.gc"),
                               llvm::SMLoc());
  llvm::raw_null_ostream null;
  DiagnosticEngine diag(&sourceMgr, null);
  std::unique_ptr<FileAST> ast = parseFile(sourceMgr, sourceMgr.getMainFileID(), diag);
  if (!ast)
    return;
  FuzzContext fuzzContext;
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(fuzzContext.context, *ast, sourceMgr, diag);
  if (module && !diag.hasErrors())
    compileToCpp(*module);
}

} // namespace gradc::fuzz

#endif // GRADC_FUZZ_COMPILE_FUZZ_H
