//===- gradc-opt.cpp - run gradc passes on nn-dialect IR ------------------===//

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  // Only the generic cleanups gradc's pipeline relies on, plus gradc's own.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::registerInlinerPass();
  gradc::registerGradcPasses();

  mlir::DialectRegistry registry;
  registry.insert<gradc::nn::NNDialect, gradc::kern::KernDialect,
                  mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "gradc optimizer driver\n", registry));
}
