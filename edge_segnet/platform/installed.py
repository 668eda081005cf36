"""Which TensorRT and ONNX Runtime this machine has: the one place that asks."""

from edge_segnet import optional
from edge_segnet.errors import UsageError
from edge_segnet.trt_facts import calibration_cache, releases


def tensorrt_text():
    """The importable tensorrt package's version text ("10.3.0.26"), or None."""
    tensorrt = optional.try_import("tensorrt")
    return tensorrt.__version__ if tensorrt is not None else None


def tensorrt_version():
    """(major, minor) of the importable tensorrt package, or None."""
    text = tensorrt_text()
    return releases.parse_version(text) if text is not None else None


def tensorrt_release():
    """(major, minor, patch) of the importable tensorrt package, or None (also when its
    version text is not a release's)."""
    text = tensorrt_text()
    if text is None:
        return None
    try:
        return calibration_cache.parse_full_version(text, "installed TensorRT")
    except UsageError:
        return None


def target_version(requested=None):
    """The release to prepare for: the one asked for, the installed one, else the oldest."""
    return releases.target_version(requested, None if requested else tensorrt_version())


def onnxruntime_version():
    """The importable onnxruntime's version text, or None."""
    ort = optional.try_import("onnxruntime")
    return ort.__version__ if ort is not None else None
