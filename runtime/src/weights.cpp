// weights.cpp — PyTorch-style parameter initialization and safetensors weights files.
#include "gradc/runtime/weights.h"

#include "gradc/runtime/checked_math.h"
#include "gradc/runtime/checkpoint.h"
#include "gradc/runtime/error.h"
#include "gradc/runtime/rng.h"
#include "gradc/runtime/safetensors.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <set>

namespace gradc::rt {

namespace {

bool isSaved(const BufferRef &buffer) {
  return buffer.kind == BufferKind::Param || buffer.kind == BufferKind::Buffer;
}

uint64_t elementCount(const BufferRef &buffer) {
  std::optional<uint64_t> count = tryElementCount(buffer.shape);
  if (!count)
    throw Error(buffer.name + ": invalid shape " + formatShape(buffer.shape));
  return *count;
}

int64_t receptiveField(const BufferRef &buffer) {
  int64_t field = 1;
  for (size_t i = 2; i < buffer.shape.size(); ++i)
    field = checkedMul(field, buffer.shape[i]);
  return field;
}

int64_t fanIn(const BufferRef &buffer) {
  if (buffer.fanIn > 0)
    return buffer.fanIn;
  return buffer.shape.size() >= 2 ? checkedMul(buffer.shape[1], receptiveField(buffer)) : 0;
}

int64_t fanOut(const BufferRef &buffer) {
  if (buffer.fanOut > 0)
    return buffer.fanOut;
  return buffer.shape.size() >= 2 ? checkedMul(buffer.shape[0], receptiveField(buffer)) : 0;
}

int64_t requireFan(const BufferRef &buffer, int64_t fan, const char *which) {
  if (fan <= 0)
    throw Error(buffer.name + ": cannot initialize a " + formatShape(buffer.shape) +
                " tensor without its " + which + " (the model gives none)");
  return fan;
}

// The role Init::Default goes by: BufferRef::role, or the name after its last dot.
std::string roleOf(const BufferRef &buffer) {
  if (!buffer.role.empty())
    return buffer.role;
  size_t dot = buffer.name.rfind('.');
  return dot == std::string::npos ? buffer.name : buffer.name.substr(dot + 1);
}

// Fills the buffer with one value per element from `draw`, in row-major order.
void fill(const BufferRef &buffer, const std::function<double()> &draw) {
  uint64_t count = elementCount(buffer);
  if (count > 0 && buffer.data == nullptr)
    throw Error(buffer.name + ": the model gives no storage for it");
  switch (buffer.dtype) {
  case DType::F32:
    for (uint64_t i = 0; i < count; ++i)
      static_cast<float *>(buffer.data)[i] = static_cast<float>(draw());
    return;
  case DType::F64:
    for (uint64_t i = 0; i < count; ++i)
      static_cast<double *>(buffer.data)[i] = draw();
    return;
  default:
    throw Error(buffer.name + ": cannot initialize a " + std::string(dtypeName(buffer.dtype)) +
                " tensor (expected f32 or f64)");
  }
}

std::function<double()> uniform(Rng &rng, double bound) {
  return [&rng, bound] { return (2.0 * rng.uniform() - 1.0) * bound; };
}

std::function<double()> normal(Rng &rng, double stddev) {
  // Rng::normal rounds to float; draw in float and scale in double.
  return [&rng, stddev] { return static_cast<double>(rng.normal()) * stddev; };
}

std::function<double()> constant(double value) {
  return [value] { return value; };
}

void initialize(const BufferRef &buffer, Rng &rng) {
  switch (buffer.init) {
  case Init::Zeros:
    return fill(buffer, constant(0));
  case Init::Ones:
    return fill(buffer, constant(1));
  case Init::Normal:
    return fill(buffer, normal(rng, buffer.initScale > 0 ? buffer.initScale : 0.01));
  case Init::Uniform:
    return fill(buffer, uniform(rng, buffer.initScale));
  case Init::He:
    return fill(buffer,
                normal(rng, std::sqrt(2.0 / static_cast<double>(
                                                requireFan(buffer, fanIn(buffer), "fan-in")))));
  case Init::Data: {
    if (!buffer.initData)
      throw Error(buffer.name + ": starts from data, but the program holds none");
    const size_t bytes = static_cast<size_t>(buffer.numElements()) *
                         (buffer.dtype == DType::F64 ? sizeof(double) : sizeof(float));
    std::memcpy(buffer.data, buffer.initData, bytes);
    return;
  }
  case Init::Xavier: {
    double fans = static_cast<double>(requireFan(buffer, fanIn(buffer), "fan-in")) +
                  static_cast<double>(requireFan(buffer, fanOut(buffer), "fan-out"));
    return fill(buffer, uniform(rng, std::sqrt(6.0 / fans)));
  }
  case Init::Default:
    break;
  }
  std::string role = roleOf(buffer);
  if (role == "weight")
    return fill(buffer,
                uniform(rng, 1.0 / std::sqrt(static_cast<double>(
                                       requireFan(buffer, fanIn(buffer), "fan-in")))));
  if (role == "bias") {
    int64_t fan = fanIn(buffer);
    return fill(buffer, uniform(rng, fan > 0 ? 1.0 / std::sqrt(static_cast<double>(fan)) : 0.0));
  }
  if (role == "embedding")
    return fill(buffer, normal(rng, 1.0));
  if (role == "gamma" || role == "running_var")
    return fill(buffer, constant(1));
  if (role == "beta" || role == "running_mean")
    return fill(buffer, constant(0));
  throw Error(buffer.name + ": no default initialization for role '" + role +
              "' (expected weight, bias, embedding, gamma, beta, running_mean or running_var)");
}

} // namespace

void initializeParameters(Model &model, uint64_t seed) {
  Rng rng(seed);
  for (const BufferRef &buffer : model.buffers())
    if (isSaved(buffer))
      initialize(buffer, rng);
}

void saveWeights(Model &model, const std::filesystem::path &path,
                 const std::map<std::string, std::string> &metadata) {
  std::map<std::string, TensorView> views;
  for (const BufferRef &buffer : model.buffers()) {
    if (!isSaved(buffer))
      continue;
    if (!views.emplace(buffer.name, TensorView{buffer.dtype, buffer.shape, buffer.data}).second)
      throw Error("the model has two buffers named '" + buffer.name + "'");
  }
  std::map<std::string, std::string> all = metadata;
  all["format"] = "pt";
  all["model"] = model.info().name;
  writeFileAtomically(path, serializeSafetensors(views, all));
}

namespace {

std::map<std::string, std::string> loadWeightsImpl(Model &model,
                                                   const std::filesystem::path &path,
                                                   PartialLoad *partial) {
  const std::string file = path.string();
  SafetensorsContents contents = loadSafetensors(path);
  const bool checkpoint = isCheckpointMetadata(contents.metadata);
  if (checkpoint)
    verifyCheckpointTensors(contents, path);
  std::vector<BufferRef> buffers = model.buffers();
  // A checkpoint's optimizer state must be the model's, and is left out.
  auto allow = [&](const BufferRef &buffer) {
    return checkpoint && buffer.kind == BufferKind::OptState;
  };
  TensorMatch match = matchTensors(
      contents, buffers, isSaved, allow, [&](const BufferRef &buffer, const Tensor &tensor) {
        if (!isSaved(buffer)) {
          if (tensor.dtype() != buffer.dtype || tensor.shape() != buffer.shape)
            throw Error::inFile(file, buffer.name + " is " +
                                          std::string(dtypeName(tensor.dtype())) + " " +
                                          formatShape(tensor.shape()) + ", but the model's is " +
                                          std::string(dtypeName(buffer.dtype)) + " " +
                                          formatShape(buffer.shape));
          return;
        }
        if (tensor.dtype() != buffer.dtype)
          throw Error::inFile(file, buffer.name + " is " +
                                        std::string(dtypeName(tensor.dtype())) +
                                        ", but the model expects " +
                                        std::string(dtypeName(buffer.dtype)));
        if (tensor.shape() != buffer.shape)
          throw Error::inFile(file, buffer.name + " has shape " + formatShape(tensor.shape()) +
                                        ", but the model expects " + formatShape(buffer.shape));
      });
  if (partial) {
    partial->missing = match.missing;
    partial->ignored = match.extra;
    std::set<std::string> absent(match.missing.begin(), match.missing.end());
    auto present = [&](const BufferRef &buffer) {
      return isSaved(buffer) && absent.count(buffer.name) == 0;
    };
    for (const BufferRef &buffer : buffers)
      if (present(buffer))
        partial->loaded.push_back(buffer.name);
    if (partial->loaded.empty())
      throw Error::inFile(file, "holds none of the model's tensors (it has " +
                                    nameList(match.extra) + ")");
    copyTensors(contents, buffers, present);
    return std::move(contents.metadata);
  }
  if (!match.missing.empty())
    throw Error::inFile(file, "missing " + nameList(match.missing) +
                                  " (in training, --load-partial keeps those as initialized)");
  if (!match.extra.empty())
    throw Error::inFile(file, "holds tensors the model does not have: " +
                                  nameList(match.extra) + " (in training, --load-partial ignores them)");
  copyTensors(contents, buffers, isSaved);
  return std::move(contents.metadata);
}

} // namespace

std::map<std::string, std::string> loadWeights(Model &model,
                                               const std::filesystem::path &path) {
  return loadWeightsImpl(model, path, nullptr);
}

std::map<std::string, std::string> loadWeightsPartially(Model &model,
                                                        const std::filesystem::path &path,
                                                        PartialLoad &report) {
  return loadWeightsImpl(model, path, &report);
}

} // namespace gradc::rt
