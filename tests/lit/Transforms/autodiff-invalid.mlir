// RUN: gradc-opt %s --gradc-autodiff --split-input-file --verify-diagnostics

func.func @forward(%x: tensor<4x3xf32> {nn.role = #nn.role<input>}, %w: tensor<3x3xf32> {nn.role = #nn.role<param>, nn.name = "w"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %h = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x3xf32> -> tensor<4x3xf32>
  // expected-error @+1 {{'nn.argmax' is not differentiable, but the loss depends on trainable parameters through it}}
  %i = nn.argmax %h {axis = 1 : i64} : tensor<4x3xf32> -> tensor<4xi32>
  // expected-note @+1 {{used here on the way to the loss}}
  %f = nn.cast %i : tensor<4xi32> -> tensor<4xf32>
  %l = nn.reduce_sum %f [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{expected a result with nn.role = #nn.role<loss> to differentiate, found none}}
func.func @forward(%w: tensor<3xf32> {nn.role = #nn.role<param>}) -> tensor<f32> {
  %l = nn.reduce_sum %w [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{expected the loss to be a rank-0 float tensor, found 'tensor<3xf32>'}}
func.func @forward(%w: tensor<3xf32> {nn.role = #nn.role<param>}) -> (tensor<3xf32> {nn.role = #nn.role<loss>}) {
  return %w : tensor<3xf32>
}

// -----

// expected-error @+1 {{no function @forward to differentiate}}
module {
  func.func @model(%w: tensor<3xf32>) {
    return
  }
}

// -----

// expected-error @+1 {{expected one result with nn.role = #nn.role<loss>, found results #0 and #1}}
func.func @forward(%w: tensor<f32> {nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<f32> {nn.role = #nn.role<loss>}) {
  return %w, %w : tensor<f32>, tensor<f32>
}

// -----

// expected-warning @+1 {{the loss does not depend on parameter unused; its gradient is zero}}
func.func @forward(%w: tensor<2xf32> {nn.role = #nn.role<param>, nn.name = "used"}, %u: tensor<2xf32> {nn.role = #nn.role<param>, nn.name = "unused"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %l = nn.reduce_sum %w [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// (Found by fuzzing .mlir input: the train step paired each gradient with the
// wrong one of two parameters that share a name, and crashed.)
// expected-error @+1 {{arguments #0 and #1 are both named 'w'; every parameter and buffer needs its own nn.name}}
func.func @forward(%a: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "w"}, %b: tensor<2xf32> {nn.role = #nn.role<param>, nn.name = "w"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %la = nn.reduce_sum %a [0] : tensor<3xf32> -> tensor<f32>
  %lb = nn.reduce_sum %b [0] : tensor<2xf32> -> tensor<f32>
  %l = nn.add %la, %lb : tensor<f32>, tensor<f32> -> tensor<f32>
  return %l : tensor<f32>
}
