//===- gradc.cpp - the gradc compiler driver ------------------------------===//
//
//   gradc MODEL.gc [-o PROGRAM]            compile a training program
//   gradc MODEL.gc|MODEL.mlir --emit=STAGE [-o OUTPUT]
//   gradc gradcheck MODEL.gc|MODEL.mlir [--seed N] [--params K]
//
//===----------------------------------------------------------------------===//

#include "CheckImport.h"
#include "InternalErrors.h"

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "gradc/Dialect/NN/IR/NNDialect.h"
#include "gradc/Frontend/Parser.h"
#include "gradc/GradCheck/GradCheck.h"
#include "gradc/MLIRGen/MLIRGen.h"
#include "gradc/Target/EmitCpp.h"
#include "gradc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "gradc/Transforms/Pipeline.h"
#include "gradc/Transforms/Report.h"
#include "gradc/Transforms/Summary.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

// A sanitizer build of gradc (GRADC_SANITIZE) compiles programs with the
// compiler and the sanitizers its runtime library was built with, without
// which they would not link.
#ifndef GRADC_DEFAULT_CXX
#define GRADC_DEFAULT_CXX "c++"
#endif
#ifndef GRADC_GENERATED_CODE_FLAGS
#define GRADC_GENERATED_CODE_FLAGS ""
#endif

namespace {
enum class Stage { AST, NN, Grad, Train, Kern, Cpp, Lib, Exe };

cl::SubCommand gradcheckCommand(
    "gradcheck", "Check the compiled gradients against central finite differences "
                 "(f64, reference interpreter)");

cl::SubCommand checkImportCommand(
    "check-import", "Run an ONNX graph as gradc imports it (reference interpreter, evaluation "
                    "mode) and compare its output with the exporter's: gradc check-import "
                    "NET.onnx --input X.npy --expect Y.npy");

cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<model.gc | input.mlir>"),
                                   cl::init("-"), cl::sub(cl::SubCommand::getTopLevel()),
                                   cl::sub(gradcheckCommand), cl::sub(checkImportCommand));
cl::list<std::string> checkInputs("input",
                                  cl::desc("An input of the graph, .npy (once per input, in "
                                           "the graph's order)"),
                                  cl::sub(checkImportCommand));
cl::opt<std::string> checkExpect("expect",
                                 cl::desc("The output the exporter computed, .npy"),
                                 cl::sub(checkImportCommand));
cl::opt<double> checkRtol("rtol", cl::desc("Relative tolerance (default 1e-4)"),
                          cl::init(1e-4), cl::sub(checkImportCommand));
cl::opt<double> checkAtol("atol", cl::desc("Absolute tolerance (default 1e-5)"),
                          cl::init(1e-5), cl::sub(checkImportCommand));
cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                    cl::value_desc("filename"), cl::init("-"));
cl::opt<Stage> emitStage(
    "emit", cl::desc("Stop after a stage and print it"),
    cl::values(clEnumValN(Stage::AST, "ast", "the model file's syntax tree"),
               clEnumValN(Stage::NN, "nn", "the nn dialect (verified)"),
               clEnumValN(Stage::Grad, "grad", "after autodiff: @loss_grad added"),
               clEnumValN(Stage::Train, "train",
                          "the entry points: train_step, eval_step, predict, ..."),
               clEnumValN(Stage::Kern, "kern", "kernels over buffers"),
               clEnumValN(Stage::Cpp, "cpp", "C++ sources of the model class (-o DIR)"),
               clEnumValN(Stage::Lib, "lib", "header and static library (-o DIR)"),
               clEnumValN(Stage::Exe, "exe", "a training program (default for .gc input)")),
    cl::init(Stage::Exe));
cl::opt<std::string> cxx("cxx", cl::desc("C++ compiler for the generated code"),
                         cl::init(""));
cl::opt<unsigned> optLevel("O", cl::desc("Optimization level of the generated code (0-3)"),
                           cl::Prefix, cl::init(3));
cl::opt<std::string> march("march", cl::desc("Target CPU of the generated code (e.g. native)"),
                           cl::init(""));
cl::opt<int64_t> batchOverride(
    "batch", cl::desc("Batch size B (overrides the model's train { batch }; "
                      "gradcheck defaults to 4)"),
    cl::init(0), cl::sub(cl::SubCommand::getTopLevel()), cl::sub(gradcheckCommand));
cl::opt<int64_t> ranksOption(
    "ranks",
    cl::desc("Compile for data-parallel training on N processes (mpirun -np N): the batch "
             "is the global batch, and each rank computes batch / N samples of it"),
    cl::value_desc("N"), cl::init(1));
cl::opt<bool> compileF64("f64", cl::desc("Compile f32 tensors as f64"), cl::init(false),
                         cl::sub(cl::SubCommand::getTopLevel()), cl::sub(checkImportCommand));
cl::opt<bool> noFuse("fno-fuse",
                     cl::desc("Do not fuse kernels (for comparison: same results, more "
                              "kernels and memory traffic)"),
                     cl::init(false));
cl::opt<bool> noPlan("fno-plan",
                     cl::desc("Do not schedule or plan memory: every temporary gets its own "
                              "buffer"),
                     cl::init(false));
cl::opt<bool> noStepGradients(
    "fno-step-gradients",
    cl::desc("Do not return the gradients from each training step: they become temporaries "
             "of the memory plan, so the program holds no buffer of all gradients (the "
             "numerics guard then watches the loss, and grad_norm is not logged)"),
    cl::init(false));
cl::opt<int64_t> epilogueTileBytes(
    "epilogue-tile-bytes",
    cl::desc("Bytes of one tile of a matrix product that its epilogue consumes a block of "
             "rows at a time (gradc-fuse-epilogues tile-bytes)"),
    cl::init(1 << 20), cl::Hidden);
cl::opt<bool> summary("summary",
                      cl::desc("Print the model's ops in order with their model lines, layers, "
                               "output types and parameter counts, and exit"),
                      cl::init(false));
cl::opt<std::string> reportFormat(
    "report", cl::ValueOptional, cl::value_desc("text|json"),
    cl::desc("Print, per entry point, kernel counts, FLOPs, bytes of parameters, gradients, "
             "optimizer state and arena, the arena's lower bound and naive size, and the "
             "peak of the memory timeline; then stop unless -o is given"));

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
                                  bool f64, int64_t batch, int64_t ranks,
                                  llvm::raw_ostream &os, bool &printedAst,
                                  bool quiet = false) {
  if (!isModelFile(inputFilename)) {
    if (emitStage == Stage::AST) {
      llvm::errs() << "gradc: error: --emit=ast needs a .gc model file\n";
      return nullptr;
    }
    SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
    return parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  gradc::DiagnosticEngine diag(&sourceMgr);
  if (quiet)
    diag.setHandler([](const gradc::Diagnostic &) {});
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
  options.ranks = ranks;
  return gradc::mlirGen(context, *ast, sourceMgr, diag, options);
}

/// Lowers `module` to `stage` with gradc's pipeline (gradc/Transforms/
/// Pipeline.h, which gradc-opt --gradc-train-pipeline runs too); at the kern
/// level, fuses and plans memory unless -fno-fuse / -fno-plan, and fills
/// `report`'s baseline first. With `onnx`, writes the ONNX form of predict
/// there from the entry points at the nn level, before they are lowered.
static LogicalResult runPipeline(MLIRContext &context, ModuleOp module, Stage stage,
                                 gradc::ReportBaseline *report = nullptr,
                                 gradc::OnnxExport *onnx = nullptr,
                                 const llvm::SourceMgr *sourceMgr = nullptr) {
  if (stage < Stage::Grad)
    return success();
  gradc::TrainPipelineOptions options;
  options.fuse = !noFuse;
  options.plan = !noPlan;
  options.stepGradients = !noStepGradients;
  options.epilogueTileBytes = static_cast<int64_t>(epilogueTileBytes);
  const gradc::PipelineStage last = stage == Stage::Grad    ? gradc::PipelineStage::Grad
                                    : stage == Stage::Train ? gradc::PipelineStage::Train
                                                            : gradc::PipelineStage::Kern;
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  pm.enableVerifier(true);
  gradc::instrumentForInternalErrors(pm);
  const bool exportsOnnx = onnx && stage >= Stage::Kern;
  gradc::buildNNPipeline(pm, options, exportsOnnx ? gradc::PipelineStage::Train : last);
  if (failed(pm.run(module)))
    return failure();
  if (stage < Stage::Kern)
    return success();
  if (exportsOnnx) {
    // The model at another batch, to tell which dimensions follow the batch
    // (gradc/Target/OnnxExport.h); quietly: its diagnostics are the model's.
    OwningOpRef<ModuleOp> other;
    int64_t batch = 0;
    if (auto predict = module.lookupSymbol<func::FuncOp>("predict"))
      for (unsigned i = 0; i < predict.getNumArguments() && batch == 0; ++i)
        if (gradc::nn::argumentRole(predict, i) == gradc::nn::Role::Input)
          if (auto type = dyn_cast<RankedTensorType>(predict.getArgument(i).getType());
              type && type.getRank() > 0)
            batch = type.getDimSize(0);
    if (batch > 0 && sourceMgr && isModelFile(inputFilename) && ranksOption == 1) {
      ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
      bool printed = false;
      other = load(context, const_cast<llvm::SourceMgr &>(*sourceMgr), compileF64, batch + 1,
                   ranksOption, llvm::nulls(), printed, /*quiet=*/true);
      PassManager otherPm(&context);
      otherPm.enableVerifier(true);
      gradc::buildNNPipeline(otherPm, options, gradc::PipelineStage::Train);
      if (other && (failed(verify(*other)) || failed(otherPm.run(*other))))
        other = nullptr;
    }
    *onnx = gradc::exportOnnx(module, sourceMgr, other ? *other : ModuleOp());
    PassManager lowerPm(&context);
    if (failed(applyPassManagerCLOptions(lowerPm)))
      return failure();
    lowerPm.enableVerifier(true);
    gradc::instrumentForInternalErrors(lowerPm);
    lowerPm.addPass(gradc::createLowerToKern());
    if (failed(lowerPm.run(module)))
      return failure();
  }
  if (report)
    *report = gradc::takeReportBaseline(module);
  PassManager kernPm(&context);
  if (failed(applyPassManagerCLOptions(kernPm)))
    return failure();
  kernPm.enableVerifier(true);
  gradc::buildKernPipeline(kernPm, options);
  return kernPm.run(module);
}

static int gradcheck(MLIRContext &context, llvm::SourceMgr &sourceMgr) {
  bool printedAst = false;
  emitStage = Stage::Grad;
  OwningOpRef<ModuleOp> module = load(context, sourceMgr, /*f64=*/true,
                                      batchOverride > 0 ? batchOverride : 4, /*ranks=*/1,
                                      llvm::outs(), printedAst);
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

/// Where the runtime's headers and library are: next to the gradc binary
/// (`<prefix>/bin/gradc` with `<prefix>/include` and `<prefix>/lib`, the
/// layout of both the build tree and an installation), or the source tree.
struct RuntimePaths {
  std::string include;
  std::string library;
  /// The runtime's MPI job (libgradc_runtime_mpi.a, when the runtime was
  /// built with MPI; "" otherwise) and what linking it needs besides: the
  /// lines of libgradc_runtime_mpi.link next to it (MPI's libraries).
  std::string mpiLibrary;
  std::vector<std::string> mpiLinkArgs;
};

static std::optional<RuntimePaths> findRuntime(const char *argv0) {
  std::string exe = llvm::sys::fs::getMainExecutable(argv0, reinterpret_cast<void *>(&findRuntime));
  llvm::SmallString<256> prefix(llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::SmallString<256> library(prefix);
  llvm::sys::path::append(library, "lib", "libgradc_runtime.a");
  if (!llvm::sys::fs::exists(library))
    return std::nullopt;
  llvm::SmallString<256> include(prefix);
  llvm::sys::path::append(include, "include");
  llvm::SmallString<256> header(include);
  llvm::sys::path::append(header, "gradc", "runtime", "model.h");
  if (!llvm::sys::fs::exists(header))
    include = GRADC_RUNTIME_SOURCE_INCLUDE;
  RuntimePaths paths{include.str().str(), library.str().str(), "", {}};
  llvm::SmallString<256> mpiLibrary(prefix), linkFile(prefix);
  llvm::sys::path::append(mpiLibrary, "lib", "libgradc_runtime_mpi.a");
  llvm::sys::path::append(linkFile, "lib", "libgradc_runtime_mpi.link");
  auto buffer = llvm::MemoryBuffer::getFile(linkFile);
  if (llvm::sys::fs::exists(mpiLibrary) && buffer) {
    paths.mpiLibrary = mpiLibrary.str().str();
    SmallVector<llvm::StringRef> lines;
    (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef line : lines)
      if (!line.trim().empty())
        paths.mpiLinkArgs.push_back(line.trim().str());
  }
  return paths;
}

static bool writeFile(llvm::StringRef path, llvm::StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    llvm::errs() << "gradc: error: cannot write " << path << ": " << ec.message() << "\n";
    return false;
  }
  os << contents;
  return true;
}

static bool run(llvm::ArrayRef<std::string> command) {
  SmallVector<llvm::StringRef> args(command.begin(), command.end());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(args.front(), args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    llvm::errs() << "gradc: error: " << command.front() << " failed"
                 << (message.empty() ? "" : ": " + message) << "\n";
    return false;
  }
  return true;
}

static std::optional<std::string> compilerPath() {
  std::string name = cxx;
  if (name.empty())
    name = llvm::sys::Process::GetEnv("CXX").value_or(GRADC_DEFAULT_CXX);
  auto path = llvm::sys::findProgramByName(name);
  if (!path) {
    llvm::errs() << "gradc: error: cannot find the C++ compiler '" << name
                 << "' (set --cxx or CXX)\n";
    return std::nullopt;
  }
  return *path;
}

/// Writes the model's sources into `dir` (their comments quote the model
/// from `sourceMgr`); with `lib`, also lib<stem>.a; with `exe`, links the
/// training program `exe`.
static int build(ModuleOp module, llvm::StringRef dir, Stage stage, llvm::StringRef exe,
                 const char *argv0, const llvm::SourceMgr &sourceMgr,
                 const gradc::OnnxExport &onnx) {
  FailureOr<gradc::EmittedModel> model =
      gradc::emitCpp(module, inputFilename, &sourceMgr, &onnx);
  if (failed(model))
    return 1;
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    llvm::errs() << "gradc: error: cannot create " << dir << ": " << ec.message() << "\n";
    return 1;
  }
  auto path = [&](llvm::StringRef file) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, file);
    return p.str().str();
  };
  std::string header = path(model->fileStem + ".h"), source = path(model->fileStem + ".cpp");
  std::string mainSource = path("main.cpp");
  if (!writeFile(header, model->header) || !writeFile(source, model->source) ||
      !writeFile(mainSource, model->mainSource))
    return 1;
  // The initial values the source builds in with .incbin (EmittedModel).
  if (!model->initialValues.empty() &&
      !writeFile(path(model->fileStem + ".init.bin"), model->initialValues))
    return 1;
  if (stage == Stage::Cpp)
    return 0;

  std::optional<RuntimePaths> runtime = findRuntime(argv0);
  if (!runtime) {
    llvm::errs() << "gradc: error: cannot find libgradc_runtime.a next to gradc "
                    "(expected in ../lib)\n";
    return 1;
  }
  std::optional<std::string> compiler = compilerPath();
  if (!compiler)
    return 1;
  // No floating-point contraction: each kernel rounds as its nn op does, so
  // fused and unfused programs compute bitwise the same values. Math
  // functions need not set errno (values are unchanged; loops calling sqrt
  // vectorize). Floating-point operations may be evaluated where they
  // would trap, as no program reads the exception flags (values are
  // unchanged; loops that select between computed values, math::exp and
  // math::erf among them, vectorize). OpenMP runs large fused loops on the
  // kernels' threads.
  std::vector<std::string> flags{*compiler,         "-std=c++17",
                                 "-O" + std::to_string(optLevel), "-ffp-contract=off",
                                 "-fno-math-errno", "-fno-trapping-math", "-fopenmp",
                                 "-I" + dir.str(),  "-I" + runtime->include};
  // The assembler finds <stem>.init.bin (EmittedModel::initialValues) here.
  if (!model->initialValues.empty())
    flags.push_back("-Wa,-I," + dir.str());
  for (llvm::StringRef flag : llvm::split(GRADC_GENERATED_CODE_FLAGS, ' '))
    if (!flag.empty())
      flags.push_back(flag.str());
  // Without --march every entry point is compiled for AVX-512, AVX2 and the
  // baseline (GRADC_VECTOR_CLONES); with it, for that target alone.
  if (!march.empty()) {
    flags.push_back("-march=" + march);
    flags.push_back("-DGRADC_SINGLE_TARGET");
  }
  if (stage == Stage::Lib) {
    std::string object = path(model->fileStem + ".o");
    std::vector<std::string> compile = flags;
    compile.insert(compile.end(), {"-c", source, "-o", object});
    if (!run(compile))
      return 1;
    auto ar = llvm::sys::findProgramByName("ar");
    if (!ar) {
      llvm::errs() << "gradc: error: cannot find ar\n";
      return 1;
    }
    std::string archive = path("lib" + model->fileStem + ".a");
    llvm::sys::fs::remove(archive);
    if (!run({*ar, "rcs", archive, object}))
      return 1;
    llvm::sys::fs::remove(object);
    llvm::sys::fs::remove(mainSource);
    return 0;
  }
  std::vector<std::string> link = flags;
  link.insert(link.end(), {mainSource, source});
  // A program for several ranks joins them through MPI; others never load it.
  if (ranksOption > 1) {
    if (runtime->mpiLibrary.empty()) {
      llvm::errs() << "gradc: error: --ranks " << ranksOption
                   << " needs a runtime built with MPI, and libgradc_runtime_mpi.a is not "
                      "next to libgradc_runtime.a: install libopenmpi-dev and rebuild gradc "
                      "(docs/distributed.md)\n";
      return 1;
    }
    link.insert(link.end(),
                {"-Wl,--whole-archive", runtime->mpiLibrary, "-Wl,--no-whole-archive"});
    link.insert(link.end(), runtime->mpiLinkArgs.begin(), runtime->mpiLinkArgs.end());
  }
  link.insert(link.end(), {runtime->library, "-lboost_program_options", "-lz", "-o",
                           exe.str()});
  return run(link) ? 0 : 1;
}

int main(int argc, char **argv) {
  gradc::InternalErrorHandlers internalErrors(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "gradc: compile a model for training\n");
  internalErrors.applyOptions();

  DialectRegistry registry;
  registry.insert<gradc::nn::NNDialect, gradc::kern::KernDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // An error names its model line; the IR of the operation it is attached to
  // (a whole function for some) is printed only when asked for.
  llvm::cl::Option *printOp =
      llvm::cl::getRegisteredOptions().lookup("mlir-print-op-on-diagnostic");
  if (!printOp || printOp->getNumOccurrences() == 0)
    context.printOpOnDiagnostic(false);

  if (checkImportCommand) {
    if (checkExpect.empty()) {
      llvm::errs() << "gradc: error: check-import needs --expect Y.npy\n";
      return 2;
    }
    gradc::CheckImportOptions options;
    options.onnx = inputFilename;
    options.inputs.assign(checkInputs.begin(), checkInputs.end());
    options.expect = checkExpect;
    options.rtol = checkRtol;
    options.atol = checkAtol;
    options.f64 = compileF64;
    return gradc::checkImport(context, options);
  }

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

  bool wantsReport = reportFormat.getNumOccurrences() > 0;
  if (wantsReport && reportFormat != "" && reportFormat != "text" && reportFormat != "json") {
    llvm::errs() << "gradc: error: --report=" << reportFormat
                 << ": expected 'text' or 'json'\n";
    return 1;
  }
  if (wantsReport && emitStage.getNumOccurrences() && emitStage < Stage::Kern) {
    llvm::errs() << "gradc: error: --report lowers to kernels; it cannot be combined with "
                    "--emit of an earlier stage\n";
    return 1;
  }
  // Without --emit, a model file becomes a program and MLIR is printed back.
  Stage stage = emitStage;
  if (!emitStage.getNumOccurrences() && !isModelFile(inputFilename))
    stage = Stage::NN;
  bool builds = stage >= Stage::Cpp;
  if (builds && (stage == Stage::Cpp || stage == Stage::Lib) &&
      !outputFilename.getNumOccurrences()) {
    llvm::errs() << "gradc: error: --emit=" << (stage == Stage::Cpp ? "cpp" : "lib")
                 << " needs -o DIR\n";
    return 1;
  }
  std::string outputPath = outputFilename;
  if (stage == Stage::Exe && !outputFilename.getNumOccurrences())
    outputPath = llvm::sys::path::stem(inputFilename).str();
  if (stage == Stage::Exe) {
    llvm::StringRef parent = llvm::sys::path::parent_path(outputPath);
    if (!parent.empty() && !llvm::sys::fs::is_directory(parent)) {
      llvm::errs() << "gradc: error: cannot write " << outputPath << ": no directory "
                   << parent << "\n";
      return 1;
    }
    if (llvm::sys::fs::is_directory(outputPath)) {
      llvm::errs() << "gradc: error: cannot write the program " << outputPath
                   << ": it is a directory (-o names the program file; --emit=cpp or "
                      "--emit=lib write into a directory)\n";
      return 1;
    }
  }

  std::unique_ptr<llvm::ToolOutputFile> output;
  if ((!builds || stage == Stage::AST) &&
      (!wantsReport || outputFilename.getNumOccurrences())) {
    output = openOutputFile(outputPath, &error);
    if (!output) {
      llvm::errs() << "gradc: error: " << error << "\n";
      return 1;
    }
  }
  bool printedAst = false;
  emitStage = stage;
  if (ranksOption < 1) {
    llvm::errs() << "gradc: error: --ranks " << ranksOption << ": expected 1 or more\n";
    return 1;
  }
  OwningOpRef<ModuleOp> module =
      load(context, sourceMgr, compileF64, batchOverride, ranksOption,
           output ? output->os() : llvm::nulls(), printedAst);
  if (printedAst) {
    output->keep();
    return 0;
  }
  if (!module)
    return 1;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  if (summary)
    return succeeded(verify(*module)) &&
                   succeeded(gradc::printModelSummary(*module, llvm::outs()))
               ? 0
               : 1;
  gradc::ReportBaseline baseline;
  gradc::OnnxExport onnx;
  if (failed(verify(*module)) ||
      failed(runPipeline(context, *module, wantsReport ? Stage::Kern : stage, &baseline,
                         builds ? &onnx : nullptr, &sourceMgr)))
    return 1;
  if (wantsReport) {
    gradc::ModelReport report = gradc::buildReport(*module, baseline, &sourceMgr);
    if (reportFormat == "json")
      gradc::printReportJson(report, llvm::outs());
    else
      gradc::printReport(report, llvm::outs());
    if (!outputFilename.getNumOccurrences())
      return 0;
  }
  if (!builds) {
    module->print(output->os());
    output->os() << "\n";
    output->keep();
    return 0;
  }
  if (stage == Stage::Exe) {
    llvm::SmallString<128> dir;
    if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("gradc", dir)) {
      llvm::errs() << "gradc: error: cannot create a temporary directory: " << ec.message()
                   << "\n";
      return 1;
    }
    int rc = build(*module, dir, stage, outputPath, argv[0], sourceMgr, onnx);
    llvm::sys::fs::remove_directories(dir);
    return rc;
  }
  return build(*module, outputPath, stage, "", argv[0], sourceMgr, onnx);
}
