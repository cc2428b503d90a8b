//===- Passes.td - conversions between gradc dialects ------- -*- tablegen -*-===//

#ifndef GRADC_CONVERSION_PASSES_TD
#define GRADC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

// Conversions between dialects: nn to kern.

def LowerToKern : Pass<"gradc-lower-to-kern", "mlir::ModuleOp"> {
  let summary = "Lower the entry points to kernels over buffers";
  let description = [{
    The last step before printing C++: every function's tensors become
    static memrefs and every nn op one `kern.kernel` (reshapes become
    aliasing `kern.view`s, temporaries `kern.alloc`s). Results become
    output-buffer arguments marked `kern.out`, except updates of parameters,
    optimizer states and buffers, which are written in place into the
    argument of the same `nn.name` — directly by the op that computes them
    when nothing reads the old value afterwards, else through a copy at the
    end of the step.
  }];
  let dependentDialects = ["::gradc::kern::KernDialect"];
}

#endif // GRADC_CONVERSION_PASSES_TD
