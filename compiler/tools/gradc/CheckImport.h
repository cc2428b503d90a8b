//===- CheckImport.h - gradc check-import -----------------------*- C++ -*-===//
#ifndef GRADC_TOOLS_GRADC_CHECKIMPORT_H
#define GRADC_TOOLS_GRADC_CHECKIMPORT_H

#include "mlir/IR/MLIRContext.h"

#include <string>
#include <vector>

namespace gradc {

struct CheckImportOptions {
  std::string onnx;                ///< the ONNX file
  std::vector<std::string> inputs; ///< one .npy per graph input
  std::string expect;              ///< the exporter's output, .npy
  double rtol = 1e-4, atol = 1e-5;
  bool f64 = false; ///< run at the precision of --f64 programs
};

/// Imports `options.onnx`, runs it through the reference interpreter in
/// evaluation mode on the inputs and compares its output with the expected
/// one; prints the differences. Returns the exit status: 0 within the
/// tolerances, 1 outside them or on an error (reported), 2 for bad flags.
int checkImport(mlir::MLIRContext &context, const CheckImportOptions &options);

} // namespace gradc

#endif // GRADC_TOOLS_GRADC_CHECKIMPORT_H
