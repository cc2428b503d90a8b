// RUN: gradc-opt %s --gradc-schedule-memory | FileCheck %s

// Program order makes both 4 KiB temporaries live at once; consuming %a
// before producing %b keeps one live at a time.
// CHECK-LABEL: func.func @interleave
// CHECK: kern.kernel "nn.exp" ins(%{{.*}}) outs(%[[A:[0-9]+]]
// CHECK-NEXT: kern.kernel "nn.reduce_sum" ins(%[[A]]
// CHECK-NEXT: kern.kernel "nn.tanh" ins(%{{.*}}) outs(%[[B:[0-9]+]]
// CHECK-NEXT: kern.kernel "nn.reduce_sum" ins(%[[B]]
func.func @interleave(%x: memref<1024xf32>, %s: memref<f32>, %t: memref<f32>) {
  %a = kern.alloc : memref<1024xf32>
  %b = kern.alloc : memref<1024xf32>
  kern.kernel "nn.exp" ins(%x : memref<1024xf32>) outs(%a : memref<1024xf32>) {}
  kern.kernel "nn.tanh" ins(%x : memref<1024xf32>) outs(%b : memref<1024xf32>) {}
  kern.kernel "nn.reduce_sum" ins(%a : memref<1024xf32>) outs(%s : memref<f32>) {axes = array<i64: 0>, keep_dims = false}
  kern.kernel "nn.reduce_sum" ins(%b : memref<1024xf32>) outs(%t : memref<f32>) {axes = array<i64: 0>, keep_dims = false}
  return
}

// Order is kept when nothing improves, and dependences are respected: the
// write of %y after its read stays after it.
// CHECK-LABEL: func.func @keep
// CHECK: kern.kernel "nn.exp" ins(%arg1
// CHECK-NEXT: kern.kernel "nn.neg" ins(%arg0{{.*}} outs(%arg1
func.func @keep(%x: memref<16xf32>, %y: memref<16xf32>, %z: memref<16xf32>) {
  kern.kernel "nn.exp" ins(%y : memref<16xf32>) outs(%z : memref<16xf32>) {}
  kern.kernel "nn.neg" ins(%x : memref<16xf32>) outs(%y : memref<16xf32>) {}
  return
}
