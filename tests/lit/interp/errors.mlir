// Errors are reported with a location (the op's, or the input file's and
// byte offset) and a non-zero exit status, never a crash.
// RUN: rm -rf %t && mkdir -p %t
// RUN: /usr/bin/python3 -c "import numpy as np; np.save('%t/logits.npy', np.zeros((2, 2))); np.save('%t/labels.npy', np.array([0, 3], np.int32)); np.save('%t/table.npy', np.zeros((3, 2))); np.save('%t/ids.npy', np.array([1, 5], np.int32)); np.save('%t/neg.npy', np.array([0, -1], np.int32)); np.save('%t/n.npy', np.array([1, 2], np.int32)); np.save('%t/d.npy', np.array([1, 0], np.int32)); np.save('%t/scalar.npy', np.float64(1)); np.save('%t/f32.npy', np.zeros((2, 2), np.float32)); np.save('%t/u8.npy', np.array([1, 0], np.uint8)); np.save('%t/big.npy', np.int64(2**53 + 1)); np.save('%t/key.npy', np.int64(7)); np.save('%t/huge.npy', np.array([1e10])); open('%t/garbage.npy', 'wb').write(b'not numpy at all')"

// RUN: not gradc-interp %s --entry cross_entropy --input %t/logits.npy --input %t/labels.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=LABEL
func.func @cross_entropy(%logits: tensor<2x2xf64>, %labels: tensor<2xi32>) -> tensor<f64> {
  // LABEL: errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: label 3 of sample 1 is out of range [0, 2)
  %0 = nn.softmax_cross_entropy %logits, %labels : (tensor<2x2xf64>, tensor<2xi32>) -> tensor<f64>
  return %0 : tensor<f64>
}

// RUN: not gradc-interp %s --entry cross_entropy_backward --input %t/logits.npy --input %t/labels.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=LABEL-GRAD
func.func @cross_entropy_backward(%logits: tensor<2x2xf64>, %labels: tensor<2xi32>) -> tensor<2x2xf64> {
  %one = nn.constant dense<1.0> : tensor<f64>
  // LABEL-GRAD: errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: label 3 of sample 1 is out of range [0, 2)
  %0 = nn.softmax_cross_entropy_backward %logits, %labels, %one : (tensor<2x2xf64>, tensor<2xi32>, tensor<f64>) -> tensor<2x2xf64>
  return %0 : tensor<2x2xf64>
}

// RUN: not gradc-interp %s --entry gather --input %t/table.npy --input %t/ids.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=GATHER
func.func @gather(%table: tensor<3x2xf64>, %ids: tensor<2xi32>) -> tensor<2x2xf64> {
  // GATHER: errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: gather_rows: id 5 (element 1 of the ids) is out of range [0, 3)
  %0 = nn.gather_rows %table, %ids : (tensor<3x2xf64>, tensor<2xi32>) -> tensor<2x2xf64>
  return %0 : tensor<2x2xf64>
}

// RUN: not gradc-interp %s --entry scatter --input %t/neg.npy --input %t/logits.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=SCATTER
func.func @scatter(%ids: tensor<2xi32>, %rows: tensor<2x2xf64>) -> tensor<3x2xf64> {
  // SCATTER: errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: scatter_add_rows: id -1 (element 1 of the ids) is out of range [0, 3)
  %0 = nn.scatter_add_rows %ids, %rows : (tensor<2xi32>, tensor<2x2xf64>) -> tensor<3x2xf64>
  return %0 : tensor<3x2xf64>
}

// RUN: not gradc-interp %s --entry divide --input %t/n.npy --input %t/d.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=DIV
func.func @divide(%n: tensor<2xi32>, %d: tensor<2xi32>) -> tensor<2xi32> {
  // DIV: errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: integer division by zero
  %0 = nn.div %n, %d : tensor<2xi32>, tensor<2xi32> -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// RUN: not gradc-interp %s --entry truncate --input %t/huge.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=CAST
func.func @truncate(%x: tensor<1xf64>) -> tensor<1xi32> {
  // CAST: errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: cannot convert 1.000000e+10 (element 0) to 'i32': out of range
  %0 = nn.cast %x : tensor<1xf64> -> tensor<1xi32>
  return %0 : tensor<1xi32>
}

// RUN: not gradc-interp %s --entry indirect --input %t/scalar.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=UNKNOWN-OP
func.func @indirect(%x: tensor<f64>) -> tensor<f64> {
  // UNKNOWN-OP: errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: the interpreter does not support 'func.constant'
  %f = func.constant @recurse : (tensor<f64>) -> tensor<f64>
  %0 = func.call_indirect %f(%x) : (tensor<f64>) -> tensor<f64>
  return %0 : tensor<f64>
}

// RUN: not gradc-interp %s --entry recurse --input %t/scalar.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=RECURSE
func.func @recurse(%x: tensor<f64>) -> tensor<f64> {
  // RECURSE: errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: calls nest deeper than 64 levels; is '@recurse' recursive?
  %0 = func.call @recurse(%x) : (tensor<f64>) -> tensor<f64>
  return %0 : tensor<f64>
}

// RUN: not gradc-interp %s --entry huge --input %t/scalar.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=HUGE
func.func @huge(%x: tensor<f64>) -> tensor<f64> {
  // HUGE: errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: a value of type 'tensor<30000x30000xf64>' has more than 2^28 elements, more than the interpreter holds
  %0 = nn.broadcast_to %x : tensor<f64> -> tensor<30000x30000xf64>
  %1 = nn.reduce_sum %0 [0, 1] : tensor<30000x30000xf64> -> tensor<f64>
  return %1 : tensor<f64>
}

// RUN: not gradc-interp %s --entry key --input %t/big.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=BIG
// BIG: gradc-interp: error: {{.*}}big.npy: element 0 (9007199254740993) cannot be held exactly by the interpreter (beyond 2^53)
func.func @key(%key: tensor<i64>) -> tensor<i64> {
  return %key : tensor<i64>
}

// Arguments that do not match the function.
// RUN: not gradc-interp %s --entry cross_entropy --input %t/labels.npy --input %t/labels.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: gradc-interp: error: {{.*}}labels.npy: argument #0 of '@cross_entropy' is tensor<2x2xf64>, the file holds i32 [2]
// RUN: not gradc-interp %s --entry cross_entropy --input %t/f32.npy --input %t/labels.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: gradc-interp: error: {{.*}}f32.npy: argument #0 of '@cross_entropy' is tensor<2x2xf64>, the file holds f32 [2, 2]
// RUN: not gradc-interp %s --entry mask --input %t/u8.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=BOOL
// BOOL: gradc-interp: error: {{.*}}u8.npy: argument #0 of '@mask' is tensor<2xi1>, the file holds u8 [2]
// RUN: not gradc-interp %s --entry cross_entropy --input %t/logits.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: gradc-interp: error: '@cross_entropy' takes 2 arguments, 1 --input given
// RUN: not gradc-interp %s --entry missing --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: gradc-interp: error: no function '@missing' in {{.*}}errors.mlir
func.func @mask(%m: tensor<2xi1>) -> tensor<2xi1> {
  return %m : tensor<2xi1>
}

// Input files the runtime cannot read: the message names the file and, for
// a malformed one, the byte offset.
// RUN: not gradc-interp %s --entry key --input %t/does-not-exist.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: gradc-interp: error: {{.*}}does-not-exist.npy: cannot open
// RUN: not gradc-interp %s --entry key --input %t/garbage.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: gradc-interp: error: {{.*}}garbage.npy: byte offset 0: not a .npy file: wrong magic

// A module that does not verify is not run.
// RUN: not gradc-interp %S/Inputs/invalid.mlir --entry bad --input %t/n.npy --output-dir %t/out 2>&1 | FileCheck %s --check-prefix=INVALID
// INVALID: invalid.mlir:2:8: error: expected sorted, distinct axes in [0, 1), found [1]

// The output directory cannot be created under a regular file.
// RUN: not gradc-interp %s --entry key --input %t/key.npy --output-dir %t/garbage.npy/out 2>&1 | FileCheck %s --check-prefix=OUTDIR
// OUTDIR: gradc-interp: error: cannot create the output directory '{{.*}}garbage.npy/out': Not a directory
