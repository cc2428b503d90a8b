//===- Passes.td - passes over the kern dialect -------------- -*- tablegen -*-===//

#ifndef GRADC_DIALECT_KERN_TRANSFORMS_PASSES_TD
#define GRADC_DIALECT_KERN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

// Passes over kern IR: fusion, scheduling and memory planning.

def FuseSoftmaxCrossEntropy : Pass<"gradc-fuse-softmax-cross-entropy", "mlir::ModuleOp"> {
  let summary = "Compute softmax cross-entropy and its gradient in one kernel";
  let description = [{
    Replaces an `nn.softmax_cross_entropy` kernel and the
    `nn.softmax_cross_entropy_backward` kernel of the same logits and labels
    by one `kern.softmax_cross_entropy`, which reads each row of logits once
    for both. Applies when nothing between the two writes the logits, the
    labels or the loss, nothing between reads or writes the gradient's
    buffer, and the incoming gradient is already computed at the loss.
    The results are bitwise those of the two kernels.
  }];
  let dependentDialects = ["::gradc::kern::KernDialect"];
}

def FuseElementwise : Pass<"gradc-fuse-elementwise", "mlir::ModuleOp"> {
  let summary = "Fuse producer-consumer groups of elementwise kernels into one loop";
  let description = [{
    Groups elementwise kernels (arithmetic, comparisons, select, casts,
    activations) with the elementwise kernels that wrote what they read,
    when their outputs have the same shape, into one `kern.fused` of kind
    "elementwise": one loop nest that computes every kernel's element per
    iteration. Temporaries that only the group uses become per-iteration
    locals and are never stored; splat constants become literals. This fuses
    bias + activation chains, the ReLU-backward mask times the incoming
    gradient, and the whole optimizer update of a parameter (regularization,
    clipping scale, moments and the parameter itself) into one pass over it.

    Groups never change what is computed, only when: a kernel joins a group
    only if no other step would have to run both before and after the
    group, and buffers written in the loop are only accessed at the loop's
    own index. Each element is computed by the same operations in the same
    order, so results are bitwise those of the unfused kernels (when the
    generated code is compiled without floating-point contraction, as gradc
    compiles it).
  }];
  let dependentDialects = ["::gradc::kern::KernDialect"];
}

def FuseEpilogues : Pass<"gradc-fuse-epilogues", "mlir::ModuleOp"> {
  let summary = "Apply elementwise epilogues right after matrix products and normalizations";
  let description = [{
    Joins elementwise kernels (or elementwise `kern.fused` groups) over the
    first output of a matrix product (`nn.linear`, `nn.matmul` without batch
    dimensions), a convolution or a normalization to that kernel, in one
    `kern.fused` of kind "epilogue": the producer runs, then one loop
    applies the activation, residual add or gradient mask over its output
    while it is still in cache. Elementwise kernels that precede the
    producer in program order are not moved into its epilogue. The same
    legality rules as gradc-fuse-elementwise apply, and results are bitwise
    those of the unfused kernels.

    A 2-D matrix product whose result is a temporary only its epilogue reads
    (a weight's gradient feeding that weight's optimizer update, in a step
    compiled with `step-gradients=false`), and which is at least twice
    `tile-bytes`, is tiled: the alloc gets `kern.tile_rows = R`, and the
    product and its epilogue run R rows at a time through a buffer of R rows,
    so the arena holds a tile instead of the whole result.
  }];
  let options = [
    Option<"tileBytes", "tile-bytes", "int64_t", /*default=*/"1048576",
           "Bytes of one tile of a tiled epilogue's matrix product">,
  ];
  let dependentDialects = ["::gradc::kern::KernDialect"];
}

def ScheduleMemory : Pass<"gradc-schedule-memory", "mlir::ModuleOp"> {
  let summary = "Reorder kernels to lower the peak of live temporaries";
  let description = [{
    A list schedule over the dependences of each function's steps (every
    read-after-write, write-after-read and write-after-write on a buffer,
    through views): among the steps whose predecessors have run, it picks the
    one that adds the fewest bytes of live temporaries, counting those it
    frees. The new order is kept only when its peak of live bytes is lower
    than program order's. Values computed are unchanged: only independent
    steps change places.
  }];
  let dependentDialects = ["::gradc::kern::KernDialect"];
}

def PlanMemory : Pass<"gradc-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place every temporary in one arena per function, at compile time";
  let description = [{
    Computes each temporary's live interval (from the step that first writes
    it to the last that reads it, views included) and gives it a 64-byte
    aligned `offset` in one arena, so that temporaries live at the same time
    never overlap. Four greedy strategies are tried and the smallest arena
    kept: by decreasing size with best fit and first fit (as TFLite's arena
    planner and XLA's heap simulator), and by first use with best fit and
    first fit. The function gets `kern.arena_bytes` (the arena's size) and
    `kern.plan` (the strategy that won). Per-iteration locals of
    `kern.fused` bodies have no offset; parameters, optimizer state,
    gradients and results are arguments, outside the arena.
  }];
  let dependentDialects = ["::gradc::kern::KernDialect"];
}

def VerifyMemoryPlan : Pass<"gradc-verify-memory-plan", "mlir::ModuleOp"> {
  let summary = "Check that no two temporaries live at the same time overlap";
  let description = [{
    For every planned function: each temporary has a 64-byte aligned offset
    and fits in `kern.arena_bytes`, and any two temporaries whose live
    intervals meet occupy disjoint bytes. gradc runs it after planning every
    model it compiles. Functions without offsets are skipped.
  }];
}

#endif // GRADC_DIALECT_KERN_TRANSFORMS_PASSES_TD
