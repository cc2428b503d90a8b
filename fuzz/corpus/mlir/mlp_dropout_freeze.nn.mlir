#loc = loc("tests/e2e/models/mlp_dropout_freeze.gc":18:1)
module attributes {nn.loc = #loc, nn.model = "DropoutMLP", nn.train = #nn.train<optimizer = <sgd, {momentum = 9.000000e-01 : f64, nesterov = false, weight_decay = 0.000000e+00 : f64}>, batch = 4, lr = 2.000000e-01, schedule = <constant, {}>>} {
  func.func @forward(%arg0: tensor<4x784xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<4xi32> {nn.classes = 10 : i64, nn.name = "y", nn.role = #nn.role<label>}, %arg2: tensor<48x784xf32> {nn.frozen, nn.init = "default", nn.name = "embed.weight", nn.role = #nn.role<param>}, %arg3: tensor<48xf32> {nn.frozen, nn.init = "default", nn.name = "embed.bias", nn.role = #nn.role<param>}, %arg4: tensor<i64> {nn.role = #nn.role<rng>}, %arg5: tensor<32x48xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg6: tensor<32xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg7: tensor<10x32xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg8: tensor<10xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<10x10xi32> {nn.name = "accuracy", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "precision", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "recall", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "f1", nn.role = #nn.role<metric>}, tensor<4x10xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.linear %arg0, %arg2, %arg3 : (tensor<4x784xf32>, tensor<48x784xf32>, tensor<48xf32>) -> tensor<4x48xf32>
    %1 = nn.relu %0 : tensor<4x48xf32>
    %2 = nn.dropout %1, %arg4 {p = 1.000000e-01 : f64, stream = 0 : i64} : tensor<4x48xf32>, tensor<i64>
    %3 = nn.linear %2, %arg5, %arg6 : (tensor<4x48xf32>, tensor<32x48xf32>, tensor<32xf32>) -> tensor<4x32xf32>
    %4 = nn.relu %3 : tensor<4x32xf32>
    %5 = nn.dropout %4, %arg4 {p = 2.000000e-01 : f64, stream = 1 : i64} : tensor<4x32xf32>, tensor<i64>
    %6 = nn.linear %5, %arg7, %arg8 : (tensor<4x32xf32>, tensor<10x32xf32>, tensor<10xf32>) -> tensor<4x10xf32>
    %7 = nn.softmax_cross_entropy %6, %arg1 : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<f32>
    %8 = nn.argmax %6 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %9 = nn.confusion_matrix %8, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    %10 = nn.argmax %6 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %11 = nn.confusion_matrix %10, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    %12 = nn.argmax %6 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %13 = nn.confusion_matrix %12, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    %14 = nn.argmax %6 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %15 = nn.confusion_matrix %14, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    return %7, %9, %11, %13, %15, %6 : tensor<f32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<4x10xf32>
  }
  func.func @forward_eval(%arg0: tensor<4x784xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<4xi32> {nn.classes = 10 : i64, nn.name = "y", nn.role = #nn.role<label>}, %arg2: tensor<48x784xf32> {nn.frozen, nn.init = "default", nn.name = "embed.weight", nn.role = #nn.role<param>}, %arg3: tensor<48xf32> {nn.frozen, nn.init = "default", nn.name = "embed.bias", nn.role = #nn.role<param>}, %arg4: tensor<32x48xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg5: tensor<32xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg6: tensor<10x32xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg7: tensor<10xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<10x10xi32> {nn.name = "accuracy", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "precision", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "recall", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "f1", nn.role = #nn.role<metric>}, tensor<4x10xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.linear %arg0, %arg2, %arg3 : (tensor<4x784xf32>, tensor<48x784xf32>, tensor<48xf32>) -> tensor<4x48xf32>
    %1 = nn.relu %0 : tensor<4x48xf32>
    %2 = nn.linear %1, %arg4, %arg5 : (tensor<4x48xf32>, tensor<32x48xf32>, tensor<32xf32>) -> tensor<4x32xf32>
    %3 = nn.relu %2 : tensor<4x32xf32>
    %4 = nn.linear %3, %arg6, %arg7 : (tensor<4x32xf32>, tensor<10x32xf32>, tensor<10xf32>) -> tensor<4x10xf32>
    %5 = nn.softmax_cross_entropy %4, %arg1 : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<f32>
    %6 = nn.argmax %4 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %7 = nn.confusion_matrix %6, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    %8 = nn.argmax %4 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %9 = nn.confusion_matrix %8, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    %10 = nn.argmax %4 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %11 = nn.confusion_matrix %10, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    %12 = nn.argmax %4 {axis = 1 : i64} : tensor<4x10xf32> -> tensor<4xi32>
    %13 = nn.confusion_matrix %12, %arg1 {num_classes = 10 : i64} : (tensor<4xi32>, tensor<4xi32>) -> tensor<10x10xi32>
    return %5, %7, %9, %11, %13, %4 : tensor<f32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<4x10xf32>
  }
  func.func @forward_eval_one(%arg0: tensor<1x784xf32> {nn.name = "x", nn.role = #nn.role<input>}, %arg1: tensor<1xi32> {nn.classes = 10 : i64, nn.name = "y", nn.role = #nn.role<label>}, %arg2: tensor<48x784xf32> {nn.frozen, nn.init = "default", nn.name = "embed.weight", nn.role = #nn.role<param>}, %arg3: tensor<48xf32> {nn.frozen, nn.init = "default", nn.name = "embed.bias", nn.role = #nn.role<param>}, %arg4: tensor<32x48xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg5: tensor<32xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg6: tensor<10x32xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg7: tensor<10xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<10x10xi32> {nn.name = "accuracy", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "precision", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "recall", nn.role = #nn.role<metric>}, tensor<10x10xi32> {nn.name = "f1", nn.role = #nn.role<metric>}, tensor<1x10xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.linear %arg0, %arg2, %arg3 : (tensor<1x784xf32>, tensor<48x784xf32>, tensor<48xf32>) -> tensor<1x48xf32>
    %1 = nn.relu %0 : tensor<1x48xf32>
    %2 = nn.linear %1, %arg4, %arg5 : (tensor<1x48xf32>, tensor<32x48xf32>, tensor<32xf32>) -> tensor<1x32xf32>
    %3 = nn.relu %2 : tensor<1x32xf32>
    %4 = nn.linear %3, %arg6, %arg7 : (tensor<1x32xf32>, tensor<10x32xf32>, tensor<10xf32>) -> tensor<1x10xf32>
    %5 = nn.softmax_cross_entropy %4, %arg1 : (tensor<1x10xf32>, tensor<1xi32>) -> tensor<f32>
    %6 = nn.argmax %4 {axis = 1 : i64} : tensor<1x10xf32> -> tensor<1xi32>
    %7 = nn.confusion_matrix %6, %arg1 {num_classes = 10 : i64} : (tensor<1xi32>, tensor<1xi32>) -> tensor<10x10xi32>
    %8 = nn.argmax %4 {axis = 1 : i64} : tensor<1x10xf32> -> tensor<1xi32>
    %9 = nn.confusion_matrix %8, %arg1 {num_classes = 10 : i64} : (tensor<1xi32>, tensor<1xi32>) -> tensor<10x10xi32>
    %10 = nn.argmax %4 {axis = 1 : i64} : tensor<1x10xf32> -> tensor<1xi32>
    %11 = nn.confusion_matrix %10, %arg1 {num_classes = 10 : i64} : (tensor<1xi32>, tensor<1xi32>) -> tensor<10x10xi32>
    %12 = nn.argmax %4 {axis = 1 : i64} : tensor<1x10xf32> -> tensor<1xi32>
    %13 = nn.confusion_matrix %12, %arg1 {num_classes = 10 : i64} : (tensor<1xi32>, tensor<1xi32>) -> tensor<10x10xi32>
    return %5, %7, %9, %11, %13, %4 : tensor<f32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<10x10xi32>, tensor<1x10xf32>
  }
}

