"""The one place that imports optional heavy packages, failing with a sentence that says how to
get them on this platform."""

import importlib
import os

from edge_segnet.errors import MissingDependencyError, OutOfMemoryError

# What to install, per package: (on a Jetson, elsewhere). Jetson images bring TensorRT, pycuda's
# CUDA and a GStreamer-enabled OpenCV with JetPack; a pip wheel would shadow or break them.
_INSTALL_HINTS = {
    "onnxruntime": (
        "pip3 install onnxruntime (JetPack 4.6: onnxruntime 1.10 for Python 3.6)",
        "pip install 'edge-segnet[cpu]' or pip install onnxruntime",
    ),
    "cv2": (
        "OpenCV comes with JetPack: sudo apt install python3-opencv (keep it: it has GStreamer)",
        "pip install 'edge-segnet[cpu]' or pip install opencv-python-headless",
    ),
    "tensorrt": (
        "TensorRT comes with JetPack: sudo apt install python3-libnvinfer",
        "on a Jetson TensorRT comes with JetPack; elsewhere pip install tensorrt-cu12 (or "
        "tensorrt-cu13 for CUDA 13), or NVIDIA's TensorRT packages",
    ),
    "tensorrt_rtx_bindings": (
        "TensorRT for RTX is for RTX GPUs (x86-64 and Windows), not Jetson: build on a "
        "workstation",
        "pip install tensorrt-rtx-cu12-libs==1.7.1.116 tensorrt-rtx-cu12-bindings==1.7.1.116 "
        "(then the libtensorrt_rtx.so link that edge-segnet doctor names)",
    ),
    "pycuda": (
        "export PATH=/usr/local/cuda/bin:$PATH && pip3 install pycuda",
        "pip install pycuda (needs the CUDA toolkit on PATH)",
    ),
    "onnxconverter_common": (
        "pip3 install onnxconverter-common (JetPack 7 / TensorRT 11 builds FP16 from it)",
        "pip install 'edge-segnet[fp16]' or pip install onnxconverter-common",
    ),
    "torch": (
        "install NVIDIA's PyTorch wheel for your JetPack release",
        "pip install 'edge-segnet[train]'",
    ),
}


def is_jetson(root="/"):
    """True on an NVIDIA Jetson (L4T) board: its device-tree model names one, or, where a
    container hides that, L4T's release file is there (the one test of this; doctor uses it)."""
    model = _read_quiet(os.path.join(root, "proc/device-tree/model")).lower()
    return "jetson" in model or "nvidia" in model or \
        os.path.exists(os.path.join(root, "etc/nv_tegra_release"))


def _read_quiet(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace").strip("\x00\n ")
    except OSError:
        return ""


def install_hint(module_name, on_jetson=None):
    """How to install ``module_name`` on this machine (or on a Jetson when ``on_jetson``)."""
    package = module_name.split(".")[0]
    jetson_hint, other_hint = _INSTALL_HINTS.get(
        package, ("pip3 install " + package, "pip install " + package)
    )
    if on_jetson is None:
        on_jetson = is_jetson()
    return jetson_hint if on_jetson else other_hint


# What the dynamic loader says when a library does not fit in the address space left
# (glibc's dl-map-segments: "failed to map segment from shared object"; ENOMEM's strerror).
_NO_MEMORY_TO_LOAD = ("failed to map segment from shared object", "Cannot allocate memory")


def require(module_name, purpose):
    """Import ``module_name`` or raise MissingDependencyError naming ``purpose`` and the fix."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        if any(words in str(exc) for words in _NO_MEMORY_TO_LOAD):
            # Installed, but its shared libraries found no room: installing it again would
            # not help.
            raise OutOfMemoryError("out of memory loading the Python package '{}' for {}".format(
                module_name, purpose), hint=OutOfMemoryError.HINT)
        raise MissingDependencyError(
            "{} needs the Python package '{}', which is not importable: {}".format(
                purpose, module_name, exc
            ),
            hint=install_hint(module_name),
        )


def try_import(module_name):
    """The module, or None when it is missing or broken (for reports such as doctor)."""
    try:
        return importlib.import_module(module_name)
    except Exception:  # a broken install raises more than ImportError (e.g. missing libcuda)
        return None
