//===- KernGraph.h - dependences and liveness of kern functions -*- C++ -*-===//
//
// What fusion, scheduling, memory planning and the --report share about a
// function at the kern level: the buffer behind each value, the ordered
// steps of the body with the buffers each reads and writes, the dependences
// between steps, and each temporary's live interval.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_DIALECT_KERN_ANALYSIS_KERNGRAPH_H
#define GRADC_DIALECT_KERN_ANALYSIS_KERNGRAPH_H

#include "gradc/Dialect/Kern/IR/KernOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <map>
#include <string>
#include <vector>

namespace gradc {

/// The buffer `value` addresses: the `kern.alloc` or function argument
/// behind any `kern.view`s.
mlir::Value rootBuffer(mlir::Value value);

/// The alignment of every temporary in a function's arena, in bytes (the
/// generated code's scratch buffer is aligned so).
inline constexpr int64_t kArenaAlignment = 64;

/// `bytes` rounded up to kArenaAlignment.
inline int64_t arenaAligned(int64_t bytes) {
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

/// Bytes of a buffer type (i1 elements take a byte).
int64_t bufferBytes(mlir::MemRefType type);

/// The attribute of a `kern.alloc` whose buffer holds only this many rows
/// (leading-axis slices) at a time: the result of a matrix product that a
/// tiled epilogue computes and consumes block by block of rows.
inline constexpr llvm::StringLiteral kTileRowsAttrName = "kern.tile_rows";

/// Bytes a temporary takes in the arena: its type's, or its tile's when the
/// alloc carries kTileRowsAttrName.
int64_t allocBytes(mlir::Operation *alloc);

/// The buffers (roots) `op` reads and writes, counting what a `kern.fused`
/// body reads and writes outside itself.
void collectAccesses(mlir::Operation *op, llvm::SmallVectorImpl<mlir::Value> &reads,
                     llvm::SmallVectorImpl<mlir::Value> &writes);

/// The top-level ops of a function body that compute (everything but
/// `kern.alloc`, `kern.view` and the terminator), in order, with edges for
/// every read-after-write, write-after-read and write-after-write on a buffer.
class KernGraph {
public:
  struct Step {
    mlir::Operation *op;
    llvm::SmallVector<mlir::Value, 4> reads, writes;
  };

  explicit KernGraph(mlir::func::FuncOp func);

  std::vector<Step> steps;
  std::vector<llvm::SmallVector<unsigned, 4>> succs, preds;
  llvm::DenseMap<mlir::Operation *, unsigned> index;
};

/// The temporaries (`kern.alloc` at the top level of a function) with the
/// interval of steps during which each holds a value: from the first step
/// that writes it to the last that reads it (through views included).
struct Liveness {
  struct Interval {
    mlir::Operation *alloc;
    int64_t bytes;
    unsigned first, last; ///< step positions, inclusive
  };
  std::vector<Interval> intervals;
  /// The most bytes of temporaries live at one step, and that step.
  int64_t peakBytes = 0;
  unsigned peakStep = 0;
  /// Bytes of all temporaries together, each in its own buffer.
  int64_t totalBytes = 0;

  explicit Liveness(const KernGraph &graph, mlir::func::FuncOp func);
};

/// Rebuilds `func`'s body: its allocs and views first, then `order` (a
/// permutation of the graph's steps that respects its edges), then the
/// terminator.
void reorderSteps(mlir::func::FuncOp func, llvm::ArrayRef<mlir::Operation *> order);

} // namespace gradc

#endif // GRADC_DIALECT_KERN_ANALYSIS_KERNGRAPH_H
