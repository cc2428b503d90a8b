//===- InternalErrors.cpp - gradc's message for its own crashes -----------===//

#include "InternalErrors.h"

#include "gradc/Dialect/NN/IR/NNOps.h"
#include "gradc/Support/InternalError.h"

#include "mlir/IR/Location.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Rewrite/PatternApplicator.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/ManagedStatic.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <csignal>
#include <cstdlib>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class TestError { None, Crash, Fatal };

cl::opt<bool> crashBacktrace(
    "crash-backtrace", cl::Hidden,
    cl::desc("On an internal error, also print the compiler's stack (for gradc's developers)"));

cl::opt<TestError> testInternalError(
    "gradc-test-internal-error", cl::Hidden, cl::init(TestError::None),
    cl::desc("Test gradc's internal-error message: fail inside the first rewrite of a "
             "relu op"),
    cl::values(clEnumValN(TestError::Crash, "crash", "raise SIGSEGV"),
               clEnumValN(TestError::Fatal, "fatal", "call llvm::report_fatal_error")));

void printMessage(const char *what) {
  llvm::raw_ostream &os = llvm::errs();
  os << "gradc: internal error (" << what << ")";
  gradc::CompilerScope::print(os);
  os << "\ngradc: this is a bug in gradc, not in the model; please report it with the model "
        "file (--mlir-pass-pipeline-crash-reproducer=FILE writes a reproducer of a crash in "
        "a pass)\n";
  os.flush();
}

void onCrashSignal(void *) { printMessage("crash"); }

void onFatalError(void *, const char *reason, bool) {
  printMessage(reason);
  llvm::sys::RunInterruptHandlers();
  std::_Exit(70);
}

// A pattern that fails on purpose when it rewrites an nn.relu, so that a test
// sees what a real internal error inside a pass prints.
struct FailOnRelu : OpRewritePattern<gradc::nn::ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(gradc::nn::ReluOp, PatternRewriter &) const override {
    if (testInternalError == TestError::Fatal)
      llvm::report_fatal_error("gradc-test-internal-error");
    std::raise(SIGSEGV);
    return failure();
  }
};

struct TestInternalErrorPass
    : PassWrapper<TestInternalErrorPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestInternalErrorPass)
  StringRef getArgument() const override { return "gradc-test-internal-error"; }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FailOnRelu>(&getContext());
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns));
  }
};

// The model-file location an action works on: the first file:line:col in its
// operation's location (fused and named locations included).
std::optional<FileLineColLoc> modelLocation(const tracing::Action &action) {
  for (IRUnit unit : action.getContextIRUnits())
    if (auto *op = llvm::dyn_cast_if_present<Operation *>(unit))
      return op->getLoc()->findInstanceOf<FileLineColLoc>();
  return std::nullopt;
}

void runInScope(llvm::function_ref<void()> transform, const tracing::Action &action) {
  std::optional<FileLineColLoc> loc = modelLocation(action);
  StringRef file = loc ? loc->getFilename().getValue() : StringRef();
  unsigned line = loc ? loc->getLine() : 0, col = loc ? loc->getColumn() : 0;
  if (auto *pass = llvm::dyn_cast<PassExecutionAction>(&action)) {
    gradc::CompilerScope scope("running pass", pass->getPass().getArgument(), file, line, col);
    return transform();
  }
  StringRef opName;
  for (IRUnit unit : action.getContextIRUnits())
    if (auto *op = llvm::dyn_cast_if_present<Operation *>(unit)) {
      opName = op->getName().getStringRef();
      break;
    }
  gradc::CompilerScope scope("rewriting", opName, file, line, col);
  transform();
}

} // namespace

gradc::InternalErrorHandlers::InternalErrorHandlers(int, char **argv) : argv0(argv[0]) {
  llvm::install_out_of_memory_new_handler();
  llvm::install_fatal_error_handler(onFatalError, nullptr);
  llvm::sys::AddSignalHandler(onCrashSignal, nullptr);
  llvm::sys::SetOneShotPipeSignalFunction(llvm::sys::DefaultOneShotPipeSignalHandler);
}

gradc::InternalErrorHandlers::~InternalErrorHandlers() { llvm::llvm_shutdown(); }

void gradc::InternalErrorHandlers::applyOptions() {
  if (crashBacktrace)
    llvm::sys::PrintStackTraceOnErrorSignal(argv0);
}

void gradc::instrumentForInternalErrors(PassManager &pm) {
  pm.getContext()->registerActionHandler(runInScope);
  if (testInternalError != TestError::None)
    pm.addPass(std::make_unique<TestInternalErrorPass>());
}
