// RUN: gradc-opt %s | gradc-opt | FileCheck %s
// RUN: gradc-opt %s --mlir-print-op-generic | gradc-opt --verify-roundtrip | FileCheck %s

// CHECK-LABEL: func.func @all
func.func @all(%x: memref<4x3xf32>, %w: memref<5x3xf32>, %y: memref<4xi32>, %loss: memref<f32>, %d: memref<4x5xf32>) {
  // CHECK: kern.alloc {offset = 128 : i64} : memref<4x5xf32>
  %h = kern.alloc {offset = 128 : i64} : memref<4x5xf32>
  // CHECK: kern.view
  %v = kern.view %h : memref<4x5xf32> to memref<20xf32>
  // CHECK: kern.fused attributes {kind = "epilogue", shape = array<i64: 4, 5>} {
  kern.fused attributes {kind = "epilogue", shape = array<i64: 4, 5>} {
    %zero = kern.alloc : memref<f32>
    kern.kernel "nn.constant" ins() outs(%zero : memref<f32>) {value = dense<0.0> : tensor<f32>}
    kern.kernel "nn.linear" ins(%x, %w : memref<4x3xf32>, memref<5x3xf32>) outs(%h : memref<4x5xf32>) {}
    kern.kernel "nn.maximum" ins(%h, %zero : memref<4x5xf32>, memref<f32>) outs(%h : memref<4x5xf32>) {}
  }
  %one = kern.alloc : memref<f32>
  // CHECK: kern.softmax_cross_entropy
  kern.softmax_cross_entropy %h, %y, %one -> %loss, %d : memref<4x5xf32>, memref<4xi32>, memref<f32> -> memref<f32>, memref<4x5xf32>
  // CHECK: kern.copy
  kern.copy %d, %h : memref<4x5xf32>
  return
}
