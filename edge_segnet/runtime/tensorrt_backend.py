"""The TensorRT backend: a serialised engine on the GPU, with pinned host buffers, device
buffers and one stream allocated once, and each frame copied in, executed and copied out
asynchronously, GPU time measured by CUDA events around the execution alone."""

import os

import numpy as np

from edge_segnet.engine import cuda_memory, plugin_library, sidecar, trt_compat
from edge_segnet.engine.builder import HardwareRefusal
from edge_segnet.engine.trt_compat import TensorRTError
from edge_segnet.errors import EdgeSegnetError, ModelError, UsageError
from edge_segnet.graph import heads
from edge_segnet.runtime.segmenter import Segmenter, find_outputs
from edge_segnet.trt_facts import releases, rtx


def _find_io(specs, engine_path):
    inputs = [spec for spec in specs if spec.is_input]
    outputs = [spec for spec in specs if not spec.is_input]
    if len(inputs) != 1:
        raise ModelError("{} has {} inputs; a SegNet engine takes one image".format(
            engine_path, len(inputs)))
    labels, logits = find_outputs(
        outputs, lambda spec: spec.dtype.kind in "iu",
        lambda spec: spec.dtype.kind == "f" and len(spec.shape) == 4, engine_path,
        ", ".join("{} {} {}".format(s.name, s.dtype, list(s.shape)) for s in outputs))
    return inputs[0], labels, logits


def needs_rtx_gpu(engine_path, description, reason):
    """The one line for a TensorRT for RTX engine on a machine without an RTX GPU (no CUDA, no
    device, or TensorRT for RTX unable to deserialise: CUDA error 35 where no driver is)."""
    return HardwareRefusal("{}: this engine needs an NVIDIA RTX GPU (compute capability {}); "
                           "none found ({})".format(engine_path, rtx.labels(sidecar.targets(
                               description)), reason),
                           hint="run it on a workstation or laptop with an RTX GPU; on a "
                                "Jetson build with TensorRT (edge-segnet build without "
                                "--target rtx)")


def _input_layout(spec, engine_path):
    """(input format, (height, width)) from the engine's input tensor."""
    shape = spec.shape
    if len(shape) != 4:
        raise ModelError("{}: input {} has shape {}; expected 1x3xHxW or 1xHxWx3".format(
            engine_path, spec.name, list(shape)))
    if spec.dtype == np.uint8:
        if shape[3] != 3:
            raise ModelError("{}: uint8 input {} must be 1xHxWx3 frame bytes, got {}".format(
                engine_path, spec.name, list(shape)))
        return heads.FORMAT_BGR_UINT8, (shape[1], shape[2])
    if shape[1] != 3:
        raise ModelError("{}: input {} must be 1x3xHxW, got {}".format(
            engine_path, spec.name, list(shape)))
    return None, (shape[2], shape[3])


class TensorRTSegmenter(Segmenter):
    backend_name = "tensorrt"

    def __init__(self, engine_path, tensorrt=None, cuda=None, environ=None):
        super().__init__()
        if not os.path.isfile(engine_path):
            raise ModelError("engine file not found: {}".format(engine_path))
        self.model_path = engine_path
        description = sidecar.read(engine_path)
        self._flavour = sidecar.flavour(description)
        # The module of the flavour the engine was built with (TensorRT for RTX's engines load
        # only in TensorRT for RTX).
        self._trt = tensorrt or trt_compat.import_flavour(self._flavour, "the TensorRT backend")
        self._device = {}
        self._holds_cuda = False
        self._cuda = cuda or self._acquire(description)
        # Without ``cuda`` the Segmenter holds the process's CudaMemory (the command's, which
        # the engine cache and the builder used too) until close().
        self._holds_cuda = cuda is None
        try:
            self._load(description, environ)
        except BaseException:
            self.close()
            raise
        self.last_gpu_ms = None
        self._graph = None
        self._profiler = None

    def _acquire(self, description):
        if self._flavour != releases.RTX:
            return cuda_memory.acquire()
        try:
            return cuda_memory.acquire()
        except EdgeSegnetError as exc:  # no pycuda, no driver, no device
            raise needs_rtx_gpu(self.model_path, description, exc.message)

    def _load(self, description, environ):
        trt, engine_path = self._trt, self.model_path
        self.gpu = self._cuda.device()
        plugin_path = None
        if description and description.get("plugin"):
            plugin_path = plugin_library.load(environ, tensorrt=trt)
        with open(engine_path, "rb") as handle:
            data = handle.read()  # hashed and deserialised: the same bytes
        sidecar.check_runs_here(engine_path, description, trt.__version__, self.gpu,
                                plugin_path, engine_bytes=data,
                                flavour_here=trt_compat.flavour(trt))
        self._logger = trt_compat.make_logger(trt)
        trt_compat.init_plugins(trt, self._logger)
        if description is None:
            # An engine from elsewhere (trtexec) may use our op: load the plugin if it exists.
            try:
                plugin_library.load(environ, tensorrt=trt)
            except plugin_library.PluginError:
                pass
        self._runtime = trt.Runtime(self._logger)
        trt_compat.set_runtime_dla_core(self._runtime, sidecar.dla_core(description))
        self.engine = self._runtime.deserialize_cuda_engine(data)
        if self.engine is None and self._flavour == releases.RTX:
            raise needs_rtx_gpu(engine_path, description, "{} cannot deserialise it on {}; "
                                "see its log above".format(trt_compat.describe_release(trt),
                                                           self.gpu[0]))
        if self.engine is None:
            raise sidecar.EngineMismatch(
                "TensorRT {} cannot deserialise {} (built by another TensorRT release, for "
                "another GPU, or not an engine)".format(trt.__version__, engine_path),
                hint=sidecar.REBUILD_HINT)
        self.specs = trt_compat.io_tensors(trt, self.engine)
        self._input, self._labels_spec, self._logits_spec = _find_io(self.specs, engine_path)
        self.input_name = self._input.name
        self.labels_output = self._labels_spec.name if self._labels_spec else None
        self.logits_output = self._logits_spec.name if self._logits_spec else None
        class_count = self._logits_spec.shape[1] if self._logits_spec else None
        self.info = sidecar.model_info(description, class_count)
        uint8_format, self.input_size = _input_layout(self._input, engine_path)
        if description is not None:
            recorded_format = description.get("input_format", heads.FORMAT_NORMALIZED)
        elif self._input.name == heads.FRAME_INPUT:
            recorded_format = heads.FORMAT_BGR_FLOAT  # prepare put the normalisation inside
        else:
            recorded_format = heads.FORMAT_NORMALIZED
        self.input_format = uint8_format or recorded_format
        self.precision = (description or {}).get("precision", "unknown")
        self.description = description
        self._loaded()
        self._allocate()

    def _allocate(self):
        cuda = self._cuda
        self._stream = cuda.stream()
        self._host, self._device = {}, {}
        for spec in self.specs:
            self._host[spec.name] = cuda.pinned_empty(spec.shape, spec.dtype)
            self._device[spec.name] = cuda.device_alloc(spec.nbytes)
        self.context = self.engine.create_execution_context()
        if self.context is None:
            raise TensorRTError("TensorRT cannot create an execution context for {} (out of "
                                "GPU memory?)".format(self.model_path))
        self._execution = trt_compat.Execution(
            self.context, self.specs, {name: buffer.ptr for name, buffer in
                                       self._device.items()})
        self._start, self._end = cuda.event(), cuda.event()

    def _enqueue(self):
        self._execution.execute_async(self._stream.handle)

    def enable_cuda_graph(self):
        """Replay the execution as one CUDA graph (fewer launches; cuda-python only)."""
        if not self._cuda.can_capture_graphs:
            raise UsageError("--cuda-graph needs cuda-python (pip install cuda-python); "
                             "{} cannot capture CUDA graphs".format(self._cuda.name))
        self._enqueue()  # TensorRT allocates lazily on the first run: not inside a capture
        self._cuda.synchronize(self._stream)
        self._graph = self._cuda.capture_graph(self._stream, self._enqueue)

    def enable_layer_profiler(self):
        """TensorRT's IProfiler on the context: per-layer times of every following run
        (synchronous per layer, so the total is slower while it is on)."""
        self._profiler = trt_compat.layer_profiler(self._trt)
        self.context.profiler = self._profiler
        return self._profiler

    def _execute(self, output_names):
        cuda, stream = self._cuda, self._stream
        cuda.copy_to_device_async(self._device[self.input_name], self._host[self.input_name],
                                  stream)
        cuda.record(self._start, stream)
        if self._graph is not None:
            cuda.launch_graph(self._graph, stream)
        else:
            self._enqueue()
        cuda.record(self._end, stream)
        for name in output_names:
            cuda.copy_to_host_async(self._host[name], self._device[name], stream)
        cuda.synchronize(stream)
        self.last_gpu_ms = cuda.elapsed_ms(self._start, self._end)

    def _run(self, tensor, want_logits):
        names = self._output_names(want_logits)
        np.copyto(self._host[self.input_name], tensor.reshape(self._input.shape),
                  casting="same_kind")
        self._execute(names)
        labels = self._host[self.labels_output].copy() if self.labels_output in names else None
        logits = self._host[self.logits_output].astype(np.float32) \
            if self.logits_output in names else None
        return labels, logits

    def run_tensor(self, tensor):
        np.copyto(self._host[self.input_name], tensor.reshape(self._input.shape),
                  casting="same_kind")
        self._execute(self._output_names(False))

    def close(self):
        """Frees the GPU buffers and gives the CudaMemory back; a second close does nothing."""
        try:
            for buffer in self._device.values():
                self._cuda.free(buffer)
        finally:
            self._device = {}
            # TensorRT's objects go before the CUDA context they live in is popped.
            self.context = self.engine = self._runtime = None
            if self._holds_cuda:
                self._holds_cuda = False
                cuda_memory.release(self._cuda)

    def describe(self):
        return "{} {} on {} {} {}x{}".format(self.backend_name, self._trt.__version__,
                                             self.gpu[0], self.precision, *self.input_size)
