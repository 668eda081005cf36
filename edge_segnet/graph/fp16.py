"""FP16 by the model's own types, the only way to FP16 on TensorRT 11 (strongly typed: no FP16
builder flag). onnxconverter-common's float16 conversion does the work; the graph's inputs and
outputs keep their types, and ops whose FP16 results are fragile stay in FP32."""

import re
import warnings

from edge_segnet import optional
from edge_segnet.errors import ModelError

# Sums of squares and powers overflow FP16's 65504 (SegNet-Basic's local contrast
# normalisation is LRN), reductions lose precision; the converter's own list covers the rest.
FRAGILE_OPS = ("LRN", "Pow", "ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL2",
               "Softmax", "LogSoftmax", "Exp", "Log", "Sqrt", "Reciprocal")


def convert(model, keep_io_types=True):
    """Convert ``model`` in place; returns the pass's name for the build description. The
    graph's inputs and outputs keep their types unless ``keep_io_types`` is False (then
    float ones become FP16 too; a uint8 frame input and the int32 label map stay)."""
    float16 = optional.require("onnxconverter_common.float16",
                               "FP16 for TensorRT 11 (a strongly typed FP16 model)")
    blocked = list(float16.DEFAULT_OP_BLOCK_LIST) + list(FRAGILE_OPS)
    # The converter warns once per tensor and sign whose values leave FP16's range (Python
    # warnings: dozens of lines on stderr for a trained model's tiny weights); they become
    # one clause of the pass's line instead.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            converted = float16.convert_float_to_float16(model, keep_io_types=keep_io_types,
                                                          op_block_list=blocked)
        except Exception as exc:
            raise ModelError("FP16 conversion failed: {}".format(
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    model.CopyFrom(converted)
    _retarget_casts(model)
    return "fp16 (onnxconverter-common, I/O {}, {} kept in FP32{})".format(
        "kept" if keep_io_types else "FP16", "/".join(FRAGILE_OPS[:3]) + "/...",
        _clamping([str(warning.message) for warning in caught]))


_TRUNCATED = re.compile(r"the float32 number (\S+) will be truncated to (\S+)")


def _clamping(messages):
    """What the converter's warnings said, in a clause: how many warnings (one per tensor and
    sign) were of values raised to the 1e-7 it keeps (harmless for weights) and how many of
    values cut at +-65504 (an overflow to look at); anything else it warned, quoted."""
    tiny = huge = 0
    other = []
    for message in messages:
        match = _TRUNCATED.match(message)
        if not match:
            other.append(message.splitlines()[0] if message else "")
        elif abs(float(match.group(2))) < 1.0:
            tiny += 1
        else:
            huge += 1
    clauses = []
    if tiny:
        clauses.append("values under 1e-7 raised to +-1e-7 ({} converter warnings)".format(tiny))
    if huge:
        clauses.append("values beyond FP16 cut to +-65504 ({} converter warnings)".format(huge))
    clauses.extend("converter: " + message for message in other)
    return "".join("; " + clause for clause in clauses)


def _retarget_casts(model):
    """The converter marks a Cast's output FP16 but leaves its ``to`` at FLOAT (a Cast from
    the uint8 frame, say): the graph would then disagree with itself."""
    import onnx

    declared = {value.name: value.type.tensor_type.elem_type for value in
                model.graph.value_info}
    for node in model.graph.node:
        if node.op_type != "Cast" or declared.get(node.output[0]) != onnx.TensorProto.FLOAT16:
            continue
        for attribute in node.attribute:
            if attribute.name == "to" and attribute.i == onnx.TensorProto.FLOAT:
                attribute.i = onnx.TensorProto.FLOAT16


def is_fp16(model):
    """True when the graph computes in half precision (any FP16 initializer)."""
    import onnx

    return any(init.data_type == onnx.TensorProto.FLOAT16 for init in model.graph.initializer)
