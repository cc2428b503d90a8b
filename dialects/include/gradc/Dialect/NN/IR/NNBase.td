//===- NNBase.td - nn dialect definition and type constraints -*- tablegen -*-===//

#ifndef GRADC_DIALECT_NN_IR_NNBASE_TD
#define GRADC_DIALECT_NN_IR_NNBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::gradc::nn";
  let summary = "Value-semantics tensor ops for neural-network training";
  let description = [{
    The `nn` dialect is gradc's model-level IR. Every op works on static,
    ranked builtin tensors with value semantics: no op reads or writes
    memory, so the autodiff, train-step, fusion and planning passes can
    reason about data flow alone. Element types are `f32` and `f64` for
    data, `i32` for labels, indices and counts, `i1` for masks, and `i64`
    for random-number keys.

    Ops sit at the level a training program is written at (`nn.linear`,
    `nn.conv2d`, `nn.batch_norm_train`) where a dedicated kernel or a
    numerically stable gradient matters, and at the primitive level
    (`nn.add`, `nn.exp`, `nn.reduce_sum`) everywhere else; built-ins with
    no op of their own (`mse`, `huber`, `bce_with_logits`, `flatten`,
    `global_avg_pool`, ...) are decompositions into these.

    Function arguments carry the model's meaning in `nn.*` argument
    attributes (`nn.role`, `nn.name`, `nn.init`, `nn.classes`, `nn.range`), verified by
    the dialect.
  }];
  let hasConstantMaterializer = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let hasOperationAttrVerify = 1;
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// Argument attribute names understood by the dialect.
    static constexpr llvm::StringLiteral kRoleAttrName = "nn.role";
    static constexpr llvm::StringLiteral kNameAttrName = "nn.name";
    static constexpr llvm::StringLiteral kInitAttrName = "nn.init";
    static constexpr llvm::StringLiteral kClassesAttrName = "nn.classes";
    static constexpr llvm::StringLiteral kFrozenAttrName = "nn.frozen";
    /// On a label: a value that is no class, which the loss reading it
    /// ignores (softmax_cross_entropy's ignore_index); its data may hold it.
    static constexpr llvm::StringLiteral kIgnoreIndexAttrName = "nn.ignore_index";
    /// On a parameter initialized by `normal` or `uniform` from a `param`
    /// declaration: the standard deviation, or the bound of U(-a, a).
    static constexpr llvm::StringLiteral kInitScaleAttrName = "nn.init_scale";
    /// On a parameter initialized by `data` (an imported graph's
    /// initializer): its initial values, an elements attribute of its type.
    static constexpr llvm::StringLiteral kInitDataAttrName = "nn.init_data";
    /// On an input or label: the values the model's ops accept from it,
    /// {low, high, high_open, integral, use}; the program checks its data
    /// against it when it loads (an embedding's ids, bce_with_logits'
    /// targets).
    static constexpr llvm::StringLiteral kRangeAttrName = "nn.range";
    /// On a module: where its train section is, the model line of what
    /// the optimizer computes once per step (Adam's step size).
    static constexpr llvm::StringLiteral kLocAttrName = "nn.loc";
    /// On a module: its #nn.train settings.
    static constexpr llvm::StringLiteral kTrainAttrName = "nn.train";

  private:
    void registerAttributes();
  public:
  }];
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

class NN_StaticTensorOf<list<Type> types>
    : StaticShapeTensorOf<types>;

def NN_FloatTensor : NN_StaticTensorOf<[F32, F64]>;
def NN_NumericTensor : NN_StaticTensorOf<[F32, F64, I32]>;
def NN_AnyTensor : NN_StaticTensorOf<[F32, F64, I32, I1, I64]>;
def NN_IndexTensor : NN_StaticTensorOf<[I32]>;
def NN_MaskTensor : NN_StaticTensorOf<[I1]>;
def NN_ScalarFloat : Type<And<[NN_FloatTensor.predicate,
                                CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() == 0">]>,
                           "rank-0 tensor of f32 or f64", "::mlir::TensorType">;
def NN_RngKey : Type<And<[NN_StaticTensorOf<[I64]>.predicate,
                           CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() == 0">]>,
                      "rank-0 tensor of i64 (a random-number key)", "::mlir::TensorType">;

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

// What an argument or a result of a model function is: `nn.role =
// #nn.role<param>` (and `kern.out` on a kern function's outputs), read and
// written through gradc::nn::argumentRole / resultRole / roleAttrs.
def NN_Role : I32EnumAttr<"Role", "what a model function's argument or result is", [
    I32EnumAttrCase<"Input", 0, "input">, I32EnumAttrCase<"Label", 1, "label">,
    I32EnumAttrCase<"Param", 2, "param">, I32EnumAttrCase<"Buffer", 3, "buffer">,
    I32EnumAttrCase<"Rng", 4, "rng">, I32EnumAttrCase<"Hyper", 5, "hyper">,
    I32EnumAttrCase<"OptState", 6, "opt_state">, I32EnumAttrCase<"Grad", 7, "grad">,
    I32EnumAttrCase<"Loss", 8, "loss">, I32EnumAttrCase<"Metric", 9, "metric">,
    I32EnumAttrCase<"Output", 10, "output">,
    I32EnumAttrCase<"BufferUpdate", 11, "buffer_update">,
    I32EnumAttrCase<"ParamUpdate", 12, "param_update">,
    I32EnumAttrCase<"OptStateUpdate", 13, "opt_state_update">]> {
  let cppNamespace = "::gradc::nn";
  let genSpecializedAttr = 0;
}

def NN_RoleAttr : EnumAttr<NN_Dialect, NN_Role, "role"> {
  let assemblyFormat = "`<` $value `>`";
}

def NN_CmpPredicate : I32EnumAttr<"CmpPredicate", "comparison predicate", [
    I32EnumAttrCase<"eq", 0>, I32EnumAttrCase<"ne", 1>,
    I32EnumAttrCase<"lt", 2>, I32EnumAttrCase<"le", 3>,
    I32EnumAttrCase<"gt", 4>, I32EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::gradc::nn";
}

#endif // GRADC_DIALECT_NN_IR_NNBASE_TD
