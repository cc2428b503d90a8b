# lit configuration for gradc's FileCheck tests.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "gradc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".gc", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.gradc_obj_root, "tests", "lit")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%gradc_src_root", config.gradc_src_root))
# Debian's Python, with python3-onnx and python3-torch.
config.substitutions.append(("%python", "/usr/bin/python3"))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.gradc_tools_dir, append_path=True)

tools = ["gradc-opt", "gradc", "gradc-interp"]
llvm_config.add_tool_substitutions(tools, [config.gradc_tools_dir])
