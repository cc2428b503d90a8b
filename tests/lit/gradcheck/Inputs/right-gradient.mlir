// wrong-gradient.mlir with the right gradient of the weight.

func.func @forward(%x: tensor<4x3xf64> {nn.role = #nn.role<input>, nn.name = "x"},
                   %w: tensor<2x3xf64> {nn.role = #nn.role<param>, nn.name = "fc.weight", nn.init = "default"},
                   %b: tensor<2xf64> {nn.role = #nn.role<param>, nn.name = "fc.bias", nn.init = "default"})
    -> (tensor<f64> {nn.role = #nn.role<loss>}) {
  %y = nn.linear %x, %w, %b : (tensor<4x3xf64>, tensor<2x3xf64>, tensor<2xf64>) -> tensor<4x2xf64>
  %sq = nn.square %y : tensor<4x2xf64>
  %loss = nn.reduce_mean %sq [0, 1] : tensor<4x2xf64> -> tensor<f64>
  return %loss : tensor<f64>
}

func.func @loss_grad(%x: tensor<4x3xf64> {nn.role = #nn.role<input>, nn.name = "x"},
                     %w: tensor<2x3xf64> {nn.role = #nn.role<param>, nn.name = "fc.weight", nn.init = "default"},
                     %b: tensor<2xf64> {nn.role = #nn.role<param>, nn.name = "fc.bias", nn.init = "default"})
    -> (tensor<f64> {nn.role = #nn.role<loss>},
        tensor<2x3xf64> {nn.role = #nn.role<grad>, nn.name = "fc.weight"},
        tensor<2xf64> {nn.role = #nn.role<grad>, nn.name = "fc.bias"}) {
  %y = nn.linear %x, %w, %b : (tensor<4x3xf64>, tensor<2x3xf64>, tensor<2xf64>) -> tensor<4x2xf64>
  %sq = nn.square %y : tensor<4x2xf64>
  %loss = nn.reduce_mean %sq [0, 1] : tensor<4x2xf64> -> tensor<f64>
  // dloss/dy = 2 y / 8.
  %quarter = nn.constant dense<0.25> : tensor<f64>
  %dy = nn.mul %y, %quarter : tensor<4x2xf64>, tensor<f64> -> tensor<4x2xf64>
  %dw = nn.matmul %dy, %x {transpose_lhs} : tensor<4x2xf64>, tensor<4x3xf64> -> tensor<2x3xf64>
  %db = nn.reduce_sum %dy [0] : tensor<4x2xf64> -> tensor<2xf64>
  return %loss, %dw, %db : tensor<f64>, tensor<2x3xf64>, tensor<2xf64>
}
