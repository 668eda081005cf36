"""Segmenters: one contract (``Segmenter``), one class per backend, one factory."""

import os

from edge_segnet.errors import UsageError


def open_segmenter(model_path, backend="auto", threads=None, output_name=None):
    """A Segmenter for ``model_path``, picking the backend from the file when ``auto``."""
    extension = os.path.splitext(model_path)[1].lower()
    if backend == "auto":
        if extension == ".onnx":
            backend = "onnxruntime"
        else:
            raise UsageError(
                "cannot tell the backend for {!r} from its extension".format(model_path),
                hint="give an .onnx model",
            )
    if backend == "onnxruntime":
        from edge_segnet.runtime.onnxruntime_backend import OnnxRuntimeSegmenter

        return OnnxRuntimeSegmenter(model_path, threads=threads, output_name=output_name)
    raise UsageError("unknown backend {!r}; choose auto or onnxruntime".format(backend))
