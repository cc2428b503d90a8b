// RUN: gradc-opt %s --gradc-verify-memory-plan --split-input-file --verify-diagnostics

// %a and %b are live together (step 1 reads %a and writes %b) but overlap.
func.func @overlap(%x: memref<16xf32>, %y: memref<16xf32>) attributes {kern.arena_bytes = 128 : i64} {
  // expected-remark @+1 {{the other temporary}}
  %a = kern.alloc {offset = 0 : i64} : memref<16xf32>
  // expected-error @+1 {{temporary [0, 64) overlaps a temporary [0, 64) live at the same time (steps 1 to 1)}}
  %b = kern.alloc {offset = 0 : i64} : memref<16xf32>
  kern.kernel "nn.exp" ins(%x : memref<16xf32>) outs(%a : memref<16xf32>) {}
  kern.kernel "nn.neg" ins(%a : memref<16xf32>) outs(%b : memref<16xf32>) {}
  kern.kernel "nn.neg" ins(%b : memref<16xf32>) outs(%y : memref<16xf32>) {}
  return
}

// -----

func.func @outside(%x: memref<16xf32>, %y: memref<16xf32>) attributes {kern.arena_bytes = 64 : i64} {
  // expected-error @+1 {{temporary at offset 64 of 64 bytes does not lie 64-byte aligned in the arena of 64 bytes}}
  %a = kern.alloc {offset = 64 : i64} : memref<16xf32>
  kern.kernel "nn.exp" ins(%x : memref<16xf32>) outs(%a : memref<16xf32>) {}
  kern.kernel "nn.neg" ins(%a : memref<16xf32>) outs(%y : memref<16xf32>) {}
  return
}

// -----

// Disjoint lifetimes may share bytes.
func.func @shared(%x: memref<16xf32>, %y: memref<16xf32>) attributes {kern.arena_bytes = 64 : i64} {
  %a = kern.alloc {offset = 0 : i64} : memref<16xf32>
  %b = kern.alloc {offset = 0 : i64} : memref<16xf32>
  kern.kernel "nn.exp" ins(%x : memref<16xf32>) outs(%a : memref<16xf32>) {}
  kern.kernel "nn.neg" ins(%a : memref<16xf32>) outs(%y : memref<16xf32>) {}
  kern.kernel "nn.exp" ins(%x : memref<16xf32>) outs(%b : memref<16xf32>) {}
  kern.kernel "nn.neg" ins(%b : memref<16xf32>) outs(%y : memref<16xf32>) {}
  return
}
