"""How close an FP16 graph stays to its FP32 original, measured on the CPU with ONNX Runtime
on synthetic street frames, and how ONNX Runtime ran it: with FP16 kernels, or (x86 CPUs) with
the casts it inserts around ops that have none, i.e. FP16 tensors and FP32 arithmetic."""

import os
import tempfile

import numpy as np
import onnx

from edge_segnet import optional
from edge_segnet.data.synthetic import synthetic_frames
from edge_segnet.platform import installed
from edge_segnet.runtime import in_memory
from edge_segnet.runtime.compare import compare_open
from edge_segnet.runtime.onnxruntime_backend import require_onnxruntime

CHECK_FRAMES = 4


class Fp16Check(object):
    def __init__(self, agreement, max_logit_diff, arithmetic, frames):
        self.agreement = agreement
        self.max_logit_diff = max_logit_diff
        self.arithmetic = arithmetic
        self.frames = frames

    def describe(self):
        return ("checked on ONNX Runtime {} against FP32 on {} synthetic street frames: "
                "label agreement {:.2f}%, max logit difference {:.3g} ({}; on the model's own "
                "data: edge-segnet verify FP32 FP16 --images DIR)".format(
                    _ort_version(), self.frames, self.agreement, self.max_logit_diff,
                    self.arithmetic))

    def to_json(self):
        return {"agreement_percent": round(self.agreement, 3),
                "max_logit_diff": float(self.max_logit_diff), "arithmetic": self.arithmetic,
                "frames": self.frames, "onnxruntime": _ort_version()}


def _ort_version():
    return installed.onnxruntime_version() or "absent"


def cpu_fp16_arithmetic():
    """What ONNX Runtime's CPU provider does with an FP16 Conv here: its own FP16 kernel, or
    casts to FP32 around it (read from the graph it optimises)."""
    ort = require_onnxruntime("checking an FP16 graph on the CPU")
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float16), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"])], "probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [1, 1, 2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [1, 1, 2, 2])], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    with tempfile.TemporaryDirectory(prefix="edge-segnet-fp16.") as folder:
        options = ort.SessionOptions()
        options.optimized_model_filepath = os.path.join(folder, "optimized.onnx")
        options.log_severity_level = 3  # its advice on saving optimised models is not ours
        ort.InferenceSession(model.SerializeToString(), options,
                             providers=["CPUExecutionProvider"])
        optimized = onnx.load(options.optimized_model_filepath)
    if any(node.op_type == "Cast" for node in optimized.graph.node):
        return "FP16 tensors, FP32 arithmetic: this CPU's ONNX Runtime casts around its Conv"
    return "FP16 arithmetic: ONNX Runtime has FP16 Conv kernels on this CPU"


def check(float_model, half_model, frames=CHECK_FRAMES):
    """Compare the two graphs (ours may hold the unpooling op: it runs through its reference)
    on synthetic frames, as verify compares two models."""
    with in_memory.segmenters(float_model, half_model) as (full, half):
        comparison = compare_open(full, half, synthetic_frames(frames), "FP32", "FP16")
    worst = comparison.max_abs if comparison.max_abs is not None else 0.0
    return Fp16Check(100.0 * comparison.agreement, worst, cpu_fp16_arithmetic(), frames)


def prepare_pass(float_model, half_model):
    """prepare's fp16-check pass (the CLI hands it to ``prepare``): the lines it reports."""
    if optional.try_import("onnxruntime") is None:
        return ["not run: onnxruntime is not installed"]
    return [check(float_model, half_model).describe()]
