// model.h — the interface between a generated model class and the runtime's trainer.
//
// gradc emits, per model, a class derived from gradc::rt::Model whose steps are
// straight-line calls into the runtime's kernels over buffers it owns. The
// trainer (trainer.h) drives any Model: data loading, shuffling, batching,
// evaluation, logging and the command line live here once, not in generated code.
#ifndef GRADC_RUNTIME_MODEL_H
#define GRADC_RUNTIME_MODEL_H

#include "gradc/runtime/tensor.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gradc::rt {

/// How a parameter is initialized before training (LANGUAGE.md's `init:`).
enum class Init : uint8_t {
  Default, ///< PyTorch's default for the layer kind (kaiming_uniform(a=√5) for
           ///< weights, U(±1/√fan_in) for biases, ones for gamma, zeros for beta)
  He,      ///< kaiming normal, fan-in, gain √2: N(0, 2 / fan_in)
  Xavier,  ///< glorot uniform: U(±√(6 / (fan_in + fan_out)))
  Normal,  ///< N(0, σ²), σ = BufferRef::initScale (0.01 for a layer's `init: normal`)
  Zeros,
  Ones,
  Uniform, ///< U(−a, a), a = BufferRef::initScale (`param ... init: uniform(a)`)
  Data,    ///< the values at BufferRef::initData (an imported graph's initializer)
};

/// What a model buffer holds.
enum class BufferKind : uint8_t {
  Param,    ///< trainable (or frozen) parameter, saved in weights files
  Buffer,   ///< non-trainable state saved with the weights (batch-norm running statistics)
  OptState, ///< optimizer state (moments); saved only in checkpoints
  Grad,     ///< the gradient of a trainable parameter from the last step
};

/// A buffer the model owns, by name: `dense_0.weight`, `dense_0.weight.adam_m`.
struct BufferRef {
  std::string name;
  BufferKind kind = BufferKind::Param;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  void *data = nullptr;
  Init init = Init::Default;
  bool trainable = true;
  /// For Init::Default of a bias: the fan-in of the layer that owns it.
  int64_t fanIn = 0;
  int64_t fanOut = 0;
  /// Whether the layer is a weight (2+ dims), bias, gamma or beta, for Init::Default.
  std::string role;
  /// Init::Normal's standard deviation or Init::Uniform's bound, as the
  /// model's `param` declaration gives it; 0 for a layer's `init: normal`,
  /// whose σ is 0.01.
  double initScale = 0.0;
  /// For Init::Data: numElements() values of `dtype`, built into the program.
  const void *initData = nullptr;

  /// Elements in the buffer: the product of its shape.
  int64_t numElements() const {
    int64_t count = 1;
    for (int64_t dim : shape)
      count *= dim;
    return count;
  }
};

/// The per-batch statistics a metric is computed from, summed over an epoch.
enum class MetricKind : uint8_t { Accuracy, Precision, Recall, F1, Mae, Rmse };

struct MetricSpec {
  std::string name;     ///< as written in the model: "accuracy", "f1", ...
  MetricKind kind;
  int64_t classes = 0;  ///< classification metrics: the confusion matrix is classes²
  /// Regression metrics: how many error terms one full batch sums.
  int64_t termsPerSample = 1;
  /// Multi-label classification (`label tags: f32[B, K]`): K binary
  /// classifications, each with its own classes² (2×2) confusion matrix; 0
  /// for one classification.
  int64_t labels = 0;
};

/// One of the model's inputs or labels (`input x: f32[B, 3, 8, 8]`,
/// `label y: i32[B] classes 10`), by its name in the model.
struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape; ///< one sample, without the batch dimension
  int64_t classes = 0;        ///< labels: 0 unless they are class indices
  /// Labels: a value outside [0, classes) the loss ignores (PyTorch's
  /// ignore_index), which the data may hold; INT64_MIN when there is none.
  int64_t ignoreIndex = INT64_MIN;
  /// The values the model's ops accept (an embedding's ids, bce_with_logits'
  /// targets), which data is checked against when it loads; `use` says which
  /// op needs them and where ("the ids of embedding_0 (model.gc:7, 50
  /// rows)"), and is empty when the model sets no bounds.
  struct Range {
    double low = 0, high = 0;
    bool highOpen = false, integral = false;
    std::string use;
  } range;
};

/// A data source from the model's `train { data ... }` / `test ...` settings.
struct DataSource {
  std::string kind; ///< "idx", "csv", "npy", "text", "tokens", or "" when none is set
  std::string inputs;       ///< idx: images; csv, text, tokens: path; npy: inputs
  std::string labels;       ///< idx/npy: labels file
  double scale = 1.0;       ///< multiply inputs by this
  std::string labelColumn;  ///< csv
  bool header = true;       ///< csv
  /// How a file's samples map onto the model's input (docs/language.md):
  /// "" as the model's own shape (axes of size 1 may be missing or extra),
  /// "nhwc" channels last (moved first at load), "flat" any shape holding
  /// the same number of values, reshaped in row-major order.
  std::string layout;
  /// Only integer-typed files (IDX, an integer .npy) are multiplied by
  /// `scale`; floating-point files are taken as they are. Set for a file
  /// given on the command line whose format none of the model's sources has:
  /// integer data is stored unscaled, floating-point data usually is not.
  bool scaleIntegersOnly = false;
  /// CSV: the feature columns by header name, in the order the model takes
  /// them (the training data's header); empty: every column but the label,
  /// in file order.
  std::vector<std::string> featureColumns;
  /// Files by the name of the input or label they hold, for models of
  /// several inputs or labels (npy(image: "a.npy", meta: "b.npy", y: "c.npy"),
  /// --data image=a.npy); `inputs` and `labels` serve a model's only input
  /// and only label.
  std::map<std::string, std::string> files;
  /// text: the characters of the vocabulary in id order, UTF-8; empty: the
  /// file's own distinct characters in code-point order (text.h).
  std::string vocab;
};

/// A learning-rate schedule from `train { schedule ... }`, as a function of the
/// optimizer step (0-based) and the base learning rate:
///  constant: lr;  step: lr · gamma^floor(t / every);  exponential: lr · gamma^t;
///  cosine: linear warmup from 0 over `warmup` steps, then
///          min_lr + (lr − min_lr)(1 + cos(π · min(t − warmup, steps − warmup) / (steps − warmup))) / 2;
///  linear: the same warmup, then min_lr + (lr − min_lr)(1 − min(t − warmup, steps − warmup) / (steps − warmup));
///  one_cycle: PyTorch's OneCycleLR (cosine annealing, the learning rate only), see schedule.h.
struct Schedule {
  std::string kind = "constant";
  int64_t every = 1;
  double gamma = 1.0;
  int64_t steps = 1;
  int64_t warmup = 0;
  double minLr = 0.0;
  double pctStart = 0.3;
  double divFactor = 25.0;
  double finalDivFactor = 1e4;
};

/// The model's predict entry point as an ONNX inference graph, which
/// `PROGRAM --export-onnx` writes with the weights the model holds (onnx.h):
/// two serialized protobuf messages the compiler checked with ONNX's
/// checker, short of the weights.
struct OnnxGraph {
  std::string model;  ///< the ModelProto without its graph
  std::string graph;  ///< the GraphProto without the initializers below
  /// The buffers (parameters, running statistics) the graph reads, by name;
  /// each is written as an initializer of that name.
  std::vector<std::string> initializers;
  /// Why the model has no ONNX form (the op and its model line); empty when
  /// it has one, or when the program was built without one.
  std::string unsupported;
};

/// Everything the trainer needs to know about a compiled model.
struct ModelInfo {
  std::string name;
  int64_t batch = 0;
  /// Whether trainStep() fills gradients(): false for a program compiled with
  /// `gradc -fno-step-gradients`, whose gradients() only lossGrad() and
  /// trainGrad() fill.
  bool stepGradients = true;
  /// The model's inputs and labels, in the order the entry points take them;
  /// a model may have several of each, and no label (an autoencoder).
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> labels;
  std::vector<int64_t> outputShape; ///< one sample, without the batch dimension
  DType outputDType = DType::F32;   ///< of the model's `output` (predict)
  std::vector<MetricSpec> metrics;
  std::string optimizer;            ///< for messages: "adam", "sgd", ...
  Schedule schedule;
  // Run-time defaults from `train { }`; the program's flags override them.
  int64_t epochs = 1;
  double lr = 1e-3;
  uint64_t seed = 0;
  double validation = 0.0;
  DataSource data;
  DataSource test;
  /// `early_stopping(metric:, patience:)`: the metric to monitor ("val_loss",
  /// "val_accuracy", ...) and how many evaluations without improvement end
  /// training; "" when the model sets none.
  std::string earlyStoppingMetric;
  int64_t earlyStoppingPatience = 0;
  /// `checkpoint(dir:, every:)`: where checkpoints go (relative to the
  /// program's working directory), "" when the model sets none; and every how
  /// many optimizer steps, the default of --checkpoint-every. This initializer
  /// is the language's default: the compiler sets the field only when the
  /// model says `every`.
  std::string checkpointDir;
  int64_t checkpointEvery = 1000;
  /// The processes the model was compiled to train on (`gradc --ranks N`):
  /// with N > 1, `batch` is one rank's share of a global batch of
  /// batch × N samples, and training runs under `mpirun -np N`
  /// (docs/distributed.md).
  int64_t ranks = 1;
  /// Identifies the compiled model: a hash (16 hex digits) of its kernels,
  /// buffers and the settings that change the computation (not the defaults
  /// of the program's flags, nor where the model file and its data are).
  /// Checkpoints record it, and a checkpoint of another model is refused.
  std::string fingerprint;
  /// The train section's settings that the fingerprint covers, one
  /// "key=value" line each (optimizer.beta1=0.9): a refused checkpoint's
  /// message names those that differ.
  std::string trainSettings;
  /// For --export-onnx.
  OnnxGraph onnx;
};

/// What one step reports: the batch's mean loss and its metric statistics,
/// laid out metric by metric (classes² counts, or one sum of error terms).
struct StepResult {
  double loss = 0.0;
  std::vector<double> metricStats;
};

/// A compiled model. The entry points take `inputs` and `labels` as arrays
/// of pointers, one per ModelInfo::inputs / ModelInfo::labels in that order
/// (labels may be nullptr for a model without labels); each pointer addresses
/// `batch` (or 1, for the *One entry points) contiguous samples in its dtype
/// and shape.
class Model {
public:
  virtual ~Model() = default;

  virtual const ModelInfo &info() const = 0;

  /// Every parameter, buffer and optimizer state, in a stable order.
  virtual std::vector<BufferRef> buffers() = 0;

  /// Resets optimizer state and the step counter (parameters are initialized
  /// by the trainer from BufferRef::init).
  virtual void resetOptimizer() = 0;

  /// One optimizer step on a full batch: forward, backward, update. `lr` is the
  /// learning rate for this step (after the schedule); `rngKey` seeds dropout.
  virtual StepResult trainStep(const void *const *inputs, const void *const *labels, double lr,
                               uint64_t rngKey) = 0;

  /// Forward in evaluation mode on a full batch.
  virtual StepResult evalStep(const void *const *inputs, const void *const *labels) = 0;

  /// Forward in evaluation mode on one sample: evaluates the last partial
  /// batch without padding, so no sample is dropped or counted twice.
  virtual StepResult evalOne(const void *const *inputs, const void *const *labels) = 0;

  /// The model's `output` for a full batch / one sample.
  virtual void predict(const void *const *inputs, void *outputs) = 0;
  virtual void predictOne(const void *const *inputs, void *outputs) = 0;

  /// Optimizer steps taken since resetOptimizer().
  virtual int64_t step() const = 0;
  virtual void setStep(int64_t step) = 0;

  /// The gradient of the loss with respect to every trainable parameter
  /// (BufferKind::Grad, named as the parameter, same dtype and shape), from
  /// the last trainStep() (unless ModelInfo::stepGradients is false),
  /// lossGrad() or trainGrad(): the raw gradient, before l1/l2 terms,
  /// clipping and the optimizer. Models without gradients return none.
  virtual std::vector<BufferRef> gradients() { return {}; }

  /// Forward and backward on a full batch in training mode (dropout keyed by
  /// `rngKey`) without updating anything: returns the loss and metric
  /// statistics and fills gradients(). Throws gradc::rt::Error where the
  /// model has no such entry point.
  virtual StepResult lossGrad(const void *const *inputs, const void *const *labels, uint64_t rngKey);

  /// Forward and backward on a full batch in training mode, as trainStep
  /// computes them (running statistics of batch normalization included), but
  /// without the optimizer update: fills gradients() and returns the loss and
  /// metric statistics. Data-parallel training calls it, averages gradients()
  /// across processes, then calls applyUpdate(). Throws gradc::rt::Error
  /// where the model has no such entry point.
  virtual StepResult trainGrad(const void *const *inputs, const void *const *labels, uint64_t rngKey);

  /// The optimizer update of trainStep applied to the gradients() as they
  /// are (l1/l2 terms, clipping, then the optimizer), with learning rate `lr`;
  /// counts one step. Throws gradc::rt::Error where the model has no such
  /// entry point.
  virtual void applyUpdate(double lr);

  /// With `on`, every kernel's floating-point output is checked for NaN and
  /// infinity, and the first one found throws gradc::rt::NumericsError naming
  /// the kernel and its model-file line. Models that cannot check ignore it.
  virtual void setCheckNumerics(bool on) { (void)on; }
};

} // namespace gradc::rt

#endif // GRADC_RUNTIME_MODEL_H
