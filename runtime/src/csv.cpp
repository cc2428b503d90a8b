// csv.cpp — numeric CSV reader with line:column errors.
#include "gradc/runtime/csv.h"

#include "file_io.h"
#include "gradc/runtime/checked_math.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <cmath>
#include <limits>
#include <string_view>

namespace gradc::rt {

namespace {

struct Line {
  uint64_t number; // 1-based
  std::string_view text;
};

bool isBlank(char c) { return c == ' ' || c == '\t'; }

bool isBlankLine(std::string_view text) {
  return std::all_of(text.begin(), text.end(), isBlank);
}

// The lines of the file without their terminators, dropping blank lines at
// the end; a blank line elsewhere is an error.
std::vector<Line> splitLines(std::string_view text, const std::string &name) {
  std::vector<Line> lines;
  uint64_t number = 1;
  for (size_t start = 0; start < text.size(); ++number) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    lines.push_back({number, line});
    start = end + 1;
  }
  while (!lines.empty() && isBlankLine(lines.back().text))
    lines.pop_back();
  for (const Line &line : lines)
    if (isBlankLine(line.text))
      throw Error::atLineColumn(name, line.number, 1, "empty line");
  return lines;
}

struct Field {
  std::string_view text; // without surrounding blanks
  uint64_t column;       // 1-based, of the first non-blank character
};

std::vector<Field> splitFields(std::string_view line) {
  std::vector<Field> fields;
  for (size_t start = 0;;) {
    size_t end = std::min(line.find(',', start), line.size());
    size_t first = start, last = end;
    while (first < last && isBlank(line[first]))
      ++first;
    while (last > first && isBlank(line[last - 1]))
      --last;
    fields.push_back({line.substr(first, last - first), first + 1});
    if (end == line.size())
      return fields;
    start = end + 1;
  }
}

std::string inQuotes(std::string_view text) { return "'" + std::string(text) + "'"; }

class CellParser {
public:
  CellParser(const std::string &name, uint64_t line) : name_(name), line_(line) {}

  double parseReal(const Field &field, DType dtype) const {
    std::string_view text = numberText(field);
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (end != text.data() + text.size() || (error != std::errc() &&
                                             error != std::errc::result_out_of_range))
      fail(field, inQuotes(field.text) + " is not a number");
    if (error == std::errc::result_out_of_range)
      fail(field, inQuotes(field.text) + " is out of range");
    if (!std::isfinite(value))
      fail(field, "non-finite value " + inQuotes(field.text) + " is not allowed");
    if (dtype == DType::F32 && std::abs(value) > std::numeric_limits<float>::max())
      fail(field, inQuotes(field.text) + " is out of range for f32");
    return value;
  }

  int64_t parseInteger(const Field &field, DType dtype) const {
    std::string_view text = numberText(field);
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (end != text.data() + text.size() || error != std::errc()) {
      if (error == std::errc::result_out_of_range)
        fail(field, inQuotes(field.text) + " is out of range for " +
                        std::string(dtypeName(dtype)));
      parseReal(field, DType::F64); // names non-numbers and non-finite values
      fail(field, "label " + inQuotes(field.text) + " is not an integer");
    }
    if (dtype == DType::I32 && (value < std::numeric_limits<int32_t>::min() ||
                                value > std::numeric_limits<int32_t>::max()))
      fail(field, inQuotes(field.text) + " is out of range for i32");
    return value;
  }

private:
  // The text to convert: not empty, and without a leading '+', which
  // from_chars does not take but CSV writers may emit.
  std::string_view numberText(const Field &field) const {
    if (field.text.empty())
      fail(field, "empty field");
    std::string_view text = field.text;
    if (text.size() > 1 && text[0] == '+' && text[1] != '-' && text[1] != '+')
      text.remove_prefix(1);
    return text;
  }

  [[noreturn]] void fail(const Field &field, const std::string &message) const {
    throw Error::atLineColumn(name_, line_, field.column, message);
  }

  const std::string &name_;
  uint64_t line_;
};

template <typename T> void store(Tensor &tensor, uint64_t index, T value) {
  switch (tensor.dtype()) {
  case DType::F32:
    tensor.data<float>()[index] = static_cast<float>(value);
    return;
  case DType::F64:
    tensor.data<double>()[index] = static_cast<double>(value);
    return;
  case DType::I32:
    tensor.data<int32_t>()[index] = static_cast<int32_t>(value);
    return;
  case DType::I64:
    tensor.data<int64_t>()[index] = static_cast<int64_t>(value);
    return;
  case DType::U8:
    break;
  }
  throw Error("CSV cannot store " + std::string(dtypeName(tensor.dtype())));
}

void validate(const CsvOptions &options) {
  if (options.featureDType != DType::F32 && options.featureDType != DType::F64)
    throw Error("CSV features must be f32 or f64, not " +
                std::string(dtypeName(options.featureDType)));
  if (options.labelDType == DType::U8)
    throw Error("CSV labels must be i64, i32, f32 or f64, not u8");
  if (options.labelColumnName && options.labelColumnIndex)
    throw Error("CSV label column given both by name and by index");
  if (options.labelColumnName && !options.hasHeader)
    throw Error("CSV label column given by name, but the table has no header");
  if (options.featureColumns && !options.hasHeader)
    throw Error("CSV feature columns given by name, but the table has no header");
}

std::string joinNames(const std::vector<std::string> &names) {
  std::string text;
  for (const std::string &name : names)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

// The byte-order mark and the lines of a CSV file's text.
std::vector<Line> linesOf(std::string_view text, const std::string &name) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.substr(0, kByteOrderMark.size()) == kByteOrderMark)
    text.remove_prefix(kByteOrderMark.size());
  std::vector<Line> lines = splitLines(text, name);
  if (lines.empty())
    throw Error::atLineColumn(name, 1, 1, "empty file");
  return lines;
}

std::string readAll(const std::filesystem::path &path, std::string &name) {
  detail::InputFile file(path);
  name = file.name();
  if (file.size() > std::numeric_limits<size_t>::max())
    throw Error::inFile(name, "file does not fit in memory");
  std::string content(static_cast<size_t>(file.size()), '\0');
  file.read(content.data(), file.size(), "the table");
  return content;
}

Tensor allocate(DType dtype, std::vector<int64_t> shape, const std::string &name,
                const LoadLimits &limits, std::string_view what) {
  std::optional<uint64_t> bytes = tryElementCount(shape);
  if (bytes)
    bytes = tryMul(*bytes, uint64_t{dtypeSize(dtype)});
  if (!bytes || *bytes > limits.maxTensorBytes)
    throw Error::inFile(name, std::string(what) + " of shape " + formatShape(shape) +
                                  " would exceed the limit of " +
                                  std::to_string(limits.maxTensorBytes) + " bytes");
  return Tensor(dtype, std::move(shape));
}

} // namespace

std::vector<std::string> readCsvHeader(const std::filesystem::path &path) {
  // Only the first line is read: the table may be large.
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error::inFile(path.string(), "cannot open for reading");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  for (const Field &field : splitFields(linesOf(line, path.string()).front().text))
    names.emplace_back(field.text);
  return names;
}

CsvTable loadCsv(const std::filesystem::path &path, const CsvOptions &options) {
  validate(options);
  std::string name;
  const std::string content = readAll(path, name);
  std::vector<Line> lines = linesOf(content, name);

  const std::vector<Field> firstFields = splitFields(lines.front().text);
  const size_t columns = firstFields.size();
  CsvTable table;
  std::vector<std::string> columnNames;
  if (options.hasHeader) {
    for (const Field &field : firstFields)
      columnNames.emplace_back(field.text);
    lines.erase(lines.begin());
    if (lines.empty())
      throw Error::atLineColumn(name, 2, 1, "the table has a header but no data rows");
  }

  std::optional<size_t> labelColumn = options.labelColumnIndex;
  if (options.labelColumnName) {
    auto match = std::find(columnNames.begin(), columnNames.end(), *options.labelColumnName);
    if (match == columnNames.end() && !options.labelColumnOptional)
      throw Error::atLineColumn(name, 1, 1, "no column named " +
                                                inQuotes(*options.labelColumnName));
    if (match != columnNames.end() &&
        std::find(match + 1, columnNames.end(), *options.labelColumnName) != columnNames.end())
      throw Error::atLineColumn(name, 1, 1, "more than one column is named " +
                                                inQuotes(*options.labelColumnName));
    if (match != columnNames.end())
      labelColumn = static_cast<size_t>(match - columnNames.begin());
  }
  if (labelColumn && *labelColumn >= columns)
    throw Error::atLineColumn(name, lines.front().number, 1,
                              "label column " + std::to_string(*labelColumn) +
                                  " is out of range: the table has " +
                                  std::to_string(columns) + " columns");

  // Where each column's value goes in a row of features: its position, or
  // kNotAFeature for the label column.
  constexpr size_t kNotAFeature = std::numeric_limits<size_t>::max();
  std::vector<size_t> featureSlot(columns, kNotAFeature);
  if (options.featureColumns) {
    const std::vector<std::string> &wanted = *options.featureColumns;
    for (size_t slot = 0; slot < wanted.size(); ++slot) {
      auto match = std::find(columnNames.begin(), columnNames.end(), wanted[slot]);
      if (match == columnNames.end() || static_cast<size_t>(match - columnNames.begin()) ==
                                            labelColumn)
        throw Error::atLineColumn(name, 1, 1, "no column named " + inQuotes(wanted[slot]) +
                                                  "; the model was trained on the columns " +
                                                  joinNames(wanted));
      if (std::find(match + 1, columnNames.end(), wanted[slot]) != columnNames.end())
        throw Error::atLineColumn(name, 1, 1, "more than one column is named " +
                                                  inQuotes(wanted[slot]));
      featureSlot[static_cast<size_t>(match - columnNames.begin())] = slot;
    }
    for (size_t column = 0; column < columns; ++column)
      if (column != labelColumn && featureSlot[column] == kNotAFeature)
        throw Error::atLineColumn(name, 1, firstFields[column].column,
                                  "column " + inQuotes(columnNames[column]) +
                                      " is not one the model was trained on (" +
                                      joinNames(wanted) + ")");
    table.featureNames = wanted;
  } else {
    size_t slot = 0;
    for (size_t column = 0; column < columns; ++column)
      if (column != labelColumn)
        featureSlot[column] = slot++;
    for (size_t column = 0; column < columnNames.size(); ++column)
      if (column != labelColumn)
        table.featureNames.push_back(columnNames[column]);
  }

  const auto rows = static_cast<int64_t>(lines.size());
  const auto featureColumns = static_cast<int64_t>(columns - (labelColumn ? 1 : 0));
  table.features = allocate(options.featureDType, {rows, featureColumns}, name,
                            options.limits, "feature matrix");
  if (labelColumn)
    table.labels = allocate(options.labelDType, {rows}, name, options.limits, "label vector");
  const bool integerLabels =
      options.labelDType == DType::I64 || options.labelDType == DType::I32;

  for (size_t row = 0; row < lines.size(); ++row) {
    const Line &line = lines[row];
    std::vector<Field> fields = splitFields(line.text);
    if (fields.size() != columns) {
      uint64_t column = fields.size() > columns ? fields[columns].column
                                                : line.text.size() + 1;
      throw Error::atLineColumn(name, line.number, column,
                                "row has " + std::to_string(fields.size()) +
                                    " fields, expected " + std::to_string(columns));
    }
    CellParser parser(name, line.number);
    for (size_t column = 0; column < columns; ++column) {
      if (column == labelColumn) {
        if (integerLabels)
          store(*table.labels, row, parser.parseInteger(fields[column], options.labelDType));
        else
          store(*table.labels, row, parser.parseReal(fields[column], options.labelDType));
      } else {
        store(table.features, row * static_cast<uint64_t>(featureColumns) + featureSlot[column],
              parser.parseReal(fields[column], options.featureDType));
      }
    }
  }
  return table;
}

} // namespace gradc::rt
