"""tools/check_plugin_builds.sh against real TensorRT headers: the plugin built with warnings as
errors, linked against the harness's stand-in libnvinfer, and exercised by the harness
(plugins/harness) as each release's TensorRT and ONNX parser use it.

CI has no TensorRT headers; name unpacked header folders (each with include/NvInfer.h) in
EDGE_SEGNET_TRT_HEADERS, separated by ":", to run it:
    EDGE_SEGNET_TRT_HEADERS=/tmp/trt-8.2.1:/tmp/trt-v10.3.0 python -m pytest tests/plugins -k check_plugin
"""

import os
import subprocess

import pytest

from edge_segnet.engine import unpool_kernels

from . import fake_tensorrt_install as fake_tensorrt

SCRIPT = os.path.join(os.path.dirname(unpool_kernels.PLUGINS_DIR), "tools", "check_plugin_builds.sh")
FOLDERS = [folder for folder in os.environ.get("EDGE_SEGNET_TRT_HEADERS", "").split(os.pathsep)
           if folder]


@pytest.mark.skipif(not FOLDERS, reason="EDGE_SEGNET_TRT_HEADERS names no TensorRT header folders "
                    "(CI has none; see this module's docstring)")
@pytest.mark.skipif(fake_tensorrt.missing_tools() is not None,
                    reason="the plugin build needs cmake, nvcc and cc: {}".format(
                        fake_tensorrt.missing_tools()))
def test_plugin_builds_and_passes_the_harness_for_each_release():
    result = subprocess.run(["bash", SCRIPT] + FOLDERS, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    output = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, output
    lines = [line for line in output.splitlines() if line.startswith(("OK ", "FAIL "))]
    assert len(lines) == len(FOLDERS), output
    for line in lines:
        assert line.startswith("OK ") and line.count("harness PASS") == 2, line
