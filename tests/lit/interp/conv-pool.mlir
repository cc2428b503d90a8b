// conv2d, pooling and their backward ops (NCHW), with results known by hand.
// RUN: rm -rf %t && mkdir -p %t
// RUN: /usr/bin/python3 -c "import numpy as np; np.save('%t/x.npy', np.array([[[[1, 2], [3, 4]], [[10, 20], [30, 40]]]], np.float64)); np.save('%t/w.npy', np.array([2, 0.5], np.float64).reshape(1, 2, 1, 1)); np.save('%t/b.npy', np.array([1], np.float64)); np.save('%t/grid.npy', np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)); np.save('%t/flat.npy', np.ones((1, 1, 2, 2))); np.save('%t/dy.npy', np.array([1, 2, 3, 4], np.float64).reshape(1, 1, 2, 2)); np.save('%t/ten.npy', np.full((1, 1, 1, 1), 10.0))"

// A 1x1 kernel mixes channels: 2 * c0 + 0.5 * c1 + 1.
// RUN: gradc-interp %s --entry conv --input %t/x.npy --input %t/w.npy --input %t/b.npy --input %t/dy.npy --output-dir %t/conv
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/conv/result0.npy %t/conv/result1.npy %t/conv/result2.npy | FileCheck %s --check-prefix=CONV
// CONV: float64 (1, 1, 2, 2) [8.0, 15.0, 22.0, 29.0]
// CONV-NEXT: float64 (1, 2, 2, 2) [2.0, 4.0, 6.0, 8.0, 0.5, 1.0, 1.5, 2.0]
// CONV-NEXT: float64 (1, 2, 1, 1) [30.0, 300.0]
func.func @conv(%x: tensor<1x2x2x2xf64>, %w: tensor<1x2x1x1xf64>, %b: tensor<1xf64>, %dy: tensor<1x1x2x2xf64>) -> (tensor<1x1x2x2xf64>, tensor<1x2x2x2xf64>, tensor<1x2x1x1xf64>) {
  %y = nn.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<1x2x2x2xf64>, tensor<1x2x1x1xf64>, tensor<1xf64>) -> tensor<1x1x2x2xf64>
  %dx = nn.conv2d_backward_input %dy, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<1x1x2x2xf64>, tensor<1x2x1x1xf64>) -> tensor<1x2x2x2xf64>
  %dw = nn.conv2d_backward_filter %x, %dy {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<1x2x2x2xf64>, tensor<1x1x2x2xf64>) -> tensor<1x2x1x1xf64>
  return %y, %dx, %dw : tensor<1x1x2x2xf64>, tensor<1x2x2x2xf64>, tensor<1x2x1x1xf64>
}

// 2x2 windows over [[0..3], [4..7], [8..11], [12..15]]; the backward pass
// routes dy to each window's maximum, or spreads it over the window.
// RUN: gradc-interp %s --entry pool --input %t/grid.npy --input %t/dy.npy --output-dir %t/pool
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/pool/result0.npy %t/pool/result1.npy %t/pool/result2.npy %t/pool/result3.npy | FileCheck %s --check-prefix=POOL
// POOL: float64 (1, 1, 2, 2) [5.0, 7.0, 13.0, 15.0]
// POOL-NEXT: float64 (1, 1, 2, 2) [2.5, 4.5, 10.5, 12.5]
// POOL-NEXT: float64 (1, 1, 4, 4) [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0, 4.0]
// POOL-NEXT: float64 (1, 1, 4, 4) [0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1.0, 1.0, 0.75, 0.75, 1.0, 1.0]
func.func @pool(%x: tensor<1x1x4x4xf64>, %dy: tensor<1x1x2x2xf64>) -> (tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>, tensor<1x1x4x4xf64>, tensor<1x1x4x4xf64>) {
  %max = nn.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf64> -> tensor<1x1x2x2xf64>
  %avg = nn.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf64> -> tensor<1x1x2x2xf64>
  %dmax = nn.max_pool2d_backward %x, %dy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : (tensor<1x1x4x4xf64>, tensor<1x1x2x2xf64>) -> tensor<1x1x4x4xf64>
  %davg = nn.avg_pool2d_backward %dy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf64> -> tensor<1x1x4x4xf64>
  return %max, %avg, %dmax, %davg : tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>, tensor<1x1x4x4xf64>, tensor<1x1x4x4xf64>
}

// Padding: average pooling divides by the full window (each 2x2 window of
// the padded 2x2 input covers one element); max pooling never picks the
// padding, and a window of equal values routes its gradient to the first.
// RUN: gradc-interp %s --entry padded --input %t/flat.npy --input %t/ten.npy --output-dir %t/padded
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/padded/result0.npy %t/padded/result1.npy %t/padded/result2.npy | FileCheck %s --check-prefix=PADDED
// PADDED: float64 (1, 1, 2, 2) [0.25, 0.25, 0.25, 0.25]
// PADDED-NEXT: float64 (1, 1, 2, 2) [1.0, 1.0, 1.0, 1.0]
// PADDED-NEXT: float64 (1, 1, 2, 2) [10.0, 0.0, 0.0, 0.0]
func.func @padded(%x: tensor<1x1x2x2xf64>, %dy: tensor<1x1x1x1xf64>) -> (tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>) {
  %avg = nn.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : tensor<1x1x2x2xf64> -> tensor<1x1x2x2xf64>
  %neg = nn.neg %x : tensor<1x1x2x2xf64>
  %max = nn.max_pool2d %neg {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>} : tensor<1x1x2x2xf64> -> tensor<1x1x2x2xf64>
  %maxpos = nn.neg %max : tensor<1x1x2x2xf64>
  %dx = nn.max_pool2d_backward %x, %dy {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (tensor<1x1x2x2xf64>, tensor<1x1x1x1xf64>) -> tensor<1x1x2x2xf64>
  return %avg, %maxpos, %dx : tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>
}
