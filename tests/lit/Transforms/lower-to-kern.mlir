// RUN: gradc-opt %s --gradc-lower-to-kern --split-input-file | FileCheck %s

// Reshapes become views, temporaries allocs, results output buffers, and a
// parameter update is written in place by the op that computes it.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:[^:]+]]: memref<4x1x2xf32> {nn.role = #nn.role<input>}, %[[W:[^:]+]]: memref<3x2xf32> {nn.name = "w", nn.role = #nn.role<param>}, %[[LR:[^:]+]]: memref<f32> {nn.name = "lr", nn.role = #nn.role<hyper>}, %[[LOSS:[^:]+]]: memref<f32> {kern.out = #nn.role<loss>, nn.name = "loss"})
// CHECK: %[[FLAT:.+]] = kern.view %[[X]] : memref<4x1x2xf32> to memref<4x2xf32>
// CHECK: %[[H:.+]] = kern.alloc : memref<4x3xf32>
// CHECK: kern.kernel "nn.linear" ins(%[[FLAT]], %[[W]] : memref<4x2xf32>, memref<3x2xf32>) outs(%[[H]] : memref<4x3xf32>) {}
// CHECK: kern.kernel "nn.reduce_mean" ins(%[[H]] : memref<4x3xf32>) outs(%[[LOSS]] : memref<f32>) {axes = array<i64: 0, 1>, keep_dims = false}
// CHECK: %[[STEP:.+]] = kern.alloc : memref<3x2xf32>
// CHECK: kern.kernel "nn.mul" ins(%[[W]], %[[LR]] : memref<3x2xf32>, memref<f32>) outs(%[[STEP]] : memref<3x2xf32>) {}
// CHECK: kern.kernel "nn.sub" ins(%[[W]], %[[STEP]] : memref<3x2xf32>, memref<3x2xf32>) outs(%[[W]] : memref<3x2xf32>) {}
// CHECK-NOT: kern.copy
// CHECK: return
func.func @train_step(%x: tensor<4x1x2xf32> {nn.role = #nn.role<input>}, %w: tensor<3x2xf32> {nn.role = #nn.role<param>, nn.name = "w"},
                      %lr: tensor<f32> {nn.role = #nn.role<hyper>, nn.name = "lr"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<3x2xf32> {nn.role = #nn.role<param_update>, nn.name = "w"}) {
  %flat = nn.reshape %x : tensor<4x1x2xf32> -> tensor<4x2xf32>
  %h = nn.linear %flat, %w : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
  %l = nn.reduce_mean %h [0, 1] : tensor<4x3xf32> -> tensor<f32>
  %step = nn.mul %w, %lr : tensor<3x2xf32>, tensor<f32> -> tensor<3x2xf32>
  %new = nn.sub %w, %step : tensor<3x2xf32>, tensor<3x2xf32> -> tensor<3x2xf32>
  return %l, %new : tensor<f32>, tensor<3x2xf32>
}

// -----

// The old value is still read after the update is computed: the update goes
// to a temporary and is copied over the parameter at the end.
// CHECK-LABEL: func.func @late_read
// CHECK: %[[NEW:.+]] = kern.alloc : memref<3xf32>
// CHECK: kern.kernel "nn.add" ins(%arg0, %arg0 : memref<3xf32>, memref<3xf32>) outs(%[[NEW]] : memref<3xf32>) {}
// CHECK: kern.kernel "nn.reduce_sum" ins(%arg0 : memref<3xf32>) outs(%arg1 : memref<f32>)
// CHECK: kern.copy %[[NEW]], %arg0 : memref<3xf32>
// CHECK-NEXT: return
func.func @late_read(%w: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "w"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<3xf32> {nn.role = #nn.role<param_update>, nn.name = "w"}) {
  %new = nn.add %w, %w : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = nn.reduce_sum %w [0] : tensor<3xf32> -> tensor<f32>
  return %l, %new : tensor<f32>, tensor<3xf32>
}

// -----

// A kernel that is not elementwise never writes its own input: the running
// statistics of batch norm go through temporaries.
// CHECK-LABEL: func.func @batch_norm_state
// CHECK: %[[M:.+]] = kern.alloc : memref<2xf32>
// CHECK: %[[V:.+]] = kern.alloc : memref<2xf32>
// CHECK: %[[RM:.+]] = kern.alloc : memref<2xf32>
// CHECK: %[[RV:.+]] = kern.alloc : memref<2xf32>
// CHECK: kern.kernel "nn.batch_norm_train" ins(%arg0, %arg1, %arg1, %arg2, %arg3 : {{.*}}) outs(%arg4, %[[M]], %[[V]], %[[RM]], %[[RV]] : {{.*}})
// CHECK-DAG: kern.copy %[[RM]], %arg2
// CHECK-DAG: kern.copy %[[RV]], %arg3
func.func @batch_norm_state(%x: tensor<4x2xf32> {nn.role = #nn.role<input>}, %g: tensor<2xf32> {nn.role = #nn.role<param>, nn.name = "g"},
                            %rm: tensor<2xf32> {nn.role = #nn.role<buffer>, nn.name = "rm"}, %rv: tensor<2xf32> {nn.role = #nn.role<buffer>, nn.name = "rv"})
    -> (tensor<4x2xf32> {nn.role = #nn.role<output>}, tensor<2xf32> {nn.role = #nn.role<buffer_update>, nn.name = "rm"}, tensor<2xf32> {nn.role = #nn.role<buffer_update>, nn.name = "rv"}) {
  %y, %m, %v, %nrm, %nrv = nn.batch_norm_train %x, %g, %g, %rm, %rv : (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  return %y, %nrm, %nrv : tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>
}
