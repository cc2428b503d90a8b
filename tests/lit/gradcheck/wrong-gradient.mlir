// RUN: not gradc gradcheck %s --params 0 | FileCheck %s
// RUN: gradc gradcheck %S/Inputs/right-gradient.mlir --params 0 | FileCheck %s --check-prefix=RIGHT

// The checker itself: an input that brings its own @loss_grad is checked
// as written (autodiff does not run). Here the loss is mean((x W^T)^2) and
// the hand-written gradient of W forgets the factor 2 of the square, while
// the one of b is right; the check fails on W alone and exits 1. The same
// module with the factor passes.

func.func @forward(%x: tensor<4x3xf64> {nn.role = #nn.role<input>, nn.name = "x"},
                   %w: tensor<2x3xf64> {nn.role = #nn.role<param>, nn.name = "fc.weight", nn.init = "default"},
                   %b: tensor<2xf64> {nn.role = #nn.role<param>, nn.name = "fc.bias", nn.init = "default"})
    -> (tensor<f64> {nn.role = #nn.role<loss>}) {
  %y = nn.linear %x, %w, %b : (tensor<4x3xf64>, tensor<2x3xf64>, tensor<2xf64>) -> tensor<4x2xf64>
  %sq = nn.square %y : tensor<4x2xf64>
  %loss = nn.reduce_mean %sq [0, 1] : tensor<4x2xf64> -> tensor<f64>
  return %loss : tensor<f64>
}

func.func @loss_grad(%x: tensor<4x3xf64> {nn.role = #nn.role<input>, nn.name = "x"},
                     %w: tensor<2x3xf64> {nn.role = #nn.role<param>, nn.name = "fc.weight", nn.init = "default"},
                     %b: tensor<2xf64> {nn.role = #nn.role<param>, nn.name = "fc.bias", nn.init = "default"})
    -> (tensor<f64> {nn.role = #nn.role<loss>},
        tensor<2x3xf64> {nn.role = #nn.role<grad>, nn.name = "fc.weight"},
        tensor<2xf64> {nn.role = #nn.role<grad>, nn.name = "fc.bias"}) {
  %y = nn.linear %x, %w, %b : (tensor<4x3xf64>, tensor<2x3xf64>, tensor<2xf64>) -> tensor<4x2xf64>
  %sq = nn.square %y : tensor<4x2xf64>
  %loss = nn.reduce_mean %sq [0, 1] : tensor<4x2xf64> -> tensor<f64>
  // dloss/dy = 2 y / 8; the weight's gradient uses y / 8.
  %eighth = nn.constant dense<0.125> : tensor<f64>
  %quarter = nn.constant dense<0.25> : tensor<f64>
  %dy_wrong = nn.mul %y, %eighth : tensor<4x2xf64>, tensor<f64> -> tensor<4x2xf64>
  %dy = nn.mul %y, %quarter : tensor<4x2xf64>, tensor<f64> -> tensor<4x2xf64>
  %dw = nn.matmul %dy_wrong, %x {transpose_lhs} : tensor<4x2xf64>, tensor<4x3xf64> -> tensor<2x3xf64>
  %db = nn.reduce_sum %dy [0] : tensor<4x2xf64> -> tensor<2xf64>
  return %loss, %dw, %db : tensor<f64>, tensor<2x3xf64>, tensor<2xf64>
}

// CHECK:      fc.weight [2, 3] 6 {{.*}} FAILED
// CHECK-NEXT: fc.bias [2] 2 {{.*}} ok
// CHECK-NEXT: gradcheck FAILED: 2 parameters

// RIGHT:      fc.weight [2, 3] 6 {{.*}} ok
// RIGHT-NEXT: fc.bias [2] 2 {{.*}} ok
// RIGHT-NEXT: gradcheck passed: 2 parameters
