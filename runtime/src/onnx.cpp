// onnx.cpp — the model's inference graph with its weights, as ONNX.
//
// The compiler checked the graph with ONNX's library and split it in two
// serialized messages (ModelInfo::onnx): here the GraphProto is completed
// with one TensorProto per weight and nested in the ModelProto as its graph
// (field 7). Protobuf lets a message's fields come in any order and
// repeated fields be appended, so this is the whole of the encoding needed:
// varints, and length-delimited fields.
#include "gradc/runtime/onnx.h"

#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/error.h"

#include <map>

namespace gradc::rt {

namespace {

enum : uint32_t { kVarint = 0, kLengthDelimited = 2 };

void putVarint(std::string &out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

void putKey(std::string &out, uint32_t field, uint32_t wireType) {
  putVarint(out, (static_cast<uint64_t>(field) << 3) | wireType);
}

void putBytes(std::string &out, uint32_t field, std::string_view bytes) {
  putKey(out, field, kLengthDelimited);
  putVarint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

// TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9.
std::string tensorProto(const BufferRef &buffer) {
  std::string out;
  for (int64_t dim : buffer.shape) {
    putKey(out, 1, kVarint);
    putVarint(out, static_cast<uint64_t>(dim));
  }
  int dataType = 0;
  size_t width = 0;
  switch (buffer.dtype) {
  case DType::F32:
    dataType = 1; // FLOAT
    width = 4;
    break;
  case DType::F64:
    dataType = 11; // DOUBLE
    width = 8;
    break;
  default:
    throw Error("--export-onnx: the buffer '" + buffer.name + "' is " +
                std::string(dtypeName(buffer.dtype)) + ", which is written as no ONNX weight");
  }
  putKey(out, 2, kVarint);
  putVarint(out, static_cast<uint64_t>(dataType));
  putBytes(out, 8, buffer.name);
  // This machine is little-endian, as ONNX's raw data.
  putBytes(out, 9, std::string_view(static_cast<const char *>(buffer.data),
                                    static_cast<size_t>(buffer.numElements()) * width));
  return out;
}

} // namespace

std::string onnxModelBytes(Model &model) {
  const OnnxGraph &onnx = model.info().onnx;
  if (!onnx.unsupported.empty())
    throw Error("--export-onnx: " + model.info().name + " has no ONNX form: " +
                onnx.unsupported);
  if (onnx.graph.empty())
    throw Error("--export-onnx: this program was built without its ONNX graph");
  std::map<std::string, BufferRef> byName;
  for (BufferRef &buffer : model.buffers())
    if (buffer.kind == BufferKind::Param || buffer.kind == BufferKind::Buffer)
      byName.emplace(buffer.name, buffer);
  std::string graph = onnx.graph;
  for (const std::string &name : onnx.initializers) {
    auto it = byName.find(name);
    if (it == byName.end())
      throw Error("--export-onnx: the graph reads '" + name + "', which " + model.info().name +
                  " does not hold");
    putBytes(graph, 5, tensorProto(it->second)); // GraphProto.initializer = 5
  }
  std::string bytes = onnx.model;
  putBytes(bytes, 7, graph); // ModelProto.graph = 7
  return bytes;
}

void exportOnnx(Model &model, const std::filesystem::path &path) {
  writeFileAtomically(path, onnxModelBytes(model));
}

} // namespace gradc::rt
