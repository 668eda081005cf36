import sys

import pytest

from edge_segnet import optional
from edge_segnet.errors import MissingDependencyError, OutOfMemoryError


def test_require_names_the_package_the_purpose_and_the_fix():
    with pytest.raises(MissingDependencyError) as caught:
        optional.require("tensorrt_that_does_not_exist", "building engines")
    message = str(caught.value)
    assert "building engines needs the Python package 'tensorrt_that_does_not_exist'" in message
    assert "pip install tensorrt_that_does_not_exist" in message


def test_a_package_whose_libraries_find_no_memory_is_out_of_memory_not_missing(monkeypatch):
    # glibc's loader under a memory limit: reinstalling would not help, so no pip hint
    def import_module(name):
        raise ImportError("libaom.so.3: failed to map segment from shared object")

    monkeypatch.setattr(optional.importlib, "import_module", import_module)
    with pytest.raises(OutOfMemoryError, match="^out of memory loading the Python package "
                                               "'cv2' for drawing overlays \\(close other "
                                               "programs"):
        optional.require("cv2", "drawing overlays")


def test_install_hints_differ_on_a_jetson():
    assert "python3-libnvinfer" in optional.install_hint("tensorrt", on_jetson=True)
    assert "pip install tensorrt" in optional.install_hint("tensorrt", on_jetson=False)
    assert "JetPack" in optional.install_hint("cv2", on_jetson=True)


def test_importing_the_package_pulls_in_no_heavy_dependency():
    import subprocess

    code = ("import sys, edge_segnet, edge_segnet.cli, edge_segnet.runtime, "
            "edge_segnet.models.zoo, edge_segnet.checks.doctor\n"
            "heavy = [m for m in ('tensorrt', 'pycuda', 'onnxruntime', 'torch', 'cv2') "
            "if m in sys.modules]\n"
            "assert not heavy, heavy")
    subprocess.check_call([sys.executable, "-c", code])
