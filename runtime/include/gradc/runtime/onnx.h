// onnx.h — the model's inference graph as an ONNX file (PROGRAM --export-onnx).
#ifndef GRADC_RUNTIME_ONNX_H
#define GRADC_RUNTIME_ONNX_H

#include "gradc/runtime/model.h"

#include <filesystem>
#include <string>

namespace gradc::rt {

/// The ONNX model (protobuf bytes) of the model's predict entry point with
/// the weights it holds now: ModelInfo::onnx's graph, every buffer it names
/// appended as an initializer (dims, data type, name, little-endian raw
/// data). Throws Error when the model has no ONNX form, naming why.
std::string onnxModelBytes(Model &model);

/// Writes onnxModelBytes to `path`, replacing it atomically
/// (writeFileAtomically).
void exportOnnx(Model &model, const std::filesystem::path &path);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_ONNX_H
