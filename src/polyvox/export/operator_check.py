"""Which operators of an exported graph onnxruntime-web and onnxruntime-mobile cannot run.

onnxruntime-web's WebAssembly build is onnxruntime's CPU engine compiled to WebAssembly (its README:
"supports all operators in ai.onnx and ai.onnx.ml"), so its operators are the CPU kernels of the
installed onnxruntime, read from its own registry (``get_all_opkernel_def``): an operator is runnable
when a kernel covers the operator version the graph's opset selects.

onnxruntime-mobile, the pre-built reduced-operator package (Android AAR and iOS pods, last released as
1.18), has only the kernels named in its build config, copied below from onnxruntime's
``tools/ci_build/github/android/mobile_package.required_operators.config`` (commit 3de3fc0d56). A
reduced build keeps a kernel when its version range holds one of the config's opsets (12, 13), so a
graph of opset 17 needs ``Add`` version 14, which it lacks: such graphs run there when exported with
``--opset 13``. The current full packages (onnxruntime-android, onnxruntime-objc) have every CPU kernel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx

ONNX_DOMAIN = ""
MICROSOFT_DOMAIN = "com.microsoft"
WEB_RUNTIME = "onnxruntime-web"
MOBILE_RUNTIME = "onnxruntime-mobile"
# The newest opset whose kernels the reduced mobile build has: the --opset that makes a graph fit it.
MOBILE_OPSET = 13
# Nodes onnxruntime turns into initializers when it loads a graph: they need no kernel.
LOAD_TIME_OPERATORS = frozenset({"Constant"})

_MOBILE_ONNX_OPERATORS = (
    "Abs Add And ArgMax ArgMin AveragePool Cast Ceil Clip Concat ConstantOfShape Conv ConvTranspose Cos CumSum "
    "DepthToSpace DequantizeLinear Div DynamicQuantizeLinear Elu Equal Exp Expand Flatten Floor Gather GatherND "
    "Gemm Greater GreaterOrEqual Identity If LRN LeakyRelu Less LessOrEqual Log LogSoftmax Loop MatMul Max MaxPool "
    "Mean Min Mul Neg NonMaxSuppression NonZero Not Or PRelu Pad Pow QuantizeLinear Range Reciprocal ReduceMax "
    "ReduceMean ReduceMin ReduceProd ReduceSum Relu Reshape Resize ReverseSequence Round ScatterND Shape Sigmoid "
    "Sin Size Slice Softmax SpaceToDepth Split Sqrt Squeeze Sub Sum Tanh ThresholdedRelu Tile TopK Transpose "
    "Unique Unsqueeze Where Erf GlobalAveragePool InstanceNormalization MatMulInteger QLinearConv QLinearMatMul Scan"
).split()
_MOBILE_MICROSOFT_OPERATORS = (
    "BiasGelu DynamicQuantizeMatMul FusedConv FusedGemm FusedMatMul Gelu MatMulIntegerToFloat NhwcMaxPool QLinearAdd "
    "QLinearAveragePool QLinearConv QLinearGlobalAveragePool QLinearMul QLinearSigmoid SkipLayerNormalization "
    "QLinearLeakyRelu"
).split()
# (domain, operator) -> the opsets the reduced build was configured for.
MOBILE_OPERATORS: dict[tuple[str, str], tuple[int, ...]] = {
    **{(ONNX_DOMAIN, name): (12, MOBILE_OPSET) for name in _MOBILE_ONNX_OPERATORS},
    (ONNX_DOMAIN, "LayerNormalization"): (1,),  # onnxruntime's own pre-17 kernel, added by its optimizers
    **{(MICROSOFT_DOMAIN, name): (1,) for name in _MOBILE_MICROSOFT_OPERATORS},
}

KernelRanges = dict[tuple[str, str], list[tuple[int, int]]]


@dataclass(frozen=True)
class OperatorUse:
    """An operator a graph needs: its domain ("" for ai.onnx), name and the version its opset selects."""

    domain: str
    name: str
    version: int

    def __str__(self) -> str:
        return f"{self.name} ({self.domain or 'ai.onnx'} version {self.version})"


@dataclass(frozen=True)
class UnsupportedOperator:
    """An operator some runtimes lack; ``hint`` says how to avoid it, if there is a way."""

    operator: OperatorUse
    runtimes: tuple[str, ...]
    hint: str = ""

    def describe(self) -> str:
        """One line for the user."""
        line = f"{self.operator} is not among the operators of {' and '.join(self.runtimes)}"
        return f"{line}: {self.hint}" if self.hint else line


def graph_nodes(graph: onnx.GraphProto) -> Iterator[onnx.NodeProto]:
    """Every node, those of subgraphs (``If`` branches, ``Loop`` bodies) included."""
    for node in graph.node:
        yield node
        for attribute in node.attribute:
            for subgraph in (attribute.g, *attribute.graphs) if attribute.HasField("g") else attribute.graphs:
                yield from graph_nodes(subgraph)


def operators_used(model: onnx.ModelProto) -> set[OperatorUse]:
    """The operators of ``model`` with the versions its opset imports select (0: one onnx does not know)."""
    import onnx.defs

    opsets = {entry.domain or ONNX_DOMAIN: entry.version for entry in model.opset_import}
    used = set()
    for node in graph_nodes(model.graph):
        domain = ONNX_DOMAIN if node.domain in ("", "ai.onnx") else node.domain
        opset = opsets.get(domain, 1)
        if onnx.defs.has(node.op_type, domain):
            version = onnx.defs.get_schema(node.op_type, opset, domain).since_version
        else:  # onnxruntime's contrib operators (one version each) and unknown ones
            version = opset if domain == MICROSOFT_DOMAIN else 0
        used.add(OperatorUse(domain, node.op_type, version))
    return used


def cpu_kernel_ranges() -> KernelRanges:
    """(domain, operator) -> the version ranges of the installed onnxruntime's CPU kernels."""
    from onnxruntime.capi import _pybind_state

    ranges: KernelRanges = {}
    for kernel in _pybind_state.get_all_opkernel_def():
        if kernel.provider == "CPUExecutionProvider":
            ranges.setdefault((kernel.domain, kernel.op_name), []).append(tuple(kernel.version_range))
    return ranges


def _covered(kernels: KernelRanges, operator: OperatorUse, opsets: tuple[int, ...] | None = None) -> bool:
    """A CPU kernel covers the operator's version (and, for a reduced build, one of its ``opsets``)."""
    if operator.domain == ONNX_DOMAIN and operator.name in LOAD_TIME_OPERATORS:
        return True
    for low, high in kernels.get((operator.domain, operator.name), []):
        if low <= operator.version <= high and (opsets is None or any(low <= opset <= high for opset in opsets)):
            return True
    return False


def unsupported_operators(model: onnx.ModelProto, kernels: KernelRanges | None = None) -> list[UnsupportedOperator]:
    """The operators of ``model`` that onnxruntime-web or onnxruntime-mobile cannot run, by name."""
    kernels = cpu_kernel_ranges() if kernels is None else kernels
    found = []
    for operator in sorted(operators_used(model), key=lambda use: (use.domain, use.name, use.version)):
        runtimes = []
        if not _covered(kernels, operator):
            runtimes.append(WEB_RUNTIME)
        mobile_opsets = MOBILE_OPERATORS.get((operator.domain, operator.name), ())
        if not _covered(kernels, operator, mobile_opsets):
            runtimes.append(MOBILE_RUNTIME)
        if runtimes:
            # Only a version too new for the reduced build is fixed by a lower opset.
            newer = runtimes == [MOBILE_RUNTIME] and mobile_opsets and max(mobile_opsets) < operator.version
            hint = f"export with --opset {MOBILE_OPSET} to run there" if newer else ""
            found.append(UnsupportedOperator(operator, tuple(runtimes), hint))
    return found
