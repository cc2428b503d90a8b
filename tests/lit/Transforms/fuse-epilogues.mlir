// RUN: gradc-opt %s --gradc-fuse-epilogues --split-input-file | FileCheck %s
// RUN: gradc-opt %s --gradc-fuse-elementwise --gradc-fuse-epilogues --split-input-file | FileCheck %s --check-prefix=BOTH

// Bias + activation after a product: the product runs, then the activation
// over its output. The product's output stays a buffer (it is written whole).
// CHECK-LABEL: func.func @linear_relu
// CHECK: %[[PRE:.+]] = kern.alloc : memref<4x5xf32>
// CHECK: kern.fused attributes {kind = "epilogue", shape = array<i64: 4, 5>} {
// CHECK-NEXT: kern.kernel "nn.linear" {{.*}} outs(%[[PRE]] : memref<4x5xf32>)
// CHECK-NEXT: kern.kernel "nn.relu" ins(%[[PRE]] : memref<4x5xf32>)
// CHECK-NEXT: {{^ *}$}}
func.func @linear_relu(%x: memref<4x3xf32>, %w: memref<5x3xf32>, %b: memref<5xf32>, %y: memref<4x5xf32>) {
  %pre = kern.alloc : memref<4x5xf32>
  kern.kernel "nn.linear" ins(%x, %w, %b : memref<4x3xf32>, memref<5x3xf32>, memref<5xf32>) outs(%pre : memref<4x5xf32>) {}
  kern.kernel "nn.relu" ins(%pre : memref<4x5xf32>) outs(%y : memref<4x5xf32>) {}
  return
}

// -----

// The ReLU-backward mask on the incoming gradient, and a residual add, as
// autodiff orders them: with elementwise fusion first, the whole group
// joins the product.
// CHECK-LABEL: func.func @relu_backward
// CHECK: kern.fused attributes {kind = "epilogue"
// CHECK: kern.kernel "nn.matmul"
// CHECK-NEXT: kern.kernel "nn.select"
// CHECK-NEXT: kern.kernel "nn.add"
// BOTH-LABEL: func.func @relu_backward
// BOTH: kern.fused attributes {kind = "epilogue", shape = array<i64: 4, 5>} {
// BOTH: kern.kernel "nn.matmul"
// BOTH: kern.kernel "nn.compare"
// BOTH: kern.kernel "nn.select"
// BOTH: kern.kernel "nn.add"
// BOTH: {{^ *}$}}
// BOTH-NOT: kern.fused
func.func @relu_backward(%dy: memref<4x2xf32>, %w: memref<2x5xf32>, %pre: memref<4x5xf32>, %res: memref<4x5xf32>, %dx: memref<4x5xf32>) {
  %zero = kern.alloc : memref<f32>
  kern.kernel "nn.constant" ins() outs(%zero : memref<f32>) {value = dense<0.0> : tensor<f32>}
  %g = kern.alloc : memref<4x5xf32>
  kern.kernel "nn.matmul" ins(%dy, %w : memref<4x2xf32>, memref<2x5xf32>) outs(%g : memref<4x5xf32>) {}
  %mask = kern.alloc : memref<4x5xi1>
  kern.kernel "nn.compare" ins(%pre, %zero : memref<4x5xf32>, memref<f32>) outs(%mask : memref<4x5xi1>) {predicate = 4 : i32}
  %masked = kern.alloc : memref<4x5xf32>
  kern.kernel "nn.select" ins(%mask, %g, %zero : memref<4x5xi1>, memref<4x5xf32>, memref<f32>) outs(%masked : memref<4x5xf32>) {}
  kern.kernel "nn.add" ins(%masked, %res : memref<4x5xf32>, memref<4x5xf32>) outs(%dx : memref<4x5xf32>) {}
  return
}

// -----

// Elementwise kernels before the producer stay before it; after elementwise
// fusion, the group they form with kernels after the producer is placed
// after it, and joins it.
// CHECK-LABEL: func.func @before_producer
// CHECK: kern.kernel "nn.compare"
// CHECK-NEXT: kern.fused attributes {kind = "epilogue"
// CHECK: kern.kernel "nn.matmul"
// CHECK-NEXT: kern.kernel "nn.select"
// BOTH-LABEL: func.func @before_producer
// BOTH: kern.fused attributes {kind = "epilogue"
// BOTH-NEXT: kern.kernel "nn.matmul"
// BOTH: kern.kernel "nn.compare"
// BOTH: kern.kernel "nn.select"
func.func @before_producer(%dy: memref<4x2xf32>, %w: memref<2x5xf32>, %pre: memref<4x5xf32>, %dx: memref<4x5xf32>) {
  %zero = kern.alloc : memref<f32>
  kern.kernel "nn.constant" ins() outs(%zero : memref<f32>) {value = dense<0.0> : tensor<f32>}
  %mask = kern.alloc : memref<4x5xi1>
  kern.kernel "nn.compare" ins(%pre, %zero : memref<4x5xf32>, memref<f32>) outs(%mask : memref<4x5xi1>) {predicate = 4 : i32}
  %g = kern.alloc : memref<4x5xf32>
  kern.kernel "nn.matmul" ins(%dy, %w : memref<4x2xf32>, memref<2x5xf32>) outs(%g : memref<4x5xf32>) {}
  kern.kernel "nn.select" ins(%mask, %g, %zero : memref<4x5xi1>, memref<4x5xf32>, memref<f32>) outs(%dx : memref<4x5xf32>) {}
  return
}

// -----

// A batched product leads no epilogue.
// CHECK-LABEL: func.func @batched
// CHECK-NOT: kern.fused
func.func @batched(%a: memref<2x4x3xf32>, %b: memref<2x3x5xf32>, %y: memref<2x4x5xf32>) {
  %c = kern.alloc : memref<2x4x5xf32>
  kern.kernel "nn.matmul" ins(%a, %b : memref<2x4x3xf32>, memref<2x3x5xf32>) outs(%c : memref<2x4x5xf32>) {}
  kern.kernel "nn.relu" ins(%c : memref<2x4x5xf32>) outs(%y : memref<2x4x5xf32>) {}
  return
}
