//===- Report.cpp - what a compiled model costs, per entry point ----------===//

#include "gradc/Transforms/Report.h"
#include "gradc/Dialect/Kern/Analysis/KernGraph.h"
#include "gradc/Transforms/SourceLines.h"

#include "gradc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace gradc;

namespace {


int64_t count(Value value) { return cast<MemRefType>(value.getType()).getNumElements(); }


/// FLOPs of one kernel, as its payload states them: one per element of an
/// elementwise op.
int64_t kernelFlops(kern::KernelOp kernel) {
  if (kernel.isElementwise())
    return count(kernel.getOuts()[0]);
  if (auto op = dyn_cast<nn::KernelOpInterface>(kernel.getPayload()))
    return op.getFlops();
  return 0;
}

std::string stepName(Operation *op) {
  if (auto kernel = dyn_cast<kern::KernelOp>(op))
    return kernel.getPayloadName().str();
  if (auto fused = dyn_cast<kern::FusedOp>(op)) {
    std::string text = "fused " + fused.getKind().str() + " (";
    bool first = true;
    for (kern::KernelOp kernel : fused.getKernels())
      if (!kernel.isConstant()) {
        text += (first ? "" : " + ") + kernel.getPayloadName().str();
        first = false;
      }
    return text + ")";
  }
  if (isa<kern::SoftmaxCrossEntropyOp>(op))
    return "softmax_cross_entropy with gradient";
  if (isa<kern::CopyOp>(op))
    return "copy";
  return op->getName().getStringRef().str();
}

const char *const kEntryOrder[] = {"train_step", "loss_grad", "eval_step",
                                   "eval_one",   "predict",   "predict_one"};

} // namespace

int64_t gradc::stepFlops(Operation *op) {
  int64_t total = 0;
  op->walk([&](kern::KernelOp kernel) { total += kernelFlops(kernel); });
  if (auto xent = dyn_cast<kern::SoftmaxCrossEntropyOp>(op))
    total += 5 * count(xent.getLogits());
  return total;
}

ReportBaseline gradc::takeReportBaseline(ModuleOp module) {
  ReportBaseline baseline;
  for (auto func : module.getOps<func::FuncOp>()) {
    ReportBaseline::Entry entry;
    KernGraph graph(func);
    entry.kernels = graph.steps.size();
    for (auto alloc : func.getBody().front().getOps<kern::AllocOp>())
      entry.naiveBytes += arenaAligned(bufferBytes(alloc.getType()));
    baseline.entries[func.getSymName().str()] = entry;
  }
  return baseline;
}

ModelReport gradc::buildReport(ModuleOp module, const ReportBaseline &baseline,
                               const llvm::SourceMgr *sourceMgr) {
  ModelSourceLines source(sourceMgr);
  ModelReport report;
  if (auto name = module->getAttrOfType<StringAttr>("nn.model"))
    report.model = name.getValue().str();
  for (StringRef entryName : kEntryOrder) {
    auto func = module.lookupSymbol<func::FuncOp>(entryName);
    if (!func)
      continue;
    EntryReport entry;
    entry.name = entryName.str();
    KernGraph graph(func);
    entry.kernelsAfter = graph.steps.size();
    auto it = baseline.entries.find(entry.name);
    if (it != baseline.entries.end()) {
      entry.kernelsBefore = it->second.kernels;
      entry.naiveBytes = it->second.naiveBytes;
    }
    for (const KernGraph::Step &step : graph.steps) {
      entry.flops += stepFlops(step.op);
      for (Value buffer : llvm::concat<const Value>(step.reads, step.writes))
        entry.bytesMoved += bufferBytes(cast<MemRefType>(buffer.getType()));
    }
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      std::optional<nn::Role> role = nn::argumentRole(func, i);
      int64_t bytes = bufferBytes(cast<MemRefType>(func.getArgumentTypes()[i]));
      if (role == nn::Role::Param)
        entry.paramBytes += bytes;
      else if (role == nn::Role::Buffer)
        entry.bufferBytes += bytes;
      else if (role == nn::Role::OptState)
        entry.optStateBytes += bytes;
      else if (kern::outputRole(func, i) == nn::Role::Grad)
        entry.gradBytes += bytes;
    }
    // The memory timeline, in the arena's 64-byte units.
    Liveness liveness(graph, func);
    std::vector<int64_t> delta(graph.steps.size() + 1, 0);
    int64_t ownBuffers = 0;
    for (const Liveness::Interval &interval : liveness.intervals) {
      delta[interval.first] += arenaAligned(interval.bytes);
      delta[interval.last + 1] -= arenaAligned(interval.bytes);
      ownBuffers += arenaAligned(interval.bytes);
    }
    int64_t live = 0;
    unsigned peak = 0;
    for (unsigned s = 0; s < graph.steps.size(); ++s) {
      live += delta[s];
      if (live > entry.lowerBound) {
        entry.lowerBound = live;
        peak = s;
      }
    }
    if (!graph.steps.empty() && entry.lowerBound > 0) {
      entry.peakStep = stepName(graph.steps[peak].op);
      entry.peakSource = source.describe(graph.steps[peak].op->getLoc());
    }
    auto arena = func->getAttrOfType<IntegerAttr>("kern.arena_bytes");
    entry.arenaBytes = arena ? arena.getInt() : ownBuffers;
    auto plan = func->getAttrOfType<StringAttr>("kern.plan");
    entry.plan = plan ? plan.getValue().str() : "none";
    if (it == baseline.entries.end()) {
      entry.kernelsBefore = entry.kernelsAfter;
      entry.naiveBytes = ownBuffers;
    }
    report.entries.push_back(entry);
  }
  return report;
}

static std::string humanBytes(int64_t bytes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (bytes >= (int64_t(1) << 20))
    os << llvm::format("%.2f MiB", bytes / 1048576.0);
  else if (bytes >= 1024)
    os << llvm::format("%.1f KiB", bytes / 1024.0);
  else
    os << bytes << " B";
  return text;
}

void gradc::printReport(const ModelReport &report, llvm::raw_ostream &os) {
  os << "model " << report.model << "\n";
  for (const EntryReport &e : report.entries) {
    os << "\n" << e.name << "\n";
    os << "  kernels          " << e.kernelsBefore << " before fusion, " << e.kernelsAfter
       << " after\n";
    os << "  FLOPs per call   " << e.flops << llvm::format(" (%.3f GFLOP)", e.flops / 1e9)
       << "\n";
    os << "  bytes moved      " << e.bytesMoved << " per call ("
       << humanBytes(e.bytesMoved) << ")\n";
    os << "  parameters       " << e.paramBytes << " bytes (" << humanBytes(e.paramBytes)
       << ")\n";
    if (e.bufferBytes)
      os << "  buffers          " << e.bufferBytes << " bytes (" << humanBytes(e.bufferBytes)
         << ")\n";
    if (e.gradBytes)
      os << "  gradients        " << e.gradBytes << " bytes (" << humanBytes(e.gradBytes)
         << ")\n";
    if (e.optStateBytes)
      os << "  optimizer state  " << e.optStateBytes << " bytes ("
         << humanBytes(e.optStateBytes) << ")\n";
    os << "  arena            " << e.arenaBytes << " bytes (" << humanBytes(e.arenaBytes)
       << "), plan " << e.plan << "\n";
    os << "  lower bound      " << e.lowerBound << " bytes (" << humanBytes(e.lowerBound)
       << ")";
    if (e.lowerBound > 0)
      os << llvm::format(", arena %.3fx", static_cast<double>(e.arenaBytes) / e.lowerBound);
    os << "\n";
    os << "  naive total      " << e.naiveBytes << " bytes (" << humanBytes(e.naiveBytes)
       << ")";
    if (e.naiveBytes > 0)
      os << llvm::format(", arena %.3fx", static_cast<double>(e.arenaBytes) / e.naiveBytes);
    os << "\n";
    if (!e.peakStep.empty()) {
      os << "  peak at          " << e.peakStep;
      if (!e.peakSource.empty())
        os << " -- " << e.peakSource;
      os << "\n";
    }
  }
}

void gradc::printReportJson(const ModelReport &report, llvm::raw_ostream &os) {
  llvm::json::Array entries;
  for (const EntryReport &e : report.entries) {
    entries.push_back(llvm::json::Object{
        {"name", e.name},
        {"kernels_before_fusion", e.kernelsBefore},
        {"kernels_after_fusion", e.kernelsAfter},
        {"flops", e.flops},
        {"bytes_moved", e.bytesMoved},
        {"param_bytes", e.paramBytes},
        {"buffer_bytes", e.bufferBytes},
        {"grad_bytes", e.gradBytes},
        {"opt_state_bytes", e.optStateBytes},
        {"arena_bytes", e.arenaBytes},
        {"lower_bound_bytes", e.lowerBound},
        {"naive_bytes", e.naiveBytes},
        {"plan", e.plan},
        {"peak_step", e.peakStep},
        {"peak_source", e.peakSource},
    });
  }
  llvm::json::Value root =
      llvm::json::Object{{"model", report.model}, {"entry_points", std::move(entries)}};
  os << llvm::formatv("{0:2}", root) << "\n";
}
