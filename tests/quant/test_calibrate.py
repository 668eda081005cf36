"""calibrate's refusals, on every stack (JetPack 4.6's onnxruntime 1.10 included): what cannot
be calibrated is said in one line before any work, and an onnxruntime too old to quantise from
given ranges is named."""

import json
import os

import numpy as np
import onnx
import pytest

from edge_segnet.errors import MissingDependencyError, ModelError, UsageError
from edge_segnet.quant import calibrate, frames


def _model_with(tmp_path, name, nodes, outputs, inits=(), props=None):
    from onnx import TensorProto, helper

    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 3, 8, 8])], outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    for key, value in (props or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = "edge_segnet." + key, json.dumps(value)
    path = str(tmp_path / name)
    onnx.save(model, path)
    return path


def test_a_model_that_is_already_quantised_is_refused(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    path = _model_with(
        tmp_path, "qdq.onnx",
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])],
        [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
         numpy_helper.from_array(np.array(0, np.int8), "z")])
    with pytest.raises(ModelError, match="already holds Q/DQ"):
        calibrate.calibrate(path, frames.CalibrationSet(synthetic=1), str(tmp_path / "o.onnx"),
                            calibrate.CalibrateOptions())


def test_outputs_that_prepare_does_not_produce_are_refused(tmp_path):
    from onnx import TensorProto, helper

    path = _model_with(
        tmp_path, "flat.onnx", [helper.make_node("Flatten", ["x"], ["y"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 192])],
        props={"prepared": {"passes": [], "unpool": "none"}})
    with pytest.raises(ModelError, match="not what prepare produces"):
        calibrate.calibrate(path, frames.CalibrationSet(synthetic=1), str(tmp_path / "o.onnx"),
                            calibrate.CalibrateOptions())


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "percentile", "percentile": 120}, "--percentile must be"),
    ({"method": "percentile", "percentile": float("nan")}, "--percentile must be"),
    ({"method": "minmax", "percentile": 99.0}, "--percentile goes with --method percentile"),
    ({"method": "kl"}, "--method must be one of"),
    ({"target": "cpu"}, "--target must be"),
    ({"trt_version": "8"}, "a TensorRT release looks like"),
])
def test_options_that_cannot_be_right_are_refused(kwargs, message):
    with pytest.raises(UsageError, match=message):
        calibrate.CalibrateOptions(**kwargs)


def test_no_cache_for_a_release_without_calibrators(raw_path, tmp_path):
    with pytest.raises(UsageError, match="no calibrators"):
        calibrate.calibrate(raw_path, frames.CalibrationSet(synthetic=1),
                            str(tmp_path / "o.onnx"),
                            calibrate.CalibrateOptions(trt_version="11.1.0"),
                            cache=str(tmp_path / "o.calib"))
    assert os.listdir(str(tmp_path)) == []


def test_an_onnx_runtime_without_calibration_cache_path_is_refused_in_one_line(monkeypatch):
    import onnxruntime.quantization as quantization

    def quantize_static(model_input, model_output, calibration_data_reader=None):
        raise AssertionError("not called")

    monkeypatch.setattr(quantization, "quantize_static", quantize_static)
    with pytest.raises(MissingDependencyError, match="calibrate needs a newer onnxruntime"):
        calibrate._quantization()


def test_an_fp16_model_is_refused(raw_path, tmp_path):
    """Scales come from the FP32 model; one FP16 weight marks a graph prepare --fp16 made."""
    from onnx import numpy_helper

    model = onnx.load(raw_path)
    weight = model.graph.initializer[0]
    weight.CopyFrom(numpy_helper.from_array(
        numpy_helper.to_array(weight).astype(np.float16), weight.name))
    half = str(tmp_path / "half.onnx")
    onnx.save(model, half)
    with pytest.raises(ModelError, match="computes in FP16"):
        calibrate.calibrate(half, frames.CalibrationSet(synthetic=1), str(tmp_path / "o.onnx"),
                            calibrate.CalibrateOptions())
