// RUN: gradc %s --emit=nn | FileCheck %s
// RUN: gradc %s -o %t.mlir && gradc-opt %t.mlir | FileCheck %s
// RUN: not gradc %S/Inputs/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not gradc %S/Inputs/bad-shape.mlir 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK-LABEL: func.func @forward
// CHECK: nn.linear
// CHECK: nn.relu
// MISSING: gradc: error: cannot open input file '{{.*}}does-not-exist.mlir'
// BAD: bad-shape.mlir:3:8: error: input features differ: input 'tensor<8x100xf32>' has 100, weight 'tensor<10x784xf32>' expects 784

func.func @forward(%x: tensor<8x784xf32> {nn.role = #nn.role<input>}, %w: tensor<10x784xf32> {nn.role = #nn.role<param>, nn.name = "dense_0.weight"}) -> tensor<8x10xf32> {
  %0 = nn.linear %x, %w : (tensor<8x784xf32>, tensor<10x784xf32>) -> tensor<8x10xf32>
  %1 = nn.relu %0 : tensor<8x10xf32>
  return %1 : tensor<8x10xf32>
}
