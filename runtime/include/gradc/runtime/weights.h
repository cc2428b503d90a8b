// weights.h — parameter initialization and weights files (safetensors) for a Model.
#ifndef GRADC_RUNTIME_WEIGHTS_H
#define GRADC_RUNTIME_WEIGHTS_H

#include "gradc/runtime/model.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace gradc::rt {

/// Initializes every Param and Buffer of the model from its BufferRef::init,
/// drawing from one gradc::rt::Rng(seed) in the order of Model::buffers() and,
/// within a buffer, in row-major order (one draw per element for uniform
/// distributions, two — Rng::normal — for normal ones). Optimizer state is
/// left to Model::resetOptimizer().
///
/// fan_in and fan_out are BufferRef::fanIn / fanOut when positive, otherwise
/// PyTorch's: fan_in = shape[1] · receptive field, fan_out = shape[0] ·
/// receptive field, receptive field = product of shape[2:].
///   Default  by BufferRef::role (or, when the role is empty, by the name's last
///            component), as PyTorch's layers initialize themselves:
///              "weight"        U(±1/√fan_in)  (kaiming_uniform with a = √5)
///              "bias"          U(±1/√fan_in)  (0 when fan_in is 0)
///              "embedding"     N(0, 1)        (torch.nn.Embedding)
///              "gamma", "running_var"   ones
///              "beta", "running_mean"   zeros
///   He       N(0, √(2 / fan_in))   (kaiming_normal, fan_in, gain √2)
///   Xavier   U(±√(6 / (fan_in + fan_out)))
///   Normal   N(0, 0.01)
///   Zeros, Ones
/// Values are computed in double and rounded to the buffer's dtype (f32 or
/// f64). Throws Error naming the buffer for an unknown role, a fan that is 0
/// where a distribution needs it, or a dtype that is not floating point.
void initializeParameters(Model &model, uint64_t seed);

/// The metadata key of a weights file (and checkpoint) that records the CSV
/// feature columns the model was trained on, comma-separated, in the model's
/// order: evaluation and prediction match a CSV file's columns by these names.
inline constexpr const char *kCsvFeaturesKey = "csv_features";

/// Writes every Param and Buffer, by BufferRef::name, as a safetensors file
/// (metadata: format "pt", the model's name, and `metadata`), replacing
/// `path` atomically (writeFileAtomically). Optimizer state is not written.
void saveWeights(Model &model, const std::filesystem::path &path,
                 const std::map<std::string, std::string> &metadata = {});

/// Reads a weights file back into the model's Params and Buffers and returns
/// its metadata. The file must hold exactly those names, each with the
/// model's dtype and shape; a missing name, an extra name, or a dtype or shape
/// mismatch is an Error that names the file and the tensor, and the model is
/// left unchanged. A checkpoint (saveCheckpoint) is accepted too: its
/// optimizer state is checked against the model's and left out, and its
/// checksums are verified.
std::map<std::string, std::string> loadWeights(Model &model,
                                               const std::filesystem::path &path);

/// What loadWeightsPartially loaded and left, by tensor name.
struct PartialLoad {
  std::vector<std::string> loaded;  ///< the model's Params and Buffers the file held
  std::vector<std::string> missing; ///< the model's that the file lacks: left as they were
  std::vector<std::string> ignored; ///< the file's that the model lacks
};

/// loadWeights for fine-tuning (`--load-partial`): the file may lack some of
/// the model's Params and Buffers (a new head, which keeps its values) and
/// hold tensors the model lacks (ignored). A tensor of both must still have
/// the model's dtype and shape: a mismatch is an Error naming both. Returns
/// the metadata; `report` tells what was loaded.
std::map<std::string, std::string> loadWeightsPartially(Model &model,
                                                        const std::filesystem::path &path,
                                                        PartialLoad &report);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_WEIGHTS_H
