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
    (`param_update`) and optimizer states (`opt_state_update`). The update
    follows the module's `nn.train` settings with torch.optim's exact
    formulas: l1 / l2 terms added to the gradient, clipping by value, then by
    global norm (coefficient max_norm / (norm + 1e-6), at most 1), then sgd
    (momentum, nesterov, weight_decay), adam, adamw or rmsprop.

    `@eval_step` and `@eval_one` are the evaluation-mode model at batch B and
    1; `@predict` and `@predict_one` return only the model's output.
    `@forward`, `@loss_grad` and the eval variants they came from are removed.
  }];
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

#endif // GRADC_TRANSFORMS_PASSES_TD
