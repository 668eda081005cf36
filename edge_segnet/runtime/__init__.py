"""Segmenters: one contract (``Segmenter``), one class per backend, one factory."""

import os

from edge_segnet import inputs
from edge_segnet.engine import cache
from edge_segnet.engine.sidecar import ENGINE_EXTENSIONS
from edge_segnet.errors import ModelError, UsageError
from edge_segnet.models import shipped
from edge_segnet.runtime.onnxruntime_backend import OnnxRuntimeSegmenter
from edge_segnet.runtime.tensorrt_backend import TensorRTSegmenter

BACKENDS = ("auto", "onnxruntime", "tensorrt")


def open_segmenter(model_path, backend="auto", threads=None, output_name=None,
                   precision="fp32"):
    """A Segmenter for ``model_path``. ``auto`` picks from the file: an engine runs on TensorRT,
    an .onnx on ONNX Runtime. ``tensorrt`` with an .onnx builds (once) through the engine
    cache. ``model_path`` may name a shipped model (``segnet-basic-camvid``)."""
    model_path = shipped.resolve(model_path)
    inputs.check_regular_file(model_path, "model", ModelError,
                              hint="give an .onnx model or a TensorRT engine file")
    if backend not in BACKENDS:
        raise UsageError("--backend must be one of {}; got {!r}".format(", ".join(BACKENDS),
                                                                         backend))
    extension = os.path.splitext(model_path)[1].lower()
    is_engine = extension in ENGINE_EXTENSIONS
    if backend == "auto":
        if extension == ".onnx":
            backend = "onnxruntime"
        elif is_engine:
            backend = "tensorrt"
        else:
            raise UsageError(
                "cannot tell the backend for {!r} from its extension".format(model_path),
                hint="give an .onnx model or an .engine/.plan",
            )
    if backend == "onnxruntime":
        if is_engine:
            raise UsageError("{} is a TensorRT engine; ONNX Runtime runs .onnx models".format(
                model_path), hint="use --backend tensorrt or give the .onnx")
        return OnnxRuntimeSegmenter(model_path, threads=threads, output_name=output_name)
    if not is_engine:
        model_path = cache.cached_engine(model_path, precision=precision)
    return TensorRTSegmenter(model_path)
