// RUN: gradc-opt %s --canonicalize --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.+]]: tensor<4x3xf32>
// CHECK-NOT: nn.add
// CHECK-NOT: nn.sub
// CHECK-NOT: nn.mul
// CHECK-NOT: nn.div
// CHECK-NOT: nn.pow
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[X]]
func.func @identities(%x: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %zero = nn.constant dense<0.0> : tensor<f32>
  %one = nn.constant dense<1.0> : tensor<f32>
  %0 = nn.add %x, %zero : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  %1 = nn.add %zero, %x : tensor<f32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %2 = nn.sub %x, %zero : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  %3 = nn.mul %one, %x : tensor<f32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %4 = nn.div %x, %one : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  %5 = nn.pow %x, %one : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// Adding a broadcast zero changes the shape, so it must stay.
// CHECK-LABEL: func.func @broadcasting_identity_kept
// CHECK: nn.add
func.func @broadcasting_identity_kept(%x: tensor<3xf32>) -> tensor<4x3xf32> {
  %zero = nn.constant dense<0.0> : tensor<4x3xf32>
  %0 = nn.add %x, %zero : tensor<3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func.func @constant_folding
// CHECK-DAG: nn.constant dense<5.000000e+00> : tensor<2xf32>
// CHECK-DAG: nn.constant dense<0.000000e+00> : tensor<f64>
// CHECK-DAG: nn.constant dense<2.000000e+00> : tensor<f32>
// CHECK-DAG: nn.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK-NOT: nn.add
// CHECK-NOT: nn.exp
func.func @constant_folding() -> (tensor<2xf32>, tensor<f64>, tensor<f32>, tensor<3xf32>) {
  %a = nn.constant dense<2.0> : tensor<2xf32>
  %b = nn.constant dense<3.0> : tensor<f32>
  %0 = nn.add %a, %b : tensor<2xf32>, tensor<f32> -> tensor<2xf32>
  %c = nn.constant dense<-4.0> : tensor<f64>
  %1 = nn.relu %c : tensor<f64>
  %four = nn.constant dense<4.0> : tensor<f32>
  %2 = nn.sqrt %four : tensor<f32>
  %zero = nn.constant dense<0.0> : tensor<f32>
  %e = nn.exp %zero : tensor<f32>
  %3 = nn.broadcast_to %e : tensor<f32> -> tensor<3xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<f64>, tensor<f32>, tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @involutions
// CHECK-SAME: (%[[X:.+]]: tensor<5xf32>)
// CHECK-NEXT: %[[R:.+]] = nn.relu %[[X]]
// CHECK-NEXT: %[[A:.+]] = nn.abs %[[X]]
// CHECK-NEXT: return %[[X]], %[[R]], %[[A]]
func.func @involutions(%x: tensor<5xf32>) -> (tensor<5xf32>, tensor<5xf32>, tensor<5xf32>) {
  %0 = nn.neg %x : tensor<5xf32>
  %1 = nn.neg %0 : tensor<5xf32>
  %2 = nn.relu %x : tensor<5xf32>
  %3 = nn.relu %2 : tensor<5xf32>
  %4 = nn.abs %x : tensor<5xf32>
  %5 = nn.abs %4 : tensor<5xf32>
  return %1, %3, %5 : tensor<5xf32>, tensor<5xf32>, tensor<5xf32>
}

// -----

// CHECK-LABEL: func.func @shape_identities
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>, %[[K:.+]]: tensor<i64>)
// CHECK-NEXT: %[[R:.+]] = nn.reshape %[[X]] : tensor<2x3xf32> -> tensor<6xf32>
// CHECK-NEXT: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]], %[[R]], %[[X]], %[[X]]
func.func @shape_identities(%x: tensor<2x3xf32>, %key: tensor<i64>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<6xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = nn.reshape %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = nn.transpose %x [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  %2 = nn.broadcast_to %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %3 = nn.concat %x {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = nn.slice %x [0, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  %t = nn.reshape %x : tensor<2x3xf32> -> tensor<3x2xf32>
  %5 = nn.reshape %t : tensor<3x2xf32> -> tensor<6xf32>
  %6 = nn.reduce_sum %x [] : tensor<2x3xf32> -> tensor<2x3xf32>
  %7 = nn.dropout %x, %key {p = 0.0 : f64, stream = 0 : i64} : tensor<2x3xf32>, tensor<i64>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<6xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @select_and_cast
// CHECK-SAME: (%[[A:.+]]: tensor<3xf32>, %[[B:.+]]: tensor<3xf32>)
// CHECK-DAG: %[[C:.+]] = nn.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK: return %[[A]], %[[B]], %[[A]], %[[C]]
func.func @select_and_cast(%a: tensor<3xf32>, %b: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %t = nn.constant dense<true> : tensor<3xi1>
  %f = nn.constant dense<false> : tensor<3xi1>
  %0 = nn.select %t, %a, %b : tensor<3xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %1 = nn.select %f, %a, %b : tensor<3xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %2 = nn.cast %a : tensor<3xf32> -> tensor<3xf32>
  %3 = nn.cast %t : tensor<3xi1> -> tensor<3xf32>
  return %0, %1, %2, %3 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}
