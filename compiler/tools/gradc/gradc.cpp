//===- gradc.cpp - the gradc compiler driver ------------------------------===//
//
// gradc MODEL.gc|MODEL.mlir [--emit=STAGE] [-o OUTPUT]
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Frontend/Parser.h"
#include "gradc/MLIRGen/MLIRGen.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace {
enum class Stage { AST, NN };

llvm::cl::opt<std::string> inputFilename(llvm::cl::Positional,
                                         llvm::cl::desc("<model.gc | input.mlir>"),
                                         llvm::cl::init("-"));
llvm::cl::opt<std::string> outputFilename("o", llvm::cl::desc("Output file"),
                                          llvm::cl::value_desc("filename"),
                                          llvm::cl::init("-"));
llvm::cl::opt<Stage> emitStage(
    "emit", llvm::cl::desc("Stop after a stage and print it"),
    llvm::cl::values(clEnumValN(Stage::AST, "ast", "the model file's syntax tree"),
                     clEnumValN(Stage::NN, "nn", "the nn dialect (verified)")),
    llvm::cl::init(Stage::NN));
llvm::cl::opt<int64_t> batchOverride(
    "batch", llvm::cl::desc("Batch size B (overrides the model's train { batch })"),
    llvm::cl::init(0));
llvm::cl::opt<bool> compileF64("f64", llvm::cl::desc("Compile f32 tensors as f64"),
                               llvm::cl::init(false));
} // namespace

/// Parses a .gc model file into the nn dialect (or prints its syntax tree).
static OwningOpRef<ModuleOp> loadModel(MLIRContext &context, llvm::SourceMgr &sourceMgr,
                                       llvm::raw_ostream &os, bool &printedAst) {
  gradc::DiagnosticEngine diag(&sourceMgr);
  std::unique_ptr<gradc::FileAST> ast =
      gradc::parseFile(sourceMgr, sourceMgr.getMainFileID(), diag);
  if (!ast || diag.hasErrors())
    return nullptr;
  if (emitStage == Stage::AST) {
    gradc::dumpAST(*ast, os);
    printedAst = true;
    return nullptr;
  }
  gradc::MLIRGenOptions options;
  if (batchOverride > 0)
    options.batch = batchOverride;
  options.f64 = compileF64;
  return gradc::mlirGen(context, *ast, sourceMgr, diag, options);
}

static bool isModelFile(llvm::StringRef filename) {
  return !filename.ends_with(".mlir");
}

static LogicalResult compile(MLIRContext &context, llvm::SourceMgr &sourceMgr,
                             llvm::raw_ostream &os) {
  OwningOpRef<ModuleOp> module;
  if (isModelFile(inputFilename)) {
    bool printedAst = false;
    module = loadModel(context, sourceMgr, os, printedAst);
    if (printedAst)
      return success();
  } else {
    if (emitStage == Stage::AST) {
      llvm::errs() << "gradc: error: --emit=ast needs a .gc model file\n";
      return failure();
    }
    SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  if (!module)
    return failure();
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  if (failed(verify(*module)))
    return failure();
  switch (emitStage) {
  case Stage::AST:
  case Stage::NN:
    module->print(os);
    os << "\n";
    return success();
  }
  return failure();
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  llvm::cl::ParseCommandLineOptions(argc, argv, "gradc: compile a model for training\n");

  DialectRegistry registry;
  registry.insert<gradc::nn::NNDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string error;
  auto input = openInputFile(inputFilename, &error);
  if (!input) {
    llvm::errs() << "gradc: error: " << error << "\n";
    return 1;
  }
  auto output = openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << "gradc: error: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  if (failed(compile(context, sourceMgr, output->os())))
    return 1;
  output->keep();
  return 0;
}
