#loc = loc("tests/e2e/models/bce_layernorm.gc":13:1)
module attributes {nn.loc = #loc, nn.model = "Binary", nn.train = #nn.train<optimizer = <adam, {beta1 = 8.500000e-01 : f64, beta2 = 0.99499999999999999 : f64, eps = 9.9999999999999995E-8 : f64, weight_decay = 0.000000e+00 : f64}>, batch = 4, lr = 1.000000e-02, l1 = 1.000000e-04, clip_grad_value = 5.000000e-02, schedule = <constant, {}>>} {
  func.func @forward(%arg0: tensor<4x8xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<4x2xf32> {nn.name = "t", nn.range = {high = 1.000000e+00 : f64, high_open = false, integral = false, low = 0.000000e+00 : f64, use = "the targets of bce_with_logits (bce_layernorm.gc:9)"}, nn.role = #nn.role<label>}, %arg2: tensor<16x8xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<16xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg4: tensor<16xf32> {nn.init = "ones", nn.name = "layer_norm_0.gamma", nn.role = #nn.role<param>}, %arg5: tensor<16xf32> {nn.init = "zeros", nn.name = "layer_norm_0.beta", nn.role = #nn.role<param>}, %arg6: tensor<2x16xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg7: tensor<2xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<4x2xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.linear %arg0, %arg2, %arg3 : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %1 = nn.layer_norm %0, %arg4, %arg5 : (tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %2 = nn.gelu %1 : tensor<4x16xf32>
    %3 = nn.linear %2, %arg6, %arg7 : (tensor<4x16xf32>, tensor<2x16xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    %4 = nn.mul %3, %arg1 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
    %5 = nn.softplus %3 : tensor<4x2xf32>
    %6 = nn.sub %5, %4 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
    %7 = nn.reduce_mean %6 [0, 1] : tensor<4x2xf32> -> tensor<f32>
    return %7, %3 : tensor<f32>, tensor<4x2xf32>
  }
  func.func @forward_eval(%arg0: tensor<4x8xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<4x2xf32> {nn.name = "t", nn.range = {high = 1.000000e+00 : f64, high_open = false, integral = false, low = 0.000000e+00 : f64, use = "the targets of bce_with_logits (bce_layernorm.gc:9)"}, nn.role = #nn.role<label>}, %arg2: tensor<16x8xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<16xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg4: tensor<16xf32> {nn.init = "ones", nn.name = "layer_norm_0.gamma", nn.role = #nn.role<param>}, %arg5: tensor<16xf32> {nn.init = "zeros", nn.name = "layer_norm_0.beta", nn.role = #nn.role<param>}, %arg6: tensor<2x16xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg7: tensor<2xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<4x2xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.linear %arg0, %arg2, %arg3 : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %1 = nn.layer_norm %0, %arg4, %arg5 : (tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %2 = nn.gelu %1 : tensor<4x16xf32>
    %3 = nn.linear %2, %arg6, %arg7 : (tensor<4x16xf32>, tensor<2x16xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    %4 = nn.mul %3, %arg1 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
    %5 = nn.softplus %3 : tensor<4x2xf32>
    %6 = nn.sub %5, %4 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
    %7 = nn.reduce_mean %6 [0, 1] : tensor<4x2xf32> -> tensor<f32>
    return %7, %3 : tensor<f32>, tensor<4x2xf32>
  }
  func.func @forward_eval_one(%arg0: tensor<1x8xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<1x2xf32> {nn.name = "t", nn.range = {high = 1.000000e+00 : f64, high_open = false, integral = false, low = 0.000000e+00 : f64, use = "the targets of bce_with_logits (bce_layernorm.gc:9)"}, nn.role = #nn.role<label>}, %arg2: tensor<16x8xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<16xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg4: tensor<16xf32> {nn.init = "ones", nn.name = "layer_norm_0.gamma", nn.role = #nn.role<param>}, %arg5: tensor<16xf32> {nn.init = "zeros", nn.name = "layer_norm_0.beta", nn.role = #nn.role<param>}, %arg6: tensor<2x16xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg7: tensor<2xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<1x2xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.linear %arg0, %arg2, %arg3 : (tensor<1x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<1x16xf32>
    %1 = nn.layer_norm %0, %arg4, %arg5 : (tensor<1x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16xf32>
    %2 = nn.gelu %1 : tensor<1x16xf32>
    %3 = nn.linear %2, %arg6, %arg7 : (tensor<1x16xf32>, tensor<2x16xf32>, tensor<2xf32>) -> tensor<1x2xf32>
    %4 = nn.mul %3, %arg1 : tensor<1x2xf32>, tensor<1x2xf32> -> tensor<1x2xf32>
    %5 = nn.softplus %3 : tensor<1x2xf32>
    %6 = nn.sub %5, %4 : tensor<1x2xf32>, tensor<1x2xf32> -> tensor<1x2xf32>
    %7 = nn.reduce_mean %6 [0, 1] : tensor<1x2xf32> -> tensor<f32>
    return %7, %3 : tensor<f32>, tensor<1x2xf32>
  }
}

