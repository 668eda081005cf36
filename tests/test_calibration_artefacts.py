"""The INT8 artefacts shipped under calibration/: each Q/DQ model belongs to the shipped model
of today (its float source's hash), its caches parse and cover the graph build prepares for
their releases with the Q/DQ model's own scales, and the INT8 model labels real frames as the
float model does."""

import hashlib
import json
import os

import onnx
import pytest

from edge_segnet.engine import plan
from edge_segnet.models import metadata, shipped
from edge_segnet.trt_facts import calibration_cache

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "calibration")
MODELS = (shipped.CAMVID, shipped.SYNTHETIC)
CACHES = (("trt8.2", "8.2"), ("trt8.5-10", "8.5"), ("trt8.5-10", "10.3"))


def _path(name, suffix):
    return os.path.join(ROOT, name, name + suffix)


def _sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.mark.parametrize("name", MODELS)
def test_the_qdq_model_was_made_from_the_shipped_model_of_today(name):
    model = onnx.load(_path(name, ".int8.onnx"))
    onnx.checker.check_model(model)
    assert model.ir_version == 7
    record = metadata.ModelInfo.from_model(model).extra["calibration"]
    assert record["float_model_sha256"] == _sha256(shipped.model_path(name))
    assert record["target"] == "tensorrt" and record["method"] == "percentile"
    with open(os.path.join(ROOT, name, "images.txt")) as handle:
        images = [line for line in handle.read().splitlines() if line]
    assert len(images) == record["frames"] >= 300
    if name == shipped.CAMVID:  # calibrated on train, never on the test split
        assert all(image.startswith(("0001TP", "0006R0", "0016E5")) for image in images)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("suffix, release", CACHES)
def test_each_cache_covers_the_graph_build_prepares_with_the_qdq_model_s_scales(
        name, suffix, release):
    cache_path = _path(name, ".{}.calib".format(suffix))
    cache = calibration_cache.read_cache(cache_path)
    built = plan.plan(shipped.model_path(name), plan.BuildOptions(trt_version=release))
    plan.check_cache_covers(built.model, cache, cache_path)
    qdq = onnx.load(_path(name, ".int8.onnx"))
    scales = {init.name: onnx.numpy_helper.to_array(init) for init in qdq.graph.initializer}
    quantized = {node.input[0]: float(scales[node.input[1]]) for node in qdq.graph.node
                 if node.op_type == "QuantizeLinear" and scales[node.input[1]].size == 1}
    shared = set(quantized) & set(cache.scales)
    assert len(shared) >= 8
    for tensor in shared:
        assert cache.scales[tensor] == pytest.approx(quantized[tensor], rel=1e-6)


def test_the_summary_matches_the_model():
    for name in MODELS:
        with open(os.path.join(ROOT, name, "summary.json")) as handle:
            summary = json.load(handle)
        record = metadata.ModelInfo.from_model(onnx.load(_path(name, ".int8.onnx"))).extra[
            "calibration"]
        assert summary["calibration"]["float_model_sha256"] == record["float_model_sha256"]
        for row in summary["tensors"]:
            # Percentile 99.99 clips about 0.01% of the values, except where many values sit
            # at the very top of the range (saturated pixels: 255 in the frame); those are
            # clipped by a hair, not cut off.
            assert 0 <= row["clipped_fraction"] < 0.001 or \
                row["observed_amax"] <= 1.002 * row["amax"], row


def test_int8_labels_real_streets_as_fp32_does(camvid_mini):
    """camvid-mini's 24 test frames (never calibrated on): global accuracy within half a
    point of the float model's."""
    pytest.importorskip("onnxruntime", reason="eval runs on ONNX Runtime")
    pytest.importorskip("cv2", reason="eval reads images with OpenCV")
    from edge_segnet.eval import evaluate

    report = evaluate.evaluate([shipped.model_path(shipped.CAMVID),
                                _path(shipped.CAMVID, ".int8.onnx")], camvid_mini,
                               split="test")
    fp32, int8 = (result.matrix for result in report.results)
    assert abs(fp32.global_accuracy() - int8.global_accuracy()) <= 0.005
    assert abs(fp32.mean_iou() - int8.mean_iou()) <= 0.01
