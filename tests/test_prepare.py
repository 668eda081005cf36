"""prepare's passes on the zoo models and on PyTorch exports, proven equal on ONNX Runtime."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from edge_segnet import prepare as prepare_module
from edge_segnet.errors import ModelError, UsageError
from edge_segnet.graph import UNPOOL_OP
from edge_segnet.graph.shapes import static_shapes
from edge_segnet.models import zoo
from tests.graph.conftest import (ONNX_KNOWS_OPSET_20, copy, pytorch_fixture,  # noqa: F401
                                  pytorch_io, run, tie_heavy_inputs)


def prepared(model, size, form, **options):
    result, reports = prepare_module.prepare(copy(model), prepare_module.PrepareOptions(
        input_size=size, unpool_form=form, **options))
    return result, reports


def assert_trt_ready(model):
    ops = [node.op_type for node in model.graph.node]
    assert "MaxUnpool" not in ops and "ScatterND" not in ops
    assert all(len(node.output) == 1 for node in model.graph.node if node.op_type == "MaxPool")
    shapes, types = static_shapes(model, with_types=True)
    for node in model.graph.node:
        if node.op_type == UNPOOL_OP:
            assert all(types[name] != TensorProto.INT64 for name in node.input)
        assert all(name in shapes for name in node.output), node.name
    for value in list(model.graph.input) + list(model.graph.output) + list(
            model.graph.value_info):
        dims = value.type.tensor_type.shape.dim
        assert dims and all(dim.HasField("dim_value") and dim.dim_value > 0 for dim in dims)
    assert model.opset_import[0].version <= 13 and model.ir_version == 7
    onnx.checker.check_model(model)


def assert_same_logits(original, rewritten, inputs, reference=None):
    for name, array in inputs.items():
        expected = reference[name] if reference is not None else run(original, array)
        result = run(rewritten, array)
        assert np.abs(result - expected).max() <= 1e-5, name
        assert np.array_equal(result.argmax(1), expected.argmax(1)), name


@pytest.mark.parametrize("form", ["native", "plugin"])
@pytest.mark.parametrize("size", [(128, 256), (100, 150), (36, 52)])
def test_segnet_basic_rewrites_give_the_same_logits(form, size):
    original = zoo.create("segnet-basic", input_size=size)
    rewritten, _ = prepared(original, size, form)
    assert_trt_ready(rewritten)
    assert_same_logits(original, rewritten, tie_heavy_inputs(size))


@pytest.mark.parametrize("form", ["native", "plugin"])
@pytest.mark.parametrize("size", [(128, 256), (68, 100)])  # 68 -> 34 -> 17: odd midway
def test_segnet_vgg16_rewrites_give_the_same_logits(form, size):
    original = zoo.create("segnet-vgg16", input_size=size, class_count=12)
    rewritten, _ = prepared(original, size, form)
    assert_trt_ready(rewritten)
    inputs = tie_heavy_inputs(size)
    assert_same_logits(original, rewritten, {k: inputs[k] for k in ("random", "zeros")})


@pytest.mark.parametrize("form", ["native", "plugin"])
def test_pytorch_torchscript_export_with_real_maxunpool(form, pytorch_io):
    original = pytorch_fixture("torchscript")
    assert "MaxUnpool" in [node.op_type for node in original.graph.node]
    rewritten, reports = prepared(original, (36, 52), form)
    assert_trt_ready(rewritten)
    inputs = {name[len("input_"):]: array for name, array in pytorch_io.items()
              if name.startswith("input_")}
    logits = {name: pytorch_io["logits_" + name] for name in inputs}
    assert_same_logits(original, rewritten, inputs, reference=logits)
    assert_same_logits(original, rewritten, inputs)
    unpool_report = next(report for report in reports if report.name == "unpool")
    assert len(unpool_report.changes) == 4


@pytest.mark.parametrize("form", ["native", "plugin"])
def test_pytorch_dynamo_export_with_scatternd(form, pytorch_io):
    original = pytorch_fixture("dynamo")
    assert "ScatterND" in [node.op_type for node in original.graph.node]
    if not ONNX_KNOWS_OPSET_20:
        # JetPack 4.6's onnx 1.11 cannot even check an opset-20 graph: prepare says where to
        # run it instead.
        with pytest.raises(ModelError, match="newer than onnx 1.11.0 knows.*pip install -U "
                                             "onnx"):
            prepared(original, (36, 52), form)
        return
    rewritten, reports = prepared(original, (36, 52), form)
    assert_trt_ready(rewritten)
    assert any("opset 20 -> 13" in change for report in reports for change in report.changes)
    inputs = {name[len("input_"):]: array for name, array in pytorch_io.items()
              if name.startswith("input_")}
    logits = {name: pytorch_io["logits_" + name] for name in inputs}
    assert_same_logits(original, rewritten, inputs, reference=logits)


def test_prepare_fixes_a_dynamic_input_to_the_asked_size():
    model = zoo.create("segnet-basic", input_size=(64, 64))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_param, dims[2].dim_param, dims[3].dim_param = "N", "H", "W"
    rewritten, reports = prepared(model, (96, 128), "native")
    assert [d.dim_value for d in rewritten.graph.input[0].type.tensor_type.shape.dim] == [
        1, 3, 96, 128]
    assert reports[1].changes == ["input 'input': ['N', 3, 'H', 'W'] -> [1, 3, 96, 128]"]
    assert run(rewritten, np.zeros((1, 3, 96, 128), np.float32)).shape == (1, 12, 96, 128)


def test_metadata_records_what_was_done():
    rewritten, _ = prepared(zoo.create("segnet-basic"), (128, 256), "plugin", argmax=True,
                            embed_preprocess=True, input_type="uint8")
    props = {entry.key: entry.value for entry in rewritten.metadata_props}
    assert '"unpool": "plugin"' in props["edge_segnet.prepared"]
    assert props["edge_segnet.input_format"] == '"bgr_uint8_nhwc"'
    assert "road" in props["edge_segnet.labels"]


def test_a_graph_without_unpooling_passes_through_with_a_note():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 32, 32])
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                                                [x], [y]),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    rewritten, reports = prepared(model, (32, 32), "plugin")
    note = next(report for report in reports if report.name == "unpool").changes
    assert note == ["no pooling/unpooling pair found: graph passed through"]
    assert [node.op_type for node in rewritten.graph.node] == ["Relu"]


def _pool_unpool_model(pool_attrs, unpool_attrs, constant_indices=False):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    nodes = [helper.make_node("MaxPool", ["x"], ["p", "i"], name="pool", **pool_attrs)]
    initializers = []
    indices = "i"
    if constant_indices:
        initializers.append(onnx.numpy_helper.from_array(
            np.arange(48, dtype=np.int64).reshape(1, 3, 4, 4) * 4, "fixed_indices"))
        indices = "fixed_indices"
        nodes.append(helper.make_node("Identity", ["i"], ["unused"]))
    nodes.append(helper.make_node("Shape", ["x"], ["s"]))
    nodes.append(helper.make_node("MaxUnpool", ["p", indices, "s"], ["y"], name="unpool",
                                  **unpool_attrs))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], outputs,
                                                initializer=initializers),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return model


TWO = {"kernel_shape": [2, 2], "strides": [2, 2]}


@pytest.mark.parametrize("pool_attrs, unpool_attrs, message", [
    (TWO, {"kernel_shape": [3, 3], "strides": [2, 2]},
     r"unpooling MaxUnpool 'unpool' has kernel_shape=\[3, 3\] strides=\[2, 2\] "
     r"pads=\[0, 0, 0, 0\]: only 2x2 windows"),
    (TWO, {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1]},
     r"MaxUnpool 'unpool' has .* pads=\[1, 1, 1, 1\]"),
    ({"kernel_shape": [2, 2], "strides": [1, 1]}, TWO,
     r"pooling feeding MaxPool 'pool' has kernel_shape=\[2, 2\] strides=\[1, 1\]"),
])
def test_unpooling_that_is_not_2x2_stride_2_fails_naming_node_and_attributes(
        pool_attrs, unpool_attrs, message):
    with pytest.raises(ModelError, match=message):
        prepared(_pool_unpool_model(pool_attrs, unpool_attrs), (8, 8), "plugin")


def test_indices_that_come_from_no_maxpool_fail_naming_the_node():
    model = _pool_unpool_model(TWO, TWO, constant_indices=True)
    with pytest.raises(ModelError, match="the indices of MaxUnpool 'unpool' cannot be traced "
                                         "to a MaxPool"):
        prepared(model, (8, 8), "plugin")


def test_options_that_contradict_each_other_are_usage_errors():
    with pytest.raises(UsageError, match="--keep-logits goes with --argmax"):
        prepare_module.PrepareOptions(keep_logits=True)
    with pytest.raises(UsageError, match="--unpool must be plugin or native"):
        prepare_module.PrepareOptions(unpool_form="scatter")


def test_auto_input_type_follows_the_target_tensorrt():
    assert prepare_module.PrepareOptions(trt_version="8.2").resolved_input_type() == "float32"
    assert prepare_module.PrepareOptions(trt_version="8.5").resolved_input_type() == "uint8"
    assert prepare_module.PrepareOptions(trt_version="10.3",
                                         input_type="float32").resolved_input_type() == "float32"


def test_prepare_for_a_release_names_the_nodes_its_parser_cannot_take(tmp_path):
    from edge_segnet.errors import ModelError
    from edge_segnet.models import zoo as zoo_module

    source = str(tmp_path / "m.onnx")
    zoo_module.save(zoo_module.create("segnet-basic", input_size=(36, 52)), source)
    options = prepare_module.PrepareOptions(input_size=(36, 52), embed_preprocess=True,
                                            input_type="uint8", trt_version="8.2")
    with pytest.raises(ModelError, match="TensorRT 8.2's ONNX parser cannot take 1 node: "
                                         "frame.float"):
        prepare_module.prepare_file(source, str(tmp_path / "p.onnx"), options)
    assert not (tmp_path / "p.onnx").exists()
    options.trt_version = "8.6"
    prepare_module.prepare_file(source, str(tmp_path / "p.onnx"), options)


def test_a_fifo_given_as_the_model_to_prepare_is_refused_without_opening_it(tmp_path, fifo):
    source = fifo(tmp_path / "model.onnx")
    with pytest.raises(ModelError, match="model .*model.onnx is not a regular file: it is a "
                                         "FIFO"):
        prepare_module.prepare_file(source, str(tmp_path / "p.onnx"),
                                    prepare_module.PrepareOptions(input_size=(36, 52)))
    assert not (tmp_path / "p.onnx").exists()


def test_expanded_plugin_nodes_run_on_onnx_runtime_as_the_reference_runs_them():
    """Calibration runs the plugin-form graph on ONNX Runtime through this expansion: it must
    compute what our op computes, under the same tensor names."""
    from edge_segnet.graph import unpool
    from tests.graph.conftest import run, tie_heavy_inputs

    model = zoo.create("segnet-basic", input_size=(36, 52), seed=2)
    prepared = prepare_module.prepare(model, prepare_module.PrepareOptions(
        input_size=(36, 52)))[0]
    expanded = copy(prepared)
    assert unpool.expand_plugin_nodes(expanded) == 4
    assert not any(node.op_type == UNPOOL_OP for node in expanded.graph.node)
    names = {name for node in prepared.graph.node for name in node.output}
    assert names <= {name for node in expanded.graph.node for name in node.output}
    for image in tie_heavy_inputs((36, 52)).values():
        np.testing.assert_array_equal(run(prepared, image), run(expanded, image))
