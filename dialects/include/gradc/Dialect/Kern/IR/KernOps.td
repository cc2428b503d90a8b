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
}

class Kern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kern_Dialect, mnemonic, traits>;

def Kern_AllocOp : Kern_Op<"alloc", [MemoryEffects<[MemAlloc]>]> {
  let summary = "a temporary buffer";
  let description = [{
    A buffer that lives for one call of the enclosing entry point. Memory
    planning decides where it lives.

    ```mlir
    %h = kern.alloc : memref<64x256xf32>
    ```
  }];
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

def Kern_KernelOp : Kern_Op<"kernel", [AttrSizedOperandSegments]> {
  let summary = "one nn op computed over buffers";
  let description = [{
    Computes the nn op named by `callee`, with the op's attributes in
    `params`, reading `ins` and writing `outs` (one per result of the nn
    op, in order). An out buffer may also be an in buffer only for
    elementwise ops, which read each element before writing it.

    ```mlir
    kern.kernel "nn.linear" ins(%x, %w, %b : memref<64x784xf32>, memref<256x784xf32>, memref<256xf32>)
                            outs(%h : memref<64x256xf32>) {}
    ```
  }];
  let arguments = (ins StrAttr:$callee,
                       Arg<Variadic<AnyStaticShapeMemRef>, "", [MemRead]>:$ins,
                       Arg<Variadic<AnyStaticShapeMemRef>, "", [MemWrite]>:$outs,
                       DictionaryAttr:$params);
  let assemblyFormat = [{
    $callee `ins` `(` ($ins^ `:` type($ins))? `)` `outs` `(` $outs `:` type($outs) `)`
    $params attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether the kernel computes each output element from the input
    /// elements at the same (broadcast) index only.
    bool isElementwise();
  }];
}

#endif // GRADC_DIALECT_KERN_IR_KERNOPS_TD
