"""Validation of a user's model, and lowering the opset of a rewritten graph to what TensorRT
8.2's parser (opset <= 13) and ONNX Runtime 1.10 (IR <= 8) read."""

import onnx
import onnx.defs

from edge_segnet.errors import ModelError
from edge_segnet.graph.editing import attribute, describe, text_attribute

TARGET_OPSET = 13
MIN_OPSET = 9  # MaxUnpool exists from opset 9

# (last opset, IR version released with it), from ONNX's versioning table.
_IR_FOR_OPSET = ((8, 3), (9, 4), (10, 5), (11, 6), (13, 7), (18, 8), (20, 9), (22, 10))

# Ops whose opset-13 definition computes the same as later ones, given the attribute checks
# in _lowerable (attributes added later must be absent or at their default).
_STABLE_SINCE_13 = {
    "Add", "And", "ArgMax", "ArgMin", "AveragePool", "BatchNormalization", "Cast", "Ceil",
    "Clip", "Concat", "Constant", "ConstantOfShape", "Conv", "ConvTranspose", "DepthToSpace",
    "Div", "Equal", "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather", "Gemm",
    "GlobalAveragePool", "Greater", "Identity", "LeakyRelu", "Less", "Log", "MatMul", "Max",
    "MaxPool", "Min", "Mul", "Neg", "Not", "Or", "Pad", "Pow", "PRelu", "Relu", "Reshape",
    "Shape", "Sigmoid", "Slice", "Softmax", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub",
    "Sum", "Tanh", "Transpose", "Unsqueeze", "Where",
}
# Attributes introduced after opset 13, and the value that means "as before".
_LATER_ATTRIBUTES = {
    ("Reshape", "allowzero"): 0,
    ("BatchNormalization", "training_mode"): 0,
    ("Cast", "saturate"): 1,
    ("Shape", "start"): None,
    ("Shape", "end"): None,
}


def default_opset(model):
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return entry.version
    return None


def validate(model, path="model"):
    """Raise ModelError unless the model can be read and checked by the installed onnx."""
    opset = default_opset(model)
    known_opset = onnx.defs.onnx_opset_version()
    if opset is None:
        raise ModelError("{} imports no default ONNX opset".format(path))
    if opset > known_opset or model.ir_version > onnx.IR_VERSION:
        raise ModelError(
            "{} uses opset {} / IR {}, newer than onnx {} knows (opset {} / IR {})".format(
                path, opset, model.ir_version, onnx.__version__, known_opset, onnx.IR_VERSION),
            hint="run prepare where a newer onnx is installed (pip install -U onnx), then copy "
                 "the prepared model here")
    if opset < MIN_OPSET:
        raise ModelError("{} uses opset {}; SegNet's MaxUnpool needs opset {} or newer".format(
            path, opset, MIN_OPSET), hint="re-export the model with a newer opset")
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ModelError("{} fails onnx.checker: {}".format(
            path, str(exc).strip().splitlines()[0]))
    return opset


def _blocker(node):
    if node.domain not in ("", "ai.onnx"):
        return None
    if node.op_type not in _STABLE_SINCE_13:
        return "{} has no opset-{} equivalent known to prepare".format(describe(node),
                                                                        TARGET_OPSET)
    for (op_type, name), neutral in _LATER_ATTRIBUTES.items():
        if node.op_type == op_type and attribute(node, name) not in (None, neutral):
            return "{} sets {}={} (opset {} has no such attribute)".format(
                describe(node), name, attribute(node, name), TARGET_OPSET)
    if node.op_type == "Pad" and (len(node.input) > 3 and node.input[3]
                                  or text_attribute(node, "mode", "constant") == "wrap"):
        return "{} uses Pad features of opset 18/19".format(describe(node))
    if node.op_type == "Split" and attribute(node, "num_outputs") is not None:
        return "{} uses Split's num_outputs (opset 18)".format(describe(node))
    return None


def lower(model):
    """Lower the default opset to 13 when every node computes the same there; returns a note
    saying what was done or why not."""
    opset = default_opset(model)
    if opset is None or opset <= TARGET_OPSET:
        _set_ir_version(model, opset or TARGET_OPSET)
        return None
    for node in model.graph.node:
        reason = _blocker(node)
        if reason:
            _set_ir_version(model, opset)
            return "opset {} kept: {}; TensorRT 8.2 and ONNX Runtime 1.10 may refuse it".format(
                opset, reason)
    for node in model.graph.node:
        for name in [attr.name for attr in node.attribute]:
            if (node.op_type, name) in _LATER_ATTRIBUTES:
                _remove_attribute(node, name)
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            entry.version = TARGET_OPSET
    _set_ir_version(model, TARGET_OPSET)
    return "opset {} -> {}".format(opset, TARGET_OPSET)


def _remove_attribute(node, name):
    kept = [attr for attr in node.attribute if attr.name != name]
    del node.attribute[:]
    node.attribute.extend(kept)


def _set_ir_version(model, opset):
    """The IR version that came with the opset, at least 7: ONNX Runtime 1.10 reads up to 8,
    onnx >= 1.20 would otherwise stamp one newer than ONNX Runtime reads."""
    needed = onnx.IR_VERSION
    for last_opset, ir_version in _IR_FOR_OPSET:
        if opset <= last_opset:
            needed = ir_version
            break
    model.ir_version = max(7, min(needed, onnx.IR_VERSION))
