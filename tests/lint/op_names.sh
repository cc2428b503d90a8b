#!/usr/bin/env bash
# tests/lint/op_names.sh SOURCE_DIR — an op's meaning is stated once, by the op:
# outside the dialects' own definitions (dialects/*/IR), no code compares against
# an op's name. Fails, naming file:line, on a string literal that spells an
# nn or kern op ("nn.linear", "kern.fused"), or on a bare mnemonic ("linear")
# on a line that looks at an op's name, or on a role compared as a string
# (role == "param"). Passes ask an op's interfaces or traits; rewrites match
# ops by type; roles are gradc::nn::Role.
set -euo pipefail
root=${1:?usage: op_names.sh SOURCE_DIR}
cd "$root"

# Every mnemonic the ODS defines: def X : NN_Op<"name", ...> and friends.
mnemonics=$(grep -hoE '(NN|Kern)_[A-Za-z]*Op<"[a-z0-9_]+"' \
              dialects/include/gradc/Dialect/*/IR/*.td | grep -oE '"[a-z0-9_]+"' | tr -d '"' |
            sort -u)
# Class-defined ops: def NN_AddOp : NN_BroadcastBinaryOp<"add", ...>.
mnemonics+=$'\n'$(grep -hoE '^def (NN|Kern)_[A-Za-z0-9]+Op *: *(NN|Kern)_[A-Za-z0-9]+<"[a-z0-9_]+"' \
                    dialects/include/gradc/Dialect/*/IR/*.td | grep -oE '"[a-z0-9_]+"' |
                  tr -d '"' | sort -u)
mnemonics=$(echo "$mnemonics" | sort -u | grep -v '^$')
count=$(echo "$mnemonics" | wc -l)
if [ "$count" -lt 40 ]; then
  echo "op_names.sh: found only $count op mnemonics in the ODS; the pattern is out of date"
  exit 1
fi

alternation=$(echo "$mnemonics" | paste -sd'|')
# Everything but the dialects' own definitions (dialects/*/IR): the passes
# beside the dialects (Transforms, Analysis, Conversion) are checked too.
sources=$(find compiler runtime fuzz bench dialects/lib/*/Transforms dialects/lib/*/Analysis \
               dialects/lib/Conversion dialects/include/gradc/Conversion \
               dialects/include/gradc/Dialect/*/Transforms dialects/include/gradc/Dialect/*/Analysis \
               \( -name '*.cpp' -o -name '*.h' \) | sort)
status=0
# "nn.linear", "kern.fused"
if grep -nE "\"(nn|kern)\.($alternation)\"" $sources; then
  echo "op_names.sh: the lines above name an op by string; ask its interfaces instead"
  status=1
fi
# getPayloadName() == "linear", op->getName().stripDialect() == "relu"
if grep -nE "(getName|getPayloadName|stripDialect|getStringRef)\(\).*[!=]= *\"($alternation)\"" \
     $sources; then
  echo "op_names.sh: the lines above compare an op's name; ask its interfaces instead"
  status=1
fi
# role == "param": roles are read through gradc::nn::argumentRole / resultRole
# and kern::outputRole, and compared as gradc::nn::Role.
roles=$(sed -n '/^def NN_Role/,/}/p' dialects/include/gradc/Dialect/NN/IR/NNBase.td |
        grep -oE 'I32EnumAttrCase<"[A-Za-z]+", [0-9]+, "[a-z_]+">' | grep -oE '"[a-z_]+">' |
        tr -d '">' | paste -sd'|')
if [ -z "$roles" ]; then
  echo "op_names.sh: found no cases of NN_Role in NNBase.td; the pattern is out of date"
  exit 1
fi
if grep -nE "(role|out|Role\\(\\)|kern\\.out\"\\))[^=!]*[!=]= *\"($roles)\"" $sources; then
  echo "op_names.sh: the lines above compare a role as a string; compare gradc::nn::Role"
  status=1
fi
if [ $status -eq 0 ]; then
  echo "op_names.sh: no op-name compares outside the dialects' IR ($count ops, $(echo "$sources" | wc -l) files)"
fi
exit $status
