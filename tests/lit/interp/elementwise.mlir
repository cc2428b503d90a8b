// Elementwise ops, constants and dropout, with results known by hand.
// RUN: rm -rf %t && mkdir -p %t
// RUN: /usr/bin/python3 -c "import numpy as np; np.save('%t/a.npy', np.array([[1, 2], [3, 4]], np.float64)); np.save('%t/b.npy', np.array([10, 20], np.float64)); np.save('%t/p.npy', np.float32(0.1)); np.save('%t/q.npy', np.float32(0.2)); np.save('%t/x.npy', np.array([-2, -0.5, 0, 3], np.float64)); np.save('%t/n.npy', np.array([7, -7, 7, -7], np.int32)); np.save('%t/d.npy', np.array([2, 2, -2, -2], np.int32)); np.save('%t/m.npy', np.array([True, False, True])); np.save('%t/key.npy', np.int64(42))"

// RUN: gradc-interp %s --entry broadcast_add --input %t/a.npy --input %t/b.npy --output-dir %t/add
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/add/result0.npy | FileCheck %s --check-prefix=ADD
// ADD: float64 (2, 2) [11.0, 22.0, 13.0, 24.0]
func.func @broadcast_add(%a: tensor<2x2xf64>, %b: tensor<2xf64>) -> tensor<2x2xf64> {
  %0 = nn.add %a, %b : tensor<2x2xf64>, tensor<2xf64> -> tensor<2x2xf64>
  return %0 : tensor<2x2xf64>
}

// f32 values are rounded to float after every op: 0.1f + 0.2f is the float
// nearest 0.3, and the f32 constant 0.1 is the float nearest 0.1.
// RUN: gradc-interp %s --entry f32_sum --input %t/p.npy --input %t/q.npy --output-dir %t/f32
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/f32/result0.npy %t/f32/result1.npy | FileCheck %s --check-prefix=F32
// F32: float32 () [0.30000001192092896]
// F32-NEXT: float32 () [0.20000000298023224]
func.func @f32_sum(%p: tensor<f32>, %q: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = nn.add %p, %q : tensor<f32>, tensor<f32> -> tensor<f32>
  %c = nn.constant dense<0.1> : tensor<f32>
  %1 = nn.add %c, %c : tensor<f32>, tensor<f32> -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}

// RUN: gradc-interp %s --entry activations --input %t/x.npy --output-dir %t/act
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/act/result0.npy %t/act/result1.npy %t/act/result2.npy %t/act/result3.npy %t/act/result4.npy | FileCheck %s --check-prefix=ACT
// ACT: float64 (4,) [0.0, 0.0, 0.0, 3.0]
// ACT-NEXT: float64 (4,) [-1.0, -0.25, 0.0, 3.0]
// ACT-NEXT: float64 (4,) [-1.0, -1.0, 0.0, 1.0]
// ACT-NEXT: float64 (4,) [4.0, 0.25, 0.0, 9.0]
// ACT-NEXT: float64 (4,) [1.0, 2.0, 0.5, 0.5]
func.func @activations(%x: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) {
  %relu = nn.relu %x : tensor<4xf64>
  %leaky = nn.leaky_relu %x {slope = 5.000000e-01 : f64} : tensor<4xf64>
  %sign = nn.sign %x : tensor<4xf64>
  %square = nn.square %x : tensor<4xf64>
  // sigmoid(0) = 1/2 and rsqrt(4) = 1/2, exactly.
  %zero = nn.constant dense<[0.0, 0.0, 0.0, 4.0]> : tensor<4xf64>
  %s = nn.sigmoid %zero : tensor<4xf64>
  %r = nn.rsqrt %zero : tensor<4xf64>
  %two = nn.constant dense<[2.0, 4.0, 1.0, 1.0]> : tensor<4xf64>
  %m = nn.minimum %s, %r : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
  %e = nn.mul %m, %two : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
  return %relu, %leaky, %sign, %square, %e : tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>
}

// compare yields an i1 mask (written as a NumPy bool array); cast truncates
// toward zero; i32 division truncates toward zero.
// RUN: gradc-interp %s --entry masks --input %t/x.npy --input %t/n.npy --input %t/d.npy --output-dir %t/mask
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/mask/result0.npy %t/mask/result1.npy %t/mask/result2.npy %t/mask/result3.npy | FileCheck %s --check-prefix=MASK
// MASK: bool (4,) [False, False, False, True]
// MASK-NEXT: float64 (4,) [0.0, 0.0, 0.0, 3.0]
// MASK-NEXT: int32 (4,) [-2, 0, 0, 3]
// MASK-NEXT: int32 (4,) [3, -3, -3, 3]
func.func @masks(%x: tensor<4xf64>, %n: tensor<4xi32>, %d: tensor<4xi32>) -> (tensor<4xi1>, tensor<4xf64>, tensor<4xi32>, tensor<4xi32>) {
  %zero = nn.constant dense<0.0> : tensor<f64>
  %pos = nn.compare gt, %x, %zero : tensor<4xf64>, tensor<f64> -> tensor<4xi1>
  %relu = nn.select %pos, %x, %zero : tensor<4xi1>, tensor<4xf64>, tensor<f64> -> tensor<4xf64>
  %int = nn.cast %x : tensor<4xf64> -> tensor<4xi32>
  %q = nn.div %n, %d : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %pos, %relu, %int, %q : tensor<4xi1>, tensor<4xf64>, tensor<4xi32>, tensor<4xi32>
}

// A bool array is read as an i1 argument.
// RUN: gradc-interp %s --entry choose --input %t/m.npy --output-dir %t/choose
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/choose/result0.npy %t/choose/result1.npy | FileCheck %s --check-prefix=CHOOSE
// CHOOSE: float64 (3,) [1.0, -1.0, 1.0]
// CHOOSE-NEXT: bool (3,) [True, False, True]
func.func @choose(%m: tensor<3xi1>) -> (tensor<3xf64>, tensor<3xi1>) {
  %one = nn.constant dense<1.0> : tensor<f64>
  %minus = nn.constant dense<-1.0> : tensor<f64>
  %0 = nn.select %m, %one, %minus : tensor<3xi1>, tensor<f64>, tensor<f64> -> tensor<3xf64>
  return %0, %m : tensor<3xf64>, tensor<3xi1>
}

// Dropout with p = 0 keeps everything, with p = 1 drops everything.
// RUN: gradc-interp %s --entry dropout --input %t/x.npy --input %t/key.npy --output-dir %t/drop
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/drop/result0.npy %t/drop/result1.npy | FileCheck %s --check-prefix=DROP
// DROP: float64 (4,) [-2.0, -0.5, 0.0, 3.0]
// DROP-NEXT: float64 (4,) [-0.0, -0.0, 0.0, 0.0]
func.func @dropout(%x: tensor<4xf64>, %key: tensor<i64>) -> (tensor<4xf64>, tensor<4xf64>) {
  %keep = nn.dropout %x, %key {p = 0.0 : f64, stream = 1 : i64} : tensor<4xf64>, tensor<i64>
  %drop = nn.dropout %x, %key {p = 1.0 : f64, stream = 2 : i64} : tensor<4xf64>, tensor<i64>
  return %keep, %drop : tensor<4xf64>, tensor<4xf64>
}
