// RUN: gradc-opt %s --gradc-autodiff --split-input-file --verify-each | FileCheck %s

// The backward IR gradc-autodiff builds for each differentiable op, one split
// per op (and per transpose-flag combination of nn.matmul). Each @forward
// reduces the op's result to the loss with nn.reduce_sum, whose VJP turns the
// seed 1 into the upstream gradient [[G]] (a reshape and an nn.broadcast_to);
// the checks follow the op's VJP rule from [[G]] to the returned gradients.
// Numerical agreement with PyTorch is tests/interp/vjp_crosscheck_torch.py.

// nn.constant: no operands, nothing to build; the op using it multiplies the
// gradient by the same constant.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[C:%.+]] = nn.constant dense<2.000000e+00> : tensor<f32>
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[G]], [[C]] : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %c = nn.constant dense<2.0> : tensor<f32>
  %y = nn.mul %x, %c : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.add: the gradient passes through; the broadcast operand's is summed over
// the broadcast dimension.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.reduce_sum [[G]] [0] : tensor<2x3xf32> -> tensor<3xf32>
// CHECK-NEXT: return %{{.+}}, [[G]], [[DB]] :
func.func @forward(%a: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.add %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.sub: g and -g; the size-1 dimension of the rhs is summed and kept by a
// reshape.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[N:%.+]] = nn.neg [[G]] : tensor<2x3xf32>
// CHECK-NEXT: [[S:%.+]] = nn.reduce_sum [[N]] [1] : tensor<2x3xf32> -> tensor<2xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.reshape [[S]] : tensor<2xf32> -> tensor<2x1xf32>
// CHECK-NEXT: return %{{.+}}, [[G]], [[DB]] :
func.func @forward(%a: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<2x1xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.sub %a, %b : tensor<2x3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.mul: da = g * b, db = g * a.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-DAG: [[DA:%.+]] = nn.mul [[G]], %arg1 : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
// CHECK-DAG: [[DB:%.+]] = nn.mul [[G]], %arg0 : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
// CHECK: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.mul %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.div: da = g / b, db = -(g * (a / b)) / b, from the forward result.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.div %arg0, %arg1
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[DA:%.+]] = nn.div [[G]], %arg1 :
// CHECK-NEXT: [[GY:%.+]] = nn.mul [[G]], [[Y]] :
// CHECK-NEXT: [[Q:%.+]] = nn.div [[GY]], %arg1 :
// CHECK-NEXT: [[DB:%.+]] = nn.neg [[Q]] :
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.div %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.maximum: the gradient goes to the larger operand, half to each on a tie.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[ZERO:%.+]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: [[H:%.+]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT: [[HALF:%.+]] = nn.mul [[G]], [[H]] :
// CHECK-NEXT: [[TIE:%.+]] = nn.compare eq, %arg0, %arg1 :
// CHECK-NEXT: [[AW:%.+]] = nn.compare gt, %arg0, %arg1 :
// CHECK-NEXT: [[BW:%.+]] = nn.compare gt, %arg1, %arg0 :
// CHECK-NEXT: [[TA:%.+]] = nn.select [[TIE]], [[HALF]], [[ZERO]] :
// CHECK-NEXT: [[DA:%.+]] = nn.select [[AW]], [[G]], [[TA]] :
// CHECK-NEXT: [[TB:%.+]] = nn.select [[TIE]], [[HALF]], [[ZERO]] :
// CHECK-NEXT: [[DB:%.+]] = nn.select [[BW]], [[G]], [[TB]] :
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.maximum %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.minimum: as maximum with lt.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[ZERO:%.+]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: [[H:%.+]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT: [[HALF:%.+]] = nn.mul [[G]], [[H]] :
// CHECK-NEXT: [[TIE:%.+]] = nn.compare eq, %arg0, %arg1 :
// CHECK-NEXT: [[AW:%.+]] = nn.compare lt, %arg0, %arg1 :
// CHECK-NEXT: [[BW:%.+]] = nn.compare lt, %arg1, %arg0 :
// CHECK-NEXT: [[TA:%.+]] = nn.select [[TIE]], [[HALF]], [[ZERO]] :
// CHECK-NEXT: [[DA:%.+]] = nn.select [[AW]], [[G]], [[TA]] :
// CHECK-NEXT: [[TB:%.+]] = nn.select [[TIE]], [[HALF]], [[ZERO]] :
// CHECK-NEXT: [[DB:%.+]] = nn.select [[BW]], [[G]], [[TB]] :
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.minimum %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.pow: da = g * p * a^(p - 1), zero where p = 0; dp = g * a^p * log a,
// zero where a = 0 and p >= 0 (as torch.pow: no 0 * inf where a^p is locally
// constant).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.pow %arg0, %arg1
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[ZERO:%.+]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: [[ONE:%.+]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: [[PM1:%.+]] = nn.sub %arg1, [[ONE]] :
// CHECK-NEXT: [[POW:%.+]] = nn.pow %arg0, [[PM1]] :
// CHECK-NEXT: [[D:%.+]] = nn.mul %arg1, [[POW]] :
// CHECK-NEXT: [[GD:%.+]] = nn.mul [[G]], [[D]] :
// CHECK-NEXT: [[Z1:%.+]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: [[P0:%.+]] = nn.compare eq, %arg1, [[Z1]] :
// CHECK-NEXT: [[DA:%.+]] = nn.select [[P0]], [[ZERO]], [[GD]] :
// CHECK-NEXT: [[LOG:%.+]] = nn.log %arg0 :
// CHECK-NEXT: [[YL:%.+]] = nn.mul [[Y]], [[LOG]] :
// CHECK-NEXT: [[GYL:%.+]] = nn.mul [[G]], [[YL]] :
// CHECK-NEXT: [[Z2:%.+]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: [[A0:%.+]] = nn.compare eq, %arg0, [[Z2]] :
// CHECK-NEXT: [[Z3:%.+]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: [[PGE:%.+]] = nn.compare ge, %arg1, [[Z3]] :
// CHECK-NEXT: [[AT0:%.+]] = nn.select [[PGE]], [[ZERO]], [[GYL]] :
// CHECK-NEXT: [[DP:%.+]] = nn.select [[A0]], [[AT0]], [[GYL]] :
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DP]] :
func.func @forward(%a: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %p: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "p"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.pow %a, %p : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.select: the gradient is routed by the same mask; the mask gets none, and
// the rank-0 on_false operand's gradient is summed.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<3xf32> {nn.name = "a", nn.role = #nn.role<grad>}, tensor<f32> {nn.name = "b", nn.role = #nn.role<grad>})
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[ZERO:%.+]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: [[DA:%.+]] = nn.select %arg0, [[G]], [[ZERO]] :
// CHECK-NEXT: [[T:%.+]] = nn.select %arg0, [[ZERO]], [[G]] :
// CHECK-NEXT: [[DB:%.+]] = nn.reduce_sum [[T]] [0] : tensor<3xf32> -> tensor<f32>
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%c: tensor<3xi1> {nn.role = #nn.role<input>},
                   %a: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<f32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.select %c, %a, %b : tensor<3xi1>, tensor<3xf32>, tensor<f32> -> tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.cast between float types: the gradient is cast back.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf64> -> tensor<3xf64>
// CHECK-NEXT: [[DX:%.+]] = nn.cast [[G]] : tensor<3xf64> -> tensor<3xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f64> {nn.role = #nn.role<loss>}) {
  %y = nn.cast %x : tensor<3xf32> -> tensor<3xf64>
  %l = nn.reduce_sum %y [0] : tensor<3xf64> -> tensor<f64>
  return %l : tensor<f64>
}

// -----

// nn.neg: -g.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.neg [[G]] : tensor<3xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.neg %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.exp: g * y, reusing the forward result.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.exp %arg0
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[G]], [[Y]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.exp %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.log: g / x.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.div [[G]], %arg0 :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.log %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.sqrt: (g * 0.5) / y.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.sqrt %arg0
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[H:%.+]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT: [[GH:%.+]] = nn.mul [[G]], [[H]] :
// CHECK-NEXT: [[DX:%.+]] = nn.div [[GH]], [[Y]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.sqrt %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.rsqrt: (g * y / x) * -0.5.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.rsqrt %arg0
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[GY:%.+]] = nn.mul [[G]], [[Y]] :
// CHECK-NEXT: [[Q:%.+]] = nn.div [[GY]], %arg0 :
// CHECK-NEXT: [[C:%.+]] = nn.constant dense<-5.000000e-01> : tensor<f32>
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[Q]], [[C]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.rsqrt %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.abs: g * sign(x).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[S:%.+]] = nn.sign %arg0 : tensor<3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[G]], [[S]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.abs %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.sign: piecewise constant, a zero gradient; the upstream gradient is not
// even built.
// CHECK-LABEL: func.func @loss_grad
// CHECK-NOT: nn.broadcast_to
// CHECK: [[DX:%.+]] = nn.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.sign %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.square: (g * x) * 2.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[GX:%.+]] = nn.mul [[G]], %arg0 :
// CHECK-NEXT: [[TWO:%.+]] = nn.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[GX]], [[TWO]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.square %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.erf: g * exp(-x^2) * 2/sqrt(pi).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[XX:%.+]] = nn.mul %arg0, %arg0 :
// CHECK-NEXT: [[N:%.+]] = nn.neg [[XX]] :
// CHECK-NEXT: [[E:%.+]] = nn.exp [[N]] :
// CHECK-NEXT: [[GE:%.+]] = nn.mul [[G]], [[E]] :
// CHECK-NEXT: [[C:%.+]] = nn.constant dense<1.12837923> : tensor<f32>
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[GE]], [[C]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.erf %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.relu: compare gt against 0, then select between g and 0.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-DAG: [[POS:%.+]] = nn.compare gt, %arg0, [[Z1:%.+]] : tensor<3xf32>, tensor<f32> -> tensor<3xi1>
// CHECK-DAG: [[Z1]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: [[DX:%.+]] = nn.select [[POS]], [[G]], [[Z0:%.+]] :
// CHECK-DAG: [[Z0]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.relu %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.sigmoid: g * (y * (1 - y)).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.sigmoid %arg0
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[ONE:%.+]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: [[OMY:%.+]] = nn.sub [[ONE]], [[Y]] :
// CHECK-NEXT: [[D:%.+]] = nn.mul [[Y]], [[OMY]] :
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[G]], [[D]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.sigmoid %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.tanh: g * (1 - y * y).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.tanh %arg0
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-DAG: [[YY:%.+]] = nn.mul [[Y]], [[Y]] :
// CHECK-DAG: [[ONE:%.+]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: [[D:%.+]] = nn.sub [[ONE]], [[YY]] :
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[G]], [[D]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.tanh %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.gelu: g * (Phi(x) + x * phi(x)), Phi from erf(x / sqrt 2), phi from
// exp(-x^2 / 2) / sqrt(2 pi).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-DAG: [[RS2:%.+]] = nn.constant dense<0.707106769> : tensor<f32>
// CHECK-DAG: [[XS:%.+]] = nn.mul %arg0, [[RS2]] :
// CHECK-DAG: [[ERF:%.+]] = nn.erf [[XS]] :
// CHECK-DAG: [[ONE:%.+]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: [[SUM:%.+]] = nn.add [[ONE]], [[ERF]] :
// CHECK-NEXT: [[H:%.+]] = nn.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT: [[CDF:%.+]] = nn.mul [[SUM]], [[H]] :
// CHECK-NEXT: [[XX:%.+]] = nn.mul %arg0, %arg0 :
// CHECK-NEXT: [[MH:%.+]] = nn.constant dense<-5.000000e-01> : tensor<f32>
// CHECK-NEXT: [[A:%.+]] = nn.mul [[XX]], [[MH]] :
// CHECK-NEXT: [[E:%.+]] = nn.exp [[A]] :
// CHECK-NEXT: [[NORM:%.+]] = nn.constant dense<0.398942292> : tensor<f32>
// CHECK-NEXT: [[PDF:%.+]] = nn.mul [[E]], [[NORM]] :
// CHECK-NEXT: [[XPDF:%.+]] = nn.mul %arg0, [[PDF]] :
// CHECK-NEXT: [[D:%.+]] = nn.add [[CDF]], [[XPDF]] :
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[G]], [[D]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.gelu %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.softplus: g * sigmoid(x).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[S:%.+]] = nn.sigmoid %arg0 : tensor<3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[G]], [[S]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.softplus %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.silu: g * (s * (1 + x * (1 - s))), s = sigmoid(x).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[S:%.+]] = nn.sigmoid %arg0 : tensor<3xf32>
// CHECK-NEXT: [[ONE:%.+]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: [[C:%.+]] = nn.sub [[ONE]], [[S]] :
// CHECK-NEXT: [[XC:%.+]] = nn.mul %arg0, [[C]] :
// CHECK-NEXT: [[A:%.+]] = nn.add [[ONE]], [[XC]] :
// CHECK-NEXT: [[D:%.+]] = nn.mul [[S]], [[A]] :
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[G]], [[D]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.silu %x : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.leaky_relu: select by x > 0 between g and g * slope.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<3xf32>
// CHECK-NEXT: [[Z:%.+]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: [[POS:%.+]] = nn.compare gt, %arg0, [[Z]] :
// CHECK-NEXT: [[SLOPE:%.+]] = nn.constant dense<2.500000e-01> : tensor<f32>
// CHECK-NEXT: [[GS:%.+]] = nn.mul [[G]], [[SLOPE]] :
// CHECK-NEXT: [[DX:%.+]] = nn.select [[POS]], [[G]], [[GS]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.leaky_relu %x {slope = 0.25 : f64} : tensor<3xf32>
  %l = nn.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.reshape: reshape the gradient back to the operand's shape.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<6xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.reshape [[G]] : tensor<6xf32> -> tensor<2x3xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %l = nn.reduce_sum %y [0] : tensor<6xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.transpose: the inverse permutation ([2, 0, 1] -> [1, 2, 0]).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1x1xf32> -> tensor<4x2x3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.transpose [[G]] [1, 2, 0] : tensor<4x2x3xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3x4xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %l = nn.reduce_sum %y [0, 1, 2] : tensor<4x2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.broadcast_to: sum over the new leading dimension and the expanded size-1
// dimension, then reshape to keep the size-1 dimension.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1x1xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: [[S:%.+]] = nn.reduce_sum [[G]] [0, 2] : tensor<2x3x4xf32> -> tensor<3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.reshape [[S]] : tensor<3xf32> -> tensor<3x1xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<3x1xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.broadcast_to %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  %l = nn.reduce_sum %y [0, 1, 2] : tensor<2x3x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.concat: each input's gradient is its slice of g along the axis.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x4xf32>
// CHECK-NEXT: [[DA:%.+]] = nn.slice [[G]] [0, 0] : tensor<2x4xf32> -> tensor<2x1xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.slice [[G]] [0, 1] : tensor<2x4xf32> -> tensor<2x3xf32>
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<2x1xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.concat %a, %b {axis = 1 : i64} : (tensor<2x1xf32>, tensor<2x3xf32>) -> tensor<2x4xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.slice: g surrounded by zeros, one concat per dimension that was cut
// (rows 1..2 of 4: one zero row before and after; columns 0..2 of 5: two zero
// columns after).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[BEFORE:%.+]] = nn.constant dense<0.000000e+00> : tensor<1x3xf32>
// CHECK-NEXT: [[AFTER:%.+]] = nn.constant dense<0.000000e+00> : tensor<1x3xf32>
// CHECK-NEXT: [[ROWS:%.+]] = nn.concat [[BEFORE]], [[G]], [[AFTER]] {axis = 0 : i64} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: [[COLS:%.+]] = nn.constant dense<0.000000e+00> : tensor<4x2xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.concat [[ROWS]], [[COLS]] {axis = 1 : i64} : (tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<4x5xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<4x5xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.slice %x [1, 0] : tensor<4x5xf32> -> tensor<2x3xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.reduce_sum: reshape to put back the reduced dimensions as size 1, then
// broadcast; here twice, for the loss's reduction and for the op's.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[SEED:%.+]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: [[R1:%.+]] = nn.reshape [[SEED]] : tensor<f32> -> tensor<1xf32>
// CHECK-NEXT: [[G:%.+]] = nn.broadcast_to [[R1]] : tensor<1xf32> -> tensor<2xf32>
// CHECK-NEXT: [[R2:%.+]] = nn.reshape [[G]] : tensor<2xf32> -> tensor<2x1xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.broadcast_to [[R2]] : tensor<2x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.reduce_sum %x [1] : tensor<2x3xf32> -> tensor<2xf32>
  %l = nn.reduce_sum %y [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.reduce_mean: scale by 1/count (1/4), then broadcast like reduce_sum.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1xf32> -> tensor<2xf32>
// CHECK-NEXT: [[INV:%.+]] = nn.constant dense<2.500000e-01> : tensor<f32>
// CHECK-NEXT: [[GS:%.+]] = nn.mul [[G]], [[INV]] : tensor<2xf32>, tensor<f32> -> tensor<2xf32>
// CHECK-NEXT: [[R:%.+]] = nn.reshape [[GS]] : tensor<2xf32> -> tensor<2x1xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.broadcast_to [[R]] : tensor<2x1xf32> -> tensor<2x4xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x4xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.reduce_mean %x [1] : tensor<2x4xf32> -> tensor<2xf32>
  %l = nn.reduce_sum %y [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.reduce_max: g shared by the elements equal to the maximum, divided by
// their count.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.reduce_max %arg0 [1] {keep_dims = true}
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x1xf32>
// CHECK-NEXT: [[YB:%.+]] = nn.broadcast_to [[Y]] : tensor<2x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[EQ:%.+]] = nn.compare eq, %arg0, [[YB]] :
// CHECK-NEXT: [[IS:%.+]] = nn.cast [[EQ]] : tensor<2x3xi1> -> tensor<2x3xf32>
// CHECK-NEXT: [[N:%.+]] = nn.reduce_sum [[IS]] [1] {keep_dims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
// CHECK-NEXT: [[NB:%.+]] = nn.broadcast_to [[N]] : tensor<2x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[GB:%.+]] = nn.broadcast_to [[G]] : tensor<2x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[GM:%.+]] = nn.mul [[GB]], [[IS]] :
// CHECK-NEXT: [[DX:%.+]] = nn.div [[GM]], [[NB]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.reduce_max %x [1] {keep_dims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x1xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.matmul, C = A B: dA = G B^T, dB = A^T G.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x4xf32>
// CHECK-NEXT: [[DA:%.+]] = nn.matmul [[G]], %arg1 {transpose_rhs} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.matmul %arg0, [[G]] {transpose_lhs} : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<3x4xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.matmul {transpose_lhs}, C = A^T B: dA = B G^T, dB = A G.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x4xf32>
// CHECK-NEXT: [[DA:%.+]] = nn.matmul %arg1, [[G]] {transpose_rhs} : tensor<3x4xf32>, tensor<2x4xf32> -> tensor<3x2xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.matmul %arg0, [[G]] : tensor<3x2xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<3x2xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<3x4xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.matmul %a, %b {transpose_lhs} : tensor<3x2xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.matmul {transpose_rhs}, C = A B^T: dA = G B, dB = G^T A.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x4xf32>
// CHECK-NEXT: [[DA:%.+]] = nn.matmul [[G]], %arg1 : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.matmul [[G]], %arg0 {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<4x3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.matmul %a, %b {transpose_rhs} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.matmul {transpose_lhs, transpose_rhs}, C = A^T B^T: dA = B^T G^T,
// dB = G^T A^T.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x4xf32>
// CHECK-NEXT: [[DA:%.+]] = nn.matmul %arg1, [[G]] {transpose_lhs, transpose_rhs} : tensor<4x3xf32>, tensor<2x4xf32> -> tensor<3x2xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.matmul [[G]], %arg0 {transpose_lhs, transpose_rhs} : tensor<2x4xf32>, tensor<3x2xf32> -> tensor<4x3xf32>
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<3x2xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<4x3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.matmul %a, %b {transpose_lhs, transpose_rhs} : tensor<3x2xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.matmul with a broadcast batch dimension: the unbatched operand's gradient
// is summed over the batch.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1x1xf32> -> tensor<5x2x4xf32>
// CHECK-NEXT: [[DA:%.+]] = nn.matmul [[G]], %arg1 {transpose_rhs} : tensor<5x2x4xf32>, tensor<3x4xf32> -> tensor<5x2x3xf32>
// CHECK-NEXT: [[BB:%.+]] = nn.matmul %arg0, [[G]] {transpose_lhs} : tensor<5x2x3xf32>, tensor<5x2x4xf32> -> tensor<5x3x4xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.reduce_sum [[BB]] [0] : tensor<5x3x4xf32> -> tensor<3x4xf32>
// CHECK-NEXT: return %{{.+}}, [[DA]], [[DB]] :
func.func @forward(%a: tensor<5x2x3xf32> {nn.role = #nn.role<param>, nn.name = "a"},
                   %b: tensor<3x4xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.matmul %a, %b : tensor<5x2x3xf32>, tensor<3x4xf32> -> tensor<5x2x4xf32>
  %l = nn.reduce_sum %y [0, 1, 2] : tensor<5x2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.linear, y = x W^T + b: dx = g W, dW = g^T x, db = the batch sum of g.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<5x4xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.matmul [[G]], %arg1 : tensor<5x4xf32>, tensor<4x3xf32> -> tensor<5x3xf32>
// CHECK-NEXT: [[DW:%.+]] = nn.matmul [[G]], %arg0 {transpose_lhs} : tensor<5x4xf32>, tensor<5x3xf32> -> tensor<4x3xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.reduce_sum [[G]] [0] : tensor<5x4xf32> -> tensor<4xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]], [[DW]], [[DB]] :
func.func @forward(%x: tensor<5x3xf32> {nn.role = #nn.role<param>, nn.name = "x"},
                   %w: tensor<4x3xf32> {nn.role = #nn.role<param>, nn.name = "w"},
                   %b: tensor<4xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.linear %x, %w, %b : (tensor<5x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<5x4xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<5x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.conv2d: conv2d_backward_input and conv2d_backward_filter with the
// forward stride and padding; the bias gradient sums over N, H and W.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1x1x1xf32> -> tensor<2x4x4x4xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.conv2d_backward_input [[G]], %arg1 {padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<2x4x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<2x3x8x8xf32>
// CHECK-NEXT: [[DW:%.+]] = nn.conv2d_backward_filter %arg0, [[G]] {padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<2x3x8x8xf32>, tensor<2x4x4x4xf32>) -> tensor<4x3x3x3xf32>
// CHECK-NEXT: [[DB:%.+]] = nn.reduce_sum [[G]] [0, 2, 3] : tensor<2x4x4x4xf32> -> tensor<4xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]], [[DW]], [[DB]] :
func.func @forward(%x: tensor<2x3x8x8xf32> {nn.role = #nn.role<param>, nn.name = "x"},
                   %w: tensor<4x3x3x3xf32> {nn.role = #nn.role<param>, nn.name = "w"},
                   %b: tensor<4xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.conv2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>}
      : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32>
  %l = nn.reduce_sum %y [0, 1, 2, 3] : tensor<2x4x4x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.max_pool2d: max_pool2d_backward of the forward input, same windows.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1x1x1xf32> -> tensor<2x3x3x3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.max_pool2d_backward %arg0, [[G]] {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>} : (tensor<2x3x6x6xf32>, tensor<2x3x3x3xf32>) -> tensor<2x3x6x6xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3x6x6xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.max_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>}
      : tensor<2x3x6x6xf32> -> tensor<2x3x3x3xf32>
  %l = nn.reduce_sum %y [0, 1, 2, 3] : tensor<2x3x3x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.avg_pool2d: avg_pool2d_backward, which needs only g.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1x1x1xf32> -> tensor<2x3x3x3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.avg_pool2d_backward [[G]] {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<2x3x3x3xf32> -> tensor<2x3x6x6xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3x6x6xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>}
      : tensor<2x3x6x6xf32> -> tensor<2x3x3x3xf32>
  %l = nn.reduce_sum %y [0, 1, 2, 3] : tensor<2x3x3x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.batch_norm_train: batch_norm_backward from the saved batch statistics;
// the running statistics get no gradient.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<4x3xf32> {nn.name = "x", nn.role = #nn.role<grad>}, tensor<3xf32> {nn.name = "g", nn.role = #nn.role<grad>}, tensor<3xf32> {nn.name = "b", nn.role = #nn.role<grad>}) {
// CHECK: {{%[^,]+}}, [[MEAN:%[^,]+]], [[VAR:%[^,]+]], {{%[^,]+}}, {{%[^,]+}} = nn.batch_norm_train %arg0, %arg1, %arg2, %arg3, %arg4
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<4x3xf32>
// CHECK-NEXT: [[DX:%[^,]+]], [[DG:%[^,]+]], [[DB:%[^,]+]] = nn.batch_norm_backward %arg0, [[G]], %arg1, [[MEAN]], [[VAR]] {eps = 1.000000e-03 : f64}
// CHECK-NEXT: return %{{.+}}, [[DX]], [[DG]], [[DB]] :
func.func @forward(%x: tensor<4x3xf32> {nn.role = #nn.role<param>, nn.name = "x"},
                   %g: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "g"},
                   %b: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "b"},
                   %rm: tensor<3xf32> {nn.role = #nn.role<buffer>, nn.name = "rm"},
                   %rv: tensor<3xf32> {nn.role = #nn.role<buffer>, nn.name = "rv"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y, %mean, %var, %nrm, %nrv = nn.batch_norm_train %x, %g, %b, %rm, %rv {eps = 1.0e-3 : f64}
      : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
      -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
  %l = nn.reduce_sum %y [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.layer_norm: layer_norm_backward, which recomputes the row statistics.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<4x3xf32>
// CHECK-NEXT: [[DX:%[^,]+]], [[DG:%[^,]+]], [[DB:%[^,]+]] = nn.layer_norm_backward %arg0, [[G]], %arg1 {eps = 1.000000e-03 : f64}
// CHECK-NEXT: return %{{.+}}, [[DX]], [[DG]], [[DB]] :
func.func @forward(%x: tensor<4x3xf32> {nn.role = #nn.role<param>, nn.name = "x"},
                   %g: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "g"},
                   %b: tensor<3xf32> {nn.role = #nn.role<param>, nn.name = "b"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.layer_norm %x, %g, %b {eps = 1.0e-3 : f64}
      : (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.softmax: y * (g - sum(g * y)) along the axis.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.softmax %arg0 {axis = 1 : i64}
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[GY:%.+]] = nn.mul [[G]], [[Y]] :
// CHECK-NEXT: [[DOT:%.+]] = nn.reduce_sum [[GY]] [1] {keep_dims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
// CHECK-NEXT: [[D:%.+]] = nn.sub [[G]], [[DOT]] : tensor<2x3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.mul [[Y]], [[D]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.softmax %x {axis = 1 : i64} : tensor<2x3xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.log_softmax: g - exp(y) * sum(g) along the axis (here axis 0).
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%.+]] = nn.log_softmax %arg0 {axis = 0 : i64}
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[S:%.+]] = nn.reduce_sum [[G]] [0] {keep_dims = true} : tensor<2x3xf32> -> tensor<1x3xf32>
// CHECK-NEXT: [[P:%.+]] = nn.exp [[Y]] :
// CHECK-NEXT: [[PS:%.+]] = nn.mul [[P]], [[S]] : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.sub [[G]], [[PS]] :
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "x"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.log_softmax %x {axis = 0 : i64} : tensor<2x3xf32>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.softmax_cross_entropy: its own backward op from the logits, the labels
// and the loss gradient; the labels get none.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<4x3xf32> {nn.name = "x", nn.role = #nn.role<grad>}) {
// CHECK: [[SEED:%.+]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT: [[DX:%.+]] = nn.softmax_cross_entropy_backward %arg0, %arg1, [[SEED]] : (tensor<4x3xf32>, tensor<4xi32>, tensor<f32>) -> tensor<4x3xf32>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<4x3xf32> {nn.role = #nn.role<param>, nn.name = "x"},
                   %y: tensor<4xi32> {nn.role = #nn.role<label>, nn.classes = 3})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %l = nn.softmax_cross_entropy %x, %y : (tensor<4x3xf32>, tensor<4xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.gather_rows: scatter_add_rows of g into a table of the table's shape;
// the ids get none.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<10x4xf32> {nn.name = "table", nn.role = #nn.role<grad>}) {
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1x1xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: [[DT:%.+]] = nn.scatter_add_rows %arg1, [[G]] : (tensor<2x3xi32>, tensor<2x3x4xf32>) -> tensor<10x4xf32>
// CHECK-NEXT: return %{{.+}}, [[DT]] :
func.func @forward(%table: tensor<10x4xf32> {nn.role = #nn.role<param>, nn.name = "table"},
                   %ids: tensor<2x3xi32> {nn.role = #nn.role<input>})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.gather_rows %table, %ids : (tensor<10x4xf32>, tensor<2x3xi32>) -> tensor<2x3x4xf32>
  %l = nn.reduce_sum %y [0, 1, 2] : tensor<2x3x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.dropout: the same dropout (key, p, stream) applied to g; the key gets no
// gradient.
// CHECK-LABEL: func.func @loss_grad
// CHECK-SAME: -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<2x3xf32> {nn.name = "x", nn.role = #nn.role<grad>}) {
// CHECK: [[G:%.+]] = nn.broadcast_to {{%.+}} : tensor<1x1xf32> -> tensor<2x3xf32>
// CHECK-NEXT: [[DX:%.+]] = nn.dropout [[G]], %arg1 {p = 2.500000e-01 : f64, stream = 5 : i64} : tensor<2x3xf32>, tensor<i64>
// CHECK-NEXT: return %{{.+}}, [[DX]] :
func.func @forward(%x: tensor<2x3xf32> {nn.role = #nn.role<param>, nn.name = "x"},
                   %key: tensor<i64> {nn.role = #nn.role<rng>})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y = nn.dropout %x, %key {p = 0.25 : f64, stream = 5 : i64} : tensor<2x3xf32>, tensor<i64>
  %l = nn.reduce_sum %y [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.attention: one attention_backward from its operands, result and
// logsumexp; the logsumexp itself is not differentiated.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%[^,]+]], [[LSE:%.+]] = nn.attention %arg0, %arg1, %arg1 {causal, heads = 2 : i64, scale = 5.000000e-01 : f64}
// CHECK: [[DQ:%[^,]+]], [[DK:%[^,]+]], [[DV:%[^,]+]] = nn.attention_backward %arg0, %arg1, %arg1, [[Y]], [[LSE]], {{%.+}} {causal, heads = 2 : i64, scale = 5.000000e-01 : f64}
// CHECK: [[DKV:%.+]] = nn.add [[DK]], [[DV]]
// CHECK: return %{{.+}}, [[DQ]], [[DKV]] :
func.func @forward(%q: tensor<2x3x4xf32> {nn.role = #nn.role<param>, nn.name = "q"},
                   %k: tensor<2x3x4xf32> {nn.role = #nn.role<param>, nn.name = "k"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y, %lse = nn.attention %q, %k, %k {heads = 2 : i64, causal, scale = 0.5 : f64}
      : (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x2x3xf64>)
  %l = nn.reduce_sum %y [0, 1, 2] : tensor<2x3x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.lstm: one lstm_backward from its operands and all three results; the
// saved gates and cells are not differentiated, and the two bias gradients
// come out of the one backward.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%[^,]+]], [[G:%[^,]+]], [[C:%.+]] = nn.lstm %arg0, %arg1, %arg2, %arg3, %arg4
// CHECK: [[DX:%[^,]+]], [[DWI:%[^,]+]], [[DWH:%[^,]+]], [[DBI:%[^,]+]], [[DBH:%.+]] = nn.lstm_backward %arg0, %arg1, %arg2, [[Y]], [[G]], [[C]], {{%.+}}
// CHECK: return %{{.+}}, [[DX]], [[DWI]], [[DWH]], [[DBI]], [[DBH]] :
func.func @forward(%x: tensor<2x3x4xf32> {nn.role = #nn.role<param>, nn.name = "x"},
                   %wi: tensor<8x4xf32> {nn.role = #nn.role<param>, nn.name = "w_ih"},
                   %wh: tensor<8x2xf32> {nn.role = #nn.role<param>, nn.name = "w_hh"},
                   %bi: tensor<8xf32> {nn.role = #nn.role<param>, nn.name = "b_ih"},
                   %bh: tensor<8xf32> {nn.role = #nn.role<param>, nn.name = "b_hh"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y, %g, %c = nn.lstm %x, %wi, %wh, %bi, %bh
      : (tensor<2x3x4xf32>, tensor<8x4xf32>, tensor<8x2xf32>, tensor<8xf32>, tensor<8xf32>)
      -> (tensor<2x3x2xf32>, tensor<3x2x8xf32>, tensor<3x2x2xf32>)
  %l = nn.reduce_sum %y [0, 1, 2] : tensor<2x3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.gru: one gru_backward from its operands and both results.
// CHECK-LABEL: func.func @loss_grad
// CHECK: [[Y:%[^,]+]], [[G:%.+]] = nn.gru %arg0, %arg1, %arg2, %arg3, %arg4
// CHECK: [[DX:%[^,]+]], [[DWI:%[^,]+]], [[DWH:%[^,]+]], [[DBI:%[^,]+]], [[DBH:%.+]] = nn.gru_backward %arg0, %arg1, %arg2, [[Y]], [[G]], {{%.+}}
// CHECK: return %{{.+}}, [[DX]], [[DWI]], [[DWH]], [[DBI]], [[DBH]] :
func.func @forward(%x: tensor<2x3x4xf32> {nn.role = #nn.role<param>, nn.name = "x"},
                   %wi: tensor<6x4xf32> {nn.role = #nn.role<param>, nn.name = "w_ih"},
                   %wh: tensor<6x2xf32> {nn.role = #nn.role<param>, nn.name = "w_hh"},
                   %bi: tensor<6xf32> {nn.role = #nn.role<param>, nn.name = "b_ih"},
                   %bh: tensor<6xf32> {nn.role = #nn.role<param>, nn.name = "b_hh"})
    -> (tensor<f32> {nn.role = #nn.role<loss>}) {
  %y, %g = nn.gru %x, %wi, %wh, %bi, %bh
      : (tensor<2x3x4xf32>, tensor<6x4xf32>, tensor<6x2xf32>, tensor<6xf32>, tensor<6xf32>)
      -> (tensor<2x3x2xf32>, tensor<3x2x8xf32>)
  %l = nn.reduce_sum %y [0, 1, 2] : tensor<2x3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
