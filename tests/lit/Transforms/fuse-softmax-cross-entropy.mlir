// RUN: gradc-opt %s --gradc-fuse-softmax-cross-entropy --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @fused
// CHECK-SAME: (%[[L:[^:]+]]: memref<4x3xf32>, %[[Y:[^:]+]]: memref<4xi32>, %[[LOSS:[^:]+]]: memref<f32>)
// CHECK: %[[ONE:.+]] = kern.alloc : memref<f32>
// CHECK: %[[D:.+]] = kern.alloc : memref<4x3xf32>
// CHECK: kern.softmax_cross_entropy %[[L]], %[[Y]], %[[ONE]] -> %[[LOSS]], %[[D]]
// CHECK-NOT: kern.kernel "nn.softmax_cross_entropy
// CHECK: kern.kernel "nn.neg" ins(%[[D]]
func.func @fused(%logits: memref<4x3xf32>, %y: memref<4xi32>, %loss: memref<f32>) {
  %one = kern.alloc : memref<f32>
  kern.kernel "nn.constant" ins() outs(%one : memref<f32>) {value = dense<1.0> : tensor<f32>}
  kern.kernel "nn.softmax_cross_entropy" ins(%logits, %y : memref<4x3xf32>, memref<4xi32>) outs(%loss : memref<f32>) {}
  %d = kern.alloc : memref<4x3xf32>
  kern.kernel "nn.softmax_cross_entropy_backward" ins(%logits, %y, %one : memref<4x3xf32>, memref<4xi32>, memref<f32>) outs(%d : memref<4x3xf32>) {}
  kern.kernel "nn.neg" ins(%d : memref<4x3xf32>) outs(%d : memref<4x3xf32>) {}
  return
}

// -----

// Not when the logits change in between.
// CHECK-LABEL: func.func @written_between
// CHECK-NOT: kern.softmax_cross_entropy
func.func @written_between(%logits: memref<4x3xf32>, %y: memref<4xi32>, %one: memref<f32>, %loss: memref<f32>, %d: memref<4x3xf32>) {
  kern.kernel "nn.softmax_cross_entropy" ins(%logits, %y : memref<4x3xf32>, memref<4xi32>) outs(%loss : memref<f32>) {}
  kern.kernel "nn.neg" ins(%logits : memref<4x3xf32>) outs(%logits : memref<4x3xf32>) {}
  kern.kernel "nn.softmax_cross_entropy_backward" ins(%logits, %y, %one : memref<4x3xf32>, memref<4xi32>, memref<f32>) outs(%d : memref<4x3xf32>) {}
  return
}

// -----

// Not when the incoming gradient is computed after the loss.
// CHECK-LABEL: func.func @late_seed
// CHECK-NOT: kern.softmax_cross_entropy
func.func @late_seed(%logits: memref<4x3xf32>, %y: memref<4xi32>, %loss: memref<f32>, %d: memref<4x3xf32>) {
  %one = kern.alloc : memref<f32>
  kern.kernel "nn.softmax_cross_entropy" ins(%logits, %y : memref<4x3xf32>, memref<4xi32>) outs(%loss : memref<f32>) {}
  kern.kernel "nn.exp" ins(%loss : memref<f32>) outs(%one : memref<f32>) {}
  kern.kernel "nn.softmax_cross_entropy_backward" ins(%logits, %y, %one : memref<4x3xf32>, memref<4xi32>, memref<f32>) outs(%d : memref<4x3xf32>) {}
  return
}
