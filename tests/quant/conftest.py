import inspect

import pytest

from edge_segnet.models import zoo

SIZE = (36, 52)


def quantizes_from_given_ranges():
    import onnxruntime.quantization

    return "calibration_cache_path" in inspect.signature(
        onnxruntime.quantization.quantize_static).parameters


# calibrate needs quantize_static(calibration_cache_path=...) (onnxruntime of 2026); JetPack
# 4.6's onnxruntime 1.10 predates it, and there calibrate refuses in one line, which
# test_calibrate.py checks on every stack. The end-to-end tests run where calibrate does.
collect_ignore = [] if quantizes_from_given_ranges() else ["test_calibrate_onnxruntime.py"]


@pytest.fixture(scope="module")
def raw_path(tmp_path_factory):
    """SegNet-Basic at a small size, random weights: a raw export as a user gives it."""
    path = str(tmp_path_factory.mktemp("calib") / "segnet.onnx")
    zoo.save(zoo.create("segnet-basic", input_size=SIZE, seed=5), path)
    return path
