"""calibrate end to end on a small SegNet-Basic, where ONNX Runtime's quantization takes the
ranges calibrate computes (not collected on older onnxruntimes: tests/quant/conftest.py):
where the Q/DQ nodes go (TensorRT's placement rules), what is recorded, the cache from the same
scales, the result on ONNX Runtime against the float model, and the hand-off to build."""

import collections
import hashlib
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from edge_segnet.engine import plan
from edge_segnet.errors import DataError
from edge_segnet.graph import UNPOOL_OP
from edge_segnet.models import metadata
from edge_segnet.quant import calibrate, frames
from edge_segnet.trt_facts import calibration_cache
from tests.quant.conftest import SIZE


@pytest.fixture(scope="module")
def calibrated(raw_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    out = {name: str(folder / name) for name in ("q.onnx", "q.calib", "q.json")}
    result = calibrate.calibrate(
        raw_path, frames.CalibrationSet(synthetic=6), out["q.onnx"],
        calibrate.CalibrateOptions(method="percentile", percentile=99.9,
                                   trt_version="8.6.1"),
        cache=out["q.calib"], summary_path=out["q.json"])
    return result, out


def _graph_maps(model):
    """(producer op by tensor, consumer ops by tensor)."""
    consumers = collections.defaultdict(list)
    for node in model.graph.node:
        for name in node.input:
            consumers[name].append(node.op_type)
    return {name: node.op_type for node in model.graph.node for name in node.output}, consumers


def test_qdq_sits_on_conv_inputs_and_weights_and_nowhere_else(calibrated):
    result, out = calibrated
    model = onnx.load(out["q.onnx"])
    producers, consumers = _graph_maps(model)
    from edge_segnet.graph import heads

    frame_convs = heads.preprocess_convs(model)
    convs = [node for node in model.graph.node if node.op_type == "Conv" and
             node not in frame_convs]
    assert convs
    for conv in convs:
        # data and weight dequantised, bias left in float
        assert producers.get(conv.input[0]) == "DequantizeLinear"
        assert producers.get(conv.input[1]) == "DequantizeLinear"
        assert len(conv.input) < 3 or producers.get(conv.input[2]) != "DequantizeLinear"
    # Nothing between a Conv and the ReLU after it: a Conv's output is quantised only where
    # it is itself a Conv's input (the last decoder feeding the classifier).
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear":
            assert set(consumers[node.output[0]]) == {"Conv"}
        if node.op_type == "Relu":
            assert producers.get(node.input[0]) == "Conv"
    # our op, the arg-max head and the normalisation (the frame's raw values) stay in float
    from edge_segnet.graph import heads

    preprocess = heads.preprocess_convs(model)
    assert len(preprocess) == 1
    for node in model.graph.node:
        if node.op_type in (UNPOOL_OP, "ArgMax") or node in preprocess:
            assert all(producers.get(name) != "DequantizeLinear" for name in node.input)
    assert not any(node.op_type == "BatchNormalization" for node in model.graph.node)
    # weights stay float under a Q->DQ pair: TensorRT 8.x imports no INT8 initializers
    weight_inits = {init.name: init.data_type for init in model.graph.initializer}
    quantized_weights = [node.input[0] for node in model.graph.node
                         if node.op_type == "QuantizeLinear" and node.input[0] in weight_inits]
    assert quantized_weights and all(weight_inits[name] == onnx.TensorProto.FLOAT
                                     for name in quantized_weights)
    zero_points = [onnx.numpy_helper.to_array(init) for init in model.graph.initializer
                   if init.data_type == onnx.TensorProto.INT8]
    assert zero_points and all((value == 0).all() for value in zero_points)  # symmetric


def test_the_calibration_is_recorded_in_the_model_and_the_summary(calibrated):
    result, out = calibrated
    model = onnx.load(out["q.onnx"])
    info = metadata.ModelInfo.from_model(model)
    record = info.extra["calibration"]
    assert record["method"] == "percentile" and record["percentile"] == 99.9
    assert record["frames"] == 6 and record["target"] == "tensorrt"
    assert info.extra["prepared"]["unpool"] == "plugin"  # prepared as build prepares it
    with open(out["q.calib"], "rb") as handle:
        assert record["cache_sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert model.ir_version == 7 and len(info.labels.names) == 12
    with open(out["q.json"]) as handle:
        summary = json.load(handle)
    assert summary["calibration"]["frames"] == 6
    rows = summary["tensors"]
    assert rows and all(0.0 <= row["clipped_fraction"] <= 1.0 for row in rows)
    assert all(row["observed_amax"] >= row["amax"] > 0 for row in rows)
    # a 99.9th percentile clips something somewhere
    assert max(row["clipped_fraction"] for row in rows) > 0


def test_the_cache_holds_the_same_scales_as_the_qdq_model(calibrated, raw_path):
    result, out = calibrated
    cache = calibration_cache.read_cache(out["q.calib"])
    assert cache.version == (8, 6, 1) and cache.algorithm == "EntropyCalibration2"
    model = onnx.load(out["q.onnx"])
    inits = {init.name: onnx.numpy_helper.to_array(init) for init in model.graph.initializer}
    producers = {name: node for node in model.graph.node for name in node.output}
    from edge_segnet.graph import heads

    frame_convs = heads.preprocess_convs(model)
    assert all(node.input[0] not in cache.scales for node in frame_convs)  # kept float
    checked = 0
    for node in model.graph.node:
        if node.op_type != "Conv" or node in frame_convs:
            continue
        quantize = producers[producers[node.input[0]].input[0]]
        scale = float(inits[quantize.input[1]])
        assert cache.scales[quantize.input[0]] == pytest.approx(scale, rel=1e-6)
        checked += 1
    assert checked >= 9
    # and build takes it for the float graph it prepares from the raw export on that release
    built = plan.plan(raw_path, plan.BuildOptions(trt_version="8.6"))
    plan.check_cache_covers(built.model, cache, out["q.calib"])


def test_the_trained_synthetic_model_keeps_its_labels_in_int8(tmp_path):
    """A trained model (random weights make near-ties of every logit): the Q/DQ model runs on
    ONNX Runtime and labels almost every pixel as the float model does."""
    from edge_segnet.models import shipped
    from edge_segnet.runtime import open_segmenter
    from edge_segnet.data.synthetic import synthetic_frames

    out = str(tmp_path / "synthetic.int8.onnx")
    result = calibrate.calibrate(shipped.synthetic_model_path(),
                                 frames.CalibrationSet(synthetic=4, seed=3), out,
                                 calibrate.CalibrateOptions())
    assert result.agreement >= 97.0
    segmenter = open_segmenter(out)
    labels = segmenter.infer(next(synthetic_frames(1))).labels
    assert labels.shape == (128, 256) and labels.dtype == np.int32


def test_onnx_runtime_placement_quantises_outputs_for_the_cpu(raw_path, tmp_path):
    out = str(tmp_path / "cpu.int8.onnx")
    result = calibrate.calibrate(raw_path, frames.CalibrationSet(synthetic=3), out,
                                 calibrate.CalibrateOptions(method="minmax",
                                                            target="onnxruntime"))
    model = onnx.load(out)
    producers, consumers = _graph_maps(model)
    convs = [node for node in model.graph.node if node.op_type == "Conv"]
    assert any("QuantizeLinear" in consumers[conv.output[0]] for conv in convs)
    assert "MaxUnpool" in producers.values()  # the graph as given: ONNX Runtime's own op
    assert all(row["clipped_fraction"] == 0.0 for row in result.summary)  # min-max clips nil
    session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    assert session.run(None, {session.get_inputs()[0].name:
                              np.zeros((1, 3) + SIZE, np.float32)})[0].shape[1] == 12


def test_a_set_of_only_unreadable_images_is_refused(raw_path, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="none of the 1 calibration images could be read"):
        calibrate.calibrate(raw_path, frames.CalibrationSet(images=str(folder)),
                            str(tmp_path / "o.onnx"), calibrate.CalibrateOptions())
    assert sorted(os.listdir(str(tmp_path))) == ["broken"]


def test_build_int8_takes_the_qdq_model_and_records_its_calibration(raw_path, tmp_path):
    """The hand-off to build: the Q/DQ model needs no other preparing, builds with INT8 on a
    (stand-in) TensorRT 10.3, and the engine's description carries the calibration record."""
    from edge_segnet.engine import builder
    from tests.engine.fake_cuda import FakeCuda
    from tests.engine.fake_tensorrt import Scenario, make_fake_tensorrt

    qdq = str(tmp_path / "native.int8.onnx")
    calibrate.calibrate(raw_path, frames.CalibrationSet(synthetic=2), qdq,
                        calibrate.CalibrateOptions(unpool_form="native", trt_version="10.3.0"))
    gpu = ("Fake Orin (sm_87)", (8, 7))
    cuda = FakeCuda(gpu)
    trt = make_fake_tensorrt("10.3.0", Scenario(gpu_name=gpu[0], memory=cuda))
    result = builder.build(qdq, plan.BuildOptions(precision="int8",
                                                  output=str(tmp_path / "q.engine")),
                           tensorrt=trt, cuda=cuda)
    description = result.description
    assert description["quantization"] == "qdq" and description["prepared_passes"] == []
    assert description["calibration"]["frames"] == 2
    assert description["calibration"]["method"] == "percentile"


def test_the_command_writes_the_model_cache_and_summary_and_prints_the_clipped_tensors(
        raw_path, tmp_path):
    from typer.testing import CliRunner

    from edge_segnet.cli import app

    out, cache = str(tmp_path / "m.int8.onnx"), str(tmp_path / "m.calib")
    result = CliRunner().invoke(app, ["calibrate", raw_path, "--synthetic", "3", "--method",
                                      "minmax", "-o", out, "--cache", cache,
                                      "--trt-version", "10.3.0"])
    assert result.exit_code == 0, result.output
    assert "tensors calibrated on 3 frames (minmax)" in result.output
    assert "wrote {} and {}".format(out, cache) in result.output
    assert calibration_cache.read_cache(cache).version == (10, 3, 0)
    record = metadata.ModelInfo.from_model(onnx.load(out)).extra["calibration"]
    assert record["method"] == "minmax" and record["cache_header"].startswith("TRT-100300-")



def test_a_full_disk_on_the_summary_leaves_no_model_under_its_final_name(
        raw_path, tmp_path, monkeypatch):
    """All or none: the Q/DQ model is not moved into place before the cache and the summary
    are written, so a full disk on the last one leaves nothing beside the error."""
    import errno

    real_fsync = os.fsync
    written = []

    def fsync(fd):
        written.append(fd)
        if len(written) == 3:  # the summary, after the model and the cache
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Exception) as raised:
        calibrate.calibrate(raw_path, frames.CalibrationSet(synthetic=2), str(out / "q.onnx"),
                            calibrate.CalibrateOptions(trt_version="8.6.1"),
                            cache=str(out / "q.calib"), summary_path=str(out / "q.json"))
    assert "q.json: no space left on the device" in str(raised.value)
    assert os.listdir(str(out)) == []


def test_onnx_runtime_failing_on_the_working_copy_names_the_users_model(
        raw_path, tmp_path, monkeypatch):
    """ONNX Runtime's message names the file it was handed, calibrate's temporary copy: the
    one line names the user's model instead."""
    from edge_segnet.errors import ModelError

    def failing(model, calibration_set, options, work_dir, progress=False):
        raise RuntimeError("[ONNXRuntimeError] : 1 : FAIL : Load model from {} failed: "
                           "bad node".format(os.path.join(work_dir, "twin.onnx")))

    monkeypatch.setattr(calibrate, "collect_ranges", failing)
    with pytest.raises(ModelError) as raised:
        calibrate.calibrate(raw_path, frames.CalibrationSet(synthetic=1),
                            str(tmp_path / "q.onnx"), calibrate.CalibrateOptions())
    assert str(raised.value).startswith("ONNX Runtime could not calibrate {}: ".format(raw_path))
    assert "edge-segnet-calibrate." not in str(raised.value)


def test_no_memory_while_calibrating_is_out_of_memory_naming_the_model(
        raw_path, tmp_path, monkeypatch):
    """The quantization package's sessions are not ours: their arena's failure reached the CLI
    as an internal error (exit 70), after ONNX Runtime's own "[E:onnxruntime …]" line."""
    from edge_segnet.errors import OutOfMemoryError

    def starved(model, calibration_set, options, work_dir, progress=False):
        raise RuntimeError("[ONNXRuntimeError] : 1 : FAIL : Non-zero status code returned "
                           "while running Relu node. Status Message: bfc_arena.cc:360 Failed to "
                           "allocate memory for requested buffer of size 33554432")

    monkeypatch.setattr(calibrate, "collect_ranges", starved)
    with pytest.raises(OutOfMemoryError) as raised:
        calibrate.calibrate(raw_path, frames.CalibrationSet(synthetic=1),
                            str(tmp_path / "q.onnx"), calibrate.CalibrateOptions())
    assert str(raised.value).startswith(
        "ONNX Runtime ran out of memory calibrating {} (close".format(raw_path))
    assert not os.path.exists(str(tmp_path / "q.onnx"))
