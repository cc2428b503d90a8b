// RUN: gradc-opt %s -split-input-file -verify-diagnostics

func.func @constant_not_tensor() {
  // expected-error @+1 {{result #0 must be statically shaped tensor}}
  %0 = nn.constant dense<1.0> : vector<2xf32>
  return
}

// -----

func.func @constant_f16() {
  // expected-error @+1 {{result #0 must be statically shaped tensor of 32-bit float or 64-bit float or 32-bit signless integer or 1-bit signless integer or 64-bit signless integer values, but got 'tensor<2xf16>'}}
  %0 = nn.constant dense<1.0> : tensor<2xf16>
  return
}

// -----

func.func @binary_element_types(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+2 {{expected operands of the same element type, found 'tensor<4xf32>' and 'tensor<4xf64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.add %a, %b : tensor<4xf32>, tensor<4xf64> -> tensor<4xf32>
  return
}

// -----

func.func @binary_broadcast(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 'tensor<4x3xf32>' and 'tensor<4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.mul %a, %b : tensor<4x3xf32>, tensor<4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @binary_result(%a: tensor<4x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<4x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.sub %a, %b : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @binary_dynamic(%a: tensor<?xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor}}
  %0 = nn.div %a, %b : tensor<?xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @binary_bool(%a: tensor<3xi1>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float or 64-bit float or 32-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = nn.maximum %a, %a : tensor<3xi1>, tensor<3xi1> -> tensor<3xi1>
  return
}

// -----

func.func @compare_element_types(%a: tensor<3xf32>, %b: tensor<3xi32>) {
  // expected-error @+2 {{expected operands of the same element type, found 'tensor<3xf32>' and 'tensor<3xi32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.compare lt, %a, %b : tensor<3xf32>, tensor<3xi32> -> tensor<3xi1>
  return
}

// -----

func.func @compare_broadcast(%a: tensor<3xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 'tensor<3xf32>' and 'tensor<2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.compare ge, %a, %b : tensor<3xf32>, tensor<2xf32> -> tensor<3xi1>
  return
}

// -----

func.func @compare_predicate(%a: tensor<3xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'predicate' [eq, ne, lt, le, gt, ge]}}
  %0 = nn.compare gte, %a, %a : tensor<3xf32>, tensor<3xf32> -> tensor<3xi1>
  return
}

// -----

func.func @select_values(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xf64>) {
  // expected-error @+2 {{expected values of the same element type, found 'tensor<3xf32>' and 'tensor<3xf64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.select %c, %a, %b : tensor<3xi1>, tensor<3xf32>, tensor<3xf64> -> tensor<3xf32>
  return
}

// -----

func.func @select_broadcast(%c: tensor<4xi1>, %a: tensor<3xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 'tensor<4xi1>' and 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.select %c, %a, %a : tensor<4xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @select_condition(%c: tensor<3xf32>, %a: tensor<3xf32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<3xf32>'}}
  %0 = nn.select %c, %a, %a : tensor<3xf32>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @cast_shape(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = nn.cast %a : tensor<3xf32> -> tensor<4xi32>
  return
}

// -----

func.func @unary_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.exp"(%a) : (tensor<3xf32>) -> tensor<3xf64>
  return
}

// -----

func.func @unary_integer(%a: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float or 64-bit float values, but got 'tensor<3xi32>'}}
  %0 = nn.relu %a : tensor<3xi32>
  return
}

// -----

func.func @reshape_element_type(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{expected result element type 'f32', found 'f64'}}
  %0 = nn.reshape %a : tensor<2x3xf32> -> tensor<6xf64>
  return
}

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{expected a result with 6 elements like the operand 'tensor<2x3xf32>', found 'tensor<7xf32>' with 7}}
  %0 = nn.reshape %a : tensor<2x3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @transpose_length(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{expected a permutation of 2 dimensions, found [0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.transpose %a [0] : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @transpose_permutation(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{expected a permutation of [0, 2), found [1, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.transpose %a [1, 1] : tensor<2x3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @transpose_result(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.transpose %a [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @broadcast_to_element_type(%a: tensor<3xf32>) {
  // expected-error @+1 {{expected result element type 'f32', found 'i32'}}
  %0 = nn.broadcast_to %a : tensor<3xf32> -> tensor<2x3xi32>
  return
}

// -----

func.func @broadcast_to_shape(%a: tensor<3xf32>) {
  // expected-error @+1 {{expected a result shape that 'tensor<3xf32>' broadcasts to, found 'tensor<3x2xf32>'}}
  %0 = nn.broadcast_to %a : tensor<3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @concat_none() {
  // expected-error @+2 {{expected at least one input, found none}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat {axis = 0 : i64} : () -> tensor<3xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<3xf32>) {
  // expected-error @+2 {{expected axis in [0, 1), found 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %a, %a {axis = 1 : i64} : (tensor<3xf32>, tensor<3xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<3xf32>, %b: tensor<1x3xf32>) {
  // expected-error @+2 {{expected inputs like 'tensor<3xf32>', found 'tensor<1x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %a, %b {axis = 0 : i64} : (tensor<3xf32>, tensor<1x3xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{expected inputs to agree in dimension 1: 'tensor<2x3xf32>' and 'tensor<2x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @slice_rank(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{expected a result of the operand's rank and element type, found 'tensor<3xf32>' for 'tensor<2x3xf32>'}}
  %0 = nn.slice %a [0, 0] : tensor<2x3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @slice_start(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{expected 2 start indices, found 1}}
  %0 = nn.slice %a [0] : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_bounds(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{window [0, 2] + [2, 2] exceeds the operand shape [2, 3] in dimension 1}}
  %0 = nn.slice %a [0, 2] : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @reduce_axes(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{expected sorted, distinct axes in [0, 2), found [1, 0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_sum %a [1, 0] : tensor<2x3xf32> -> tensor<f32>
  return
}

// -----

func.func @reduce_axis_range(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{expected sorted, distinct axes in [0, 2), found [2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_mean %a [2] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_result(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x1xf32>' are incompatible with return type(s) of operation 'tensor<2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_max %a [1] {keep_dims = true} : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @argmax_axis(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{expected axis in [0, 2), found -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.argmax %a {axis = -1 : i64} : tensor<2x3xf32> -> tensor<2xi32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{expected operands of rank >= 2, found 'tensor<3xf32>' and 'tensor<3x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<3xf32>, tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @matmul_element_types(%a: tensor<2x3xf32>, %b: tensor<3x4xf64>) {
  // expected-error @+2 {{expected operands of the same element type, found 'tensor<2x3xf32>' and 'tensor<3x4xf64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf64> -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_contracting(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contracting dimensions differ: 3 in 'tensor<2x3xf32>' and 4 in 'tensor<4x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return
}

// -----

func.func @matmul_transposed(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) {
  // expected-error @+2 {{contracting dimensions differ: 3 in 'tensor<2x3xf32>' and 5 in 'tensor<2x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b {transpose_rhs} : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x3xf32>, %b: tensor<5x3x4xf32>) {
  // expected-error @+2 {{batch dimensions are not broadcast-compatible: 'tensor<2x4x3xf32>' and 'tensor<5x3x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<2x4x3xf32>, tensor<5x3x4xf32> -> tensor<2x4x4xf32>
  return
}

// -----

func.func @linear_rank(%x: tensor<8x1x28x28xf32>, %w: tensor<10x784xf32>) {
  // expected-error @+2 {{expected input of rank 2, found 'tensor<8x1x28x28xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.linear %x, %w : (tensor<8x1x28x28xf32>, tensor<10x784xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<8x784xf32>, %w: tensor<784xf32>) {
  // expected-error @+2 {{expected weight of rank 2, found 'tensor<784xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.linear %x, %w : (tensor<8x784xf32>, tensor<784xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_element_type(%x: tensor<8x784xf32>, %w: tensor<10x784xf64>) {
  // expected-error @+2 {{expected weight with element type 'f32', found 'tensor<10x784xf64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.linear %x, %w : (tensor<8x784xf32>, tensor<10x784xf64>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<8x100xf32>, %w: tensor<10x784xf32>) {
  // expected-error @+2 {{input features differ: input 'tensor<8x100xf32>' has 100, weight 'tensor<10x784xf32>' expects 784}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.linear %x, %w : (tensor<8x100xf32>, tensor<10x784xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<8x784xf32>, %w: tensor<10x784xf32>, %b: tensor<784xf32>) {
  // expected-error @+2 {{expected bias of shape [10], found 'tensor<784xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.linear %x, %w, %b : (tensor<8x784xf32>, tensor<10x784xf32>, tensor<784xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @conv2d_rank(%x: tensor<8x28x28xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{expected input of rank 4, found 'tensor<8x28x28xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<8x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<8x6x24x24xf32>
  return
}

// -----

func.func @conv2d_channels(%x: tensor<8x3x28x28xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{input channels differ: input 'tensor<8x3x28x28xf32>' has 3, weight 'tensor<6x1x5x5xf32>' expects 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<8x3x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<8x6x24x24xf32>
  return
}

// -----

func.func @conv2d_stride_entries(%x: tensor<8x1x28x28xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{expected 'stride' to have 2 entries, found 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 1>, padding = array<i64: 0, 0>} : (tensor<8x1x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<8x6x24x24xf32>
  return
}

// -----

func.func @conv2d_stride_zero(%x: tensor<8x1x28x28xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{expected 'stride' entries >= 1, found [0, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 0, 1>, padding = array<i64: 0, 0>} : (tensor<8x1x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<8x6x24x24xf32>
  return
}

// -----

func.func @conv2d_padding(%x: tensor<8x1x28x28xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{expected 'padding' entries >= 0, found [-1, 0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: -1, 0>} : (tensor<8x1x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<8x6x24x24xf32>
  return
}

// -----

func.func @conv2d_window(%x: tensor<8x1x4x4xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{window [5, 5] with padding [0, 0] does not fit the spatial input [4, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<8x1x4x4xf32>, tensor<6x1x5x5xf32>) -> tensor<8x6x1x1xf32>
  return
}

// -----

func.func @conv2d_bias(%x: tensor<8x1x28x28xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<5xf32>) {
  // expected-error @+2 {{expected bias of shape [6], found 'tensor<5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<8x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<5xf32>) -> tensor<8x6x24x24xf32>
  return
}

// -----

func.func @conv2d_result(%x: tensor<8x1x28x28xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<8x6x24x24xf32>' are incompatible with return type(s) of operation 'tensor<8x6x28x28xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<8x1x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<8x6x28x28xf32>
  return
}

// -----

func.func @conv2d_backward_input(%dy: tensor<8x6x24x24xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{expected result gradient of shape [8, 6, 28, 28], found 'tensor<8x6x24x24xf32>'}}
  %0 = nn.conv2d_backward_input %dy, %w {stride = array<i64: 1, 1>, padding = array<i64: 2, 2>} : (tensor<8x6x24x24xf32>, tensor<6x1x5x5xf32>) -> tensor<8x1x28x28xf32>
  return
}

// -----

func.func @conv2d_backward_input_type(%dy: tensor<8x6x24x24xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{expected result with element type 'f32', found 'tensor<8x1x28x28xf64>'}}
  %0 = nn.conv2d_backward_input %dy, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<8x6x24x24xf32>, tensor<6x1x5x5xf32>) -> tensor<8x1x28x28xf64>
  return
}

// -----

func.func @conv2d_backward_filter(%x: tensor<8x1x28x28xf32>, %dy: tensor<8x6x24x24xf32>) {
  // expected-error @+1 {{expected result gradient of shape [8, 6, 26, 26], found 'tensor<8x6x24x24xf32>'}}
  %0 = nn.conv2d_backward_filter %x, %dy {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<8x1x28x28xf32>, tensor<8x6x24x24xf32>) -> tensor<6x1x3x3xf32>
  return
}

// -----

func.func @pool_padding(%x: tensor<8x6x28x28xf32>) {
  // expected-error @+2 {{expected padding at most half the kernel [2, 2], found [2, 0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 2, 0>} : tensor<8x6x28x28xf32> -> tensor<8x6x16x14xf32>
  return
}

// -----

func.func @pool_kernel(%x: tensor<8x6x28x28xf32>) {
  // expected-error @+2 {{expected 'kernel' entries >= 1, found [0, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool2d %x {kernel = array<i64: 0, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<8x6x28x28xf32> -> tensor<8x6x14x14xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<6x28x28xf32>) {
  // expected-error @+2 {{expected input of rank 4, found 'tensor<6x28x28xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<6x28x28xf32> -> tensor<6x14x14xf32>
  return
}

// -----

func.func @pool_window(%x: tensor<8x6x2x2xf32>) {
  // expected-error @+2 {{window [3, 3] with padding [0, 0] does not fit the spatial input [2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<8x6x2x2xf32> -> tensor<8x6x1x1xf32>
  return
}

// -----

func.func @max_pool_backward_result(%x: tensor<8x6x28x28xf32>, %dy: tensor<8x6x14x14xf32>) {
  // expected-error @+1 {{expected result type 'tensor<8x6x28x28xf32>', found 'tensor<8x6x14x14xf32>'}}
  %0 = nn.max_pool2d_backward %x, %dy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<8x6x28x28xf32>, tensor<8x6x14x14xf32>) -> tensor<8x6x14x14xf32>
  return
}

// -----

func.func @max_pool_backward_dy(%x: tensor<8x6x28x28xf32>, %dy: tensor<8x6x13x13xf32>) {
  // expected-error @+1 {{expected result gradient of shape [8, 6, 14, 14], found 'tensor<8x6x13x13xf32>'}}
  %0 = nn.max_pool2d_backward %x, %dy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<8x6x28x28xf32>, tensor<8x6x13x13xf32>) -> tensor<8x6x28x28xf32>
  return
}

// -----

func.func @avg_pool_backward_dy(%dy: tensor<8x6x13x13xf32>) {
  // expected-error @+1 {{expected result gradient of shape [8, 6, 14, 14], found 'tensor<8x6x13x13xf32>'}}
  %0 = nn.avg_pool2d_backward %dy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<8x6x13x13xf32> -> tensor<8x6x28x28xf32>
  return
}

// -----

func.func @batch_norm_rank(%x: tensor<8x4x5xf32>, %c: tensor<4xf32>) {
  // expected-error @+2 {{expected input of rank 2 or 4, found 'tensor<8x4x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:5 = nn.batch_norm_train %x, %c, %c, %c, %c : (tensor<8x4x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @batch_norm_channels(%x: tensor<8x4xf32>, %c: tensor<4xf32>, %d: tensor<5xf32>) {
  // expected-error @+2 {{expected running_var of shape [4], found 'tensor<5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:5 = nn.batch_norm_train %x, %c, %c, %c, %d : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<5xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @batch_norm_momentum(%x: tensor<8x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{expected momentum in [0, 1], found 1.5}}
  %0:5 = nn.batch_norm_train %x, %c, %c, %c, %c {momentum = 1.5 : f64} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @batch_norm_eps(%x: tensor<8x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{expected eps > 0, found 0}}
  %0:5 = nn.batch_norm_train %x, %c, %c, %c, %c {eps = 0.0 : f64} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @batch_norm_single_value(%x: tensor<1x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{expected more than one value per channel, found 'tensor<1x4xf32>'}}
  %0:5 = nn.batch_norm_train %x, %c, %c, %c, %c : (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @batch_norm_eval_eps(%x: tensor<8x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{expected eps > 0, found -1}}
  %0 = nn.batch_norm_eval %x, %c, %c, %c, %c {eps = -1.0 : f64} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @batch_norm_eval_type(%x: tensor<8x4xf32>, %c: tensor<4xf64>) {
  // expected-error @+2 {{expected gamma with element type 'f32', found 'tensor<4xf64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.batch_norm_eval %x, %c, %c, %c, %c : (tensor<8x4xf32>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) -> tensor<8x4xf32>
  return
}

// -----

func.func @batch_norm_backward_dy(%x: tensor<8x4xf32>, %dy: tensor<8x5xf32>, %c: tensor<4xf32>) {
  // expected-error @+2 {{expected result gradient of type 'tensor<8x4xf32>', found 'tensor<8x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:3 = nn.batch_norm_backward %x, %dy, %c, %c, %c : (tensor<8x4xf32>, tensor<8x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @layer_norm_gamma(%x: tensor<8x4xf32>, %g: tensor<8xf32>) {
  // expected-error @+2 {{expected gamma of shape [4], found 'tensor<8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.layer_norm %x, %g, %g : (tensor<8x4xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @layer_norm_eps(%x: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{expected eps > 0, found 0}}
  %0 = nn.layer_norm %x, %g, %g {eps = 0.0 : f64} : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @layer_norm_scalar(%x: tensor<f32>, %g: tensor<4xf32>) {
  // expected-error @+2 {{expected input of rank >= 1, found 'tensor<f32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.layer_norm %x, %g, %g : (tensor<f32>, tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
  return
}

// -----

func.func @layer_norm_backward_dy(%x: tensor<8x4xf32>, %dy: tensor<4xf32>, %g: tensor<4xf32>) {
  // expected-error @+2 {{expected result gradient of type 'tensor<8x4xf32>', found 'tensor<4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:3 = nn.layer_norm_backward %x, %dy, %g : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @layer_norm_backward_eps(%x: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{expected eps > 0, found -2}}
  %0:3 = nn.layer_norm_backward %x, %x, %g {eps = -2.0 : f64} : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @batch_norm_backward_eps(%x: tensor<8x4xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{expected eps > 0, found 0}}
  %0:3 = nn.batch_norm_backward %x, %x, %c, %c, %c {eps = 0.0 : f64} : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @softmax_axis(%x: tensor<8x4xf32>) {
  // expected-error @+1 {{expected axis in [0, 2), found 2}}
  %0 = nn.softmax %x {axis = 2 : i64} : tensor<8x4xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<8x4xf32>) {
  // expected-error @+1 {{expected axis in [0, 2), found -1}}
  %0 = nn.log_softmax %x {axis = -1 : i64} : tensor<8x4xf32>
  return
}

// -----

func.func @cross_entropy_rank(%x: tensor<8xf32>, %y: tensor<8xi32>) {
  // expected-error @+2 {{expected logits of rank 2, found 'tensor<8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %x, %y : (tensor<8xf32>, tensor<8xi32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_labels(%x: tensor<8x10xf32>, %y: tensor<10xi32>) {
  // expected-error @+2 {{expected labels of shape [8], found 'tensor<10xi32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %x, %y : (tensor<8x10xf32>, tensor<10xi32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_label_type(%x: tensor<8x10xf32>, %y: tensor<8xf32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of 32-bit signless integer values, but got 'tensor<8xf32>'}}
  %0 = nn.softmax_cross_entropy %x, %y : (tensor<8x10xf32>, tensor<8xf32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_backward_scalar(%x: tensor<8x10xf32>, %y: tensor<8xi32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{operand #2 must be rank-0 tensor of f32 or f64, but got 'tensor<1xf32>'}}
  %0 = nn.softmax_cross_entropy_backward %x, %y, %g : (tensor<8x10xf32>, tensor<8xi32>, tensor<1xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @cross_entropy_backward_type(%x: tensor<8x10xf32>, %y: tensor<8xi32>, %g: tensor<f64>) {
  // expected-error @+2 {{expected loss gradient with element type 'f32', found 'tensor<f64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.softmax_cross_entropy_backward %x, %y, %g : (tensor<8x10xf32>, tensor<8xi32>, tensor<f64>) -> tensor<8x10xf32>
  return
}

// -----

func.func @confusion_classes(%p: tensor<8xi32>) {
  // expected-error @+2 {{expected num_classes > 0, found 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.confusion_matrix %p, %p {num_classes = 0 : i64} : (tensor<8xi32>, tensor<8xi32>) -> tensor<0x0xi32>
  return
}

// -----

func.func @confusion_shapes(%p: tensor<8xi32>, %l: tensor<4xi32>) {
  // expected-error @+2 {{expected labels of shape [8], found 'tensor<4xi32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.confusion_matrix %p, %l {num_classes = 10 : i64} : (tensor<8xi32>, tensor<4xi32>) -> tensor<10x10xi32>
  return
}

// -----

func.func @confusion_rank(%p: tensor<8x2xi32>) {
  // expected-error @+2 {{expected predictions of rank 1, found 'tensor<8x2xi32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.confusion_matrix %p, %p {num_classes = 10 : i64} : (tensor<8x2xi32>, tensor<8x2xi32>) -> tensor<10x10xi32>
  return
}

// -----

func.func @gather_table(%t: tensor<100xf32>, %ids: tensor<8xi32>) {
  // expected-error @+2 {{expected table of rank 2, found 'tensor<100xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gather_rows %t, %ids : (tensor<100xf32>, tensor<8xi32>) -> tensor<8xf32>
  return
}

// -----

func.func @scatter_updates(%ids: tensor<8xi32>, %u: tensor<8x3xf32>) {
  // expected-error @+1 {{expected updates of shape [8, 4], found 'tensor<8x3xf32>'}}
  %0 = nn.scatter_add_rows %ids, %u : (tensor<8xi32>, tensor<8x3xf32>) -> tensor<100x4xf32>
  return
}

// -----

func.func @scatter_result(%ids: tensor<8xi32>, %u: tensor<8x4xf32>) {
  // expected-error @+1 {{expected result of rank 2, found 'tensor<400xf32>'}}
  %0 = nn.scatter_add_rows %ids, %u : (tensor<8xi32>, tensor<8x4xf32>) -> tensor<400xf32>
  return
}

// -----

func.func @dropout_p(%x: tensor<8x4xf32>, %key: tensor<i64>) {
  // expected-error @+1 {{expected drop probability p in [0, 1], found 1.5}}
  %0 = nn.dropout %x, %key {p = 1.5 : f64, stream = 0 : i64} : tensor<8x4xf32>, tensor<i64>
  return
}

// -----

func.func @dropout_key(%x: tensor<8x4xf32>, %key: tensor<2xi64>) {
  // expected-error @+1 {{operand #1 must be rank-0 tensor of i64 (a random-number key), but got 'tensor<2xi64>'}}
  %0 = nn.dropout %x, %key {p = 0.5 : f64, stream = 0 : i64} : tensor<8x4xf32>, tensor<2xi64>
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 attribute 'nn.role' expected one of input, label, param, buffer, rng, hyper, opt_state, grad, found "weights"}}
func.func @bad_role(%x: tensor<4xf32> {nn.role = "weights"}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 attribute 'nn.name' expected a non-empty string, found ""}}
func.func @empty_name(%x: tensor<4xf32> {nn.name = ""}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 attribute 'nn.init' expected one of default, he, xavier, normal, unit_normal, uniform, zeros, ones, data, found "glorot"}}
func.func @bad_init(%x: tensor<4xf32> {nn.init = "glorot"}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 attribute 'nn.init_data' expected dense elements of the argument's shape and element type, found tensor<3xf32>}}
func.func @init_data_shape(%x: tensor<4xf32> {nn.init = "data", nn.init_data = dense<1.0> : tensor<3xf32>}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 attribute 'nn.init_scale' expected a positive f64, found -2.000000e-02 : f64}}
func.func @bad_init_scale(%x: tensor<4xf32> {nn.init = "normal", nn.init_scale = -0.02 : f64}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 attribute 'nn.classes' expected a positive integer, found 0 : i64}}
func.func @bad_classes(%y: tensor<4xi32> {nn.classes = 0}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 attribute 'nn.classes' expected an i32 label tensor, found 'tensor<4xf32>'}}
func.func @float_classes(%y: tensor<4xf32> {nn.classes = 10}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 attribute 'nn.range' expected {low, high: f64, high_open, integral: bool, use: string}, found {high = 1.000000e+00 : f64, low = 0.000000e+00 : f64}}}
func.func @range_fields(%x: tensor<4xf32> {nn.range = {low = 0.0 : f64, high = 1.0 : f64}}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 attribute 'nn.range' expected low <= high}}
func.func @range_order(%x: tensor<4xf32> {nn.range = {low = 2.0 : f64, high = 1.0 : f64, high_open = false, integral = false, use = "x"}}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #1 attribute 'nn.frozen' expected a unit attribute, found true}}
func.func @bad_frozen(%x: tensor<4xf32>, %w: tensor<4xf32> {nn.frozen = true}) {
  return
}

// -----

// expected-error @+1 {{'func.func' op argument #0 has unknown attribute 'nn.weight'}}
func.func @unknown_arg_attr(%x: tensor<4xf32> {nn.weight}) {
  return
}

// -----

// expected-error @+1 {{'builtin.module' op has unknown attribute 'nn.optimizer'}}
module attributes {nn.optimizer = "adam"} {
}

// -----

// expected-error @+1 {{'builtin.module' op attribute 'nn.train' expected an #nn.train, found "adam"}}
module attributes {nn.train = "adam"} {
}

// -----

// expected-error @+2 {{adam has no setting 'momentum'; expected one of beta1, beta2, eps, weight_decay}}
// expected-error @+1 {{failed to parse NN_TrainAttr parameter 'optimizer' which is to be a `OptimizerAttr`}}
module attributes {nn.train = #nn.train<optimizer = <adam, {momentum = 0.9 : f64}>, batch = 4, lr = 1.0e-3, schedule = <constant, {}>>} {
}

// -----

// expected-error @+2 {{adam beta1 must be [0, 1), found 1.000000e+00 : f64}}
// expected-error @+1 {{failed to parse NN_TrainAttr parameter 'optimizer' which is to be a `OptimizerAttr`}}
module attributes {nn.train = #nn.train<optimizer = <adam, {beta1 = 1.0 : f64}>, batch = 4, lr = 1.0e-3, schedule = <constant, {}>>} {
}

// -----

// expected-error @+2 {{sgd momentum expected an f64 value, found 1 : i64}}
// expected-error @+1 {{failed to parse NN_TrainAttr parameter 'optimizer' which is to be a `OptimizerAttr`}}
module attributes {nn.train = #nn.train<optimizer = <sgd, {momentum = 1}>, batch = 4, lr = 1.0e-3, schedule = <constant, {}>>} {
}

// -----

// expected-error @+2 {{nesterov momentum needs momentum > 0}}
// expected-error @+1 {{failed to parse NN_TrainAttr parameter 'optimizer' which is to be a `OptimizerAttr`}}
module attributes {nn.train = #nn.train<optimizer = <sgd, {nesterov = true}>, batch = 4, lr = 1.0e-3, schedule = <constant, {}>>} {
}

// -----

// expected-error @+2 {{schedule step needs 'gamma'}}
// expected-error @+1 {{failed to parse NN_TrainAttr parameter 'schedule' which is to be a `ScheduleAttr`}}
module attributes {nn.train = #nn.train<optimizer = <adam, {}>, batch = 4, lr = 1.0e-3, schedule = <step, {every = 10 : i64}>>} {
}

// -----

// expected-error @+2 {{cosine warmup must be shorter than its steps}}
// expected-error @+1 {{failed to parse NN_TrainAttr parameter 'schedule' which is to be a `ScheduleAttr`}}
module attributes {nn.train = #nn.train<optimizer = <adam, {}>, batch = 4, lr = 1.0e-3, schedule = <cosine, {steps = 10 : i64, warmup = 10 : i64}>>} {
}

// -----

// expected-error @+1 {{nn.train batch 4 does not split into 3 ranks}}
module attributes {nn.train = #nn.train<optimizer = <adam, {}>, batch = 4, lr = 1.0e-3, schedule = <constant, {}>, ranks = 3>} {
}

// -----

// expected-error @+2 {{only csv data has a label_column or a header setting}}
// expected-error @+1 {{failed to parse NN_TrainAttr parameter 'data' which is to be a `DataSourceAttr`}}
module attributes {nn.train = #nn.train<optimizer = <adam, {}>, batch = 4, lr = 1.0e-3, schedule = <constant, {}>, data = <kind = npy, inputs = "x.npy", header = false>>} {
}

// -----

// expected-error @+2 {{early_stopping patience must be at least 1, found 0}}
// expected-error @+1 {{failed to parse NN_TrainAttr parameter 'early_stopping' which is to be a `EarlyStoppingAttr`}}
module attributes {nn.train = #nn.train<optimizer = <adam, {}>, batch = 4, lr = 1.0e-3, schedule = <constant, {}>, early_stopping = <metric = "val_loss", patience = 0>>} {
}

// -----

// expected-error @+1 {{'builtin.module' op attribute 'nn.model' expected a string, found 3 : i64}}
module attributes {nn.model = 3} {
}

// -----

// expected-error @+1 {{'func.func' op attribute 'nn.train' expected on a module}}
func.func @train_on_func() attributes {nn.train = #nn.train<optimizer = <adam, {}>, batch = 4, lr = 1.0e-3, schedule = <constant, {}>>} {
  return
}

// -----

// expected-error @+1 {{'func.func' op result #1 attribute 'nn.role' expected one of loss, metric, output, buffer_update, grad, param_update, opt_state_update, found #nn.role<param>}}
func.func @bad_result_role(%x: tensor<f32>) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<f32> {nn.role = #nn.role<param>}) {
  return %x, %x : tensor<f32>, tensor<f32>
}

// -----

// expected-error @+1 {{'func.func' op result #0 attribute 'nn.name' expected a non-empty string, found 3 : i64}}
func.func @bad_result_name(%x: tensor<f32>) -> (tensor<f32> {nn.name = 3}) {
  return %x : tensor<f32>
}

// -----

// expected-error @+1 {{'func.func' op result #0 has unknown attribute 'nn.init'}}
func.func @unknown_result_attr(%x: tensor<f32>) -> (tensor<f32> {nn.init = "he"}) {
  return %x : tensor<f32>
}

// -----

func.func @batch_norm_empty(%x: tensor<4x0xf32>, %c: tensor<0xf32>) {
  // expected-error @+1 {{expected a non-empty input, found 'tensor<4x0xf32>'}}
  %0:5 = nn.batch_norm_train %x, %c, %c, %c, %c : (tensor<4x0xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>) -> (tensor<4x0xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>)
  return
}

// -----

func.func @minimum_broadcast(%a: tensor<2x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 'tensor<2x3xf32>' and 'tensor<2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.minimum %a, %b : tensor<2x3xf32>, tensor<2xf32> -> tensor<2x3xf32>
  return
}
// -----

func.func @pow_broadcast(%a: tensor<2x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{operands are not broadcast-compatible: 'tensor<2x3xf32>' and 'tensor<2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.pow %a, %b : tensor<2x3xf32>, tensor<2xf32> -> tensor<2x3xf32>
  return
}
// -----

func.func @neg_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.neg"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @log_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.log"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @sqrt_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.sqrt"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @rsqrt_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.rsqrt"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @abs_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.abs"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @sign_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.sign"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @square_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.square"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @erf_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.erf"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @sigmoid_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.sigmoid"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @tanh_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.tanh"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @gelu_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.gelu"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @softplus_types(%a: tensor<3xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "nn.softplus"(%a) : (tensor<3xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @leaky_relu_integer(%a: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float or 64-bit float values, but got 'tensor<3xi32>'}}
  %0 = nn.leaky_relu %a : tensor<3xi32>
  return
}

// -----

func.func @attention_heads(%q: tensor<2x4x6xf32>) {
  // expected-error @+2 {{expected heads to divide the width 6, found heads = 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %l = nn.attention %q, %q, %q {heads = 4 : i64, scale = 1.0 : f64} : (tensor<2x4x6xf32>, tensor<2x4x6xf32>, tensor<2x4x6xf32>) -> (tensor<2x4x6xf32>, tensor<2x4x4xf64>)
  return
}

// -----

func.func @attention_causal_keys(%q: tensor<2x4x6xf32>, %k: tensor<2x5x6xf32>) {
  // expected-error @+2 {{causal attention needs as many keys as queries, found 4 queries and 5 keys}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %l = nn.attention %q, %k, %k {heads = 2 : i64, causal, scale = 1.0 : f64} : (tensor<2x4x6xf32>, tensor<2x5x6xf32>, tensor<2x5x6xf32>) -> (tensor<2x4x6xf32>, tensor<2x2x4xf64>)
  return
}

// -----

func.func @attention_key_width(%q: tensor<2x4x6xf32>, %k: tensor<2x5x4xf32>) {
  // expected-error @+2 {{expected k of shape [2, Tk, 6] to match q 'tensor<2x4x6xf32>', found 'tensor<2x5x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %l = nn.attention %q, %k, %k {heads = 2 : i64, scale = 1.0 : f64} : (tensor<2x4x6xf32>, tensor<2x5x4xf32>, tensor<2x5x4xf32>) -> (tensor<2x4x6xf32>, tensor<2x2x4xf64>)
  return
}

// -----

func.func @attention_scale(%q: tensor<2x4x6xf32>) {
  // expected-error @+1 {{expected a finite scale > 0, found 0}}
  %y, %l = nn.attention %q, %q, %q {heads = 2 : i64, scale = 0.0 : f64} : (tensor<2x4x6xf32>, tensor<2x4x6xf32>, tensor<2x4x6xf32>) -> (tensor<2x4x6xf32>, tensor<2x2x4xf64>)
  return
}

// -----

func.func @attention_backward_lse(%q: tensor<2x4x6xf32>, %l: tensor<2x4x2xf64>) {
  // expected-error @+2 {{expected logsumexp of shape [2, 2, 4], found 'tensor<2x4x2xf64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %dq, %dk, %dv = nn.attention_backward %q, %q, %q, %q, %l, %q {heads = 2 : i64, scale = 1.0 : f64} : (tensor<2x4x6xf32>, tensor<2x4x6xf32>, tensor<2x4x6xf32>, tensor<2x4x6xf32>, tensor<2x4x2xf64>, tensor<2x4x6xf32>) -> (tensor<2x4x6xf32>, tensor<2x4x6xf32>, tensor<2x4x6xf32>)
  return
}

// -----

func.func @lstm_hidden_weights(%x: tensor<2x3x4xf32>, %wi: tensor<20x4xf32>, %wh: tensor<16x5xf32>, %b: tensor<20xf32>) {
  // expected-error @+2 {{expected w_hh of shape [4·H, H], found 'tensor<16x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %g, %c = nn.lstm %x, %wi, %wh, %b, %b : (tensor<2x3x4xf32>, tensor<20x4xf32>, tensor<16x5xf32>, tensor<20xf32>, tensor<20xf32>) -> (tensor<2x3x5xf32>, tensor<3x2x20xf32>, tensor<3x2x5xf32>)
  return
}

// -----

func.func @lstm_input_weights(%x: tensor<2x3x4xf32>, %wi: tensor<20x3xf32>, %wh: tensor<20x5xf32>, %b: tensor<20xf32>) {
  // expected-error @+2 {{expected w_ih of shape [20, 4], found 'tensor<20x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %g, %c = nn.lstm %x, %wi, %wh, %b, %b : (tensor<2x3x4xf32>, tensor<20x3xf32>, tensor<20x5xf32>, tensor<20xf32>, tensor<20xf32>) -> (tensor<2x3x5xf32>, tensor<3x2x20xf32>, tensor<3x2x5xf32>)
  return
}

// -----

func.func @gru_bias(%x: tensor<2x3x4xf32>, %wi: tensor<15x4xf32>, %wh: tensor<15x5xf32>, %b: tensor<15xf32>, %bad: tensor<20xf32>) {
  // expected-error @+2 {{expected b_hh of shape [15], found 'tensor<20xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %g = nn.gru %x, %wi, %wh, %b, %bad : (tensor<2x3x4xf32>, tensor<15x4xf32>, tensor<15x5xf32>, tensor<15xf32>, tensor<20xf32>) -> (tensor<2x3x5xf32>, tensor<3x2x20xf32>)
  return
}

// -----

func.func @gru_backward_gates(%x: tensor<2x3x4xf32>, %wi: tensor<15x4xf32>, %wh: tensor<15x5xf32>, %y: tensor<2x3x5xf32>, %g: tensor<3x2x15xf32>) {
  // expected-error @+2 {{expected gates of shape [3, 2, 20], found 'tensor<3x2x15xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %dx, %dwi, %dwh, %dbi, %dbh = nn.gru_backward %x, %wi, %wh, %y, %g, %y : (tensor<2x3x4xf32>, tensor<15x4xf32>, tensor<15x5xf32>, tensor<2x3x5xf32>, tensor<3x2x15xf32>, tensor<2x3x5xf32>) -> (tensor<2x3x4xf32>, tensor<15x4xf32>, tensor<15x5xf32>, tensor<15xf32>, tensor<15xf32>)
  return
}
