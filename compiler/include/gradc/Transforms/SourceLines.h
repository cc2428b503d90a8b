//===- SourceLines.h - model-file lines for comments and reports -*- C++ -*-===//

#ifndef GRADC_TRANSFORMS_SOURCELINES_H
#define GRADC_TRANSFORMS_SOURCELINES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/SourceMgr.h"

#include <map>
#include <string>
#include <vector>

namespace gradc {

/// The first file:line:column location inside `loc` (fused and named
/// locations included): where in the model file an op came from.
mlir::FileLineColLoc modelLocation(mlir::Location loc);

/// Model-file lines for the comments of generated code and for reports
/// ("fashion_mlp.gc:7  h = relu(dense(h, 256))"): from the SourceMgr the model
/// was parsed from, or, for a file it does not hold (IR given as input), read
/// once from disk.
class ModelSourceLines {
public:
  explicit ModelSourceLines(const llvm::SourceMgr *sourceMgr = nullptr)
      : sourceMgr(sourceMgr) {}

  /// "file:line  code" for the model location in `loc` (the code trimmed,
  /// and cut to `width` characters when width > 0), "file:line" when the
  /// line is unknown, "" without a model location.
  std::string describe(mlir::Location loc, size_t width = 0);

private:
  const std::vector<std::string> &linesOf(llvm::StringRef file);

  const llvm::SourceMgr *sourceMgr;
  std::map<std::string, std::vector<std::string>> files;
};

} // namespace gradc

#endif // GRADC_TRANSFORMS_SOURCELINES_H
