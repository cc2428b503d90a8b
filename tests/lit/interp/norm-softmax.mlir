// Normalization, softmax and cross-entropy, with results known by hand.
// RUN: rm -rf %t && mkdir -p %t
// RUN: /usr/bin/python3 -c "import numpy as np; np.save('%t/logits.npy', np.array([[0, np.log(2)], [0, np.log(2)]])); np.save('%t/labels.npy', np.array([1, 0], np.int32)); np.save('%t/x.npy', np.array([[1], [3]], np.float64)); np.save('%t/row.npy', np.array([[1, 3]], np.float64))"

// softmax([0, ln 2]) = [1/3, 2/3]; the loss is the mean of -ln(2/3) and
// -ln(1/3); its gradient is (softmax - onehot) / 2.
// RUN: gradc-interp %s --entry softmax --input %t/logits.npy --input %t/labels.npy --output-dir %t/softmax
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().round(6).tolist()) for f in sys.argv[1:]]" %t/softmax/result0.npy %t/softmax/result1.npy %t/softmax/result2.npy %t/softmax/result3.npy | FileCheck %s --check-prefix=SOFTMAX
// SOFTMAX: float64 (2, 2) [0.333333, 0.666667, 0.333333, 0.666667]
// SOFTMAX-NEXT: float64 (2, 2) [-1.098612, -0.405465, -1.098612, -0.405465]
// SOFTMAX-NEXT: float64 () [0.752039]
// SOFTMAX-NEXT: float64 (2, 2) [0.166667, -0.166667, -0.333333, 0.333333]
func.func @softmax(%logits: tensor<2x2xf64>, %labels: tensor<2xi32>) -> (tensor<2x2xf64>, tensor<2x2xf64>, tensor<f64>, tensor<2x2xf64>) {
  %p = nn.softmax %logits {axis = 1 : i64} : tensor<2x2xf64>
  %lp = nn.log_softmax %logits {axis = 1 : i64} : tensor<2x2xf64>
  %loss = nn.softmax_cross_entropy %logits, %labels : (tensor<2x2xf64>, tensor<2xi32>) -> tensor<f64>
  %one = nn.constant dense<1.0> : tensor<f64>
  %dlogits = nn.softmax_cross_entropy_backward %logits, %labels, %one : (tensor<2x2xf64>, tensor<2xi32>, tensor<f64>) -> tensor<2x2xf64>
  return %p, %lp, %loss, %dlogits : tensor<2x2xf64>, tensor<2x2xf64>, tensor<f64>, tensor<2x2xf64>
}

// x = [1, 3] in one channel: mean 2, biased variance 1, unbiased variance 2,
// so the running variance becomes 0.9 * 1 + 0.1 * 2 = 1.1.
// RUN: gradc-interp %s --entry batch_norm --input %t/x.npy --output-dir %t/bn
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().round(6).tolist()) for f in sys.argv[1:]]" %t/bn/result0.npy %t/bn/result1.npy %t/bn/result2.npy %t/bn/result3.npy %t/bn/result4.npy %t/bn/result5.npy | FileCheck %s --check-prefix=BN
// BN: float64 (2, 1) [-0.999995, 0.999995]
// BN-NEXT: float64 (1,) [2.0]
// BN-NEXT: float64 (1,) [1.0]
// BN-NEXT: float64 (1,) [0.2]
// BN-NEXT: float64 (1,) [1.1]
// BN-NEXT: float64 (2, 1) [-0.999995, 0.999995]
func.func @batch_norm(%x: tensor<2x1xf64>) -> (tensor<2x1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<2x1xf64>) {
  %gamma = nn.constant dense<1.0> : tensor<1xf64>
  %beta = nn.constant dense<0.0> : tensor<1xf64>
  %rv = nn.constant dense<1.0> : tensor<1xf64>
  %y, %mean, %var, %new_rm, %new_rv = nn.batch_norm_train %x, %gamma, %beta, %beta, %rv {eps = 1.0e-5 : f64, momentum = 0.1 : f64}
      : (tensor<2x1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>)
      -> (tensor<2x1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>)
  %eval = nn.batch_norm_eval %x, %gamma, %beta, %mean, %var {eps = 1.0e-5 : f64}
      : (tensor<2x1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>) -> tensor<2x1xf64>
  return %y, %mean, %var, %new_rm, %new_rv, %eval : tensor<2x1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<2x1xf64>
}

// The same statistics along a row; the gradient of the normalized output
// with respect to x vanishes when dy is constant along the row.
// RUN: gradc-interp %s --entry layer_norm --input %t/row.npy --output-dir %t/ln
// RUN: /usr/bin/python3 -c "import numpy as np, sys; [print(np.load(f).dtype, np.load(f).shape, np.load(f).ravel().round(6).tolist()) for f in sys.argv[1:]]" %t/ln/result0.npy %t/ln/result1.npy %t/ln/result2.npy %t/ln/result3.npy | FileCheck %s --check-prefix=LN
// LN: float64 (1, 2) [-0.999995, 0.999995]
// LN-NEXT: float64 (1, 2) [0.0, 0.0]
// LN-NEXT: float64 (2,) [-0.999995, 0.999995]
// LN-NEXT: float64 (2,) [1.0, 1.0]
func.func @layer_norm(%x: tensor<1x2xf64>) -> (tensor<1x2xf64>, tensor<1x2xf64>, tensor<2xf64>, tensor<2xf64>) {
  %gamma = nn.constant dense<1.0> : tensor<2xf64>
  %beta = nn.constant dense<0.0> : tensor<2xf64>
  %y = nn.layer_norm %x, %gamma, %beta {eps = 1.0e-5 : f64} : (tensor<1x2xf64>, tensor<2xf64>, tensor<2xf64>) -> tensor<1x2xf64>
  %dy = nn.constant dense<1.0> : tensor<1x2xf64>
  %dx, %dgamma, %dbeta = nn.layer_norm_backward %x, %dy, %gamma {eps = 1.0e-5 : f64}
      : (tensor<1x2xf64>, tensor<1x2xf64>, tensor<2xf64>) -> (tensor<1x2xf64>, tensor<2xf64>, tensor<2xf64>)
  return %y, %dx, %dgamma, %dbeta : tensor<1x2xf64>, tensor<1x2xf64>, tensor<2xf64>, tensor<2xf64>
}
