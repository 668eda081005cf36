"""The ONNX Runtime backend: runs any SegNet ``.onnx`` on the CPU (or ORT's CUDA provider)."""

import os

import numpy as np

from edge_segnet import optional
from edge_segnet.errors import ModelError, OutOfMemoryError, UsageError
from edge_segnet.graph import executor, heads
from edge_segnet.models import metadata, zoo
from edge_segnet.runtime.segmenter import Segmenter, find_outputs

# ORT's TensorRT provider would build an engine at start-up: `build` is the way to TensorRT.
_PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")


def require_onnxruntime(purpose):
    """ONNX Runtime, its default logger at fatal only: sessions made outside our options (the
    quantization package's calibrator) would print "[E:onnxruntime …]" lines before our one
    line; every error also reaches us as an exception, which says the same."""
    ort = optional.require("onnxruntime", purpose)
    ort.set_default_logger_severity(4)
    return ort


def out_of_memory(text):
    """Whether ONNX Runtime's error says it found no memory: std::bad_alloc, or its arena's
    "Failed to allocate memory for requested buffer" (bfc_arena.cc), loading or running."""
    return "bad_alloc" in text or "Failed to allocate memory" in text


def _describe(values):
    return ", ".join("{} {} {}".format(v.name, v.type, list(v.shape)) for v in values)


def _is_integer(value):
    return value.type in ("tensor(int32)", "tensor(int64)", "tensor(uint8)")


def machine_threads():
    """The cores this process may run on: the intra-op thread count used unless --threads.

    ONNX Runtime's own default (intra_op_num_threads 0) is not that in JetPack 4.6's ORT 1.10:
    its POSIX environment assumes two hardware threads per core and takes
    hardware_concurrency() / 2 (``GetThreadAffinityMasks`` in core/platform/posix/env.cc), and
    with one such "core" creates no pool at all (``CreateThreadPoolHelper`` in
    core/util/thread_utils.cc). Jetson CPUs have no SMT, so it ran on half of a Nano's or
    TX2's 4 cores, and on one core of a 2-core machine."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def session_options(ort, threads=None, spinning=False):
    """Options for single-frame latency: one frame at a time, all graph optimisations,
    ``threads`` intra-op threads (None: every core this process may use).

    ``spinning`` off: idle pool threads sleep at once instead of busy-waiting for the next op.
    Busy-waiting threads hold cores that the run's capture and output threads (and the rest of
    the board) need: on a 2-core machine with other load the model alone ran 1.35x (ORT 1.32)
    to 1.45x (ORT 1.10) faster without it, the run 1.33x to 1.42x (tools/bench_run.py
    --compare-spinning)."""
    options = ort.SessionOptions()
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = int(threads) if threads else machine_threads()
    # Fatal only: ONNX Runtime's own error lines would come before our one line; every error
    # also reaches us as an exception, which says the same.
    options.log_severity_level = 4
    return options


def providers(ort):
    available = ort.get_available_providers()
    return [name for name in _PREFERRED_PROVIDERS if name in available] or available


class OnnxRuntimeSegmenter(Segmenter):
    backend_name = "onnxruntime"
    _input_dtype = None

    def __init__(self, model_path, threads=None, output_name=None, spinning=False):
        super().__init__()
        if threads is not None and threads < 1:
            raise UsageError("--threads must be at least 1; got {}".format(threads))
        ort = require_onnxruntime("the ONNX Runtime backend")
        model = zoo.load(model_path)
        self.threads = int(threads) if threads else machine_threads()
        self.spinning = spinning

        def make_session(proto):
            return ort.InferenceSession(proto.SerializeToString(),
                                        sess_options=session_options(ort, self.threads,
                                                                     spinning),
                                        providers=providers(ort))

        try:
            if executor.has_unpool_op(model):
                # Our TensorRT op: its numpy reference runs between ONNX Runtime stages.
                self.session = executor.ReferenceSession(model, make_session)
                self.backend_name = "onnxruntime+reference-unpool"
            else:
                self.session = make_session(model)
        except Exception as exc:
            if out_of_memory(str(exc)):
                raise OutOfMemoryError("ONNX Runtime ran out of memory loading {}".format(
                    model_path), hint="close other programs, or use a machine with more memory")
            raise ModelError("ONNX Runtime cannot load {}: {}".format(
                model_path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
        self.model_path = model_path
        self._find_input(model_path)
        self._find_outputs(model_path, output_name)
        class_count = self._class_count()
        self.info = metadata.ModelInfo.from_model(model, class_count)
        self.input_format = self.info.extra.get("input_format", self.input_format)
        self.input_size = self._input_hw(self.info)
        self._loaded()
        self.provider = self.session.get_providers()[0]
        self.network_on_cpu = self.provider == "CPUExecutionProvider"

    def _find_input(self, model_path):
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelError("{} has {} inputs ({}); a SegNet takes one image".format(
                model_path, len(inputs), _describe(inputs)))
        value = inputs[0]
        if len(value.shape) != 4:
            raise ModelError("{}: input {} has shape {}; expected 1x3xHxW or 1xHxWx3".format(
                model_path, value.name, list(value.shape)))
        self.input_name = value.name
        self._input_shape = list(value.shape)
        if value.type == "tensor(uint8)":
            if value.shape[3] != 3:
                raise ModelError("{}: uint8 input {} must be 1xHxWx3 frame bytes, got {}".format(
                    model_path, value.name, list(value.shape)))
            self.input_format = heads.FORMAT_BGR_UINT8
            self._hw_axes = (1, 2)
        elif value.type in ("tensor(float)", "tensor(float16)"):
            # An FP16 model with FP16 I/O (prepare --fp16 --fp16-io) is fed the same tensor
            # in half precision.
            self._input_dtype = np.float16 if value.type == "tensor(float16)" else None
            if value.shape[1] not in (3, "3") and not isinstance(value.shape[1], str):
                raise ModelError("{}: float input {} must be 1x3xHxW, got {}".format(
                    model_path, value.name, list(value.shape)))
            self._hw_axes = (2, 3)
        else:
            raise ModelError("{}: input {} is {}; expected float or uint8".format(
                model_path, value.name, value.type))

    def _find_outputs(self, model_path, output_name):
        outputs = self.session.get_outputs()
        if output_name is not None:
            chosen = [value for value in outputs if value.name == output_name]
            if not chosen:
                raise UsageError("{} has no output {!r}; its outputs: {}".format(
                    model_path, output_name, _describe(outputs)))
            outputs = chosen
        labels, logits = find_outputs(
            outputs, _is_integer,
            lambda v: v.type in ("tensor(float)", "tensor(float16)") and len(v.shape) == 4,
            model_path, _describe(outputs),
            hint="a segmentation model outputs one float 1xCxHxW logits tensor or an int32 "
                 "label map; prepare refuses other outputs")
        self.labels_output = labels.name if labels else None
        self.logits_output = logits.name if logits else None
        self._logits_value = logits

    def _class_count(self):
        if self._logits_value is not None and isinstance(self._logits_value.shape[1], int):
            return self._logits_value.shape[1]
        return None  # a label-map output: the metadata's label list decides

    def _input_hw(self, info):
        height, width = (self._input_shape[axis] for axis in self._hw_axes)
        if isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0:
            return (height, width)
        return tuple(info.input_size or zoo.DEFAULT_INPUT_SIZE)

    def _run(self, tensor, want_logits):
        names = self._output_names(want_logits)
        if self._input_dtype is not None:
            tensor = tensor.astype(self._input_dtype)
        results = dict(zip(names, self._session_run(names, tensor)))
        logits = results.get(self.logits_output)
        if logits is not None and logits.dtype != np.float32:
            logits = logits.astype(np.float32)  # the Segmentation contract: float32 logits
        return results.get(self.labels_output), logits

    def run_tensor(self, tensor):
        self._session_run(None, tensor)

    def _session_run(self, names, tensor):
        try:
            return self.session.run(names, {self.input_name: tensor})
        except Exception as exc:  # ONNX Runtime's own error types, raised from C++
            text = str(exc)
            if out_of_memory(text):
                raise OutOfMemoryError("ONNX Runtime ran out of memory running {} at {}x{}".format(
                    self.model_path, *self.input_size),
                    hint="close other programs, or use a smaller --input-size or fewer --threads")
            raise ModelError("ONNX Runtime failed running {}: {}".format(
                self.model_path, text.splitlines()[0] if text else type(exc).__name__))

    def describe(self):
        return "{} ({}) {} {}x{}".format(self.backend_name, self.provider, self.precision,
                                         *self.input_size)
