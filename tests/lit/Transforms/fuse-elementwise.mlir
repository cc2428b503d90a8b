// RUN: gradc-opt %s --gradc-fuse-elementwise --split-input-file | FileCheck %s

// A chain of elementwise kernels of one shape becomes one loop; the
// intermediate that nothing else reads becomes a local of the body, and the
// splat constant it reads becomes a constant of the body.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:[^:]+]]: memref<4x3xf32>, %[[B:[^:]+]]: memref<3xf32>, %[[Y:[^:]+]]: memref<4x3xf32>)
// CHECK-NOT: kern.alloc
// CHECK: kern.fused attributes {kind = "elementwise", shape = array<i64: 4, 3>} {
// CHECK-DAG: %[[ZERO:.+]] = kern.alloc : memref<f32>
// CHECK-DAG: kern.kernel "nn.constant" ins() outs(%[[ZERO]] : memref<f32>)
// CHECK-DAG: %[[SUM:.+]] = kern.alloc : memref<4x3xf32>
// CHECK: kern.kernel "nn.add" ins(%[[X]], %[[B]] : memref<4x3xf32>, memref<3xf32>) outs(%[[SUM]] : memref<4x3xf32>)
// CHECK: kern.kernel "nn.maximum" ins(%[[SUM]], %[[ZERO]] : memref<4x3xf32>, memref<f32>) outs(%[[Y]] : memref<4x3xf32>)
// CHECK-NEXT: {{^ *}$}}
// CHECK-NEXT: return
func.func @chain(%x: memref<4x3xf32>, %b: memref<3xf32>, %y: memref<4x3xf32>) {
  %zero = kern.alloc : memref<f32>
  kern.kernel "nn.constant" ins() outs(%zero : memref<f32>) {value = dense<0.0> : tensor<f32>}
  %sum = kern.alloc : memref<4x3xf32>
  kern.kernel "nn.add" ins(%x, %b : memref<4x3xf32>, memref<3xf32>) outs(%sum : memref<4x3xf32>) {}
  kern.kernel "nn.maximum" ins(%sum, %zero : memref<4x3xf32>, memref<f32>) outs(%y : memref<4x3xf32>) {}
  return
}

// -----

// An intermediate read after the group stays a buffer, written by the loop.
// CHECK-LABEL: func.func @escaping
// CHECK: %[[T:.+]] = kern.alloc : memref<8xf32>
// CHECK: kern.fused attributes {kind = "elementwise", shape = array<i64: 8>} {
// CHECK: kern.kernel "nn.exp" {{.*}} outs(%[[T]] : memref<8xf32>)
// CHECK: kern.kernel "nn.neg"
// CHECK: }
// CHECK: kern.kernel "nn.reduce_sum" ins(%[[T]]
func.func @escaping(%x: memref<8xf32>, %y: memref<8xf32>, %s: memref<f32>) {
  %t = kern.alloc : memref<8xf32>
  kern.kernel "nn.exp" ins(%x : memref<8xf32>) outs(%t : memref<8xf32>) {}
  kern.kernel "nn.neg" ins(%t : memref<8xf32>) outs(%y : memref<8xf32>) {}
  kern.kernel "nn.reduce_sum" ins(%t : memref<8xf32>) outs(%s : memref<f32>) {axes = array<i64: 0>, keep_dims = false}
  return
}

// -----

// Kernels of different shapes are not fused; neither is a kernel whose
// input a non-elementwise kernel in between computes from the group (the
// group would have to run both before and after it).
// CHECK-LABEL: func.func @blocked
// CHECK-NOT: kern.fused
// CHECK: return
func.func @blocked(%x: memref<4x3xf32>, %y: memref<4x3xf32>, %m: memref<3xf32>) {
  %e = kern.alloc : memref<4x3xf32>
  kern.kernel "nn.exp" ins(%x : memref<4x3xf32>) outs(%e : memref<4x3xf32>) {}
  %s = kern.alloc : memref<4x1xf32>
  kern.kernel "nn.reduce_sum" ins(%e : memref<4x3xf32>) outs(%s : memref<4x1xf32>) {axes = array<i64: 1>, keep_dims = true}
  kern.kernel "nn.div" ins(%e, %s : memref<4x3xf32>, memref<4x1xf32>) outs(%y : memref<4x3xf32>) {}
  kern.kernel "nn.neg" ins(%s : memref<4x1xf32>) outs(%s : memref<4x1xf32>) {}
  return
}

// -----

// The optimizer update of a parameter (SGD with momentum) is one pass over
// it: the momentum buffer and the parameter are read and written in place
// at the loop's index, in the order of the kernels.
// CHECK-LABEL: func.func @momentum
// CHECK-SAME: (%[[W:[^:]+]]: memref<16xf32>, %[[G:[^:]+]]: memref<16xf32>, %[[BUF:[^:]+]]: memref<16xf32>, %[[LR:[^:]+]]: memref<f32>)
// CHECK: kern.fused attributes {kind = "elementwise", shape = array<i64: 16>} {
// CHECK: kern.kernel "nn.mul" ins(%[[BUF]],
// CHECK: kern.kernel "nn.add" {{.*}} outs(%[[BUF]] : memref<16xf32>)
// CHECK: kern.kernel "nn.mul" ins(%[[BUF]], %[[LR]]
// CHECK: kern.kernel "nn.sub" ins(%[[W]], {{.*}} outs(%[[W]] : memref<16xf32>)
// CHECK-NEXT: {{^ *}$}}
func.func @momentum(%w: memref<16xf32>, %g: memref<16xf32>, %buf: memref<16xf32>, %lr: memref<f32>) {
  %c = kern.alloc : memref<f32>
  kern.kernel "nn.constant" ins() outs(%c : memref<f32>) {value = dense<0.9> : tensor<f32>}
  %scaled = kern.alloc : memref<16xf32>
  kern.kernel "nn.mul" ins(%buf, %c : memref<16xf32>, memref<f32>) outs(%scaled : memref<16xf32>) {}
  kern.kernel "nn.add" ins(%scaled, %g : memref<16xf32>, memref<16xf32>) outs(%buf : memref<16xf32>) {}
  %step = kern.alloc : memref<16xf32>
  kern.kernel "nn.mul" ins(%buf, %lr : memref<16xf32>, memref<f32>) outs(%step : memref<16xf32>) {}
  kern.kernel "nn.sub" ins(%w, %step : memref<16xf32>, memref<16xf32>) outs(%w : memref<16xf32>) {}
  return
}
