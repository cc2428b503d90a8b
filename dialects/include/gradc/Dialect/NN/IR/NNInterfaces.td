//===- NNInterfaces.td - nn dialect op interfaces ------------*- tablegen -*-===//

#ifndef GRADC_DIALECT_NN_IR_NNINTERFACES_TD
#define GRADC_DIALECT_NN_IR_NNINTERFACES_TD

include "mlir/IR/OpBase.td"

def DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::gradc::nn";
  let description = [{
    An op whose reverse-mode derivative gradc knows. `buildVJP` builds, at
    the builder's insertion point, the vector-Jacobian product of the op:
    given one gradient per result (a null Value where a result receives
    none), it appends one gradient per operand, each of the operand's type,
    or a null Value where the gradient is zero by definition.

    An operand listed by `isNonDifferentiableOperand` (labels, random keys,
    running statistics, the mask of `nn.select`, ...) never receives a
    gradient. Any other operand that depends on a trainable parameter must
    receive one: autodiff reports an error otherwise, so a gradient is never
    silently dropped.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"Builds the operand gradients from the result gradients.",
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"buildVJP",
      /*args=*/(ins "::mlir::OpBuilder &":$builder,
                    "::mlir::ArrayRef<::mlir::Value>":$resultGrads,
                    "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
    InterfaceMethod<
      /*desc=*/[{Whether operand `index` carries no gradient by the op's
                 definition (it is discrete, or piecewise constant).}],
      /*retTy=*/"bool",
      /*methodName=*/"isNonDifferentiableOperand",
      /*args=*/(ins "unsigned":$index),
      /*methodBody=*/"",
      /*defaultImplementation=*/"return false;">,
  ];
}

//===----------------------------------------------------------------------===//
// How an op runs in the generated program
//===----------------------------------------------------------------------===//
//
// After `gradc-lower-to-kern` every nn op is the payload of one `kern.kernel`
// over buffers. What the kernel means to each later stage (fusion, memory
// planning, the cost report, the C++ emitter) is stated here, once, by the
// op: every nn op but `nn.reshape` (a `kern.view`) implements exactly one of
// the two interfaces below. Their C++ lives in NNKernels.cpp, next to the
// derivatives in NNDerivatives.cpp.

def ElementwiseOpInterface : OpInterface<"ElementwiseOpInterface"> {
  let cppNamespace = "::gradc::nn";
  let description = [{
    An op that computes each result element from the operand elements at the
    same index, operands broadcast to the result's shape (NumPy rules). Such
    an op may write its result into the buffer of an operand it reads, fuses
    into `kern.fused` loops (and epilogues), and costs one FLOP per result
    element. Its one result is the C++ expression `getCppExpression` builds.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/[{The C++ expression of one result element, given the C++
                 expressions of the operands' elements at that index (a
                 buffer element `x[i]`, or a local).}],
      /*retTy=*/"std::string",
      /*methodName=*/"getCppExpression",
      /*args=*/(ins "::llvm::ArrayRef<std::string>":$operands)>,
  ];
}

def UnaryFunctionOpInterface : OpInterface<"UnaryFunctionOpInterface"> {
  let cppNamespace = "::gradc::nn";
  let description = [{
    An elementwise op of one floating-point operand whose every element is a
    function of the operand's element alone. `evaluate` states that function
    in f64, once: constant folding and the reference interpreter
    (`gradc-interp`, the gradient checks' oracle) compute the op from it, as
    the generated program computes it from `getCppExpression`.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"The op's value at one element `x`, in f64.",
      /*retTy=*/"double",
      /*methodName=*/"evaluate",
      /*args=*/(ins "double":$x)>,
  ];
}

def KernelOpInterface : OpInterface<"KernelOpInterface"> {
  let cppNamespace = "::gradc::nn";
  let description = [{
    An op that is not elementwise: it runs as one block of C++ statements
    of the generated program (a call into the runtime, or a loop nest) over
    buffers, reading the operands' buffers and writing the results'. Its
    FLOPs feed `gradc --report`; whether it can lead a fused epilogue, or
    compute a block of its output rows at a time (a tiled epilogue), is
    asked here by `gradc-fuse-epilogues`.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Prints the C++ statements computing the op, indented by two
                 spaces, given the pointer expressions of its operand and
                 result buffers (row-major, of the op's own types).}],
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"printKernel",
      /*args=*/(ins "::llvm::raw_ostream &":$os,
                    "::llvm::ArrayRef<std::string>":$operands,
                    "::llvm::ArrayRef<std::string>":$results)>,
    InterfaceMethod<
      /*desc=*/"Floating-point operations of one run of the kernel.",
      /*retTy=*/"int64_t",
      /*methodName=*/"getFlops",
      /*args=*/(ins),
      /*methodBody=*/"",
      /*defaultImplementation=*/"return 0;">,
    InterfaceMethod<
      /*desc=*/[{Whether elementwise kernels reading the first result may run
                 right after it, over its elements while they are in cache
                 (a matrix product without batch dimensions, a convolution,
                 a normalization).}],
      /*retTy=*/"bool",
      /*methodName=*/"canLeadEpilogue",
      /*args=*/(ins),
      /*methodBody=*/"",
      /*defaultImplementation=*/"return false;">,
    InterfaceMethod<
      /*desc=*/[{Whether the op's 2-D first result can be computed a block of
                 rows at a time by `printRowBlock`.}],
      /*retTy=*/"bool",
      /*methodName=*/"canComputeRowBlocks",
      /*args=*/(ins),
      /*methodBody=*/"",
      /*defaultImplementation=*/"return false;">,
    InterfaceMethod<
      /*desc=*/[{Prints one statement (unindented, ending in a newline)
                 computing rows [`firstRow`, `firstRow` + `rowCount`) of the
                 result into `block`, a buffer of that many rows; the three are
                 C++ expressions. Only where `canComputeRowBlocks`.}],
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"printRowBlock",
      /*args=*/(ins "::llvm::raw_ostream &":$os,
                    "::llvm::ArrayRef<std::string>":$operands,
                    "::llvm::StringRef":$block,
                    "::llvm::StringRef":$firstRow,
                    "::llvm::StringRef":$rowCount),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        return $_op->emitError("cannot be computed in row blocks");
      }]>,
  ];
}

//===----------------------------------------------------------------------===//
// The op in an ONNX graph
//===----------------------------------------------------------------------===//

def OnnxExportOpInterface : OpInterface<"OnnxExportOpInterface"> {
  let cppNamespace = "::gradc::nn";
  let description = [{
    An op that `PROGRAM --export-onnx` can write into the ONNX inference
    graph (opset 17): `exportToOnnx` appends the nodes computing its results
    from its operands' values to the graph (OnnxGraph.h). The nodes are
    those gradc's ONNX importer reads back as this op, so that a re-imported
    graph computes bitwise what the program computed. An op of a predict
    entry point without this interface makes the export fail, naming it.
    The C++ lives in NNOnnx.cpp.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/"Appends the op's nodes to `graph`.",
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"exportToOnnx",
      /*args=*/(ins "::gradc::nn::OnnxGraphBuilder &":$graph)>,
  ];
}

#endif // GRADC_DIALECT_NN_IR_NNINTERFACES_TD
