func.func @bad(%x: tensor<2xi32>) -> tensor<2xi32> {
  %0 = nn.reduce_sum %x [1] : tensor<2xi32> -> tensor<2xi32>
  return %0 : tensor<2xi32>
}
