// checkpoint.h — checkpoints (weights, optimizer state, step and the trainer's
// position) as safetensors files, written atomically.
#ifndef GRADC_RUNTIME_CHECKPOINT_H
#define GRADC_RUNTIME_CHECKPOINT_H

#include "gradc/runtime/model.h"
#include "gradc/runtime/safetensors.h"

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace gradc::rt {

/// The file a checkpoint directory holds.
inline constexpr const char *kCheckpointFileName = "checkpoint.safetensors";

/// Replaces `path` with `bytes` so that a crash at any moment leaves either
/// the old file or the new one, never a mix: the bytes go to a temporary file
/// in the same directory, which is flushed to disk (fsync), renamed over
/// `path`, and the directory is flushed so that the rename itself is durable.
/// Throws Error naming the file on any failure (and removes the temporary).
void writeFileAtomically(const std::filesystem::path &path, std::string_view bytes);

/// Writes every buffer of the model — parameters, running statistics and
/// optimizer state — by BufferRef::name, and in `__metadata__`:
///   format       "gradc-checkpoint"
///   version      "1"
///   model        ModelInfo::name
///   fingerprint  ModelInfo::fingerprint (recorded even when empty)
///   step         Model::step()
///   crc32c       a JSON object: each tensor's name → the CRC-32C of its bytes
/// plus `extra` (the trainer's position, schedule, RNG and early-stopping
/// state), whose keys must not be any of the above. Written with
/// writeFileAtomically.
void saveCheckpoint(Model &model, const std::filesystem::path &path,
                    const std::map<std::string, std::string> &extra);

/// Reads a checkpoint back into the model (every buffer, and the step through
/// Model::setStep) and returns its metadata. A file that is not a gradc
/// checkpoint, is damaged or truncated (its byte offset is named), was written
/// by another model (fingerprint or name), or whose tensors differ from the
/// model's buffers in name, dtype or shape is refused with an Error that names
/// the file, and the model is left unchanged.
std::map<std::string, std::string> loadCheckpoint(Model &model,
                                                  const std::filesystem::path &path);

/// Whether a safetensors file's metadata is that of a checkpoint.
bool isCheckpointMetadata(const std::map<std::string, std::string> &metadata);

/// The model's buffers matched by name against a safetensors file's tensors,
/// as loading weights and loading checkpoints both need it.
struct TensorMatch {
  std::vector<std::string> missing; ///< buffers to load that the file lacks
  std::vector<std::string> extra;   ///< tensors of the file that match no buffer
};

/// Matches the buffers `load` selects, and those `allow` lets the file hold
/// without their being loaded, against `contents`; `check` sees every buffer
/// that has its tensor, and throws for a dtype or shape it refuses.
TensorMatch matchTensors(const SafetensorsContents &contents,
                         const std::vector<BufferRef> &buffers,
                         const std::function<bool(const BufferRef &)> &load,
                         const std::function<bool(const BufferRef &)> &allow,
                         const std::function<void(const BufferRef &, const Tensor &)> &check);

/// Copies into every buffer `load` selects its tensor of `contents` (matched
/// by matchTensors first, so every one is there, of its dtype and shape).
void copyTensors(const SafetensorsContents &contents, const std::vector<BufferRef> &buffers,
                 const std::function<bool(const BufferRef &)> &load);

/// "a, b, c": names as messages list them.
std::string nameList(const std::vector<std::string> &names);

/// Checks every tensor of a checkpoint's contents against the CRC-32C its
/// metadata records; an Error names the file and the damaged tensor's offset.
void verifyCheckpointTensors(const SafetensorsContents &contents,
                             const std::filesystem::path &path);

/// The CRC-32C (Castagnoli) of `size` bytes, continuing from `crc` (0 to
/// start): the checksum of checkpoints and of TensorBoard's records.
uint32_t crc32c(const void *data, size_t size, uint32_t crc = 0);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_CHECKPOINT_H
