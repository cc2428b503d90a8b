// An error names its place and says what is wrong; the operation it is
// attached to (here the whole function, or for a module-level error the
// whole module) is printed only when --mlir-print-op-on-diagnostic asks.

// RUN: not gradc-opt %s --gradc-autodiff 2>&1 | FileCheck %s --implicit-check-not="see current operation"
// CHECK: opt-errors.mlir:[[@LINE+4]]:1: error: expected a result with nn.role = #nn.role<loss> to differentiate, found none
// RUN: not gradc-opt %s --gradc-autodiff --mlir-print-op-on-diagnostic 2>&1 | FileCheck %s --check-prefix=ASKED
// ASKED: note: see current operation

func.func @forward(%w: tensor<3xf32> {nn.role = #nn.role<param>}) -> tensor<f32> {
  %0 = nn.reduce_sum %w [0] : tensor<3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
