"""Segmenters for models held in memory (a graph a pass just made), for the checks that
compare one with another before anything is written."""

import contextlib
import os
import tempfile

import onnx

from edge_segnet.runtime.compare import compare_open
from edge_segnet.runtime.onnxruntime_backend import OnnxRuntimeSegmenter


@contextlib.contextmanager
def segmenters(*models):
    """One ONNX Runtime segmenter per model (ours through its reference where a graph holds
    our unpooling op), closed on leaving."""
    opened = []
    with tempfile.TemporaryDirectory(prefix="edge-segnet-check.") as folder:
        try:
            for index, model in enumerate(models):
                path = os.path.join(folder, "model{}.onnx".format(index))
                onnx.save(model, path)
                opened.append(OnnxRuntimeSegmenter(path))
            yield opened
        finally:
            for segmenter in opened:
                segmenter.close()


def label_agreement(model_a, model_b, frames):
    """(percent of pixels both label alike, frames compared) over ``frames``; (None, 0)
    without frames."""
    with segmenters(model_a, model_b) as (first, second):
        comparison = compare_open(first, second, frames, "model A", "model B")
    agreement = comparison.agreement
    return (100.0 * agreement if agreement is not None else None), comparison.frames
