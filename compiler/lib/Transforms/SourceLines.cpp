//===- SourceLines.cpp - model-file lines for comments and reports --------===//

#include "gradc/Transforms/SourceLines.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace gradc;

FileLineColLoc gradc::modelLocation(Location loc) {
  FileLineColLoc fileLoc;
  loc->walk([&](Location inner) {
    if (!fileLoc)
      fileLoc = dyn_cast<FileLineColLoc>(inner);
    return WalkResult::advance();
  });
  return fileLoc;
}

const std::vector<std::string> &ModelSourceLines::linesOf(StringRef file) {
  auto [it, added] = files.try_emplace(file.str());
  if (!added)
    return it->second;
  auto keep = [&](StringRef text) {
    SmallVector<StringRef> split;
    text.split(split, '\n');
    for (StringRef line : split)
      it->second.push_back(line.trim().str());
  };
  if (sourceMgr) {
    for (unsigned id = 1; id <= sourceMgr->getNumBuffers(); ++id) {
      const llvm::MemoryBuffer *buffer = sourceMgr->getMemoryBuffer(id);
      if (buffer->getBufferIdentifier() == file) {
        keep(buffer->getBuffer());
        return it->second;
      }
    }
  }
  if (auto buffer = llvm::MemoryBuffer::getFile(file))
    keep((*buffer)->getBuffer());
  return it->second;
}

std::string ModelSourceLines::describe(Location loc, size_t width) {
  FileLineColLoc fileLoc = modelLocation(loc);
  if (!fileLoc)
    return "";
  StringRef file = fileLoc.getFilename();
  std::string text =
      llvm::sys::path::filename(file).str() + ":" + std::to_string(fileLoc.getLine());
  const std::vector<std::string> &lines = linesOf(file);
  unsigned line = fileLoc.getLine();
  if (line >= 1 && line <= lines.size() && !lines[line - 1].empty()) {
    std::string code = lines[line - 1];
    if (width > 3 && code.size() > width)
      code = code.substr(0, width - 3) + "...";
    text += "  " + code;
  }
  return text;
}

