import pytest
from onnx import TensorProto, helper

from edge_segnet.errors import ModelError
from edge_segnet.graph import opset


def _model(nodes, version, outputs=("y",), **attrs):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 3, 4, 4])], [helper.make_tensor_value_info(
            name, TensorProto.FLOAT, [1, 3, 4, 4]) for name in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", version)])
    model.ir_version = 7
    return model


def test_stable_ops_are_lowered_to_13_with_later_attributes_dropped():
    model = _model([helper.make_node("Relu", ["x"], ["r"]),
                    helper.make_node("Shape", ["r"], ["s"]),
                    helper.make_node("Reshape", ["r", "s"], ["y"], allowzero=0)], 14)
    assert opset.lower(model) == "opset 14 -> 13"
    assert model.opset_import[0].version == 13 and model.ir_version == 7
    assert not model.graph.node[2].attribute


def test_an_op_changed_after_13_keeps_the_opset_and_says_why():
    model = _model([helper.make_node("Relu", ["x"], ["r"]),
                    helper.make_node("Reshape", ["r", "s"], ["y"], allowzero=1,
                                     name="flatten")], 14)
    note = opset.lower(model)
    assert note.startswith("opset 14 kept: Reshape 'flatten' sets allowzero=1")
    assert model.opset_import[0].version == 14 and model.ir_version == 8


def test_validate_refuses_old_opsets_and_broken_graphs():
    with pytest.raises(ModelError, match="opset 8; SegNet's MaxUnpool needs opset 9"):
        opset.validate(_model([helper.make_node("Relu", ["x"], ["y"])], 8))
    broken = _model([helper.make_node("Relu", ["missing"], ["y"])], 13)
    with pytest.raises(ModelError, match="fails onnx.checker"):
        opset.validate(broken)
    future = _model([helper.make_node("Relu", ["x"], ["y"])], 99)
    with pytest.raises(ModelError, match="uses opset 99 .* newer than onnx .* knows"):
        opset.validate(future)
