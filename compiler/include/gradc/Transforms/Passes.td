//===- Passes.td - gradc passes -------------------------------*- tablegen -*-===//

#ifndef GRADC_TRANSFORMS_PASSES_TD
#define GRADC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def Autodiff : Pass<"gradc-autodiff", "mlir::ModuleOp"> {
  let summary = "Differentiate the model symbolically in reverse mode";
  let description = [{
    gradc decides the backward graph at compile time, so that it can be
    simplified, fused and memory-planned like the forward graph. This pass
    builds, next to the model function `@<entry>` (whose result marked
    `nn.role = "loss"` is a rank-0 float), a function `@<grad-name>` with
    the same arguments that returns the model function's results followed
    by the gradient of the loss with respect to every trainable parameter
    (arguments with `nn.role = "param"` and no `nn.frozen`), in argument
    order, each marked `nn.role = "grad"` and `nn.name` of its parameter.

    Gradients are built in reverse program order from each op's
    DifferentiableOpInterface and summed where a value fans out. Only values
    that both depend on a trainable parameter and affect the loss get a
    gradient: nothing is computed for inputs, labels, frozen parameters or
    dead branches. A parameter the loss does not depend on gets a zero
    gradient and a warning. An op without a derivative on the path from a
    parameter to the loss (for example `nn.argmax`) is an error at that op's
    location, never a silent zero gradient.
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"forward\"",
           "The model function to differentiate">,
    Option<"gradName", "grad-name", "std::string", /*default=*/"\"loss_grad\"",
           "The name of the function to create">,
  ];
  let dependentDialects = ["::gradc::nn::NNDialect"];
}

def TrainStep : Pass<"gradc-train-step", "mlir::ModuleOp"> {
  let summary = "Build the training and evaluation entry points";
  let description = [{
    Turns the differentiated model into the functions a training program
    calls, so that the optimizer update is ordinary nn IR that fusion and
    memory planning see together with the forward and backward passes.

    `@train_step` takes the arguments of `@loss_grad`, then one tensor per
    optimizer state of each trainable parameter (`nn.role = "opt_state"`,
    named as torch.optim names them: `<param>.exp_avg`, `<param>.exp_avg_sq`,
    `<param>.momentum_buffer`, `<param>.square_avg`), then the learning rate
    and the 1-based step number (`nn.role = "hyper"`). It returns the loss,
    the metric statistics, the updated buffers, the updated parameters
    (`param_update`) and optimizer states (`opt_state_update`), and the raw
    gradient of every trainable parameter (`grad`). The update
    follows the module's `nn.train` settings with torch.optim's exact
    formulas: l1 / l2 terms added to the gradient, clipping by value, then by
    global norm (coefficient max_norm / (norm + 1e-6), at most 1), then sgd
    (momentum, nesterov, weight_decay), adam, adamw or rmsprop.

    `@eval_step` and `@eval_one` are the evaluation-mode model at batch B and
    1; `@predict` and `@predict_one` return only the model's output.
    `@loss_grad` stays, without its outputs and buffer updates, so that a
    program can compute the gradients of a batch without changing any state.
    `@forward` and the eval variants are removed.

    For data-parallel training (`ranks` > 1 in `nn.train`, from
    `gradc --ranks N`), `@train_step` also comes in two halves:
    `@train_grad` (`@loss_grad` that returns the updated buffers too; built
    only for models with buffers, `@loss_grad` serves the others) and
    `@apply_update`, which takes the trainable parameters, their gradients
    (`nn.role = "grad"`), the optimizer states, lr and step, and returns the
    updated parameters and states by the same formulas as `@train_step`. A
    program averages the gradients across processes between the two.

    With `step-gradients=false` (`gradc -fno-step-gradients`),
    `@train_step` does not return the raw gradients: each is then a
    temporary that fusion hands straight to its update and memory planning
    places in the arena, so a program holds no buffer of all gradients.
    `@loss_grad` and `@train_grad` still return them.
  }];
  let options = [
    Option<"stepGradients", "step-gradients", "bool", /*default=*/"true",
           "Return the raw gradients from @train_step">,
  ];
  let dependentDialects = ["::gradc::nn::NNDialect"];
}

def LowerToKern : Pass<"gradc-lower-to-kern", "mlir::ModuleOp"> {
  let summary = "Lower the entry points to kernels over buffers";
  let description = [{
    The last step before printing C++: every function's tensors become
    static memrefs and every nn op one `kern.kernel` (reshapes become
    aliasing `kern.view`s, temporaries `kern.alloc`s). Results become
    output-buffer arguments marked `kern.out`, except updates of parameters,
    optimizer states and buffers, which are written in place into the
    argument of the same `nn.name` — directly by the op that computes them
    when nothing reads the old value afterwards, else through a copy at the
    end of the step.
  }];
  let dependentDialects = ["::gradc::kern::KernDialect"];
}

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

#endif // GRADC_TRANSFORMS_PASSES_TD
