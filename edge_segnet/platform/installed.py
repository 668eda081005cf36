"""Which TensorRT (and which flavour: TensorRT, TensorRT for RTX) and ONNX Runtime this machine
has: the one place that asks."""

import os

from edge_segnet import optional
from edge_segnet.errors import UsageError
from edge_segnet.trt_facts import calibration_cache, releases, rtx


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


def rtx_module():
    """The importable TensorRT for RTX bindings (the wheel's ``tensorrt_rtx_bindings``, or
    ``tensorrt_rtx`` as NVIDIA's own packages name it), or None."""
    for name in rtx.MODULES:
        module = optional.try_import(name)
        if module is not None:
            return module
    return None


def rtx_text():
    """The importable TensorRT for RTX's version text ("1.7.1.116"), or None."""
    module = rtx_module()
    return module.__version__ if module is not None else None


def rtx_lib_dir():
    """The folder of ``libtensorrt_rtx.so.1`` from the libs wheel, or None where that wheel is
    not installed (NVIDIA's own packages put the library on the loader's path)."""
    libs = optional.try_import(rtx.LIBS_MODULE)
    if libs is None or not getattr(libs, "__file__", None):
        return None
    return os.path.dirname(os.path.abspath(libs.__file__))


def rtx_missing_link():
    """None, or the one line that says the unversioned library is missing and the ``ln -s``
    that adds it (see trt_facts/rtx.py: without it a plugin node aborts the process)."""
    lib_dir = rtx_lib_dir()
    return rtx.missing_link(lib_dir) if lib_dir is not None else None


def default_target():
    """The flavour a build targets when not told: TensorRT where it is importable, TensorRT
    for RTX where only that is, else TensorRT (whose absence the build then explains)."""
    if tensorrt_text() is None and rtx_text() is not None:
        return releases.RTX
    return releases.TENSORRT


def onnxruntime_version():
    """The importable onnxruntime's version text, or None."""
    ort = optional.try_import("onnxruntime")
    return ort.__version__ if ort is not None else None
