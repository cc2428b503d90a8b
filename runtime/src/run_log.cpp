// run_log.cpp — CSV and JSON-lines records of a training run, and reading them back.
#include "gradc/runtime/run_log.h"

#include "gradc/runtime/error.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace gradc::rt {

namespace {

bool isJsonLines(const std::string &path) {
  return path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
}

std::string csvCell(const LogValue &value) {
  if (const auto *count = std::get_if<int64_t>(&value))
    return std::to_string(*count);
  if (const auto *number = std::get_if<double>(&value)) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", *number);
    return text;
  }
  return std::get<std::string>(value);
}

nlohmann::ordered_json jsonValue(const LogValue &value) {
  if (const auto *count = std::get_if<int64_t>(&value))
    return *count;
  if (const auto *number = std::get_if<double>(&value)) {
    // JSON has no NaN or infinity; such a value is written as null.
    if (!std::isfinite(*number))
      return nullptr;
    return *number;
  }
  return std::get<std::string>(value);
}

std::vector<std::string> splitCsv(const std::string &line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream stream(line);
  while (std::getline(stream, cell, ','))
    cells.push_back(cell);
  if (!line.empty() && line.back() == ',')
    cells.emplace_back();
  return cells;
}

LogValue parseCell(const std::string &cell) {
  char *end = nullptr;
  double number = std::strtod(cell.c_str(), &end);
  if (!cell.empty() && end == cell.c_str() + cell.size())
    return number;
  return cell;
}

} // namespace

const LogValue *LogRecord::find(const std::string &name) const {
  for (const auto &[key, value] : fields)
    if (key == name)
      return &value;
  return nullptr;
}

std::optional<double> LogRecord::number(const std::string &name) const {
  const LogValue *value = find(name);
  if (value == nullptr)
    return std::nullopt;
  if (const auto *count = std::get_if<int64_t>(value))
    return static_cast<double>(*count);
  if (const auto *number = std::get_if<double>(value))
    return *number;
  return std::nullopt;
}

std::string LogRecord::kind() const {
  const LogValue *value = find("record");
  if (value == nullptr || !std::holds_alternative<std::string>(*value))
    return "epoch";
  return std::get<std::string>(*value);
}

RunLog::RunLog(const std::filesystem::path &path, std::vector<std::string> columns,
               std::optional<uint64_t> keepBytes)
    : path_(path.string()), json_(isJsonLines(path_)), columns_(std::move(columns)) {
  std::error_code error;
  const bool resumable = keepBytes && *keepBytes > 0 && std::filesystem::exists(path, error) &&
                         std::filesystem::file_size(path, error) >= *keepBytes;
  if (resumable) {
    std::filesystem::resize_file(path, *keepBytes, error);
    if (error)
      throw Error::inFile(path_, "cannot cut the log back to " + std::to_string(*keepBytes) +
                                     " bytes: " + error.message());
    stream_.open(path, std::ios::binary | std::ios::app);
    bytes_ = *keepBytes;
  } else {
    stream_.open(path, std::ios::binary | std::ios::trunc);
  }
  if (!stream_)
    throw Error::inFile(path_, "cannot open for writing");
  if (!json_ && !resumable) {
    std::string header;
    for (const std::string &column : columns_)
      header += (header.empty() ? "" : ",") + column;
    header += '\n';
    stream_ << header;
    bytes_ += header.size();
    stream_.flush();
    if (!stream_)
      throw Error::inFile(path_, "cannot write the log's header");
  }
}

void RunLog::write(const LogRecord &record) {
  std::string line;
  if (json_) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto &[name, value] : record.fields)
      object[name] = jsonValue(value);
    line = object.dump() + '\n';
  } else {
    if (record.kind() == "run")
      return;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const LogValue *value = record.find(columns_[i]);
      line += (i ? "," : "") + (value ? csvCell(*value) : std::string());
    }
    line += '\n';
  }
  stream_ << line;
  stream_.flush();
  if (!stream_)
    throw Error::inFile(path_, "cannot write a record");
  bytes_ += line.size();
}

std::vector<LogRecord> readRunLog(const std::filesystem::path &path) {
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error::inFile(name, "cannot open");
  std::vector<LogRecord> records;
  std::string line;
  uint64_t lineNumber = 0;
  if (isJsonLines(name)) {
    while (std::getline(in, line)) {
      ++lineNumber;
      if (line.empty())
        continue;
      nlohmann::ordered_json object;
      try {
        object = nlohmann::ordered_json::parse(line);
      } catch (const nlohmann::json::parse_error &error) {
        throw Error::atLineColumn(name, lineNumber, error.byte > 0 ? error.byte : 1,
                                  "not a JSON record");
      }
      if (!object.is_object())
        throw Error::atLineColumn(name, lineNumber, 1, "not a JSON object");
      LogRecord record;
      for (const auto &[key, value] : object.items()) {
        if (value.is_number_integer())
          record.add(key, value.get<int64_t>());
        else if (value.is_number())
          record.add(key, value.get<double>());
        else if (value.is_null())
          record.add(key, std::nan(""));
        else if (value.is_string())
          record.add(key, value.get<std::string>());
      }
      records.push_back(std::move(record));
    }
    return records;
  }
  if (!std::getline(in, line))
    throw Error::inFile(name, "empty log: no header line");
  ++lineNumber;
  std::vector<std::string> columns = splitCsv(line);
  while (std::getline(in, line)) {
    ++lineNumber;
    if (line.empty())
      continue;
    std::vector<std::string> cells = splitCsv(line);
    if (cells.size() != columns.size())
      throw Error::atLineColumn(name, lineNumber, 1,
                                "has " + std::to_string(cells.size()) + " cells, the header " +
                                    std::to_string(columns.size()));
    LogRecord record;
    for (size_t i = 0; i < cells.size(); ++i)
      if (!cells[i].empty())
        record.add(columns[i], parseCell(cells[i]));
    records.push_back(std::move(record));
  }
  return records;
}

} // namespace gradc::rt
