// A dense layer whose weight does not match its input.
func.func @forward(%x: tensor<8x100xf32>, %w: tensor<10x784xf32>) -> tensor<8x10xf32> {
  %0 = nn.linear %x, %w : (tensor<8x100xf32>, tensor<10x784xf32>) -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}
