//===- KernOps.td - the kern dialect: kernels over buffers ---*- tablegen -*-===//

#ifndef GRADC_DIALECT_KERN_IR_KERNOPS_TD
#define GRADC_DIALECT_KERN_IR_KERNOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Kern_Dialect : Dialect {
  let name = "kern";
  let cppNamespace = "::gradc::kern";
  let summary = "Kernels over buffers: what gradc's C++ emitter prints";
  let description = [{
    After `gradc-lower-to-kern`, every entry point is a function over static
    memrefs in destination-passing style: each op of the nn dialect became
    one `kern.kernel` that reads its `ins` buffers and writes its `outs`
    buffers, temporaries are `kern.alloc`s, and reshapes are `kern.view`s
    that alias their source. Results become output buffers (`kern.out`
    argument attributes); parameters, buffers and optimizer states are
    updated in place. The emitter prints each kernel as one call into the
    runtime or one loop nest, with a comment naming its model-file line.
  }];
  let hasRegionArgAttrVerify = 1;
  // Kernels name the nn ops they compute.
  let dependentDialects = ["::gradc::nn::NNDialect"];
}

class Kern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kern_Dialect, mnemonic, traits>;

def Kern_AllocOp : Kern_Op<"alloc", [MemoryEffects<[MemAlloc]>]> {
  let summary = "a temporary buffer";
  let description = [{
    A buffer that lives for one call of the enclosing entry point. Memory
    planning (`gradc-plan-memory`) decides where it lives: `offset` is its
    byte offset in the function's arena, shared with every temporary whose
    value is dead while this one is live. Inside a `kern.fused` body the
    buffer is a per-iteration local and has no offset.

    ```mlir
    %h = kern.alloc {offset = 4096} : memref<64x256xf32>
    ```
  }];
  let arguments = (ins OptionalAttr<I64Attr>:$offset);
  let results = (outs AnyStaticShapeMemRef:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Kern_ViewOp : Kern_Op<"view", [Pure]> {
  let summary = "the same buffer with another shape";
  let description = [{
    Reinterprets a buffer (row-major) with another static shape of the same
    element type and count; no data moves.

    ```mlir
    %flat = kern.view %x : memref<64x1x28x28xf32> to memref<64x784xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeMemRef:$source);
  let results = (outs AnyStaticShapeMemRef:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `to` type($result)";
  let hasVerifier = 1;
}

def Kern_CopyOp : Kern_Op<"copy", [AllTypesMatch<["source", "target"]>]> {
  let summary = "copy one buffer into another of the same type";
  let description = [{
    ```mlir
    kern.copy %a, %b : memref<10xf32>
    ```
  }];
  let arguments = (ins Arg<AnyStaticShapeMemRef, "", [MemRead]>:$source,
                       Arg<AnyStaticShapeMemRef, "", [MemWrite]>:$target);
  let assemblyFormat = "$source `,` $target attr-dict `:` type($source)";
}

def Kern_KernelOp : Kern_Op<"kernel", [AttrSizedOperandSegments, SingleBlock,
    NoTerminator, IsolatedFromAbove]> {
  let summary = "one nn op computed over buffers";
  let description = [{
    Computes its payload, one nn op, reading `ins` and writing `outs` (one
    per result of the op, in order). The payload is the op itself, over
    tensors of the buffers' types: the kernel's body is one block whose
    arguments stand for `ins`. What the kernel means to fusion, planning, the
    cost report and the emitter, each asks the payload's interfaces
    (`ElementwiseOpInterface`, `KernelOpInterface`). An out buffer may also
    be an in buffer only for elementwise ops, which read each element
    before writing it.

    The custom form names the payload and its attributes; the body is
    implied:

    ```mlir
    kern.kernel "nn.linear" ins(%x, %w, %b : memref<64x784xf32>, memref<256x784xf32>, memref<256xf32>)
                            outs(%h : memref<64x256xf32>) {}
    ```
  }];
  let arguments = (ins Arg<Variadic<AnyStaticShapeMemRef>, "", [MemRead]>:$ins,
                       Arg<Variadic<AnyStaticShapeMemRef>, "", [MemWrite]>:$outs);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    // A kernel computing a copy of `payload`, an nn op, over buffers.
    OpBuilder<(ins "::mlir::Operation *":$payload, "::mlir::ValueRange":$ins,
                   "::mlir::ValueRange":$outs)>,
    // A kernel computing the nn op `name` with attributes `params`.
    OpBuilder<(ins "::mlir::OperationName":$name, "::mlir::ValueRange":$ins,
                   "::mlir::ValueRange":$outs, "::mlir::DictionaryAttr":$params)>,
  ];
  let extraClassDeclaration = [{
    /// The nn op the kernel computes (null only in IR that does not verify).
    ::mlir::Operation *getPayload();
    /// The payload's name without its dialect ("linear"), for comments and
    /// messages.
    ::llvm::StringRef getPayloadName() {
      return getPayload()->getName().stripDialect();
    }
    /// Whether the kernel computes each output element from the input
    /// elements at the same (broadcast) index only.
    bool isElementwise();
    /// Whether the kernel can lead a `kern.fused` epilogue.
    bool isEpilogueProducer();
    /// Whether the payload is a constant (`ConstantLike`).
    bool isConstant();
  }];
}

def Kern_FusedOp : Kern_Op<"fused", [SingleBlock, NoTerminator,
    RecursiveMemoryEffects]> {
  let summary = "kernels computed together in one pass over their elements";
  let description = [{
    The kernels of the body run as one loop nest over the `shape` of their
    outputs: each iteration computes, in body order, every kernel's element
    at that index. Buffers allocated in the body (`kern.alloc`) are never
    stored: they become one local value per iteration. Buffers from outside
    are read (broadcast to `shape`) and written like the kernels would.
    Splat `nn.constant` kernels writing locals are hoisted out of the loop.

    With `kind = "elementwise"` every kernel of the body is elementwise. With
    `kind = "epilogue"` the first kernel is a producer (a matrix product, a
    convolution or a normalization) whose first output has `shape`; it runs
    whole first, and the elementwise kernels after it run over its output
    while that is still in cache.

    ```mlir
    kern.fused {kind = "epilogue", shape = array<i64: 64, 256>} {
      kern.kernel "nn.linear" ins(%x, %w, %b : memref<64x784xf32>, memref<256x784xf32>, memref<256xf32>)
                              outs(%pre : memref<64x256xf32>) {}
      kern.kernel "nn.relu" ins(%pre : memref<64x256xf32>) outs(%h : memref<64x256xf32>) {}
    }
    ```
  }];
  let arguments = (ins StrAttr:$kind, DenseI64ArrayAttr:$shape);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "attr-dict-with-keyword $body";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The kernels of the body, in order.
    auto getKernels() { return getBody().front().getOps<KernelOp>(); }
    /// Whether `value` is a buffer of the body (a per-iteration local).
    bool isLocal(mlir::Value value) {
      return value.getParentRegion() == &getBody();
    }
  }];
}

def Kern_SoftmaxCrossEntropyOp : Kern_Op<"softmax_cross_entropy"> {
  let summary = "softmax cross-entropy and its gradient in one pass";
  let description = [{
    Computes, from `logits` [N, C] and class indices `labels` [N], both the
    mean loss (`nn.softmax_cross_entropy`) and its gradient with respect to
    the logits scaled by the incoming gradient `dloss`
    (`nn.softmax_cross_entropy_backward`), reading each row once: the
    row's maximum and log-sum-exp serve both. `ignore_index` is the two ops'.

    ```mlir
    kern.softmax_cross_entropy %logits, %y, %one -> %loss, %dlogits
        : memref<64x10xf32>, memref<64xi32>, memref<f32> -> memref<f32>, memref<64x10xf32>
    ```
  }];
  let arguments = (ins Arg<AnyStaticShapeMemRef, "", [MemRead]>:$logits,
                       Arg<AnyStaticShapeMemRef, "", [MemRead]>:$labels,
                       Arg<AnyStaticShapeMemRef, "", [MemRead]>:$dloss,
                       Arg<AnyStaticShapeMemRef, "", [MemWrite]>:$loss,
                       Arg<AnyStaticShapeMemRef, "", [MemWrite]>:$dlogits,
                       OptionalAttr<I64Attr>:$ignore_index);
  let assemblyFormat = [{
    $logits `,` $labels `,` $dloss `->` $loss `,` $dlogits attr-dict `:`
    type($logits) `,` type($labels) `,` type($dloss) `->` type($loss) `,` type($dlogits)
  }];
  let hasVerifier = 1;
}

#endif // GRADC_DIALECT_KERN_IR_KERNOPS_TD
