#loc = loc("examples/moons_classifier.gc":19:1)
module attributes {nn.loc = #loc, nn.model = "MoonsClassifier", nn.train = #nn.train<optimizer = <adam, {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 1.000000e-08 : f64, weight_decay = 0.000000e+00 : f64}>, batch = 4, epochs = 200, lr = 1.000000e-02, seed = 2024, validation = 2.000000e-01, schedule = <constant, {}>, data = <kind = csv, inputs = "/work/main/examples/data/moons_train.csv", label_column = "label">, test = <kind = csv, inputs = "/work/main/examples/data/moons_test.csv", label_column = "label">>} {
  func.func @forward(%arg0: tensor<4x2xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<4x1xf32> {nn.name = "y", nn.range = {high = 1.000000e+00 : f64, high_open = false, integral = false, low = 0.000000e+00 : f64, use = "the targets of bce_with_logits (moons_classifier.gc:13)"}, nn.role = #nn.role<label>}, %arg2: tensor<16x2xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<16xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg4: tensor<16x16xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg5: tensor<16xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}, %arg6: tensor<1x16xf32> {nn.init = "default", nn.name = "dense_2.weight", nn.role = #nn.role<param>}, %arg7: tensor<1xf32> {nn.init = "default", nn.name = "dense_2.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<f32> {nn.name = "rmse", nn.role = #nn.role<metric>}, tensor<2x2xi32> {nn.name = "accuracy", nn.role = #nn.role<metric>}, tensor<4x1xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.linear %arg0, %arg2, %arg3 : (tensor<4x2xf32>, tensor<16x2xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %1 = nn.tanh %0 : tensor<4x16xf32>
    %2 = nn.linear %1, %arg4, %arg5 : (tensor<4x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %3 = nn.tanh %2 : tensor<4x16xf32>
    %4 = nn.linear %3, %arg6, %arg7 : (tensor<4x16xf32>, tensor<1x16xf32>, tensor<1xf32>) -> tensor<4x1xf32>
    %5 = nn.sigmoid %4 : tensor<4x1xf32>
    %6 = nn.mul %4, %arg1 : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<4x1xf32>
    %7 = nn.softplus %4 : tensor<4x1xf32>
    %8 = nn.sub %7, %6 : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<4x1xf32>
    %9 = nn.reduce_mean %8 [0, 1] : tensor<4x1xf32> -> tensor<f32>
    %10 = nn.sub %5, %arg1 : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<4x1xf32>
    %11 = nn.square %10 : tensor<4x1xf32>
    %12 = nn.reduce_sum %11 [0, 1] : tensor<4x1xf32> -> tensor<f32>
    %13 = nn.constant dense<5.000000e-01> : tensor<f32>
    %14 = nn.compare gt, %arg1, %13 : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xi1>
    %15 = nn.cast %14 : tensor<4x1xi1> -> tensor<4x1xi32>
    %16 = nn.reshape %15 : tensor<4x1xi32> -> tensor<4xi32>
    %17 = nn.constant dense<0.000000e+00> : tensor<f32>
    %18 = nn.compare gt, %4, %17 : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xi1>
    %19 = nn.cast %18 : tensor<4x1xi1> -> tensor<4x1xi32>
    %20 = nn.reshape %19 : tensor<4x1xi32> -> tensor<4xi32>
    %21 = nn.confusion_matrix %20, %16 {num_classes = 2 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<2x2xi32>
    return %9, %12, %21, %5 : tensor<f32>, tensor<f32>, tensor<2x2xi32>, tensor<4x1xf32>
  }
  func.func @forward_eval(%arg0: tensor<4x2xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<4x1xf32> {nn.name = "y", nn.range = {high = 1.000000e+00 : f64, high_open = false, integral = false, low = 0.000000e+00 : f64, use = "the targets of bce_with_logits (moons_classifier.gc:13)"}, nn.role = #nn.role<label>}, %arg2: tensor<16x2xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<16xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg4: tensor<16x16xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg5: tensor<16xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}, %arg6: tensor<1x16xf32> {nn.init = "default", nn.name = "dense_2.weight", nn.role = #nn.role<param>}, %arg7: tensor<1xf32> {nn.init = "default", nn.name = "dense_2.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<f32> {nn.name = "rmse", nn.role = #nn.role<metric>}, tensor<2x2xi32> {nn.name = "accuracy", nn.role = #nn.role<metric>}, tensor<4x1xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.linear %arg0, %arg2, %arg3 : (tensor<4x2xf32>, tensor<16x2xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %1 = nn.tanh %0 : tensor<4x16xf32>
    %2 = nn.linear %1, %arg4, %arg5 : (tensor<4x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %3 = nn.tanh %2 : tensor<4x16xf32>
    %4 = nn.linear %3, %arg6, %arg7 : (tensor<4x16xf32>, tensor<1x16xf32>, tensor<1xf32>) -> tensor<4x1xf32>
    %5 = nn.sigmoid %4 : tensor<4x1xf32>
    %6 = nn.mul %4, %arg1 : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<4x1xf32>
    %7 = nn.softplus %4 : tensor<4x1xf32>
    %8 = nn.sub %7, %6 : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<4x1xf32>
    %9 = nn.reduce_mean %8 [0, 1] : tensor<4x1xf32> -> tensor<f32>
    %10 = nn.sub %5, %arg1 : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<4x1xf32>
    %11 = nn.square %10 : tensor<4x1xf32>
    %12 = nn.reduce_sum %11 [0, 1] : tensor<4x1xf32> -> tensor<f32>
    %13 = nn.constant dense<5.000000e-01> : tensor<f32>
    %14 = nn.compare gt, %arg1, %13 : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xi1>
    %15 = nn.cast %14 : tensor<4x1xi1> -> tensor<4x1xi32>
    %16 = nn.reshape %15 : tensor<4x1xi32> -> tensor<4xi32>
    %17 = nn.constant dense<0.000000e+00> : tensor<f32>
    %18 = nn.compare gt, %4, %17 : tensor<4x1xf32>, tensor<f32> -> tensor<4x1xi1>
    %19 = nn.cast %18 : tensor<4x1xi1> -> tensor<4x1xi32>
    %20 = nn.reshape %19 : tensor<4x1xi32> -> tensor<4xi32>
    %21 = nn.confusion_matrix %20, %16 {num_classes = 2 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<2x2xi32>
    return %9, %12, %21, %5 : tensor<f32>, tensor<f32>, tensor<2x2xi32>, tensor<4x1xf32>
  }
  func.func @forward_eval_one(%arg0: tensor<1x2xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<1x1xf32> {nn.name = "y", nn.range = {high = 1.000000e+00 : f64, high_open = false, integral = false, low = 0.000000e+00 : f64, use = "the targets of bce_with_logits (moons_classifier.gc:13)"}, nn.role = #nn.role<label>}, %arg2: tensor<16x2xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<16xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg4: tensor<16x16xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg5: tensor<16xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}, %arg6: tensor<1x16xf32> {nn.init = "default", nn.name = "dense_2.weight", nn.role = #nn.role<param>}, %arg7: tensor<1xf32> {nn.init = "default", nn.name = "dense_2.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<f32> {nn.name = "rmse", nn.role = #nn.role<metric>}, tensor<2x2xi32> {nn.name = "accuracy", nn.role = #nn.role<metric>}, tensor<1x1xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.linear %arg0, %arg2, %arg3 : (tensor<1x2xf32>, tensor<16x2xf32>, tensor<16xf32>) -> tensor<1x16xf32>
    %1 = nn.tanh %0 : tensor<1x16xf32>
    %2 = nn.linear %1, %arg4, %arg5 : (tensor<1x16xf32>, tensor<16x16xf32>, tensor<16xf32>) -> tensor<1x16xf32>
    %3 = nn.tanh %2 : tensor<1x16xf32>
    %4 = nn.linear %3, %arg6, %arg7 : (tensor<1x16xf32>, tensor<1x16xf32>, tensor<1xf32>) -> tensor<1x1xf32>
    %5 = nn.sigmoid %4 : tensor<1x1xf32>
    %6 = nn.mul %4, %arg1 : tensor<1x1xf32>, tensor<1x1xf32> -> tensor<1x1xf32>
    %7 = nn.softplus %4 : tensor<1x1xf32>
    %8 = nn.sub %7, %6 : tensor<1x1xf32>, tensor<1x1xf32> -> tensor<1x1xf32>
    %9 = nn.reduce_mean %8 [0, 1] : tensor<1x1xf32> -> tensor<f32>
    %10 = nn.sub %5, %arg1 : tensor<1x1xf32>, tensor<1x1xf32> -> tensor<1x1xf32>
    %11 = nn.square %10 : tensor<1x1xf32>
    %12 = nn.reduce_sum %11 [0, 1] : tensor<1x1xf32> -> tensor<f32>
    %13 = nn.constant dense<5.000000e-01> : tensor<f32>
    %14 = nn.compare gt, %arg1, %13 : tensor<1x1xf32>, tensor<f32> -> tensor<1x1xi1>
    %15 = nn.cast %14 : tensor<1x1xi1> -> tensor<1x1xi32>
    %16 = nn.reshape %15 : tensor<1x1xi32> -> tensor<1xi32>
    %17 = nn.constant dense<0.000000e+00> : tensor<f32>
    %18 = nn.compare gt, %4, %17 : tensor<1x1xf32>, tensor<f32> -> tensor<1x1xi1>
    %19 = nn.cast %18 : tensor<1x1xi1> -> tensor<1x1xi32>
    %20 = nn.reshape %19 : tensor<1x1xi32> -> tensor<1xi32>
    %21 = nn.confusion_matrix %20, %16 {num_classes = 2 : i64} : (tensor<1xi32>, tensor<1xi32>) -> tensor<2x2xi32>
    return %9, %12, %21, %5 : tensor<f32>, tensor<f32>, tensor<2x2xi32>, tensor<1x1xf32>
  }
}

