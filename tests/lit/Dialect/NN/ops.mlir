// RUN: gradc-opt %s --verify-roundtrip | FileCheck %s
// RUN: gradc-opt %s --mlir-print-op-generic | gradc-opt | FileCheck %s

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<f32>, tensor<2xf64>, tensor<3xi32>, tensor<i64>) {
  // CHECK: nn.constant dense<5.000000e-01> : tensor<f32>
  %0 = nn.constant dense<0.5> : tensor<f32>
  // CHECK: nn.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf64>
  %1 = nn.constant dense<[1.0, 2.0]> : tensor<2xf64>
  // CHECK: nn.constant dense<[0, 1, 2]> : tensor<3xi32>
  %2 = nn.constant dense<[0, 1, 2]> : tensor<3xi32>
  // CHECK: nn.constant dense<7> : tensor<i64>
  %3 = nn.constant dense<7> : tensor<i64>
  return %0, %1, %2, %3 : tensor<f32>, tensor<2xf64>, tensor<3xi32>, tensor<i64>
}

// CHECK-LABEL: func.func @binary
func.func @binary(%a: tensor<4x3xf32>, %b: tensor<3xf32>, %s: tensor<f32>, %i: tensor<4x1xi32>, %j: tensor<5xi32>) {
  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %0 = nn.add %a, %b : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  // CHECK: nn.sub %{{.*}}, %{{.*}} : tensor<f32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %1 = nn.sub %s, %a : tensor<f32>, tensor<4x3xf32> -> tensor<4x3xf32>
  // CHECK: nn.mul
  %2 = nn.mul %a, %s : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  // CHECK: nn.div
  %3 = nn.div %a, %b : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  // CHECK: nn.maximum
  %4 = nn.maximum %a, %s : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  // CHECK: nn.minimum
  %5 = nn.minimum %a, %b : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  // CHECK: nn.pow
  %6 = nn.pow %a, %s : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<4x1xi32>, tensor<5xi32> -> tensor<4x5xi32>
  %7 = nn.add %i, %j : tensor<4x1xi32>, tensor<5xi32> -> tensor<4x5xi32>
  return
}

// CHECK-LABEL: func.func @compare_select_cast
func.func @compare_select_cast(%x: tensor<4x3xf32>, %zero: tensor<f32>, %p: tensor<4xi32>, %l: tensor<4xi32>) -> (tensor<4x3xf32>, tensor<4xf32>) {
  // CHECK: nn.compare gt, %{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xi1>
  %m = nn.compare gt, %x, %zero : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xi1>
  // CHECK: nn.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x3xi1>, tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  %y = nn.select %m, %x, %zero : tensor<4x3xi1>, tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  // CHECK: nn.compare eq
  %e = nn.compare eq, %p, %l : tensor<4xi32>, tensor<4xi32> -> tensor<4xi1>
  // CHECK: nn.cast %{{.*}} : tensor<4xi1> -> tensor<4xf32>
  %f = nn.cast %e : tensor<4xi1> -> tensor<4xf32>
  return %y, %f : tensor<4x3xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<2x3xf32>, %d: tensor<5xf64>) {
  // CHECK: nn.neg %{{.*}} : tensor<2x3xf32>
  %0 = nn.neg %x : tensor<2x3xf32>
  // CHECK: nn.exp
  %1 = nn.exp %x : tensor<2x3xf32>
  // CHECK: nn.log
  %2 = nn.log %x : tensor<2x3xf32>
  // CHECK: nn.sqrt
  %3 = nn.sqrt %x : tensor<2x3xf32>
  // CHECK: nn.rsqrt
  %4 = nn.rsqrt %x : tensor<2x3xf32>
  // CHECK: nn.abs
  %5 = nn.abs %x : tensor<2x3xf32>
  // CHECK: nn.sign
  %6 = nn.sign %x : tensor<2x3xf32>
  // CHECK: nn.square
  %7 = nn.square %x : tensor<2x3xf32>
  // CHECK: nn.erf
  %8 = nn.erf %x : tensor<2x3xf32>
  // CHECK: nn.relu
  %9 = nn.relu %x : tensor<2x3xf32>
  // CHECK: nn.sigmoid
  %10 = nn.sigmoid %x : tensor<2x3xf32>
  // CHECK: nn.tanh
  %11 = nn.tanh %x : tensor<2x3xf32>
  // CHECK: nn.gelu
  %12 = nn.gelu %x : tensor<2x3xf32>
  // CHECK: nn.softplus %{{.*}} : tensor<5xf64>
  %13 = nn.softplus %d : tensor<5xf64>
  // CHECK: nn.leaky_relu %{{.*}} {slope = 2.000000e-01 : f64} : tensor<2x3xf32>
  %14 = nn.leaky_relu %x {slope = 0.2 : f64} : tensor<2x3xf32>
  // CHECK: nn.leaky_relu %{{.*}} : tensor<2x3xf32>
  %15 = nn.leaky_relu %x : tensor<2x3xf32>
  return
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<8x1x28x28xf32>, %a: tensor<8x3xf32>, %b: tensor<8x5xf32>, %v: tensor<10xf32>) {
  // CHECK: nn.reshape %{{.*}} : tensor<8x1x28x28xf32> -> tensor<8x784xf32>
  %0 = nn.reshape %x : tensor<8x1x28x28xf32> -> tensor<8x784xf32>
  // CHECK: nn.transpose %{{.*}} [1, 0] : tensor<8x3xf32> -> tensor<3x8xf32>
  %1 = nn.transpose %a [1, 0] : tensor<8x3xf32> -> tensor<3x8xf32>
  // CHECK: nn.broadcast_to %{{.*}} : tensor<10xf32> -> tensor<4x10xf32>
  %2 = nn.broadcast_to %v : tensor<10xf32> -> tensor<4x10xf32>
  // CHECK: nn.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<8x3xf32>, tensor<8x5xf32>) -> tensor<8x8xf32>
  %3 = nn.concat %a, %b {axis = 1 : i64} : (tensor<8x3xf32>, tensor<8x5xf32>) -> tensor<8x8xf32>
  // CHECK: nn.slice %{{.*}} [0, 3] : tensor<8x8xf32> -> tensor<8x5xf32>
  %4 = nn.slice %3 [0, 3] : tensor<8x8xf32> -> tensor<8x5xf32>
  return
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<64x10xf32>, %i: tensor<4x5xi32>) {
  // CHECK: nn.reduce_sum %{{.*}} [0] : tensor<64x10xf32> -> tensor<10xf32>
  %0 = nn.reduce_sum %x [0] : tensor<64x10xf32> -> tensor<10xf32>
  // CHECK: nn.reduce_mean %{{.*}} [0, 1] : tensor<64x10xf32> -> tensor<f32>
  %1 = nn.reduce_mean %x [0, 1] : tensor<64x10xf32> -> tensor<f32>
  // CHECK: nn.reduce_max %{{.*}} [1] {keep_dims = true} : tensor<64x10xf32> -> tensor<64x1xf32>
  %2 = nn.reduce_max %x [1] {keep_dims = true} : tensor<64x10xf32> -> tensor<64x1xf32>
  // CHECK: nn.reduce_sum %{{.*}} [1] : tensor<4x5xi32> -> tensor<4xi32>
  %3 = nn.reduce_sum %i [1] : tensor<4x5xi32> -> tensor<4xi32>
  // CHECK: nn.argmax %{{.*}} {axis = 1 : i64} : tensor<64x10xf32> -> tensor<64xi32>
  %4 = nn.argmax %x {axis = 1 : i64} : tensor<64x10xf32> -> tensor<64xi32>
  return
}

// CHECK-LABEL: func.func @linear_algebra
func.func @linear_algebra(%a: tensor<8x64x32xf32>, %b: tensor<32x16xf32>, %x: tensor<64x784xf32>, %w: tensor<256x784xf32>, %bias: tensor<256xf32>, %dy: tensor<64x256xf32>) {
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : tensor<8x64x32xf32>, tensor<32x16xf32> -> tensor<8x64x16xf32>
  %0 = nn.matmul %a, %b : tensor<8x64x32xf32>, tensor<32x16xf32> -> tensor<8x64x16xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<64x256xf32>, tensor<64x784xf32> -> tensor<256x784xf32>
  %1 = nn.matmul %dy, %x {transpose_lhs} : tensor<64x256xf32>, tensor<64x784xf32> -> tensor<256x784xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<64x784xf32>, tensor<256x784xf32> -> tensor<64x256xf32>
  %2 = nn.matmul %x, %w {transpose_rhs} : tensor<64x784xf32>, tensor<256x784xf32> -> tensor<64x256xf32>
  // CHECK: nn.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<64x784xf32>, tensor<256x784xf32>, tensor<256xf32>) -> tensor<64x256xf32>
  %3 = nn.linear %x, %w, %bias : (tensor<64x784xf32>, tensor<256x784xf32>, tensor<256xf32>) -> tensor<64x256xf32>
  // CHECK: nn.linear %{{.*}}, %{{.*}} : (tensor<64x784xf32>, tensor<256x784xf32>) -> tensor<64x256xf32>
  %4 = nn.linear %x, %w : (tensor<64x784xf32>, tensor<256x784xf32>) -> tensor<64x256xf32>
  return
}

// CHECK-LABEL: func.func @convolution
func.func @convolution(%x: tensor<4x1x28x28xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>, %dy: tensor<4x6x28x28xf32>) {
  // CHECK: nn.conv2d %{{.*}}, %{{.*}}, %{{.*}} {padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : (tensor<4x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<4x6x28x28xf32>
  %0 = nn.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>} : (tensor<4x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<4x6x28x28xf32>
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} {padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<4x1x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<4x6x12x12xf32>
  %1 = nn.conv2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<4x1x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<4x6x12x12xf32>
  // CHECK: nn.conv2d_backward_input
  %2 = nn.conv2d_backward_input %dy, %w {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>} : (tensor<4x6x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<4x1x28x28xf32>
  // CHECK: nn.conv2d_backward_filter
  %3 = nn.conv2d_backward_filter %x, %dy {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>} : (tensor<4x1x28x28xf32>, tensor<4x6x28x28xf32>) -> tensor<6x1x5x5xf32>
  return
}

// CHECK-LABEL: func.func @pooling
func.func @pooling(%x: tensor<4x6x28x28xf32>, %dy: tensor<4x6x14x14xf32>) {
  // CHECK: nn.max_pool2d %{{.*}} {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<4x6x28x28xf32> -> tensor<4x6x14x14xf32>
  %0 = nn.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<4x6x28x28xf32> -> tensor<4x6x14x14xf32>
  // CHECK: nn.avg_pool2d %{{.*}} : tensor<4x6x28x28xf32> -> tensor<4x6x14x14xf32>
  %1 = nn.avg_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : tensor<4x6x28x28xf32> -> tensor<4x6x14x14xf32>
  // CHECK: nn.max_pool2d_backward
  %2 = nn.max_pool2d_backward %x, %dy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<4x6x28x28xf32>, tensor<4x6x14x14xf32>) -> tensor<4x6x28x28xf32>
  // CHECK: nn.avg_pool2d_backward
  %3 = nn.avg_pool2d_backward %dy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<4x6x14x14xf32> -> tensor<4x6x28x28xf32>
  return
}

// CHECK-LABEL: func.func @normalization
func.func @normalization(%x: tensor<64x512xf32>, %c: tensor<512xf32>, %img: tensor<8x6x5x5xf32>, %c6: tensor<6xf32>) {
  // Default-valued attributes are elided.
  // CHECK: nn.batch_norm_train %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>)
  %y, %mean, %var, %rm, %rv = nn.batch_norm_train %x, %c, %c, %c, %c {eps = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>)
  // CHECK: nn.batch_norm_train {{.*}} -> (tensor<8x6x5x5xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
  %y2:5 = nn.batch_norm_train %img, %c6, %c6, %c6, %c6 : (tensor<8x6x5x5xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<8x6x5x5xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
  // CHECK: nn.batch_norm_eval
  %e = nn.batch_norm_eval %x, %c, %c, %rm, %rv : (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  // CHECK: nn.batch_norm_backward
  %dx, %dg, %db = nn.batch_norm_backward %x, %y, %c, %mean, %var : (tensor<64x512xf32>, tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>, tensor<512xf32>) -> (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>)
  // CHECK: nn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} : (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  %l = nn.layer_norm %x, %c, %c : (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>) -> tensor<64x512xf32>
  // CHECK: nn.layer_norm_backward
  %ldx, %ldg, %ldb = nn.layer_norm_backward %x, %l, %c {eps = 1.0e-6 : f64} : (tensor<64x512xf32>, tensor<64x512xf32>, tensor<512xf32>) -> (tensor<64x512xf32>, tensor<512xf32>, tensor<512xf32>)
  return
}

// CHECK-LABEL: func.func @softmax_and_losses
func.func @softmax_and_losses(%logits: tensor<64x10xf32>, %y: tensor<64xi32>, %g: tensor<f32>, %pred: tensor<64xi32>) {
  // CHECK: nn.softmax %{{.*}} {axis = 1 : i64} : tensor<64x10xf32>
  %0 = nn.softmax %logits {axis = 1 : i64} : tensor<64x10xf32>
  // CHECK: nn.log_softmax %{{.*}} {axis = 0 : i64} : tensor<64x10xf32>
  %1 = nn.log_softmax %logits {axis = 0 : i64} : tensor<64x10xf32>
  // CHECK: nn.softmax_cross_entropy %{{.*}}, %{{.*}} : (tensor<64x10xf32>, tensor<64xi32>) -> tensor<f32>
  %2 = nn.softmax_cross_entropy %logits, %y : (tensor<64x10xf32>, tensor<64xi32>) -> tensor<f32>
  // CHECK: nn.softmax_cross_entropy_backward
  %3 = nn.softmax_cross_entropy_backward %logits, %y, %g : (tensor<64x10xf32>, tensor<64xi32>, tensor<f32>) -> tensor<64x10xf32>
  // CHECK: nn.confusion_matrix %{{.*}}, %{{.*}} {num_classes = 10 : i64} : (tensor<64xi32>, tensor<64xi32>) -> tensor<10x10xi32>
  %4 = nn.confusion_matrix %pred, %y {num_classes = 10 : i64} : (tensor<64xi32>, tensor<64xi32>) -> tensor<10x10xi32>
  return
}

// CHECK-LABEL: func.func @embedding_and_dropout
func.func @embedding_and_dropout(%table: tensor<1000x64xf32>, %ids: tensor<32x16xi32>, %key: tensor<i64>) {
  // CHECK: nn.gather_rows %{{.*}}, %{{.*}} : (tensor<1000x64xf32>, tensor<32x16xi32>) -> tensor<32x16x64xf32>
  %e = nn.gather_rows %table, %ids : (tensor<1000x64xf32>, tensor<32x16xi32>) -> tensor<32x16x64xf32>
  // CHECK: nn.scatter_add_rows %{{.*}}, %{{.*}} : (tensor<32x16xi32>, tensor<32x16x64xf32>) -> tensor<1000x64xf32>
  %d = nn.scatter_add_rows %ids, %e : (tensor<32x16xi32>, tensor<32x16x64xf32>) -> tensor<1000x64xf32>
  // CHECK: nn.dropout %{{.*}}, %{{.*}} {p = 2.000000e-01 : f64, stream = 3 : i64} : tensor<32x16x64xf32>, tensor<i64>
  %r = nn.dropout %e, %key {p = 0.2 : f64, stream = 3 : i64} : tensor<32x16x64xf32>, tensor<i64>
  return
}

// CHECK-LABEL: func.func @argument_attributes
// CHECK-SAME: nn.name = "dense_0.weight"
// CHECK-SAME: nn.classes = 10 : i64
func.func @argument_attributes(
    %x: tensor<64x784xf32> {nn.role = #nn.role<input>, nn.name = "x"},
    %w: tensor<256x784xf32> {nn.role = #nn.role<param>, nn.name = "dense_0.weight", nn.init = "he"},
    %f: tensor<256xf32> {nn.role = #nn.role<param>, nn.name = "dense_0.bias", nn.frozen},
    %y: tensor<64xi32> {nn.role = #nn.role<label>, nn.name = "y", nn.classes = 10},
    %rm: tensor<256xf32> {nn.role = #nn.role<buffer>, nn.name = "batch_norm_0.running_mean", nn.init = "zeros"},
    %key: tensor<i64> {nn.role = #nn.role<rng>}) {
  return
}
