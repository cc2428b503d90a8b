// func.call runs other functions of the module; results come back in order.
// RUN: rm -rf %t && mkdir -p %t
// RUN: /usr/bin/python3 -c "import numpy as np; np.save('%t/x.npy', np.array([1, -2, 3], np.float64))"
// RUN: gradc-interp %s --entry main --input %t/x.npy --output-dir %t/out
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().tolist()) for f in sys.argv[1:]]" %t/out/result0.npy %t/out/result1.npy | FileCheck %s
// CHECK: float64 (3,) [4.0, -8.0, 12.0]
// CHECK-NEXT: float64 () [4.0]

func.func @main(%x: tensor<3xf64>) -> (tensor<3xf64>, tensor<f64>) {
  %0:2 = func.call @twice_and_sum(%x) : (tensor<3xf64>) -> (tensor<3xf64>, tensor<f64>)
  %1 = func.call @twice(%0#0) : (tensor<3xf64>) -> tensor<3xf64>
  %2 = nn.add %0#1, %0#1 : tensor<f64>, tensor<f64> -> tensor<f64>
  return %1, %2 : tensor<3xf64>, tensor<f64>
}

func.func @twice_and_sum(%x: tensor<3xf64>) -> (tensor<3xf64>, tensor<f64>) {
  %0 = func.call @twice(%x) : (tensor<3xf64>) -> tensor<3xf64>
  %1 = nn.reduce_sum %x [0] : tensor<3xf64> -> tensor<f64>
  return %0, %1 : tensor<3xf64>, tensor<f64>
}

func.func private @twice(%x: tensor<3xf64>) -> tensor<3xf64> {
  %0 = nn.add %x, %x : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
  return %0 : tensor<3xf64>
}
