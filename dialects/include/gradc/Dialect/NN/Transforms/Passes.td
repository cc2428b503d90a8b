//===- Passes.td - passes over the nn dialect ---------------- -*- tablegen -*-===//

#ifndef GRADC_DIALECT_NN_TRANSFORMS_PASSES_TD
#define GRADC_DIALECT_NN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

// Passes over nn IR: differentiation and the training step.

def Autodiff : Pass<"gradc-autodiff", "mlir::ModuleOp"> {
  let summary = "Differentiate the model symbolically in reverse mode";
  let description = [{
    gradc decides the backward graph at compile time, so that it can be
    simplified, fused and memory-planned like the forward graph. This pass
    builds, next to the model function `@<entry>` (whose result marked
    `nn.role = #nn.role<loss>` is a rank-0 float), a function `@<grad-name>` with
    the same arguments that returns the model function's results followed
    by the gradient of the loss with respect to every trainable parameter
    (arguments with `nn.role = #nn.role<param>` and no `nn.frozen`), in argument
    order, each marked `nn.role = #nn.role<grad>` and `nn.name` of its parameter.

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
    optimizer state of each trainable parameter (`nn.role = #nn.role<opt_state>`,
    named as torch.optim names them: `<param>.exp_avg`, `<param>.exp_avg_sq`,
    `<param>.momentum_buffer`, `<param>.square_avg`), then the learning rate
    and the 1-based step number (`nn.role = #nn.role<hyper>`). It returns the loss,
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
    (`nn.role = #nn.role<grad>`), the optimizer states, lr and step, and returns the
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

#endif // GRADC_DIALECT_NN_TRANSFORMS_PASSES_TD
