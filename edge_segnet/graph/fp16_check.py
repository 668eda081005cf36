"""How close an FP16 graph stays to its FP32 original, measured on the CPU with ONNX Runtime
on synthetic street frames, and how ONNX Runtime ran it: with FP16 kernels, or (x86 CPUs) with
the casts it inserts around ops that have none, i.e. FP16 tensors and FP32 arithmetic."""

import os
import tempfile

import numpy as np
import onnx

from edge_segnet import optional

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
    ort = optional.try_import("onnxruntime")
    return ort.__version__ if ort else "absent"


def cpu_fp16_arithmetic():
    """What ONNX Runtime's CPU provider does with an FP16 Conv here: its own FP16 kernel, or
    casts to FP32 around it (read from the graph it optimises)."""
    ort = optional.require("onnxruntime", "checking an FP16 graph on the CPU")
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
    on synthetic frames."""
    from edge_segnet.runtime import in_memory
    from edge_segnet.verify import synthetic_frames

    agree = pixels = 0
    worst = 0.0
    with in_memory.segmenters(float_model, half_model) as (full, half):
        want_logits = bool(full.logits_output and half.logits_output)
        for frame in synthetic_frames(frames):
            a, b = full.infer(frame, want_logits), half.infer(frame, want_logits)
            agree += int((a.labels == b.labels).sum())
            pixels += a.labels.size
            if want_logits:
                worst = max(worst, float(np.abs(a.logits - b.logits).max()))
    return Fp16Check(100.0 * agree / pixels, worst, cpu_fp16_arithmetic(), frames)
