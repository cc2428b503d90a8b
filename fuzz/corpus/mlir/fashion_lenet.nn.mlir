#loc = loc("examples/fashion_lenet.gc":22:1)
module attributes {nn.loc = #loc, nn.model = "FashionLeNet", nn.train = #nn.train<optimizer = <adam, {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 1.000000e-08 : f64, weight_decay = 0.000000e+00 : f64}>, batch = 4, epochs = 10, lr = 1.000000e-03, seed = 42, schedule = <constant, {}>, data = <kind = idx, inputs = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz", scale = 0.0039215686274509803>, test = <kind = idx, inputs = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", scale = 0.0039215686274509803>>} {
  func.func @forward(%arg0: tensor<4x1x28x28xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<4xi32> {nn.classes = 10 : i64, nn.name = "y", nn.role = #nn.role<label>}, %arg2: tensor<6x1x5x5xf32> {nn.init = "default", nn.name = "conv2d_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<6xf32> {nn.init = "default", nn.name = "conv2d_0.bias", nn.role = #nn.role<param>}, %arg4: tensor<16x6x5x5xf32> {nn.init = "default", nn.name = "conv2d_1.weight", nn.role = #nn.role<param>}, %arg5: tensor<16xf32> {nn.init = "default", nn.name = "conv2d_1.bias", nn.role = #nn.role<param>}, %arg6: tensor<120x400xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg7: tensor<120xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg8: tensor<84x120xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg9: tensor<84xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}, %arg10: tensor<10x84xf32> {nn.init = "default", nn.name = "dense_2.weight", nn.role = #nn.role<param>}, %arg11: tensor<10xf32> {nn.init = "default", nn.name = "dense_2.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<10x10xi32> {nn.name = "accuracy", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "f1", nn.role = #nn.role<metric>}, tensor<4x10xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.conv2d %arg0, %arg2, %arg3 {padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : (tensor<4x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<4x6x28x28xf32>
    %1 = nn.relu %0 : tensor<4x6x28x28xf32>
    %2 = nn.max_pool2d %1 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<4x6x28x28xf32> -> tensor<4x6x14x14xf32>
    %3 = nn.conv2d %2, %arg4, %arg5 {padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<4x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>) -> tensor<4x16x10x10xf32>
    %4 = nn.relu %3 : tensor<4x16x10x10xf32>
    %5 = nn.max_pool2d %4 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<4x16x10x10xf32> -> tensor<4x16x5x5xf32>
    %6 = nn.reshape %5 : tensor<4x16x5x5xf32> -> tensor<4x400xf32>
    %7 = nn.linear %6, %arg6, %arg7 : (tensor<4x400xf32>, tensor<120x400xf32>, tensor<120xf32>) -> tensor<4x120xf32>
    %8 = nn.relu %7 : tensor<4x120xf32>
    %9 = nn.linear %8, %arg8, %arg9 : (tensor<4x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<4x84xf32>
    %10 = nn.relu %9 : tensor<4x84xf32>
    %11 = nn.linear %10, %arg10, %arg11 : (tensor<4x84xf32>, tensor<10x84xf32>, tensor<10xf32>) -> tensor<4x10xf32>
    %12 = nn.softmax_cross_entropy %11, %arg1 : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<f32>
    %13 = nn.argmax %11 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %14 = nn.confusion_matrix %13, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    %15 = nn.argmax %11 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %16 = nn.confusion_matrix %15, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    return %12, %14, %16, %11 : tensor<f32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<4x10xf32>
  }
  func.func @forward_eval(%arg0: tensor<4x1x28x28xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<4xi32> {nn.classes = 10 : i64, nn.name = "y", nn.role = #nn.role<label>}, %arg2: tensor<6x1x5x5xf32> {nn.init = "default", nn.name = "conv2d_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<6xf32> {nn.init = "default", nn.name = "conv2d_0.bias", nn.role = #nn.role<param>}, %arg4: tensor<16x6x5x5xf32> {nn.init = "default", nn.name = "conv2d_1.weight", nn.role = #nn.role<param>}, %arg5: tensor<16xf32> {nn.init = "default", nn.name = "conv2d_1.bias", nn.role = #nn.role<param>}, %arg6: tensor<120x400xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg7: tensor<120xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg8: tensor<84x120xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg9: tensor<84xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}, %arg10: tensor<10x84xf32> {nn.init = "default", nn.name = "dense_2.weight", nn.role = #nn.role<param>}, %arg11: tensor<10xf32> {nn.init = "default", nn.name = "dense_2.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<10x10xi32> {nn.name = "accuracy", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "f1", nn.role = #nn.role<metric>}, tensor<4x10xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.conv2d %arg0, %arg2, %arg3 {padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : (tensor<4x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<4x6x28x28xf32>
    %1 = nn.relu %0 : tensor<4x6x28x28xf32>
    %2 = nn.max_pool2d %1 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<4x6x28x28xf32> -> tensor<4x6x14x14xf32>
    %3 = nn.conv2d %2, %arg4, %arg5 {padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<4x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>) -> tensor<4x16x10x10xf32>
    %4 = nn.relu %3 : tensor<4x16x10x10xf32>
    %5 = nn.max_pool2d %4 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<4x16x10x10xf32> -> tensor<4x16x5x5xf32>
    %6 = nn.reshape %5 : tensor<4x16x5x5xf32> -> tensor<4x400xf32>
    %7 = nn.linear %6, %arg6, %arg7 : (tensor<4x400xf32>, tensor<120x400xf32>, tensor<120xf32>) -> tensor<4x120xf32>
    %8 = nn.relu %7 : tensor<4x120xf32>
    %9 = nn.linear %8, %arg8, %arg9 : (tensor<4x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<4x84xf32>
    %10 = nn.relu %9 : tensor<4x84xf32>
    %11 = nn.linear %10, %arg10, %arg11 : (tensor<4x84xf32>, tensor<10x84xf32>, tensor<10xf32>) -> tensor<4x10xf32>
    %12 = nn.softmax_cross_entropy %11, %arg1 : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<f32>
    %13 = nn.argmax %11 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %14 = nn.confusion_matrix %13, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    %15 = nn.argmax %11 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %16 = nn.confusion_matrix %15, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    return %12, %14, %16, %11 : tensor<f32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<4x10xf32>
  }
  func.func @forward_eval_one(%arg0: tensor<1x1x28x28xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<1xi32> {nn.classes = 10 : i64, nn.name = "y", nn.role = #nn.role<label>}, %arg2: tensor<6x1x5x5xf32> {nn.init = "default", nn.name = "conv2d_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<6xf32> {nn.init = "default", nn.name = "conv2d_0.bias", nn.role = #nn.role<param>}, %arg4: tensor<16x6x5x5xf32> {nn.init = "default", nn.name = "conv2d_1.weight", nn.role = #nn.role<param>}, %arg5: tensor<16xf32> {nn.init = "default", nn.name = "conv2d_1.bias", nn.role = #nn.role<param>}, %arg6: tensor<120x400xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg7: tensor<120xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg8: tensor<84x120xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg9: tensor<84xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}, %arg10: tensor<10x84xf32> {nn.init = "default", nn.name = "dense_2.weight", nn.role = #nn.role<param>}, %arg11: tensor<10xf32> {nn.init = "default", nn.name = "dense_2.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<10x10xi32> {nn.name = "accuracy", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "f1", nn.role = #nn.role<metric>}, tensor<1x10xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.conv2d %arg0, %arg2, %arg3 {padding = array<i64: 2, 2>, stride = array<i64: 1, 1>} : (tensor<1x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<1x6x28x28xf32>
    %1 = nn.relu %0 : tensor<1x6x28x28xf32>
    %2 = nn.max_pool2d %1 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<1x6x28x28xf32> -> tensor<1x6x14x14xf32>
    %3 = nn.conv2d %2, %arg4, %arg5 {padding = array<i64: 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>) -> tensor<1x16x10x10xf32>
    %4 = nn.relu %3 : tensor<1x16x10x10xf32>
    %5 = nn.max_pool2d %4 {kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : tensor<1x16x10x10xf32> -> tensor<1x16x5x5xf32>
    %6 = nn.reshape %5 : tensor<1x16x5x5xf32> -> tensor<1x400xf32>
    %7 = nn.linear %6, %arg6, %arg7 : (tensor<1x400xf32>, tensor<120x400xf32>, tensor<120xf32>) -> tensor<1x120xf32>
    %8 = nn.relu %7 : tensor<1x120xf32>
    %9 = nn.linear %8, %arg8, %arg9 : (tensor<1x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<1x84xf32>
    %10 = nn.relu %9 : tensor<1x84xf32>
    %11 = nn.linear %10, %arg10, %arg11 : (tensor<1x84xf32>, tensor<10x84xf32>, tensor<10xf32>) -> tensor<1x10xf32>
    %12 = nn.softmax_cross_entropy %11, %arg1 : (tensor<1x10xf32>, tensor<1xi32>) -> tensor<f32>
    %13 = nn.argmax %11 {axis = 1 : i64} : tensor<1x10xf32> -> tensor<1xi32>
    %14 = nn.confusion_matrix %13, %arg1 {num_classes = 10 : i64} : (tensor<1xi32>, tensor<1xi32>) -> tensor<10x10xi32>
    %15 = nn.argmax %11 {axis = 1 : i64} : tensor<1x10xf32> -> tensor<1xi32>
    %16 = nn.confusion_matrix %15, %arg1 {num_classes = 10 : i64} : (tensor<1xi32>, tensor<1xi32>) -> tensor<10x10xi32>
    return %12, %14, %16, %11 : tensor<f32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<1x10xf32>
  }
}

