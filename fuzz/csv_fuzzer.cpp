// csv_fuzzer.cpp — fuzzes loadCsv under every combination of its options, and
// loadDataset on CSV data.
//
// The first byte chooses the options: bit 0 a header line, bits 1-2 the label
// column (none, by index 0, by index 2, by the name "y"), bit 3 f64 features,
// bits 4-5 the label dtype (i64, i32, f32, f64), bit 6 feature columns by the
// names "x2", "x1" (in that order), bit 7 a label column "y" that may be
// missing. The rest is the file.
#include "loader_fuzz.h"
#include "memory_file.h"

#include "gradc/runtime/csv.h"

using namespace gradc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  static fuzz::MemoryFile file("csv");
  const uint8_t choice = data[0];
  file.assign(data + 1, size - 1);

  rt::CsvOptions options;
  options.hasHeader = choice & 1;
  switch ((choice >> 1) & 3) {
  case 1:
    options.labelColumnIndex = 0;
    break;
  case 2:
    options.labelColumnIndex = 2;
    break;
  case 3:
    options.labelColumnName = "y";
    break;
  }
  options.featureDType = choice & 8 ? rt::DType::F64 : rt::DType::F32;
  static constexpr rt::DType kLabelTypes[] = {rt::DType::I64, rt::DType::I32, rt::DType::F32,
                                              rt::DType::F64};
  options.labelDType = kLabelTypes[(choice >> 4) & 3];
  if (choice & 0x40)
    options.featureColumns = std::vector<std::string>{"x2", "x1"};
  if (choice & 0x80) {
    options.labelColumnIndex.reset();
    options.labelColumnName = "y";
    options.labelColumnOptional = true;
  }
  options.limits = fuzz::fuzzLimits();
  try {
    rt::readCsvHeader(file.path());
  } catch (const rt::Error &) {
  }
  int64_t features = 0;
  try {
    rt::CsvTable table = rt::loadCsv(file.path(), options);
    features = table.features.dim(1);
  } catch (const rt::Error &) {
    return 0;
  }
  fuzz::loadAsDataset("csv", file.path(), features > 1 ? features - 1 : 1, 4);
  return 0;
}
