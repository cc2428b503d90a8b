// RUN: gradc-opt %s --gradc-plan-memory --gradc-verify-memory-plan --split-input-file | FileCheck %s

// Three 4 KiB temporaries: %a dies when %c is born, so they share bytes;
// %b lives across both and cannot. The arena is two buffers, not three
// (offsets are byte offsets, 64-byte aligned).
// CHECK-LABEL: func.func @reuse
// CHECK-SAME: attributes {kern.arena_bytes = 8192 : i64, kern.plan = "{{[a-z-]+}}"}
// CHECK-DAG: %[[A:.+]] = kern.alloc {offset = [[OA:[0-9]+]] : i64} : memref<1024xf32>
// CHECK-DAG: %[[B:.+]] = kern.alloc {offset = [[OB:[0-9]+]] : i64} : memref<1024xf32>
// CHECK-DAG: %[[C:.+]] = kern.alloc {offset = [[OA]] : i64} : memref<1024xf32>
func.func @reuse(%x: memref<1024xf32>, %y: memref<1024xf32>) {
  %a = kern.alloc : memref<1024xf32>
  %b = kern.alloc : memref<1024xf32>
  %c = kern.alloc : memref<1024xf32>
  kern.kernel "nn.exp" ins(%x : memref<1024xf32>) outs(%a : memref<1024xf32>) {}
  kern.kernel "nn.neg" ins(%a : memref<1024xf32>) outs(%b : memref<1024xf32>) {}
  kern.kernel "nn.tanh" ins(%b : memref<1024xf32>) outs(%c : memref<1024xf32>) {}
  kern.kernel "nn.add" ins(%b, %c : memref<1024xf32>, memref<1024xf32>) outs(%y : memref<1024xf32>) {}
  return
}

// -----

// A view keeps its buffer alive: %a is read through %v at the last step, so
// nothing may take its bytes before.
// CHECK-LABEL: func.func @view_liveness
// CHECK-SAME: kern.arena_bytes = 8192
func.func @view_liveness(%x: memref<1024xf32>, %y: memref<32x32xf32>) {
  %a = kern.alloc : memref<1024xf32>
  %b = kern.alloc : memref<1024xf32>
  %v = kern.view %a : memref<1024xf32> to memref<32x32xf32>
  kern.kernel "nn.exp" ins(%x : memref<1024xf32>) outs(%a : memref<1024xf32>) {}
  kern.kernel "nn.neg" ins(%x : memref<1024xf32>) outs(%b : memref<1024xf32>) {}
  kern.kernel "nn.neg" ins(%v : memref<32x32xf32>) outs(%y : memref<32x32xf32>) {}
  return
}

// -----

// Sizes round up to 64 bytes.
// CHECK-LABEL: func.func @alignment
// CHECK-SAME: kern.arena_bytes = 128
// CHECK-DAG: kern.alloc {offset = 0 : i64} : memref<3xf32>
// CHECK-DAG: kern.alloc {offset = 64 : i64} : memref<5xi1>
func.func @alignment(%x: memref<3xf32>, %y: memref<3xf32>) {
  %a = kern.alloc : memref<3xf32>
  %m = kern.alloc : memref<5xi1>
  kern.kernel "nn.exp" ins(%x : memref<3xf32>) outs(%a : memref<3xf32>) {}
  kern.kernel "nn.constant" ins() outs(%m : memref<5xi1>) {value = dense<true> : tensor<5xi1>}
  kern.kernel "nn.neg" ins(%a : memref<3xf32>) outs(%y : memref<3xf32>) {}
  return
}
