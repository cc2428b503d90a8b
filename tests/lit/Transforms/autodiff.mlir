// RUN: gradc-opt %s --gradc-autodiff --split-input-file --verify-each | FileCheck %s

// Linear + relu + cross-entropy: the gradient of the input is never built,
// the bias gradient is the batch sum, relu's derivative is a select.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<2x3xf32> {nn.name = "dense_0.weight", nn.role = #nn.role<grad>}, tensor<2xf32> {nn.name = "dense_0.bias", nn.role = #nn.role<grad>})
// CHECK: %[[H:.+]] = nn.linear %arg0, %arg2, %arg3
// CHECK: %[[R:.+]] = nn.relu %[[H]]
// CHECK: %[[L:.+]] = nn.softmax_cross_entropy %[[R]], %arg1
// CHECK: %[[ONE:.+]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DR:.+]] = nn.softmax_cross_entropy_backward %[[R]], %arg1, %[[ONE]]
// CHECK: %[[POS:.+]] = nn.compare gt, %[[H]]
// CHECK: %[[DH:.+]] = nn.select %[[POS]], %[[DR]]
// CHECK-NOT: nn.matmul %[[DH]], %arg2
// CHECK: %[[DW:.+]] = nn.matmul %[[DH]], %arg0 {transpose_lhs}
// CHECK: %[[DB:.+]] = nn.reduce_sum %[[DH]] [0]
// CHECK: return %[[L]], %[[DW]], %[[DB]]
func.func @forward(%x: tensor<4x3xf32> {nn.role = #nn.role<input>}, %y: tensor<4xi32> {nn.role = #nn.role<label>, nn.classes = 2},
    %w: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "dense_0.weight"}, %b: tensor<2xf32> {nn.role = #nn.role<param>, nn.name = "dense_0.bias"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %h = nn.linear %x, %w, %b : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %r = nn.relu %h : tensor<4x2xf32>
  %l = nn.softmax_cross_entropy %r, %y : (tensor<4x2xf32>, tensor<4xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Fan-out: a value used twice receives the sum of both gradients; a frozen
// parameter gets none and is not returned.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<3xf32> {nn.name = "w", nn.role = #nn.role<grad>})
// CHECK: %[[SQ:.+]] = nn.mul %arg0, %arg0
// CHECK: %[[A:.+]] = nn.mul %{{.+}}, %arg0
// CHECK: %[[B:.+]] = nn.mul %{{.+}}, %arg0
// CHECK: %[[SUM:.+]] = nn.add %[[B]], %[[A]]
// CHECK: return %{{.+}}, %[[SUM]]
func.func @forward(%w: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "w"}, %f: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "f", nn.frozen})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %sq = nn.mul %w, %w : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %s = nn.mul %sq, %f : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = nn.reduce_sum %s [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Broadcasting: the gradient of a broadcast operand is reduced to its shape.
// CHECK-LABEL: func.func @loss_grad
// CHECK: %[[G:.+]] = nn.broadcast_to %{{.+}} : tensor<1x1xf32> -> tensor<4x3xf32>
// CHECK: %[[DB:.+]] = nn.reduce_sum %[[G]] [0] : tensor<4x3xf32> -> tensor<3xf32>
// CHECK: return %{{.+}}, %[[DB]]
func.func @forward(%x: tensor<4x3xf32> {nn.role = #nn.role<input>}, %b: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %s = nn.add %x, %b : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %l = nn.reduce_sum %s [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Conv, pool, batch norm, dropout: each has its dedicated backward op, and
// dropout's VJP is dropout with the same key and stream.
// CHECK-LABEL: func.func @loss_grad
// CHECK-DAG: nn.dropout %{{.+}}, %arg4 {p = 5.000000e-01 : f64, stream = 7 : i64}
// CHECK-DAG: nn.batch_norm_backward
// CHECK-DAG: nn.max_pool2d_backward
// CHECK-DAG: nn.conv2d_backward_filter
// CHECK-DAG: nn.reduce_sum %{{.+}} [0, 2, 3] : tensor<2x4x4x4xf32> -> tensor<4xf32>
// CHECK-NOT: nn.conv2d_backward_input
// CHECK: return
func.func @forward(%x: tensor<2x1x8x8xf32> {nn.role = #nn.role<input>}, %w: tensor<4x1x3x3xf32> {nn.role = #nn.role<param>, nn.name = "conv2d_0.weight"},
    %cb: tensor<4xf32> {nn.role = #nn.role<param>, nn.name = "conv2d_0.bias"},
    %g: tensor<4xf32> {nn.role = #nn.role<param>, nn.name = "batch_norm_0.gamma"}, %key: tensor<i64> {nn.role = #nn.role<rng>},
    %rm: tensor<4xf32> {nn.role = #nn.role<buffer>, nn.name = "batch_norm_0.running_mean"}, %rv: tensor<4xf32> {nn.role = #nn.role<buffer>, nn.name = "batch_norm_0.running_var"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<4xf32> {nn.role = #nn.role<buffer_update>, nn.name = "batch_norm_0.running_mean"}) {
  %c = nn.conv2d %x, %w, %cb {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : (tensor<2x1x8x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32>
  %y, %mean, %var, %nrm, %nrv = nn.batch_norm_train %c, %g, %g, %rm, %rv : (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  %p = nn.max_pool2d %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<2x4x4x4xf32> -> tensor<2x4x2x2xf32>
  %d = nn.dropout %p, %key {p = 0.5 : f64, stream = 7 : i64} : tensor<2x4x2x2xf32>, tensor<i64>
  %l = nn.reduce_mean %d [0, 1, 2, 3] : tensor<2x4x2x2xf32> -> tensor<f32>
  return %l, %nrm : tensor<f32>, tensor<4xf32>
}

// -----

// A parameter the loss does not use gets a zero gradient and a warning.
// CHECK-LABEL: func.func @loss_grad
// CHECK: %[[Z:.+]] = nn.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK: return %{{.+}}, %{{.+}}, %[[Z]]
func.func @forward(%w: tensor<2xf32> {nn.role = #nn.role<param>, nn.name = "used"}, %u: tensor<2xf32> {nn.role = #nn.role<param>, nn.name = "unused"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %l = nn.reduce_sum %w [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
