// csv_test.cpp — tests of the numeric CSV reader.
#include "gradc/runtime/csv.h"

#include "test_util.h"

namespace gradc::rt {
namespace {

using testing::TempDir;
using testing::writeBytes;

class CsvTest : public ::testing::Test {
protected:
  std::filesystem::path write(std::string_view text) {
    std::filesystem::path path = dir_.file("table.csv");
    writeBytes(path, text);
    return path;
  }

  TempDir dir_;
};

CsvOptions labelledBy(std::string name) {
  CsvOptions options;
  options.labelColumnName = std::move(name);
  return options;
}

CsvOptions withoutHeader() {
  CsvOptions options;
  options.hasHeader = false;
  return options;
}

template <typename T> std::vector<T> values(const Tensor &tensor) {
  const T *data = tensor.data<T>();
  return std::vector<T>(data, data + tensor.numElements());
}

TEST_F(CsvTest, ReadsFeaturesAndLabelByName) {
  CsvTable table = loadCsv(write("x,label,y\n1.5,0,-2\n3,2,4e-1\n"), labelledBy("label"));
  EXPECT_EQ(table.features.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(values<float>(table.features), (std::vector<float>{1.5f, -2.0f, 3.0f, 0.4f}));
  ASSERT_TRUE(table.labels);
  EXPECT_EQ(values<int64_t>(*table.labels), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(table.featureNames, (std::vector<std::string>{"x", "y"}));
}

TEST_F(CsvTest, ReadsWithoutHeaderOrLabel) {
  CsvTable table = loadCsv(write("1,2,3\n4,5,6"), withoutHeader());
  EXPECT_EQ(table.features.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<float>(table.features), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_FALSE(table.labels);
  EXPECT_TRUE(table.featureNames.empty());
}

TEST_F(CsvTest, ReadsLabelByIndexWithChosenDTypes) {
  CsvOptions options = withoutHeader();
  options.labelColumnIndex = 0;
  options.featureDType = DType::F64;
  options.labelDType = DType::F32;
  CsvTable table = loadCsv(write("0.25,+1e3\n-7,0.1\n"), options);
  EXPECT_EQ(values<double>(table.features), (std::vector<double>{1000.0, 0.1}));
  EXPECT_EQ(values<float>(*table.labels), (std::vector<float>{0.25f, -7.0f}));

  options.labelDType = DType::I32;
  EXPECT_EQ(values<int32_t>(*loadCsv(write("-3,1\n9,2\n"), options).labels),
            (std::vector<int32_t>{-3, 9}));
}

TEST_F(CsvTest, HandlesCrLfBlanksByteOrderMarkAndTrailingLines) {
  CsvTable table = loadCsv(write("\xEF\xBB\xBF" "a , b\r\n 1 ,\t2\r\n3,4\r\n\r\n\n"));
  EXPECT_EQ(table.featureNames, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(values<float>(table.features), (std::vector<float>{1, 2, 3, 4}));
}

TEST_F(CsvTest, RefusesEmptyFile) {
  EXPECT_RT_ERROR(loadCsv(write("")), "table.csv:1:1: empty file");
  EXPECT_RT_ERROR(loadCsv(write("\n\r\n")), "table.csv:1:1: empty file");
}

TEST_F(CsvTest, RefusesHeaderWithoutRows) {
  EXPECT_RT_ERROR(loadCsv(write("a,b\n")), "table.csv:2:1: the table has a header but no data rows");
}

TEST_F(CsvTest, RefusesRaggedRows) {
  EXPECT_RT_ERROR(loadCsv(write("a,b,c\n1,2,3\n4,5\n")),
                  "table.csv:3:4: row has 2 fields, expected 3");
  EXPECT_RT_ERROR(loadCsv(write("a,b\n1,2\n3,4,5\n")),
                  "table.csv:3:5: row has 3 fields, expected 2");
}

TEST_F(CsvTest, RefusesNonNumericCells) {
  EXPECT_RT_ERROR(loadCsv(write("a,b\n1,2\n3, abc\n")), "table.csv:3:4: 'abc' is not a number");
  EXPECT_RT_ERROR(loadCsv(write("a,b\n1,2x\n")), "table.csv:2:3: '2x' is not a number");
  EXPECT_RT_ERROR(loadCsv(write("a,b\n1,\n")), "table.csv:2:3: empty field");
  EXPECT_RT_ERROR(loadCsv(write("a,b\n1,0x10\n")), "'0x10' is not a number");
}

TEST_F(CsvTest, RefusesNonFiniteCells) {
  EXPECT_RT_ERROR(loadCsv(write("a,b\n1,nan\n")), "table.csv:2:3: non-finite value 'nan'");
  EXPECT_RT_ERROR(loadCsv(write("a,b\n-inf,1\n")), "table.csv:2:1: non-finite value '-inf'");
  EXPECT_RT_ERROR(loadCsv(write("a\nInfinity\n")), "non-finite value 'Infinity'");
}

TEST_F(CsvTest, RefusesValuesOutOfRange) {
  EXPECT_RT_ERROR(loadCsv(write("a\n1e39\n")), "table.csv:2:1: '1e39' is out of range for f32");
  EXPECT_RT_ERROR(loadCsv(write("a\n1e999\n")), "'1e999' is out of range");
  CsvOptions options = labelledBy("y");
  options.labelDType = DType::I32;
  EXPECT_RT_ERROR(loadCsv(write("y\n3000000000\n"), options), "out of range for i32");
}

TEST_F(CsvTest, RefusesNonIntegerClassLabels) {
  EXPECT_RT_ERROR(loadCsv(write("x,y\n1,1.5\n"), labelledBy("y")),
                  "table.csv:2:3: label '1.5' is not an integer");
  EXPECT_RT_ERROR(loadCsv(write("x,y\n1,cat\n"), labelledBy("y")), "'cat' is not a number");
}

TEST_F(CsvTest, RefusesBlankLineInside) {
  EXPECT_RT_ERROR(loadCsv(write("a\n1\n\n2\n")), "table.csv:3:1: empty line");
}

TEST_F(CsvTest, RefusesMissingLabelColumn) {
  EXPECT_RT_ERROR(loadCsv(write("a,b\n1,2\n"), labelledBy("c")),
                  "table.csv:1:1: no column named 'c'");
  EXPECT_RT_ERROR(loadCsv(write("c,c\n1,2\n"), labelledBy("c")),
                  "more than one column is named 'c'");
  CsvOptions options = withoutHeader();
  options.labelColumnIndex = 2;
  EXPECT_RT_ERROR(loadCsv(write("1,2\n"), options),
                  "table.csv:1:1: label column 2 is out of range: the table has 2 columns");
}

TEST_F(CsvTest, RefusesInconsistentOptions) {
  CsvOptions options = labelledBy("a");
  options.hasHeader = false;
  EXPECT_RT_ERROR(loadCsv(write("1\n"), options), "no header");
  options = labelledBy("a");
  options.labelColumnIndex = 0;
  EXPECT_RT_ERROR(loadCsv(write("a\n1\n"), options), "both by name and by index");
  options = CsvOptions();
  options.featureDType = DType::I32;
  EXPECT_RT_ERROR(loadCsv(write("a\n1\n"), options), "features must be f32 or f64");
}

TEST_F(CsvTest, RefusesTableAboveLimit) {
  CsvOptions options;
  options.limits.maxTensorBytes = 8;
  EXPECT_RT_ERROR(loadCsv(write("a,b\n1,2\n3,4\n"), options), "would exceed the limit of 8 bytes");
}

} // namespace
} // namespace gradc::rt
