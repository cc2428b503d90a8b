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
#include <vector>

namespace gradc::rt {

/// The format of a data file, from its name: "npy" for `.npy`, "csv" for
/// `.csv`, "text" for `.txt`, "idx" for names ending in `-ubyte` or `.idx`, optionally followed
/// by `.gz`; nullopt otherwise.
std::optional<std::string> dataFormatOf(const std::filesystem::path &path);

/// A data set in the model's own dtypes and shapes, ready to be batched.
struct Dataset {
  /// One tensor per ModelInfo::inputs / labels: [size, ...shape] in its dtype,
  /// except that u8 inputs of a floating-point model are kept as u8 (a quarter
  /// of the memory) and become the model's values as they are gathered.
  std::vector<Tensor> inputs;
  std::vector<Tensor> labels;
  /// Per input: the factor its kept u8 values are multiplied by as they are
  /// gathered (the source's scale), 1 for inputs held in the model's dtype.
  std::vector<double> inputScales;
  int64_t size = 0;
  /// CSV: the feature columns by name, in the order of `inputs` (empty for
  /// other formats, or without a header).
  std::vector<std::string> featureNames;
  /// Windows of one sequence (text and token files, text.h), in stream
  /// order: a validation split holds out the last of them, by position.
  bool sequential = false;
  /// Text: the vocabulary that encoded it, its characters in id order as
  /// UTF-8 (what weights files record, kVocabKey); empty otherwise.
  std::string vocab;
};

/// Loads a data source (DataSource::kind "idx", "npy", "csv", "text" or
/// "tokens"; the last two as windowDataset in text.h, text encoded with
/// DataSource::vocab or its own characters) for a model:
/// a file per input and per label (DataSource::files by name, or
/// DataSource::inputs / labels for a model's only input and label; a model
/// without labels needs none), or one CSV file for a model of one input and
/// at most one label.
///
/// Inputs are multiplied by source.scale (integer files only, with
/// source.scaleIntegersOnly) and converted to the model's input dtype; an
/// integer input dtype takes only integral values in its range.
///
/// A file's sample shape is compared with the model's axis by axis, as
/// source.layout says: by default the two must be equal once axes of size 1
/// are dropped (28×28 images feed a [1, 28, 28] input, never a [784] or a
/// [28, 28, 1] one); "nhwc" takes channels-last samples and moves the last
/// axis first; "flat" takes any shape of the same number of values, in
/// row-major order. A mismatch names the file and both shapes, and suggests
/// the layout that would read the samples when one would. Labels are
/// converted to the model's label dtype and compared the same way; class
/// labels (ModelInfo::classes > 0) must be integers in [0, classes), and an
/// error names the file and the sample (one-hot labels are named as such).
/// Inputs and labels must have the same number of samples, at least one.
///
/// CSV: the label column is source.labelColumn, a header name or, when all
/// digits, a 0-based index; the last column when it is empty. Every other
/// column is a feature: by header name in the order of source.featureColumns
/// when it is set (a column missing or extra is an error naming them), else
/// in file order. A CSV row feeds an input of one axis (besides axes of size
/// 1), or any input with layout "flat".
Dataset loadDataset(const ModelInfo &info, const DataSource &source,
                    const LoadLimits &limits = {});

/// Loads only inputs, as loadDataset does, for prediction: one [N, ...shape]
/// per ModelInfo::inputs.
/// A CSV file in the training layout has its label column skipped: the
/// column named source.labelColumn when the file has it, or, by position,
/// when the file has one column more than the model's input has values.
std::vector<Tensor> loadInputs(const ModelInfo &info, const DataSource &source,
                               const LoadLimits &limits = {});

/// A pointer to sample `sample` of each tensor (whose first axis is the
/// sample): the arrays the Model entry points take.
std::vector<const void *> samplePointers(const std::vector<Tensor> &tensors, int64_t sample);

/// The weight of samples [first, first + count) of `data` in a mean of the
/// loss over a data set: `count`, or, when the model's loss ignores a label
/// value (TensorSpec::ignoreIndex), the number of label values of those
/// samples that are not it, so that the mean is over what the loss counts,
/// as PyTorch's is over every token not ignored.
int64_t lossWeight(const ModelInfo &info, const Dataset &data, int64_t first, int64_t count);

/// A [batch, ...shape] tensor per spec, in its dtype.
std::vector<Tensor> batchTensors(const std::vector<TensorSpec> &specs, int64_t batch);

/// gatherSamples for each tensor of `from` into the same one of `to`, with
/// the scale of each (Dataset::inputScales; none: 1).
void gatherSamples(const std::vector<Tensor> &from, const int64_t *indices, int64_t count,
                   std::vector<Tensor> &to, const std::vector<double> &scales = {});

/// Whether some input of `data` is kept in other values than the model's
/// (u8), so that its samples must be gathered before the model reads them.
bool keepsStoredValues(const Dataset &data);

/// The model's inputs for samples [first, first + count) of `data`: pointers
/// into the data itself, or into `scratch` (batchTensors of `count` samples)
/// where kept u8 values must first become the model's.
std::vector<const void *> inputsAt(const Dataset &data, int64_t first, int64_t count,
                                   std::vector<Tensor> &scratch);

/// Copies samples indices[0], ..., indices[count − 1] of `from` (whose first
/// axis is the sample) into the first `count` samples of `to`; u8 samples
/// into an f32 or f64 `to` become each value times `scale`, rounded as the
/// loader rounds them. Throws Error on another dtype or a sample-shape
/// mismatch, an index out of range, or a `to` with fewer than `count` samples.
void gatherSamples(const Tensor &from, const int64_t *indices, int64_t count, Tensor &to,
                   double scale = 1.0);

} // namespace gradc::rt

#endif // GRADC_RUNTIME_DATASET_H
