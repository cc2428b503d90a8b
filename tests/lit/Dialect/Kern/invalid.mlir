// RUN: gradc-opt %s --split-input-file --verify-diagnostics

func.func @kind(%x: memref<4xf32>, %y: memref<4xf32>) {
  // expected-error @+1 {{expected kind 'elementwise' or 'epilogue', found 'loop'}}
  kern.fused attributes {kind = "loop", shape = array<i64: 4>} {
    kern.kernel "nn.exp" ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {}
  }
  return
}

// -----

func.func @not_elementwise(%x: memref<4xf32>, %y: memref<f32>) {
  kern.fused attributes {kind = "elementwise", shape = array<i64: 4>} {
    // expected-error @+1 {{'nn.reduce_sum' is not elementwise and cannot be fused}}
    kern.kernel "nn.reduce_sum" ins(%x : memref<4xf32>) outs(%y : memref<f32>) {axes = array<i64: 0>, keep_dims = false}
  }
  return
}

// -----

func.func @shape(%x: memref<8xf32>, %y: memref<8xf32>) {
  kern.fused attributes {kind = "elementwise", shape = array<i64: 4>} {
    // expected-error @+1 {{expected outputs of the fused shape [4], found 'memref<8xf32>'}}
    kern.kernel "nn.exp" ins(%x : memref<8xf32>) outs(%y : memref<8xf32>) {}
  }
  return
}

// -----

// An input that does not broadcast to the fused shape makes its kernel's op
// invalid, which is reported first.
func.func @broadcast(%x: memref<3xf32>, %y: memref<4xf32>) {
  kern.fused attributes {kind = "elementwise", shape = array<i64: 4>} {
    // expected-error @+1 {{'nn.exp' op requires the same type for all operands and results}}
    kern.kernel "nn.exp" ins(%x : memref<3xf32>) outs(%y : memref<4xf32>) {}
  }
  return
}

// -----

func.func @producer(%x: memref<4xf32>, %y: memref<4xf32>) {
  kern.fused attributes {kind = "epilogue", shape = array<i64: 4>} {
    // expected-error @+1 {{'nn.exp' cannot lead an epilogue (expected a matrix product, convolution or normalization)}}
    kern.kernel "nn.exp" ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {}
  }
  return
}

// -----

func.func @local_twice(%x: memref<4xf32>, %y: memref<4xf32>) {
  kern.fused attributes {kind = "elementwise", shape = array<i64: 4>} {
    // expected-error @+1 {{expected a fused local to be written by exactly one kernel, found 2}}
    %t = kern.alloc : memref<4xf32>
    kern.kernel "nn.exp" ins(%x : memref<4xf32>) outs(%t : memref<4xf32>) {}
    kern.kernel "nn.neg" ins(%t : memref<4xf32>) outs(%t : memref<4xf32>) {}
    kern.kernel "nn.neg" ins(%t : memref<4xf32>) outs(%y : memref<4xf32>) {}
  }
  return
}

// -----

func.func @xent(%l: memref<4x3xf32>, %y: memref<4xi64>, %one: memref<f32>, %loss: memref<f32>, %d: memref<4x3xf32>) {
  // expected-error @+1 {{expected logits [N, C] and i32 labels [N], found 'memref<4x3xf32>' and 'memref<4xi64>'}}
  kern.softmax_cross_entropy %l, %y, %one -> %loss, %d : memref<4x3xf32>, memref<4xi64>, memref<f32> -> memref<f32>, memref<4x3xf32>
  return
}

// -----

func.func @xent_grad(%l: memref<4x3xf32>, %y: memref<4xi32>, %one: memref<f32>, %loss: memref<f32>, %d: memref<3x4xf32>) {
  // expected-error @+1 {{expected the gradient to have the logits' type 'memref<4x3xf32>', found 'memref<3x4xf32>'}}
  kern.softmax_cross_entropy %l, %y, %one -> %loss, %d : memref<4x3xf32>, memref<4xi32>, memref<f32> -> memref<f32>, memref<3x4xf32>
  return
}

// -----

func.func @unknown_callee(%x: memref<4xf32>, %y: memref<4xf32>) {
  // expected-error @+1 {{expected the callee to name an nn op, found 'nn.bogus'}}
  kern.kernel "nn.bogus" ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {}
  return
}

// -----

func.func @other_dialect(%x: memref<4xf32>) {
  // expected-error @+1 {{expected the callee to name an nn op, found 'func.return'}}
  kern.kernel "func.return" ins() outs(%x : memref<4xf32>) {}
  return
}

// -----

func.func @reshape(%x: memref<4xf32>, %y: memref<2x2xf32>) {
  // expected-error @+1 {{expected the payload to be an nn op that runs as a kernel, found 'nn.reshape'}}
  kern.kernel "nn.reshape" ins(%x : memref<4xf32>) outs(%y : memref<2x2xf32>) {}
  return
}

// -----

func.func @results(%x: memref<4x3xf32>, %g: memref<3xf32>, %b: memref<3xf32>, %y: memref<4x3xf32>) {
  // expected-error @+1 {{'nn.layer_norm' op requires one result}}
  kern.kernel "nn.layer_norm" ins(%x, %g, %b : memref<4x3xf32>, memref<3xf32>, memref<3xf32>) outs(%y, %y : memref<4x3xf32>, memref<4x3xf32>) {}
  return
}

// -----

func.func @payload_types(%x: memref<4xf32>, %y: memref<4xf64>) {
  // expected-error @+1 {{'nn.exp' op requires the same type for all operands and results}}
  kern.kernel "nn.exp" ins(%x : memref<4xf32>) outs(%y : memref<4xf64>) {}
  return
}

// -----

func.func @in_place(%x: memref<4xf32>) {
  // expected-error @+1 {{'nn.softmax' is not elementwise and cannot write an input buffer}}
  kern.kernel "nn.softmax" ins(%x : memref<4xf32>) outs(%x : memref<4xf32>) {axis = 0}
  return
}

// -----

// A fused body's rules ask its kernels' payloads, which are verified first.
func.func @fused_payload(%a: memref<4x4xf32>, %y: memref<4x4xf32>) {
  kern.fused attributes {kind = "epilogue", shape = array<i64: 4, 4>} {
    // expected-error @+1 {{'nn.matmul' op expected 2 operands, but found 1}}
    kern.kernel "nn.matmul" ins(%a : memref<4x4xf32>) outs(%y : memref<4x4xf32>) {}
  }
  return
}

// -----

func.func @not_buffers(%x: tensor<4xf32>, %y: memref<4xf32>) {
  // expected-error @+1 {{expected statically shaped memrefs, found 'tensor<4xf32>'}}
  kern.kernel "nn.exp" ins(%x : tensor<4xf32>) outs(%y : memref<4xf32>) {}
  return
}
