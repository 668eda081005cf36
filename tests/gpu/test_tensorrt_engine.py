"""On real hardware (a Jetson or a GPU machine with TensorRT): build the shipped SegNet-Basic
in FP32 and FP16, verify each engine against ONNX Runtime, and time it. (INT8 joins once
`calibrate` ships Q/DQ models.) Skipped, with the reason, where TensorRT or a GPU is missing."""

import os

import numpy as np
import pytest

from edge_segnet import optional
from edge_segnet.errors import EdgeSegnetError

MIN_AGREEMENT = {"fp32": 0.999, "fp16": 0.995}


@pytest.fixture(scope="module")
def hardware():
    tensorrt = optional.try_import("tensorrt")
    if tensorrt is None or getattr(tensorrt, "STAND_IN", False):
        pytest.skip("TensorRT is not installed: engines are built and run on a Jetson or a "
                    "GPU machine with TensorRT only")
    pytest.importorskip("onnxruntime", reason="verification compares with ONNX Runtime")
    from edge_segnet.engine import cuda_memory

    try:
        cuda = cuda_memory.open_cuda()
        cuda.device()
    except EdgeSegnetError as exc:
        pytest.skip("no usable CUDA GPU here: {}".format(exc))
    yield tensorrt, cuda
    cuda.close()  # pycuda aborts the interpreter at exit over a push never popped


@pytest.fixture(scope="module")
def model_path():
    from edge_segnet.models.shipped import default_model_path

    return default_model_path()


def _unpool_form():
    from edge_segnet.engine import plugin_library

    try:
        plugin_library.find()
        return "plugin"
    except plugin_library.PluginError:
        return "native"


@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_build_verify_and_profile_on_this_gpu(hardware, model_path, precision, tmp_path):
    from edge_segnet.checks import verify
    from edge_segnet.data.synthetic import synthetic_frames
    from edge_segnet.engine import builder, plan
    from edge_segnet.runtime.tensorrt_backend import TensorRTSegmenter

    tensorrt, cuda = hardware
    output = str(tmp_path / "segnet-{}.engine".format(precision))
    result = builder.build(model_path, plan.BuildOptions(
        precision=precision, output=output, unpool=_unpool_form()), tensorrt=tensorrt,
        cuda=cuda)
    assert os.path.isfile(output) and os.path.isfile(output + ".json")
    segmenter = TensorRTSegmenter(result.engine_path, tensorrt=tensorrt, cuda=cuda)
    try:
        comparison = verify.compare_segmenters(model_path, segmenter,
                                               synthetic_frames(4))
        assert comparison.agreement >= MIN_AGREEMENT[precision], comparison.format_text()
        tensor = segmenter.prepare_input(np.full((720, 1280, 3), 128, np.uint8))
        times = []
        for _ in range(30):
            segmenter.run_tensor(tensor)
            times.append(segmenter.last_gpu_ms)
        assert 0 < float(np.median(times)) < 1000
    finally:
        segmenter.close()
