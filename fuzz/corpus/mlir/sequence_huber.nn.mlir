#loc = loc("tests/e2e/models/sequence_huber.gc":19:1)
module attributes {nn.loc = #loc, nn.model = "Sequence", nn.train = #nn.train<optimizer = <adamw, {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, eps = 1.000000e-08 : f64, weight_decay = 1.000000e-01 : f64}>, batch = 4, lr = 5.000000e-03, schedule = <cosine, {min_lr = 1.000000e-04 : f64, steps = 200 : i64, warmup = 3 : i64}>>} {
  func.func @forward(%arg0: tensor<4x6xi32> {nn.name = "ids", nn.range = {high = 2.000000e+01 : f64, high_open = true, integral = true, low = 0.000000e+00 : f64, use = "the ids of embedding_0 (sequence_huber.gc:7, 20 rows)"}, nn.role = #nn.role<input>}, %arg1: tensor<4x3xf32> {nn.name = "t", nn.role = #nn.role<label>}, %arg2: tensor<20x8xf32> {nn.init = "unit_normal", nn.name = "embedding_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<8x8xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg4: tensor<8xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg5: tensor<3x8xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg6: tensor<3xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<f32> {nn.name = "mae", nn.role = #nn.role<metric>}, tensor<4x3xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.gather_rows %arg2, %arg0 : (tensor<20x8xf32>, tensor<4x6xi32>) -> tensor<4x6x8xf32>
    %1 = nn.reshape %0 : tensor<4x6x8xf32> -> tensor<24x8xf32>
    %2 = nn.linear %1, %arg3, %arg4 : (tensor<24x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<24x8xf32>
    %3 = nn.reshape %2 : tensor<24x8xf32> -> tensor<4x6x8xf32>
    %4 = nn.transpose %0 [0, 2, 1] : tensor<4x6x8xf32> -> tensor<4x8x6xf32>
    %5 = nn.matmul %3, %4 : tensor<4x6x8xf32>, tensor<4x8x6xf32> -> tensor<4x6x6xf32>
    %6 = nn.constant dense<4.000000e+00> : tensor<f32>
    %7 = nn.div %5, %6 : tensor<4x6x6xf32>, tensor<f32> -> tensor<4x6x6xf32>
    %8 = nn.softmax %7 {axis = 2 : i64} : tensor<4x6x6xf32>
    %9 = nn.matmul %8, %0 : tensor<4x6x6xf32>, tensor<4x6x8xf32> -> tensor<4x6x8xf32>
    %10 = nn.reduce_mean %9 [1] : tensor<4x6x8xf32> -> tensor<4x8xf32>
    %11 = nn.square %0 : tensor<4x6x8xf32>
    %12 = nn.reduce_sum %11 [1] : tensor<4x6x8xf32> -> tensor<4x8xf32>
    %13 = nn.constant dense<5.000000e-01> : tensor<f32>
    %14 = nn.mul %13, %12 : tensor<f32>, tensor<4x8xf32> -> tensor<4x8xf32>
    %15 = nn.constant dense<6.000000e+00> : tensor<f32>
    %16 = nn.div %14, %15 : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
    %17 = nn.add %10, %16 : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
    %18 = nn.tanh %17 : tensor<4x8xf32>
    %19 = nn.linear %18, %arg5, %arg6 : (tensor<4x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<4x3xf32>
    %20 = nn.sub %19, %arg1 : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %21 = nn.abs %20 : tensor<4x3xf32>
    %22 = nn.constant dense<5.000000e-01> : tensor<f32>
    %23 = nn.square %20 : tensor<4x3xf32>
    %24 = nn.mul %23, %22 : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
    %25 = nn.constant dense<5.000000e-01> : tensor<f32>
    %26 = nn.constant dense<2.500000e-01> : tensor<f32>
    %27 = nn.sub %21, %26 : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
    %28 = nn.mul %27, %25 : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
    %29 = nn.constant dense<5.000000e-01> : tensor<f32>
    %30 = nn.compare lt, %21, %29 : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xi1>
    %31 = nn.select %30, %24, %28 : tensor<4x3xi1>, tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %32 = nn.reduce_mean %31 [0, 1] : tensor<4x3xf32> -> tensor<f32>
    %33 = nn.sub %19, %arg1 : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %34 = nn.abs %33 : tensor<4x3xf32>
    %35 = nn.reduce_sum %34 [0, 1] : tensor<4x3xf32> -> tensor<f32>
    return %32, %35, %19 : tensor<f32>, tensor<f32>, tensor<4x3xf32>
  }
  func.func @forward_eval(%arg0: tensor<4x6xi32> {nn.name = "ids", nn.range = {high = 2.000000e+01 : f64, high_open = true, integral = true, low = 0.000000e+00 : f64, use = "the ids of embedding_0 (sequence_huber.gc:7, 20 rows)"}, nn.role = #nn.role<input>}, %arg1: tensor<4x3xf32> {nn.name = "t", nn.role = #nn.role<label>}, %arg2: tensor<20x8xf32> {nn.init = "unit_normal", nn.name = "embedding_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<8x8xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg4: tensor<8xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg5: tensor<3x8xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg6: tensor<3xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<f32> {nn.name = "mae", nn.role = #nn.role<metric>}, tensor<4x3xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.gather_rows %arg2, %arg0 : (tensor<20x8xf32>, tensor<4x6xi32>) -> tensor<4x6x8xf32>
    %1 = nn.reshape %0 : tensor<4x6x8xf32> -> tensor<24x8xf32>
    %2 = nn.linear %1, %arg3, %arg4 : (tensor<24x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<24x8xf32>
    %3 = nn.reshape %2 : tensor<24x8xf32> -> tensor<4x6x8xf32>
    %4 = nn.transpose %0 [0, 2, 1] : tensor<4x6x8xf32> -> tensor<4x8x6xf32>
    %5 = nn.matmul %3, %4 : tensor<4x6x8xf32>, tensor<4x8x6xf32> -> tensor<4x6x6xf32>
    %6 = nn.constant dense<4.000000e+00> : tensor<f32>
    %7 = nn.div %5, %6 : tensor<4x6x6xf32>, tensor<f32> -> tensor<4x6x6xf32>
    %8 = nn.softmax %7 {axis = 2 : i64} : tensor<4x6x6xf32>
    %9 = nn.matmul %8, %0 : tensor<4x6x6xf32>, tensor<4x6x8xf32> -> tensor<4x6x8xf32>
    %10 = nn.reduce_mean %9 [1] : tensor<4x6x8xf32> -> tensor<4x8xf32>
    %11 = nn.square %0 : tensor<4x6x8xf32>
    %12 = nn.reduce_sum %11 [1] : tensor<4x6x8xf32> -> tensor<4x8xf32>
    %13 = nn.constant dense<5.000000e-01> : tensor<f32>
    %14 = nn.mul %13, %12 : tensor<f32>, tensor<4x8xf32> -> tensor<4x8xf32>
    %15 = nn.constant dense<6.000000e+00> : tensor<f32>
    %16 = nn.div %14, %15 : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
    %17 = nn.add %10, %16 : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
    %18 = nn.tanh %17 : tensor<4x8xf32>
    %19 = nn.linear %18, %arg5, %arg6 : (tensor<4x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<4x3xf32>
    %20 = nn.sub %19, %arg1 : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %21 = nn.abs %20 : tensor<4x3xf32>
    %22 = nn.constant dense<5.000000e-01> : tensor<f32>
    %23 = nn.square %20 : tensor<4x3xf32>
    %24 = nn.mul %23, %22 : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
    %25 = nn.constant dense<5.000000e-01> : tensor<f32>
    %26 = nn.constant dense<2.500000e-01> : tensor<f32>
    %27 = nn.sub %21, %26 : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
    %28 = nn.mul %27, %25 : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
    %29 = nn.constant dense<5.000000e-01> : tensor<f32>
    %30 = nn.compare lt, %21, %29 : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xi1>
    %31 = nn.select %30, %24, %28 : tensor<4x3xi1>, tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %32 = nn.reduce_mean %31 [0, 1] : tensor<4x3xf32> -> tensor<f32>
    %33 = nn.sub %19, %arg1 : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %34 = nn.abs %33 : tensor<4x3xf32>
    %35 = nn.reduce_sum %34 [0, 1] : tensor<4x3xf32> -> tensor<f32>
    return %32, %35, %19 : tensor<f32>, tensor<f32>, tensor<4x3xf32>
  }
  func.func @forward_eval_one(%arg0: tensor<1x6xi32> {nn.name = "ids", nn.range = {high = 2.000000e+01 : f64, high_open = true, integral = true, low = 0.000000e+00 : f64, use = "the ids of embedding_0 (sequence_huber.gc:7, 20 rows)"}, nn.role = #nn.role<input>}, %arg1: tensor<1x3xf32> {nn.name = "t", nn.role = #nn.role<label>}, %arg2: tensor<20x8xf32> {nn.init = "unit_normal", nn.name = "embedding_0.weight", nn.role = #nn.role<param>}, %arg3: tensor<8x8xf32> {nn.init = "default", nn.name = "dense_0.weight", nn.role = #nn.role<param>}, %arg4: tensor<8xf32> {nn.init = "default", nn.name = "dense_0.bias", nn.role = #nn.role<param>}, %arg5: tensor<3x8xf32> {nn.init = "default", nn.name = "dense_1.weight", nn.role = #nn.role<param>}, %arg6: tensor<3xf32> {nn.init = "default", nn.name = "dense_1.bias", nn.role = #nn.role<param>}) -> (tensor<f32> {nn.role = #nn.role<loss>}, tensor<f32> {nn.name = "mae", nn.role = #nn.role<metric>}, tensor<1x3xf32> {nn.name = "output", nn.role = #nn.role<output>}) {
    %0 = nn.gather_rows %arg2, %arg0 : (tensor<20x8xf32>, tensor<1x6xi32>) -> tensor<1x6x8xf32>
    %1 = nn.reshape %0 : tensor<1x6x8xf32> -> tensor<6x8xf32>
    %2 = nn.linear %1, %arg3, %arg4 : (tensor<6x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<6x8xf32>
    %3 = nn.reshape %2 : tensor<6x8xf32> -> tensor<1x6x8xf32>
    %4 = nn.transpose %0 [0, 2, 1] : tensor<1x6x8xf32> -> tensor<1x8x6xf32>
    %5 = nn.matmul %3, %4 : tensor<1x6x8xf32>, tensor<1x8x6xf32> -> tensor<1x6x6xf32>
    %6 = nn.constant dense<4.000000e+00> : tensor<f32>
    %7 = nn.div %5, %6 : tensor<1x6x6xf32>, tensor<f32> -> tensor<1x6x6xf32>
    %8 = nn.softmax %7 {axis = 2 : i64} : tensor<1x6x6xf32>
    %9 = nn.matmul %8, %0 : tensor<1x6x6xf32>, tensor<1x6x8xf32> -> tensor<1x6x8xf32>
    %10 = nn.reduce_mean %9 [1] : tensor<1x6x8xf32> -> tensor<1x8xf32>
    %11 = nn.square %0 : tensor<1x6x8xf32>
    %12 = nn.reduce_sum %11 [1] : tensor<1x6x8xf32> -> tensor<1x8xf32>
    %13 = nn.constant dense<5.000000e-01> : tensor<f32>
    %14 = nn.mul %13, %12 : tensor<f32>, tensor<1x8xf32> -> tensor<1x8xf32>
    %15 = nn.constant dense<6.000000e+00> : tensor<f32>
    %16 = nn.div %14, %15 : tensor<1x8xf32>, tensor<f32> -> tensor<1x8xf32>
    %17 = nn.add %10, %16 : tensor<1x8xf32>, tensor<1x8xf32> -> tensor<1x8xf32>
    %18 = nn.tanh %17 : tensor<1x8xf32>
    %19 = nn.linear %18, %arg5, %arg6 : (tensor<1x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<1x3xf32>
    %20 = nn.sub %19, %arg1 : tensor<1x3xf32>, tensor<1x3xf32> -> tensor<1x3xf32>
    %21 = nn.abs %20 : tensor<1x3xf32>
    %22 = nn.constant dense<5.000000e-01> : tensor<f32>
    %23 = nn.square %20 : tensor<1x3xf32>
    %24 = nn.mul %23, %22 : tensor<1x3xf32>, tensor<f32> -> tensor<1x3xf32>
    %25 = nn.constant dense<5.000000e-01> : tensor<f32>
    %26 = nn.constant dense<2.500000e-01> : tensor<f32>
    %27 = nn.sub %21, %26 : tensor<1x3xf32>, tensor<f32> -> tensor<1x3xf32>
    %28 = nn.mul %27, %25 : tensor<1x3xf32>, tensor<f32> -> tensor<1x3xf32>
    %29 = nn.constant dense<5.000000e-01> : tensor<f32>
    %30 = nn.compare lt, %21, %29 : tensor<1x3xf32>, tensor<f32> -> tensor<1x3xi1>
    %31 = nn.select %30, %24, %28 : tensor<1x3xi1>, tensor<1x3xf32>, tensor<1x3xf32> -> tensor<1x3xf32>
    %32 = nn.reduce_mean %31 [0, 1] : tensor<1x3xf32> -> tensor<f32>
    %33 = nn.sub %19, %arg1 : tensor<1x3xf32>, tensor<1x3xf32> -> tensor<1x3xf32>
    %34 = nn.abs %33 : tensor<1x3xf32>
    %35 = nn.reduce_sum %34 [0, 1] : tensor<1x3xf32> -> tensor<f32>
    return %32, %35, %19 : tensor<f32>, tensor<f32>, tensor<1x3xf32>
  }
}

