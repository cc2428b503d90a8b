//===- Report.h - what a compiled model costs, per entry point -*- C++ -*-===//
//
// `gradc MODEL.gc --report`: kernel counts before and after fusion, FLOPs per
// call, bytes of parameters, gradients, optimizer state and scratch arena,
// the arena's lower bound and naive size, and the step at the peak of the
// memory timeline.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_TRANSFORMS_REPORT_H
#define GRADC_TRANSFORMS_REPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>
#include <vector>

namespace gradc {

/// What the report needs from the IR before fusion and planning: per entry
/// point, its kernel count and the bytes of its temporaries each in its own
/// buffer.
struct ReportBaseline {
  struct Entry {
    unsigned kernels = 0;
    int64_t naiveBytes = 0;
  };
  std::map<std::string, Entry> entries;
};

ReportBaseline takeReportBaseline(mlir::ModuleOp module);

struct EntryReport {
  std::string name;
  unsigned kernelsBefore = 0, kernelsAfter = 0;
  int64_t flops = 0;
  /// Bytes each step reads and writes outside itself, each buffer once per
  /// step: the memory traffic of a call if every step streamed its operands
  /// from memory once (the roofline's byte count).
  int64_t bytesMoved = 0;
  int64_t paramBytes = 0, bufferBytes = 0, gradBytes = 0, optStateBytes = 0;
  int64_t arenaBytes = 0;  ///< the planned arena (or every temporary's own buffer)
  int64_t lowerBound = 0;  ///< the most bytes of temporaries live at one step
  int64_t naiveBytes = 0;  ///< every temporary of the unfused lowering in its own buffer
  std::string plan;        ///< the winning strategy, or "none"
  std::string peakStep;    ///< the kernel at the peak of the memory timeline
  std::string peakSource;  ///< and its model-file line: "mlp.gc:7  h = relu(...)"
};

struct ModelReport {
  std::string model;
  std::vector<EntryReport> entries;
};

/// The report of a planned module; model lines are quoted from `sourceMgr`
/// (or read from disk for a file it does not hold).
ModelReport buildReport(mlir::ModuleOp module, const ReportBaseline &baseline,
                        const llvm::SourceMgr *sourceMgr = nullptr);

void printReport(const ModelReport &report, llvm::raw_ostream &os);
void printReportJson(const ModelReport &report, llvm::raw_ostream &os);

/// FLOPs of one step: 2 per multiply-add in products and convolutions, one
/// per output element of elementwise kernels, one per input element of
/// reductions, and the per-element counts docs/passes.md lists for
/// normalizations, softmax and pooling.
int64_t stepFlops(mlir::Operation *op);

} // namespace gradc

#endif // GRADC_TRANSFORMS_REPORT_H
