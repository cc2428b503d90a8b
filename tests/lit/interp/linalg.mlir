// matmul and linear on small matrices, with results known by hand.
// RUN: rm -rf %t && mkdir -p %t
// RUN: /usr/bin/python3 -c "import numpy as np; np.save('%t/a.npy', np.array([[1, 2], [3, 4]], np.float64)); np.save('%t/b.npy', np.array([[5, 6], [7, 8]], np.float64)); np.save('%t/batch.npy', np.array([[[1, 0]], [[0, 2]]], np.float64)); np.save('%t/x.npy', np.array([[1, 2]], np.float64)); np.save('%t/w.npy', np.array([[1, 0], [0, 1], [1, 1]], np.float64)); np.save('%t/bias.npy', np.array([0.5, 0, -1], np.float64))"

// [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]]; with the lhs transposed
// [[1,3],[2,4]] x [[5,6],[7,8]] = [[26,30],[38,44]]; a batch of two 1x2 rows
// times one 2x2 matrix broadcasts the matrix.
// RUN: gradc-interp %s --entry matmul --input %t/a.npy --input %t/b.npy --input %t/batch.npy --output-dir %t/mm
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/mm/result0.npy %t/mm/result1.npy %t/mm/result2.npy %t/mm/result3.npy | FileCheck %s --check-prefix=MM
// MM: float64 (2, 2) [19.0, 22.0, 43.0, 50.0]
// MM-NEXT: float64 (2, 2) [26.0, 30.0, 38.0, 44.0]
// MM-NEXT: float64 (2, 2) [17.0, 23.0, 39.0, 53.0]
// MM-NEXT: float64 (2, 1, 2) [5.0, 6.0, 14.0, 16.0]
func.func @matmul(%a: tensor<2x2xf64>, %b: tensor<2x2xf64>, %batch: tensor<2x1x2xf64>) -> (tensor<2x2xf64>, tensor<2x2xf64>, tensor<2x2xf64>, tensor<2x1x2xf64>) {
  %0 = nn.matmul %a, %b : tensor<2x2xf64>, tensor<2x2xf64> -> tensor<2x2xf64>
  %1 = nn.matmul %a, %b {transpose_lhs} : tensor<2x2xf64>, tensor<2x2xf64> -> tensor<2x2xf64>
  %2 = nn.matmul %a, %b {transpose_rhs} : tensor<2x2xf64>, tensor<2x2xf64> -> tensor<2x2xf64>
  %3 = nn.matmul %batch, %b : tensor<2x1x2xf64>, tensor<2x2xf64> -> tensor<2x1x2xf64>
  return %0, %1, %2, %3 : tensor<2x2xf64>, tensor<2x2xf64>, tensor<2x2xf64>, tensor<2x1x2xf64>
}

// x [1, 2] against weight rows [1, 0], [0, 1], [1, 1] plus bias.
// RUN: gradc-interp %s --entry linear --input %t/x.npy --input %t/w.npy --input %t/bias.npy --output-dir %t/linear
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/linear/result0.npy %t/linear/result1.npy | FileCheck %s --check-prefix=LINEAR
// LINEAR: float64 (1, 3) [1.5, 2.0, 2.0]
// LINEAR-NEXT: float64 (1, 3) [1.0, 2.0, 3.0]
func.func @linear(%x: tensor<1x2xf64>, %w: tensor<3x2xf64>, %bias: tensor<3xf64>) -> (tensor<1x3xf64>, tensor<1x3xf64>) {
  %0 = nn.linear %x, %w, %bias : (tensor<1x2xf64>, tensor<3x2xf64>, tensor<3xf64>) -> tensor<1x3xf64>
  %1 = nn.linear %x, %w : (tensor<1x2xf64>, tensor<3x2xf64>) -> tensor<1x3xf64>
  return %0, %1 : tensor<1x3xf64>, tensor<1x3xf64>
}
