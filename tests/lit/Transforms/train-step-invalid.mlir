// RUN: gradc-opt %s --gradc-train-step --split-input-file --verify-diagnostics

// expected-error @+1 {{gradc-train-step needs @loss_grad (from gradc-autodiff), @forward_eval and @forward_eval_one}}
module {
  func.func @forward(%w: tensor<3xf32> {nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}) {
    %l = nn.reduce_sum %w [0] : tensor<3xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}
