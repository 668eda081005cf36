import os

import onnx
import pytest

from edge_segnet.engine import plan
from edge_segnet.errors import ModelError, UsageError
from edge_segnet import prepare
from edge_segnet.graph import UNPOOL_OP
from edge_segnet.models import zoo
from tests.engine.calibration_caches import write_cache_for


@pytest.fixture
def raw_model(tmp_path):
    path = str(tmp_path / "segnet.onnx")
    zoo.save(zoo.create("segnet-basic", input_size=(36, 52)), path)
    return path


@pytest.mark.parametrize("kwargs, message", [
    ({"precision": "bf16"}, "precision must be one of"),
    ({"workspace_mib": 0}, "--workspace must be at least 1 MiB"),
    ({"opt_level": 6}, "--opt-level must be 0 to 5"),
    ({"dla_core": -1}, "--dla-core must be 0 or more"),
    ({"gpu_fallback": True}, "--gpu-fallback goes with --dla-core"),
    ({"calib_cache": "x.calib"}, "--calib-cache goes with --int8"),
    ({"unpool": "scatter"}, "--unpool must be plugin or native"),
    ({"unpool": "native", "plugin": "lib.so"}, "--plugin goes with --unpool plugin"),
])
def test_options_that_cannot_be_right_are_refused(kwargs, message):
    with pytest.raises(UsageError, match=message):
        plan.BuildOptions(**kwargs)


def test_a_raw_export_gets_the_passes_it_needs_for_the_oldest_release(raw_model):
    built = plan.plan(raw_model, plan.BuildOptions(trt_version="8.2"))
    assert built.passes[:3] == ["validate", "fix-input", "unpool"]
    assert "argmax" in built.passes and "embed-preprocess" in built.passes
    assert built.needs_plugin and built.unpool == "plugin"
    # 8.2 has no UINT8 network inputs: the frame comes as float values.
    assert built.model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert built.input_size == (36, 52)
    assert len(built.source_sha256) == 64


def test_from_8_5_the_engine_takes_the_frame_bytes(raw_model):
    built = plan.plan(raw_model, plan.BuildOptions(trt_version="8.5"))
    assert built.model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.UINT8


def test_native_unpooling_needs_no_plugin(raw_model):
    built = plan.plan(raw_model, plan.BuildOptions(unpool="native", trt_version="8.6"))
    assert not built.needs_plugin
    assert all(node.op_type != UNPOOL_OP for node in built.model.graph.node)


def test_a_prepared_model_is_built_as_it_is(raw_model, tmp_path):
    prepared = str(tmp_path / "segnet.prepared.onnx")
    prepare.prepare_file(raw_model, prepared, prepare.PrepareOptions(input_size=(36, 52)))
    built = plan.plan(prepared, plan.BuildOptions(trt_version="10.3"))
    assert built.passes == [] and built.input_size == (36, 52)
    with pytest.raises(UsageError, match="prepared for 36x52; it cannot take 64x64"):
        plan.plan(prepared, plan.BuildOptions(input_size=(64, 64), trt_version="10.3"))
    with pytest.raises(UsageError, match="prepared with the plugin unpooling form"):
        plan.plan(prepared, plan.BuildOptions(unpool="native", trt_version="10.3"))


FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "pytorch")


def test_an_input_size_the_model_cannot_take_is_refused():
    # The dynamo export bakes its index arithmetic for the size it was exported at.
    with pytest.raises(ModelError, match="cannot be built for input 64x64"):
        plan.plan(os.path.join(FIXTURES, "segnet_tiny_dynamo.onnx"),
                  plan.BuildOptions(input_size=(64, 64), trt_version="8.6"))
    with pytest.raises(UsageError, match="at least 1"):
        plan.BuildOptions(input_size=(0, 8))


def test_int8_needs_a_quantised_model_or_a_cache_and_11_has_no_cache(raw_model, tmp_path):
    with pytest.raises(UsageError, match="--int8 needs a quantised model"):
        plan.plan(raw_model, plan.BuildOptions(precision="int8", trt_version="10.3"))
    cache = write_cache_for(raw_model, tmp_path / "segnet.calib", "8.2.1")
    built = plan.plan(raw_model, plan.BuildOptions(precision="int8", calib_cache=str(cache),
                                                   trt_version="8.2"))
    assert built.quantization == "calibration-cache"
    with pytest.raises(UsageError, match="has no calibrators"):
        plan.plan(raw_model, plan.BuildOptions(precision="int8", calib_cache=str(cache),
                                               trt_version="11.1"))


def test_releases_older_than_8_2_are_refused(raw_model):
    with pytest.raises(UsageError, match="older than"):
        plan.plan(raw_model, plan.BuildOptions(trt_version="7.1"))


def test_an_op_the_target_parser_cannot_take_is_named_before_tensorrt(tmp_path):
    from onnx import helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["image"], ["r"], name="relu0"),
         helper.make_node("Hardmax", ["r"], ["scores"], name="odd_head")], "g",
        [helper.make_tensor_value_info("image", onnx.TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("scores", onnx.TensorProto.FLOAT, [1, 3, 8, 8])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    path = str(tmp_path / "odd.onnx")
    onnx.save(model, path)
    with pytest.raises(ModelError, match="odd_head"):
        plan.plan(path, plan.BuildOptions(trt_version="8.2"))


def test_engine_paths_never_overwrite_the_model_or_a_non_file(raw_model, tmp_path):
    with pytest.raises(UsageError, match="would overwrite the model"):
        plan.check_output_paths(raw_model, raw_model)
    with pytest.raises(UsageError, match="not an engine file name"):
        plan.check_output_paths(raw_model, str(tmp_path / "out.onnx"))
    os.mkdir(str(tmp_path / "dir.engine"))
    with pytest.raises(UsageError, match="not a regular file"):
        plan.check_output_paths(raw_model, str(tmp_path / "dir.engine"))
    with pytest.raises(UsageError, match="another file of this build"):
        plan.check_output_paths(raw_model, str(tmp_path / "a.engine"), raw_model)
    assert plan.default_output("x/segnet.prepared.onnx") == "x/segnet.engine"


def test_a_model_with_qdq_nodes_must_be_built_int8(tmp_path):
    from onnx import helper, numpy_helper
    import numpy as np

    nodes = [helper.make_node("QuantizeLinear", ["image", "s", "z"], ["q"], name="q0"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["out"], name="dq0")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("image", onnx.TensorProto.FLOAT,
                                                   [1, 3, 8, 8])],
        [helper.make_tensor_value_info("out", onnx.TensorProto.FLOAT, [1, 3, 8, 8])],
        [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
         numpy_helper.from_array(np.array(0, np.int8), "z")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    path = str(tmp_path / "qdq.onnx")
    onnx.save(model, path)
    with pytest.raises(UsageError, match="build it with --int8"):
        plan.plan(path, plan.BuildOptions(precision="fp16", trt_version="8.6"))


def test_a_cache_made_for_another_graph_is_refused_before_tensorrt(raw_model, tmp_path):
    other = str(tmp_path / "other.onnx")
    zoo.save(zoo.create("segnet-vgg16", input_size=(32, 32)), other)
    cache = write_cache_for(other, tmp_path / "other.calib", "8.6.1")
    with pytest.raises(ModelError, match="made for another model"):
        plan.plan(raw_model, plan.BuildOptions(precision="int8", calib_cache=cache,
                                               trt_version="8.6"))


@pytest.mark.parametrize("text, message", [
    ("TRT-8201-EntropyCalibration2\n", "holds no tensor scales"),
    ("", "is empty"),
    ("calibration\nx: 3c010204\n", "does not start with a TensorRT header"),
    ("TRT-8201-EntropyCalibration2\nx: zz\n", "line 2"),
    ("TRT-8201-EntropyCalibration2\nx: 3c01\n", "line 2"),
])
def test_an_unusable_cache_is_refused_naming_what_is_wrong(raw_model, tmp_path, text, message):
    cache = tmp_path / "bad.calib"
    cache.write_text(text)
    with pytest.raises(ModelError, match=message):
        plan.plan(raw_model, plan.BuildOptions(precision="int8", calib_cache=str(cache),
                                               trt_version="8.6"))
