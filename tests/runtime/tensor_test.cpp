// tensor_test.cpp — tests of Tensor, TensorView, checked arithmetic and Error formatting.
#include "gradc/runtime/checked_math.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/tensor.h"

#include "test_util.h"

#include <cstring>
#include <limits>

namespace gradc::rt {
namespace {

TEST(ErrorTest, FormatsByteOffsets) {
  EXPECT_STREQ(Error::atByteOffset("a.npy", 10, "bad header").what(),
               "a.npy: byte offset 10: bad header");
}

TEST(ErrorTest, FormatsLineAndColumn) {
  EXPECT_STREQ(Error::atLineColumn("t.csv", 3, 7, "not a number").what(),
               "t.csv:3:7: not a number");
}

TEST(ErrorTest, FormatsFileOnly) {
  EXPECT_STREQ(Error::inFile("x.idx", "cannot open").what(), "x.idx: cannot open");
}

TEST(CheckedMathTest, DetectsUnsignedOverflow) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(tryMul<uint64_t>(1ull << 32, 1ull << 31), 1ull << 63);
  EXPECT_FALSE(tryMul<uint64_t>(1ull << 32, 1ull << 32));
  EXPECT_FALSE(tryAdd<uint64_t>(max, 1));
  EXPECT_EQ(checkedAdd<uint64_t>(max - 1, 1), max);
  EXPECT_RT_ERROR(checkedMul<uint64_t>(max, 2), "integer overflow");
}

TEST(CheckedMathTest, DetectsSignedOverflow) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(checkedMul<int64_t>(-3, 4), -12);
  EXPECT_FALSE(tryMul<int64_t>(min, -1));
  EXPECT_FALSE(tryAdd<int64_t>(max, 1));
  EXPECT_RT_ERROR(checkedAdd<int64_t>(min, -1), "integer overflow");
}

TEST(CheckedMathTest, CountsElements) {
  EXPECT_EQ(tryElementCount({}), 1u);
  EXPECT_EQ(tryElementCount({2, 3, 4}), 24u);
  EXPECT_EQ(tryElementCount({5, 0, 7}), 0u);
  EXPECT_FALSE(tryElementCount({2, -1}));
  EXPECT_FALSE(tryElementCount({int64_t{1} << 32, int64_t{1} << 32}));
}

TEST(TensorTest, IsZeroFilledAndAligned) {
  Tensor tensor(DType::F32, {3, 5});
  EXPECT_EQ(tensor.dtype(), DType::F32);
  EXPECT_EQ(tensor.shape(), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(tensor.rank(), 2u);
  EXPECT_EQ(tensor.dim(1), 5);
  EXPECT_EQ(tensor.numElements(), 15u);
  EXPECT_EQ(tensor.numBytes(), 60u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor.bytes()) % Tensor::kAlignment, 0u);
  for (uint64_t i = 0; i < tensor.numElements(); ++i)
    EXPECT_EQ(tensor.data<float>()[i], 0.0f);
}

TEST(TensorTest, ElementSizesFollowDType) {
  EXPECT_EQ(Tensor(DType::F64, {2}).numBytes(), 16u);
  EXPECT_EQ(Tensor(DType::I32, {2}).numBytes(), 8u);
  EXPECT_EQ(Tensor(DType::I64, {2}).numBytes(), 16u);
  EXPECT_EQ(Tensor(DType::U8, {2}).numBytes(), 2u);
  EXPECT_EQ(dtypeName(DType::I64), "i64");
}

TEST(TensorTest, ScalarHasOneElement) {
  Tensor scalar(DType::I64, {});
  EXPECT_EQ(scalar.rank(), 0u);
  EXPECT_EQ(scalar.numElements(), 1u);
  scalar.data<int64_t>()[0] = 42;
  EXPECT_EQ(scalar.data<int64_t>()[0], 42);
}

TEST(TensorTest, EmptyTensorHasNoStorage) {
  Tensor empty(DType::U8, {4, 0});
  EXPECT_EQ(empty.numElements(), 0u);
  EXPECT_EQ(empty.bytes(), nullptr);
  Tensor defaulted;
  EXPECT_EQ(defaulted.shape(), std::vector<int64_t>{0});
}

TEST(TensorTest, TypedAccessChecksDType) {
  Tensor tensor(DType::F64, {2});
  EXPECT_RT_ERROR(tensor.data<float>(), "tensor holds f64 elements, accessed as f32");
  const Tensor &constant = tensor;
  EXPECT_RT_ERROR(constant.data<int64_t>(), "accessed as i64");
}

TEST(TensorTest, RefusesBadShapes) {
  EXPECT_RT_ERROR(Tensor(DType::F32, {2, -3}), "negative dimension in shape [2, -3]");
  EXPECT_RT_ERROR(Tensor(DType::U8, {int64_t{1} << 40, int64_t{1} << 40}),
                  "overflows 64 bits");
  EXPECT_RT_ERROR(Tensor(DType::F64, {int64_t{1} << 62}), "byte size");
  EXPECT_RT_ERROR(Tensor(DType::F32, {2}).dim(1), "axis 1 out of range for shape [2]");
}

TEST(TensorTest, CloneIsDeepAndMoveTransfers) {
  Tensor original(DType::I32, {3});
  original.data<int32_t>()[1] = 7;
  Tensor copy = original.clone();
  copy.data<int32_t>()[1] = 8;
  EXPECT_EQ(original.data<int32_t>()[1], 7);

  const std::byte *storage = original.bytes();
  Tensor moved = std::move(original);
  EXPECT_EQ(moved.bytes(), storage);
  EXPECT_EQ(moved.data<int32_t>()[1], 7);
  original = std::move(copy);
  EXPECT_EQ(original.data<int32_t>()[1], 8);
}

TEST(TensorTest, ViewDescribesTensor) {
  Tensor tensor(DType::F32, {2, 2});
  TensorView view = tensor.view();
  EXPECT_EQ(view.dtype, DType::F32);
  EXPECT_EQ(view.shape, tensor.shape());
  EXPECT_EQ(view.data, tensor.bytes());
  EXPECT_EQ(view.numBytes(), 16u);
  EXPECT_EQ(formatShape({}), "[]");
}

} // namespace
} // namespace gradc::rt
