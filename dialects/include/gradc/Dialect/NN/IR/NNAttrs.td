//===- NNAttrs.td - the train section as typed attributes -*- tablegen -*-===//
//
// A module's `nn.train` attribute is an #nn.train: the model's training
// settings, every one typed and verified here. The defaults of the language
// are stated once, in NNAttrs.h (train_defaults and the optimizer and
// schedule tables in NNAttrs.cpp); the compiler fills them in, and the
// generated program reads every value in force from its ModelInfo. Settings
// of #nn.train at their default print only when they differ from it.
//
//===----------------------------------------------------------------------===//

#ifndef GRADC_DIALECT_NN_IR_NNATTRS_TD
#define GRADC_DIALECT_NN_IR_NNATTRS_TD

include "gradc/Dialect/NN/IR/NNBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def NN_OptimizerKind : I32EnumAttr<"OptimizerKind", "an optimizer of torch.optim", [
    I32EnumAttrCase<"sgd", 0>, I32EnumAttrCase<"adam", 1>,
    I32EnumAttrCase<"adamw", 2>, I32EnumAttrCase<"rmsprop", 3>]> {
  let cppNamespace = "::gradc::nn";
  let genSpecializedAttr = 0;
}

def NN_ScheduleKind : I32EnumAttr<"ScheduleKind", "a learning-rate schedule", [
    I32EnumAttrCase<"constant", 0>, I32EnumAttrCase<"step", 1>,
    I32EnumAttrCase<"exponential", 2>, I32EnumAttrCase<"cosine", 3>,
    I32EnumAttrCase<"linear", 4>, I32EnumAttrCase<"one_cycle", 5>]> {
  let cppNamespace = "::gradc::nn";
  let genSpecializedAttr = 0;
}

def NN_DataSourceKind : I32EnumAttr<"DataSourceKind", "a data file format", [
    I32EnumAttrCase<"idx", 0>, I32EnumAttrCase<"csv", 1>, I32EnumAttrCase<"npy", 2>,
    I32EnumAttrCase<"text", 3>, I32EnumAttrCase<"tokens", 4>]> {
  let cppNamespace = "::gradc::nn";
  let genSpecializedAttr = 0;
}

class NN_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<NN_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def NN_OptimizerAttr : NN_Attr<"Optimizer", "optimizer"> {
  let summary = "an optimizer and its hyperparameters";
  let description = [{
    The optimizer's kind and every hyperparameter of it, as torch.optim names
    them (`beta1`, `beta2` for Adam's `betas`), f64 values and the boolean
    `nesterov` (sgd). Which hyperparameters a kind has, their defaults and
    their ranges are the table `optimizerSettings(kind)`; the verifier
    checks the dictionary against it.

    ```mlir
    #nn.optimizer<adam, {beta1 = 9.000000e-01 : f64, beta2 = 9.990000e-01 : f64,
                         eps = 1.000000e-08 : f64, weight_decay = 0.000000e+00 : f64}>
    ```
  }];
  let parameters = (ins EnumParameter<NN_OptimizerKind>:$kind, "::mlir::DictionaryAttr":$settings);
  let assemblyFormat = "`<` $kind `,` $settings `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// A hyperparameter's value: the dictionary's, or the table's default
    /// (a boolean as 0 or 1).
    double getSetting(::llvm::StringRef name) const;
  }];
}

def NN_ScheduleAttr : NN_Attr<"Schedule", "schedule"> {
  let summary = "a learning-rate schedule and its settings";
  let description = [{
    The schedule's kind and its settings (`every`, `gamma`, `steps`,
    `warmup`, `min_lr`, `pct_start`, `div_factor`, `final_div_factor`);
    which a kind has, their defaults and ranges are the table
    `scheduleSettings(kind)`. The formulas are the runtime's
    (gradc/runtime/schedule.h), PyTorch's where it has the schedule.

    ```mlir
    #nn.schedule<cosine, {min_lr = 0.000000e+00 : f64, steps = 1000 : i64, warmup = 0 : i64}>
    ```
  }];
  let parameters = (ins EnumParameter<NN_ScheduleKind>:$kind, "::mlir::DictionaryAttr":$settings);
  let assemblyFormat = "`<` $kind `,` $settings `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// A setting's value: the dictionary's, or the table's default.
    double getSetting(::llvm::StringRef name) const;
  }];
}

def NN_DataSourceAttr : NN_Attr<"DataSource", "data"> {
  let summary = "where a program reads its training or test data";
  let description = [{
    A data source of the train section: `idx(images:, labels:)`,
    `csv(path:, label_column:, header:)`, `npy(inputs:, labels:)`,
    `text(path:, vocab:)` or `tokens(path:)`, with absolute paths. `inputs`
    is the file of the model's input (idx's `images`, csv's, text's and
    tokens' `path`), `labels` that of its label; a model of several inputs or
    labels names a file for each in `files` instead. `scale` multiplies every
    input value as it loads; `layout` says how samples are laid out in the
    file ("nhwc" or "flat").

    `text` and `tokens` are sequences: a text file read character by
    character (UTF-8; `vocab`, when given, is the characters in id order,
    else the file's distinct characters in code-point order), or a `.npy`
    of token ids, cut into windows of T + 1 tokens that feed a language
    model's `input ids: i32[B, T]` and `label next: i32[B, T]`.
  }];
  let parameters = (ins
      EnumParameter<NN_DataSourceKind>:$kind,
      OptionalParameter<"::mlir::StringAttr">:$inputs,
      OptionalParameter<"::mlir::StringAttr">:$labels,
      OptionalParameter<"::mlir::StringAttr">:$label_column,
      DefaultValuedParameter<"F64", "::gradc::nn::train_defaults::kScale">:$scale,
      DefaultValuedParameter<"bool", "::gradc::nn::train_defaults::kHeader">:$header,
      OptionalParameter<"::mlir::StringAttr">:$layout,
      OptionalParameter<"::mlir::DictionaryAttr">:$files,
      OptionalParameter<"::mlir::StringAttr">:$vocab);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def NN_EarlyStoppingAttr : NN_Attr<"EarlyStopping", "early_stopping"> {
  let summary = "when training stops for want of improvement";
  let description = [{
    Training ends after `patience` evaluations in a row in which `metric`
    ("val_loss", "val_accuracy", "loss", ...) did not improve.
  }];
  let parameters = (ins "::mlir::StringAttr":$metric, "int64_t":$patience);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def NN_CheckpointAttr : NN_Attr<"Checkpoint", "checkpoint"> {
  let summary = "where and how often a program writes checkpoints";
  let description = [{
    The directory checkpoints go to (relative to the program's working
    directory) and, when the model says it, every how many optimizer steps;
    without `every` the program's own default applies (ModelInfo's).
  }];
  let parameters = (ins "::mlir::StringAttr":$dir,
                        OptionalParameter<"std::optional<int64_t>">:$every);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def NN_TrainAttr : NN_Attr<"Train", "train"> {
  let summary = "a model's training settings (its train section)";
  let description = [{
    Every setting of the model's train section, with the language's
    defaults filled in (train_defaults in NNAttrs.h; the learning rate's
    from the optimizer's table). `epochs`, `lr`, `seed`, `validation`,
    `data`, `test`, `early_stopping` and `checkpoint` are defaults of the
    program's flags and describe its data (run settings); the others change
    the computation. `ranks` is the number of processes of a data-parallel
    program (`gradc --ranks N`), `batch` the global batch.

    Parameters at their default (`epochs`, `seed`, `validation`, `l1`,
    `l2`, `ranks`) print only when they differ from it.

    ```mlir
    module attributes {nn.train = #nn.train<optimizer = <sgd,
        {momentum = 0.000000e+00 : f64, nesterov = false, weight_decay = 0.000000e+00 : f64}>,
        batch = 64, lr = 1.000000e-01, schedule = <constant, {}>>} { ... }
    ```
  }];
  let parameters = (ins
      "OptimizerAttr":$optimizer,
      "int64_t":$batch,
      DefaultValuedParameter<"int64_t", "::gradc::nn::train_defaults::kEpochs">:$epochs,
      "F64":$lr,
      DefaultValuedParameter<"int64_t", "::gradc::nn::train_defaults::kSeed">:$seed,
      DefaultValuedParameter<"F64", "::gradc::nn::train_defaults::kValidation">:$validation,
      DefaultValuedParameter<"F64", "::gradc::nn::train_defaults::kL1">:$l1,
      DefaultValuedParameter<"F64", "::gradc::nn::train_defaults::kL2">:$l2,
      OptionalParameter<"std::optional<F64>">:$clip_grad_norm,
      OptionalParameter<"std::optional<F64>">:$clip_grad_value,
      "ScheduleAttr":$schedule,
      OptionalParameter<"DataSourceAttr">:$data,
      OptionalParameter<"DataSourceAttr">:$test,
      OptionalParameter<"EarlyStoppingAttr">:$early_stopping,
      OptionalParameter<"CheckpointAttr">:$checkpoint,
      DefaultValuedParameter<"int64_t", "1">:$ranks);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The settings without those of the run (see above): what a
    /// checkpoint must agree on to resume, and what the fingerprint covers.
    TrainAttr withoutRunSettings() const;
    /// The computation's settings as "key=value" lines, nested ones as
    /// "optimizer.beta1=0.9", every value in full precision.
    std::string computeSettingsText() const;
  }];
}

#endif // GRADC_DIALECT_NN_IR_NNATTRS_TD
