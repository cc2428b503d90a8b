// dataset_test.cpp — loading IDX, NPY and CSV data into a model's dtypes and shapes.
#include "gradc/runtime/dataset.h"

#include "test_util.h"
#include "trainer_test_models.h"

namespace gradc::rt {
namespace {

using testing::appendBigEndian;
using testing::TempDir;
using testing::writeBytes;
using testing::writeNpy;

// An uncompressed IDX file of unsigned bytes.
std::string idxBytes(const std::vector<uint32_t> &dims, const std::vector<uint8_t> &values) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t dim : dims)
    appendBigEndian(bytes, dim, 4);
  bytes.append(values.begin(), values.end());
  return bytes;
}

ModelInfo imageModel(std::vector<int64_t> inputShape, int64_t classes) {
  ModelInfo info;
  info.name = "Images";
  info.batch = 2;
  info.inputs = {{"x", DType::F32, std::move(inputShape)}};
  info.labels = {{"y", DType::I32, {}, classes}};
  return info;
}

class DatasetTest : public ::testing::Test {
protected:
  std::string path(const char *name) const { return dir_.file(name).string(); }
  TempDir dir_;
};

TEST(DataFormat, FollowsTheFileName) {
  EXPECT_EQ(dataFormatOf("a/train-images-idx3-ubyte.gz"), "idx");
  EXPECT_EQ(dataFormatOf("t10k-labels-idx1-ubyte"), "idx");
  EXPECT_EQ(dataFormatOf("digits.idx"), "idx");
  EXPECT_EQ(dataFormatOf("x.npy"), "npy");
  EXPECT_EQ(dataFormatOf("iris.csv"), "csv");
  EXPECT_EQ(dataFormatOf("x.npy.gz"), std::nullopt);
  EXPECT_EQ(dataFormatOf("bible.txt"), "text");
  EXPECT_EQ(dataFormatOf("notes.md"), std::nullopt);
}

TEST_F(DatasetTest, IdxImagesAreScaledAndReshapedToTheInput) {
  std::vector<uint8_t> pixels(3 * 4 * 5);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<uint8_t>(i * 4);
  writeBytes(dir_.file("images-ubyte"), idxBytes({3, 4, 5}, pixels));
  writeBytes(dir_.file("labels-ubyte"), idxBytes({3}, {2, 0, 1}));
  DataSource source{"idx", path("images-ubyte"), path("labels-ubyte"), 1.0 / 255};
  Dataset data = loadDataset(imageModel({1, 4, 5}, 3), source);
  EXPECT_EQ(data.size, 3);
  // The pixels stay u8 (a quarter of the memory) and become the model's
  // values, scaled, as samples are gathered; evaluation gathers them too.
  EXPECT_EQ(data.inputs[0].shape(), (std::vector<int64_t>{3, 1, 4, 5}));
  EXPECT_EQ(data.inputs[0].dtype(), DType::U8);
  EXPECT_EQ(data.inputScales, (std::vector<double>{1.0 / 255}));
  EXPECT_TRUE(keepsStoredValues(data));
  std::vector<Tensor> batch = batchTensors(imageModel({1, 4, 5}, 3).inputs, 2);
  const int64_t order[] = {1, 0};
  gatherSamples(data.inputs, order, 2, batch, data.inputScales);
  EXPECT_EQ(batch[0].data<float>()[7], static_cast<float>(108 / 255.0));   // sample 1
  EXPECT_EQ(batch[0].data<float>()[20 + 7], static_cast<float>(28 / 255.0)); // sample 0
  std::vector<Tensor> one = batchTensors(imageModel({1, 4, 5}, 3).inputs, 1);
  EXPECT_EQ(static_cast<const float *>(inputsAt(data, 2, 1, one)[0])[1],
            static_cast<float>(164 / 255.0));
  EXPECT_EQ(data.labels[0].shape(), (std::vector<int64_t>{3}));
  EXPECT_EQ(data.labels[0].data<int32_t>()[0], 2);

  // A [784]-style input takes images only when the source says so.
  EXPECT_RT_ERROR(loadDataset(imageModel({20}, 3), source),
                  path("images-ubyte") + ": input samples are [4, 5], but the model's input "
                                         "is [20]; both hold 20 values: add layout: \"flat\"");
  source.layout = "flat";
  Dataset flat = loadDataset(imageModel({20}, 3), source);
  EXPECT_EQ(flat.inputs[0].shape(), (std::vector<int64_t>{3, 20}));
  EXPECT_EQ(flat.inputs[0].data<uint8_t>()[7], 28);
  // Prediction input is converted as it loads.
  EXPECT_EQ(loadInputs(imageModel({20}, 3), source)[0].data<float>()[7],
            static_cast<float>(28 / 255.0));
}

TEST_F(DatasetTest, SampleShapesAreComparedAxisByAxis) {
  // 2 samples of 2×3×4 (channels last: H=2, W=3, C=4), value = its index.
  std::vector<float> values(48);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i);
  writeNpy<float>(dir_.file("nhwc.npy"), {2, 2, 3, 4}, values);
  writeNpy<int32_t>(dir_.file("y.npy"), {2}, {0, 1});
  DataSource source{"npy", path("nhwc.npy"), path("y.npy")};
  // The same number of values in another order is refused, with the way out.
  EXPECT_RT_ERROR(loadDataset(imageModel({4, 2, 3}, 2), source),
                  path("nhwc.npy") + ": input samples are [2, 3, 4], but the model's input is "
                                     "[4, 2, 3]; they look channels-last: add layout: \"nhwc\"");
  EXPECT_RT_ERROR(loadDataset(imageModel({4, 6}, 2), source),
                  "input samples are [2, 3, 4], but the model's input is [4, 6]; both hold 24 "
                  "values");
  source.layout = "nhwc";
  Dataset data = loadDataset(imageModel({4, 2, 3}, 2), source);
  ASSERT_EQ(data.inputs[0].shape(), (std::vector<int64_t>{2, 4, 2, 3}));
  // Element [n, c, h, w] comes from [n, h, w, c] of the file.
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 4; ++c)
      for (int64_t h = 0; h < 2; ++h)
        for (int64_t w = 0; w < 3; ++w)
          EXPECT_EQ(data.inputs[0].data<float>()[((n * 4 + c) * 2 + h) * 3 + w],
                    static_cast<float>(((n * 2 + h) * 3 + w) * 4 + c));
  // One channel: (N, 4, 6) images are already in order, never transposed.
  writeNpy<float>(dir_.file("gray.npy"), {2, 4, 6}, values);
  DataSource gray{"npy", path("gray.npy"), path("y.npy")};
  gray.layout = "nhwc";
  Dataset grayData = loadDataset(imageModel({1, 4, 6}, 2), gray);
  ASSERT_EQ(grayData.inputs[0].shape(), (std::vector<int64_t>{2, 1, 4, 6}));
  for (size_t i = 0; i < 48; ++i)
    EXPECT_EQ(grayData.inputs[0].data<float>()[i], static_cast<float>(i));
  EXPECT_RT_ERROR(loadDataset(imageModel({3, 2, 4}, 2), source),
                  "input samples are [2, 3, 4], but the model's input is [3, 2, 4] (channels "
                  "last: [2, 4, 3])");
  // Axes of size 1 may be missing or extra: (N, 6) feeds [1, 6] and [6, 1].
  writeNpy<float>(dir_.file("x.npy"), {2, 6}, std::vector<float>(12));
  DataSource plain{"npy", path("x.npy"), path("y.npy")};
  EXPECT_EQ(loadDataset(imageModel({1, 6}, 2), plain).inputs[0].shape(),
            (std::vector<int64_t>{2, 1, 6}));
  EXPECT_EQ(loadDataset(imageModel({6, 1}, 2), plain).inputs[0].shape(),
            (std::vector<int64_t>{2, 6, 1}));
}

TEST_F(DatasetTest, OneHotLabelsAreNamed) {
  writeNpy<float>(dir_.file("x.npy"), {2, 2}, std::vector<float>(4));
  writeNpy<float>(dir_.file("y.npy"), {2, 3}, {0, 1, 0, 1, 0, 0});
  EXPECT_RT_ERROR(loadDataset(imageModel({2}, 3), {"npy", path("x.npy"), path("y.npy")}),
                  path("y.npy") + ": labels hold 3 values per sample, one-hot or "
                                  "probabilities; the model takes one class index in [0, 3)");
}

TEST_F(DatasetTest, ScaleOnlyForIntegerFilesWhenTheSourceSaysSo) {
  writeNpy<uint8_t>(dir_.file("u8.npy"), {1, 2}, {255, 51});
  writeNpy<float>(dir_.file("f32.npy"), {1, 2}, {1.0f, 0.2f});
  DataSource source{"npy", path("u8.npy"), "", 1.0 / 255};
  source.scaleIntegersOnly = true;
  Tensor scaled = std::move(loadInputs(imageModel({2}, 2), source).front());
  EXPECT_EQ(scaled.data<float>()[0], 1.0f);
  EXPECT_EQ(scaled.data<float>()[1], static_cast<float>(51 / 255.0));
  source.inputs = path("f32.npy");
  Tensor asIs = std::move(loadInputs(imageModel({2}, 2), source).front());
  EXPECT_EQ(asIs.data<float>()[1], 0.2f);
  source.scaleIntegersOnly = false;
  EXPECT_EQ(loadInputs(imageModel({2}, 2), source).front().data<float>()[0],
            static_cast<float>(1.0 / 255));
}

TEST_F(DatasetTest, CsvColumnsAreMatchedByName) {
  writeBytes(dir_.file("train.csv"), "x1,x2,y\n1,2,0\n3,4,1\n");
  writeBytes(dir_.file("shuffled.csv"), "x2,y,x1\n20,1,10\n40,0,30\n");
  ModelInfo info = imageModel({2}, 2);
  DataSource source{"csv", path("train.csv"), "", 1.0, "y", true};
  Dataset train = loadDataset(info, source);
  EXPECT_EQ(train.featureNames, (std::vector<std::string>{"x1", "x2"}));
  source.inputs = path("shuffled.csv");
  source.featureColumns = train.featureNames;
  Dataset test = loadDataset(info, source);
  EXPECT_EQ(test.inputs[0].data<float>()[0], 10.0f);
  EXPECT_EQ(test.inputs[0].data<float>()[1], 20.0f);
  EXPECT_EQ(test.labels[0].data<int32_t>()[0], 1);
  // Prediction on the training layout skips the label column.
  Tensor inputs = std::move(loadInputs(info, source).front());
  EXPECT_EQ(inputs.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(inputs.data<float>()[3], 40.0f);
  writeBytes(dir_.file("other.csv"), "x1,z,y\n1,2,0\n");
  source.inputs = path("other.csv");
  EXPECT_RT_ERROR(loadDataset(info, source),
                  path("other.csv") + ":1:1: no column named 'x2'; the model was trained on "
                                      "the columns x1, x2");
  writeBytes(dir_.file("extra.csv"), "x1,x2,z,y\n1,2,3,0\n");
  source.inputs = path("extra.csv");
  EXPECT_RT_ERROR(loadDataset(info, source),
                  path("extra.csv") + ":1:7: column 'z' is not one the model was trained on "
                                      "(x1, x2)");
}

TEST_F(DatasetTest, SampleShapeMismatchShowsBothShapes) {
  writeBytes(dir_.file("images-ubyte"), idxBytes({2, 4, 5}, std::vector<uint8_t>(40)));
  writeBytes(dir_.file("labels-ubyte"), idxBytes({2}, {0, 1}));
  EXPECT_RT_ERROR(loadDataset(imageModel({1, 28, 28}, 10),
                              {"idx", path("images-ubyte"), path("labels-ubyte")}),
                  path("images-ubyte") + ": input samples are [4, 5], but the model's input "
                                         "is [1, 28, 28]");
}

TEST_F(DatasetTest, LabelsOutsideTheClassesNameFileAndSample) {
  writeBytes(dir_.file("images-ubyte"), idxBytes({3, 2}, std::vector<uint8_t>(6)));
  writeBytes(dir_.file("labels-ubyte"), idxBytes({3}, {0, 4, 5}));
  EXPECT_RT_ERROR(loadDataset(imageModel({2}, 5),
                              {"idx", path("images-ubyte"), path("labels-ubyte")}),
                  path("labels-ubyte") + ": label 5 of sample 2 is outside [0, 5) (the model "
                                         "has 5 classes)");
}

TEST_F(DatasetTest, SampleCountsMustAgree) {
  writeNpy<float>(dir_.file("x.npy"), {3, 2}, std::vector<float>(6));
  writeNpy<int32_t>(dir_.file("y.npy"), {2}, {0, 1});
  EXPECT_RT_ERROR(loadDataset(imageModel({2}, 2), {"npy", path("x.npy"), path("y.npy")}),
                  path("x.npy") + " has 3 samples but " + path("y.npy") + " has 2");
}

TEST_F(DatasetTest, NonIntegralClassLabelsAreRefused) {
  writeNpy<float>(dir_.file("x.npy"), {2, 2}, std::vector<float>(4));
  writeNpy<double>(dir_.file("y.npy"), {2}, {1.0, 1.5});
  EXPECT_RT_ERROR(loadDataset(imageModel({2}, 2), {"npy", path("x.npy"), path("y.npy")}),
                  "label 1.5 of sample 1 is not an integer");
}

TEST_F(DatasetTest, RegressionTargetsAndDoubleInputs) {
  ModelInfo info;
  info.batch = 1;
  info.inputs = {{"x", DType::F64, {2}}};
  info.labels = {{"y", DType::F32, {2}}};
  writeNpy<float>(dir_.file("x.npy"), {2, 2}, {0.5f, 1.5f, 2.5f, 3.5f});
  writeNpy<double>(dir_.file("y.npy"), {2, 2}, {0.25, -1, 7, 8});
  Dataset data = loadDataset(info, {"npy", path("x.npy"), path("y.npy"), 2.0});
  EXPECT_EQ(data.inputs[0].dtype(), DType::F64);
  EXPECT_EQ(data.inputs[0].data<double>()[3], 7.0);
  EXPECT_EQ(data.labels[0].shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(data.labels[0].data<float>()[0], 0.25f);
}

TEST_F(DatasetTest, CsvLabelColumnByNameIndexOrLast) {
  writeBytes(dir_.file("t.csv"), "a,label,b\n1,0,2\n3,1,4\n5,1,6\n");
  ModelInfo info = imageModel({2}, 2);
  DataSource byName{"csv", path("t.csv"), "", 1.0, "label", true};
  Dataset data = loadDataset(info, byName);
  EXPECT_EQ(data.size, 3);
  EXPECT_EQ(data.inputs[0].data<float>()[2], 3.0f);
  EXPECT_EQ(data.labels[0].data<int32_t>()[1], 1);

  DataSource byIndex = byName;
  byIndex.labelColumn = "1";
  EXPECT_EQ(loadDataset(info, byIndex).labels[0].data<int32_t>()[2], 1);

  writeBytes(dir_.file("last.csv"), "1,2,0\n3,4,1\n");
  DataSource last{"csv", path("last.csv"), "", 1.0, "", false};
  Dataset lastColumn = loadDataset(info, last);
  EXPECT_EQ(lastColumn.labels[0].data<int32_t>()[1], 1);
  EXPECT_EQ(lastColumn.inputs[0].data<float>()[3], 4.0f);

  Tensor inputs = std::move(loadInputs(imageModel({3}, 2), last).front());
  EXPECT_EQ(inputs.shape(), (std::vector<int64_t>{2, 3}));
}

TEST_F(DatasetTest, CsvErrorsKeepTheirLocation) {
  writeBytes(dir_.file("t.csv"), "a,label\n1,0\n2,x\n");
  EXPECT_RT_ERROR(loadDataset(imageModel({1}, 2), {"csv", path("t.csv"), "", 1.0, "label"}),
                  path("t.csv") + ":3:3:");
}

TEST(GatherSamples, CopiesTheChosenSamples) {
  Tensor from(DType::I32, {4, 2}), to(DType::I32, {3, 2});
  for (int i = 0; i < 8; ++i)
    from.data<int32_t>()[i] = i;
  std::vector<int64_t> indices = {3, 0, 2};
  gatherSamples(from, indices.data(), 3, to);
  EXPECT_EQ(std::vector<int32_t>(to.data<int32_t>(), to.data<int32_t>() + 6),
            (std::vector<int32_t>{6, 7, 0, 1, 4, 5}));
  indices[1] = 4;
  EXPECT_RT_ERROR(gatherSamples(from, indices.data(), 3, to), "sample 4 is outside [0, 4)");
}

} // namespace
} // namespace gradc::rt
