// Shape ops, reductions, argmax, gather/scatter and the confusion matrix,
// with results known by hand.
// RUN: rm -rf %t && mkdir -p %t
// RUN: /usr/bin/python3 -c "import numpy as np; np.save('%t/x.npy', np.arange(6, dtype=np.float64).reshape(2, 3)); np.save('%t/a.npy', np.array([[1, 5, 2], [3, 5, 0]], np.float64)); np.save('%t/table.npy', np.array([[0, 1], [10, 11], [20, 21]], np.float64)); np.save('%t/ids.npy', np.array([[2, 0], [1, 1]], np.int32)); np.save('%t/rows.npy', np.array([1, 1, 0], np.int32)); np.save('%t/updates.npy', np.array([[1, 1], [2, 2], [3, 3]], np.float64)); np.save('%t/pred.npy', np.array([0, 1, 1, 2, 5], np.int32)); np.save('%t/label.npy', np.array([0, 1, 2, 2, 0], np.int32))"

// RUN: gradc-interp %s --entry shapes --input %t/x.npy --output-dir %t/shapes
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/shapes/result0.npy %t/shapes/result1.npy %t/shapes/result2.npy %t/shapes/result3.npy %t/shapes/result4.npy | FileCheck %s --check-prefix=SHAPES
// SHAPES: float64 (3, 2) [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
// SHAPES-NEXT: float64 (3, 2) [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
// SHAPES-NEXT: float64 (2, 2, 3) [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
// SHAPES-NEXT: float64 (2, 5) [0.0, 1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 5.0, 4.0, 5.0]
// SHAPES-NEXT: float64 (1, 2) [4.0, 5.0]
func.func @shapes(%x: tensor<2x3xf64>) -> (tensor<3x2xf64>, tensor<3x2xf64>, tensor<2x2x3xf64>, tensor<2x5xf64>, tensor<1x2xf64>) {
  %t = nn.transpose %x [1, 0] : tensor<2x3xf64> -> tensor<3x2xf64>
  %r = nn.reshape %x : tensor<2x3xf64> -> tensor<3x2xf64>
  %b = nn.broadcast_to %x : tensor<2x3xf64> -> tensor<2x2x3xf64>
  %s = nn.slice %x [0, 1] : tensor<2x3xf64> -> tensor<2x2xf64>
  %c = nn.concat %x, %s {axis = 1 : i64} : (tensor<2x3xf64>, tensor<2x2xf64>) -> tensor<2x5xf64>
  %w = nn.slice %x [1, 1] : tensor<2x3xf64> -> tensor<1x2xf64>
  return %t, %r, %b, %c, %w : tensor<3x2xf64>, tensor<3x2xf64>, tensor<2x2x3xf64>, tensor<2x5xf64>, tensor<1x2xf64>
}

// argmax takes the first index on ties (column 1).
// RUN: gradc-interp %s --entry reductions --input %t/a.npy --output-dir %t/reduce
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/reduce/result0.npy %t/reduce/result1.npy %t/reduce/result2.npy %t/reduce/result3.npy %t/reduce/result4.npy | FileCheck %s --check-prefix=REDUCE
// REDUCE: float64 (2,) [8.0, 8.0]
// REDUCE-NEXT: float64 (3,) [2.0, 5.0, 1.0]
// REDUCE-NEXT: float64 (1, 1) [5.0]
// REDUCE-NEXT: int32 (3,) [1, 0, 0]
// REDUCE-NEXT: float64 () [16.0]
func.func @reductions(%a: tensor<2x3xf64>) -> (tensor<2xf64>, tensor<3xf64>, tensor<1x1xf64>, tensor<3xi32>, tensor<f64>) {
  %sum = nn.reduce_sum %a [1] : tensor<2x3xf64> -> tensor<2xf64>
  %mean = nn.reduce_mean %a [0] : tensor<2x3xf64> -> tensor<3xf64>
  %max = nn.reduce_max %a [0, 1] {keep_dims = true} : tensor<2x3xf64> -> tensor<1x1xf64>
  %arg = nn.argmax %a {axis = 0 : i64} : tensor<2x3xf64> -> tensor<3xi32>
  %all = nn.reduce_sum %a [0, 1] : tensor<2x3xf64> -> tensor<f64>
  return %sum, %mean, %max, %arg, %all : tensor<2xf64>, tensor<3xf64>, tensor<1x1xf64>, tensor<3xi32>, tensor<f64>
}

// RUN: gradc-interp %s --entry embedding --input %t/table.npy --input %t/ids.npy --input %t/rows.npy --input %t/updates.npy --output-dir %t/embed
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/embed/result0.npy %t/embed/result1.npy | FileCheck %s --check-prefix=EMBED
// EMBED: float64 (2, 2, 2) [20.0, 21.0, 0.0, 1.0, 10.0, 11.0, 10.0, 11.0]
// EMBED-NEXT: float64 (3, 2) [3.0, 3.0, 3.0, 3.0, 0.0, 0.0]
func.func @embedding(%table: tensor<3x2xf64>, %ids: tensor<2x2xi32>, %rows: tensor<3xi32>, %updates: tensor<3x2xf64>) -> (tensor<2x2x2xf64>, tensor<3x2xf64>) {
  %e = nn.gather_rows %table, %ids : (tensor<3x2xf64>, tensor<2x2xi32>) -> tensor<2x2x2xf64>
  %d = nn.scatter_add_rows %rows, %updates : (tensor<3xi32>, tensor<3x2xf64>) -> tensor<3x2xf64>
  return %e, %d : tensor<2x2x2xf64>, tensor<3x2xf64>
}

// Entry [label, prediction]; the prediction 5 is out of range and not counted.
// RUN: gradc-interp %s --entry confusion --input %t/pred.npy --input %t/label.npy --output-dir %t/cm
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/cm/result0.npy | FileCheck %s --check-prefix=CM
// CM: int32 (3, 3) [1, 0, 0, 0, 1, 0, 0, 1, 1]
func.func @confusion(%pred: tensor<5xi32>, %label: tensor<5xi32>) -> tensor<3x3xi32> {
  %cm = nn.confusion_matrix %pred, %label {num_classes = 3 : i64} : (tensor<5xi32>, tensor<5xi32>) -> tensor<3x3xi32>
  return %cm : tensor<3x3xi32>
}
