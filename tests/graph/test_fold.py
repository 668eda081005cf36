import numpy as np
from onnx import TensorProto, helper, numpy_helper

from edge_segnet.graph.fold import fold_constants

from .conftest import run


def test_shape_arithmetic_of_a_static_graph_becomes_initializers():
    """Shape -> Gather -> Concat -> Reshape, as exporters write a flatten."""
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axes"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "minus_one"], ["new_shape"], axis=0),
        helper.make_node("Reshape", ["x", "new_shape"], ["flat"]),
        helper.make_node("Relu", ["flat"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.array(0, np.int64), "zero"),
             numpy_helper.from_array(np.array([0], np.int64), "axes"),
             numpy_helper.from_array(np.array([-1], np.int64), "minus_one")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [2, 3, 4])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, [2, 12])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    x = np.random.RandomState(0).standard_normal((2, 3, 4)).astype(np.float32)
    before = run(model, x)
    assert fold_constants(model) == 4
    assert [node.op_type for node in model.graph.node] == ["Reshape", "Relu"]
    new_shape = next(init for init in model.graph.initializer if init.name == "new_shape")
    assert numpy_helper.to_array(new_shape).tolist() == [2, -1]
    assert np.array_equal(run(model, x), before)


def test_large_constants_are_not_folded():
    nodes = [helper.make_node("ConstantOfShape", ["size"], ["zeros"]),
             helper.make_node("Add", ["x", "zeros"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [512, 512])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [512, 512])],
        initializer=[numpy_helper.from_array(np.array([512, 512], np.int64), "size")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    assert fold_constants(model) == 0
    assert [node.op_type for node in model.graph.node] == ["ConstantOfShape", "Add"]
