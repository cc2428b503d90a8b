// loader_fuzz.h — what the runtime's fuzz targets share: tight load limits,
// and the conversion of a loaded array into a model's samples.
#ifndef GRADC_FUZZ_LOADER_FUZZ_H
#define GRADC_FUZZ_LOADER_FUZZ_H

#include "gradc/runtime/dataset.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/load_limits.h"
#include "gradc/runtime/model.h"

#include <string>

namespace gradc::fuzz {

/// Limits far below the defaults, so that the fuzzer reaches the size checks
/// instead of allocating gigabytes (which libFuzzer reports as out-of-memory).
inline rt::LoadLimits fuzzLimits() {
  rt::LoadLimits limits;
  limits.maxTensorBytes = uint64_t{64} << 20;
  return limits;
}

/// Loads `path` (of `kind`) as both the inputs and the labels of a model whose
/// samples are `valuesPerSample` f32 inputs and as many i32 class labels of
/// `classes` classes, which runs every check and conversion of loadDataset.
/// Only gradc::rt::Error may come out of it.
inline void loadAsDataset(const std::string &kind, const std::string &path,
                          int64_t valuesPerSample, int64_t classes) {
  rt::ModelInfo info;
  info.inputs = {{"x", rt::DType::F32, {valuesPerSample}}};
  info.labels = {{"y", rt::DType::I32, {valuesPerSample}, classes}};
  rt::DataSource source;
  source.kind = kind;
  source.inputs = path;
  if (kind != "csv")
    source.labels = path;
  source.scale = 1.0 / 255;
  try {
    rt::loadDataset(info, source, fuzzLimits());
  } catch (const rt::Error &) {
  }
}

} // namespace gradc::fuzz

#endif // GRADC_FUZZ_LOADER_FUZZ_H
