// dataset.h — training and test data for a model: loading, conversion, batching.
#ifndef GRADC_RUNTIME_DATASET_H
#define GRADC_RUNTIME_DATASET_H

#include "gradc/runtime/load_limits.h"
#include "gradc/runtime/model.h"
#include "gradc/runtime/tensor.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace gradc::rt {

/// The format of a data file, from its name: "npy" for `.npy`, "csv" for
/// `.csv`, "idx" for names ending in `-ubyte` or `.idx`, optionally followed
/// by `.gz`; nullopt otherwise.
std::optional<std::string> dataFormatOf(const std::filesystem::path &path);

/// A data set in the model's own dtypes and shapes, ready to be batched.
struct Dataset {
  Tensor inputs; ///< [size, ...ModelInfo::inputShape], ModelInfo::inputDType
  Tensor labels; ///< [size, ...ModelInfo::labelShape], ModelInfo::labelDType
  int64_t size = 0;
};

/// Loads a data source (DataSource::kind "idx", "npy" or "csv") for a model.
///
/// Inputs are multiplied by source.scale and converted to the model's input
/// dtype; an integer input dtype takes only integral values in its range.
/// Samples are reshaped to the model's input shape when they hold the same
/// number of values (28×28 images feed a [1, 28, 28] or a [784] input);
/// otherwise the error shows both shapes. Labels are converted to the model's
/// label dtype; class labels (ModelInfo::classes > 0) must be integers in
/// [0, classes), and an error names the file and the sample. Inputs and labels
/// must have the same number of samples, at least one.
///
/// CSV: the label column is source.labelColumn, a header name or, when all
/// digits, a 0-based index; the last column when it is empty. Every other
/// column is a feature.
Dataset loadDataset(const ModelInfo &info, const DataSource &source,
                    const LoadLimits &limits = {});

/// Loads only inputs, as loadDataset does, for prediction: [N, ...inputShape].
/// A CSV file's columns are all features.
Tensor loadInputs(const ModelInfo &info, const DataSource &source,
                  const LoadLimits &limits = {});

/// Copies samples indices[0], ..., indices[count − 1] of `from` (whose first
/// axis is the sample) into the first `count` samples of `to`. Throws Error on
/// a dtype or sample-shape mismatch, an index out of range, or a `to` with
/// fewer than `count` samples.
void gatherSamples(const Tensor &from, const int64_t *indices, int64_t count, Tensor &to);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_DATASET_H
