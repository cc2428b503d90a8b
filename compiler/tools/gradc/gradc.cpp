//===- gradc.cpp - the gradc compiler driver ------------------------------===//
//
//   gradc MODEL.gc|MODEL.mlir [--emit=STAGE] [-o OUTPUT]
//   gradc gradcheck MODEL.gc|MODEL.mlir [--seed N] [--params K]
//
//===----------------------------------------------------------------------===//

#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Frontend/Parser.h"
#include "gradc/GradCheck/GradCheck.h"
#include "gradc/MLIRGen/MLIRGen.h"
#include "gradc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class Stage { AST, NN, Grad };

cl::SubCommand gradcheckCommand(
    "gradcheck", "Check the compiled gradients against central finite differences "
                 "(f64, reference interpreter)");

cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<model.gc | input.mlir>"),
                                   cl::init("-"), cl::sub(cl::SubCommand::getTopLevel()),
                                   cl::sub(gradcheckCommand));
cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                    cl::value_desc("filename"), cl::init("-"));
cl::opt<Stage> emitStage(
    "emit", cl::desc("Stop after a stage and print it"),
    cl::values(clEnumValN(Stage::AST, "ast", "the model file's syntax tree"),
               clEnumValN(Stage::NN, "nn", "the nn dialect (verified)"),
               clEnumValN(Stage::Grad, "grad", "after autodiff: @loss_grad added")),
    cl::init(Stage::NN));
cl::opt<int64_t> batchOverride(
    "batch", cl::desc("Batch size B (overrides the model's train { batch }; "
                      "gradcheck defaults to 4)"),
    cl::init(0), cl::sub(cl::SubCommand::getTopLevel()), cl::sub(gradcheckCommand));
cl::opt<bool> compileF64("f64", cl::desc("Compile f32 tensors as f64"), cl::init(false));

cl::opt<uint64_t> checkSeed("seed", cl::desc("Seed of the random inputs and parameters"),
                            cl::init(0), cl::sub(gradcheckCommand));
cl::opt<int64_t> checkEntries(
    "params",
    cl::desc("Entries checked per parameter (tensors this small are checked whole; "
             "0: every entry)"),
    cl::init(16), cl::sub(gradcheckCommand));
} // namespace

static bool isModelFile(llvm::StringRef filename) { return !filename.ends_with(".mlir"); }

/// Reads the input into the nn dialect: a .gc model through the front end,
/// anything else as MLIR. Prints the syntax tree instead for --emit=ast.
static OwningOpRef<ModuleOp> load(MLIRContext &context, llvm::SourceMgr &sourceMgr,
                                  bool f64, int64_t batch, llvm::raw_ostream &os,
                                  bool &printedAst) {
  if (!isModelFile(inputFilename)) {
    if (emitStage == Stage::AST) {
      llvm::errs() << "gradc: error: --emit=ast needs a .gc model file\n";
      return nullptr;
    }
    SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
    return parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
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
  if (batch > 0)
    options.batch = batch;
  options.f64 = f64;
  return gradc::mlirGen(context, *ast, sourceMgr, diag, options);
}

static LogicalResult runPipeline(MLIRContext &context, ModuleOp module, Stage stage) {
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  pm.enableVerifier(true);
  if (stage >= Stage::Grad) {
    pm.addPass(gradc::createAutodiff());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  return pm.run(module);
}

static int gradcheck(MLIRContext &context, llvm::SourceMgr &sourceMgr) {
  bool printedAst = false;
  emitStage = Stage::Grad;
  OwningOpRef<ModuleOp> module = load(context, sourceMgr, /*f64=*/true,
                                      batchOverride > 0 ? batchOverride : 4, llvm::outs(),
                                      printedAst);
  if (!module)
    return 1;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  // An .mlir input may bring its own @loss_grad (to test the checker itself).
  if (!module->lookupSymbol("loss_grad") &&
      failed(runPipeline(context, *module, Stage::Grad)))
    return 1;
  gradc::GradCheckOptions options;
  options.seed = checkSeed;
  options.entriesPerParam = checkEntries;
  FailureOr<bool> passed = gradc::runGradCheck(*module, options, llvm::outs());
  if (failed(passed))
    return 1;
  return *passed ? 0 : 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "gradc: compile a model for training\n");

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
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());

  if (gradcheckCommand)
    return gradcheck(context, sourceMgr);

  auto output = openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << "gradc: error: " << error << "\n";
    return 1;
  }
  bool printedAst = false;
  OwningOpRef<ModuleOp> module =
      load(context, sourceMgr, compileF64, batchOverride, output->os(), printedAst);
  if (printedAst) {
    output->keep();
    return 0;
  }
  if (!module)
    return 1;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  if (failed(verify(*module)) || failed(runPipeline(context, *module, emitStage)))
    return 1;
  module->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}
