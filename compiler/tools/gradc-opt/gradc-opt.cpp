//===- gradc-opt.cpp - run gradc passes on nn-dialect IR ------------------===//

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Transforms/Passes.h"
#include "gradc/Transforms/Pipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  // Only the generic cleanups gradc's pipeline relies on, plus gradc's own.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::registerInlinerPass();
  gradc::registerGradcPasses();
  gradc::registerTrainPipeline();

  mlir::DialectRegistry registry;
  registry.insert<gradc::nn::NNDialect, gradc::kern::KernDialect,
                  mlir::func::FuncDialect>();
  // A diagnostic names its location; unless asked for, it does not also
  // print the operation it is attached to, which for a module-level error is
  // the whole module.
  std::vector<char *> args(argv, argv + argc);
  std::string quiet = "--mlir-print-op-on-diagnostic=false";
  bool given = std::any_of(args.begin(), args.end(), [](const char *arg) {
    return llvm::StringRef(arg).contains("mlir-print-op-on-diagnostic");
  });
  if (!given)
    args.insert(args.begin() + 1, quiet.data());
  return mlir::asMainReturnCode(mlir::MlirOptMain(static_cast<int>(args.size()), args.data(),
                                                  "gradc optimizer driver\n", registry));
}
