// gradc-opt takes MLIR's reproducer flags: a failing pipeline writes a
// reproducer, and --run-reproducer replays it to the same error.

// RUN: not gradc-opt %s --gradc-autodiff --mlir-pass-pipeline-crash-reproducer=%t.repro.mlir 2>&1 | FileCheck %s
// CHECK: error: expected a result with nn.role = #nn.role<loss> to differentiate, found none
// CHECK: reproducer generated at
// RUN: not gradc-opt %t.repro.mlir --run-reproducer 2>&1 | FileCheck %s --check-prefix=REPLAY
// REPLAY: error: expected a result with nn.role = #nn.role<loss> to differentiate, found none

// RUN: not gradc-opt %s --gradc-autodiff --mlir-pass-pipeline-crash-reproducer=%t.local.mlir --mlir-pass-pipeline-local-reproducer --mlir-disable-threading 2>&1 | FileCheck %s

func.func @forward(%w: tensor<3xf32> {nn.role = #nn.role<param>}) -> tensor<f32> {
  %l = nn.reduce_sum %w [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
