import collections

import numpy as np

from edge_segnet.graph.batchnorm import fold_batchnorm
from edge_segnet.models import zoo
from tests.graph.conftest import copy, run


def test_folding_removes_every_batchnorm_and_keeps_the_outputs():
    model = zoo.create("segnet-basic", input_size=(36, 52), seed=3)
    # Running statistics far from 0/1, as a trained model has them.
    rng = np.random.RandomState(0)
    from onnx import numpy_helper

    # Every parameter away from its neutral value (gamma 1, beta 0, mean 0, var 1, eps 1e-5):
    # a fold that forgot one of them would still pass on the neutral ones.
    for init in model.graph.initializer:
        if ".bn." in init.name:
            value = numpy_helper.to_array(init)
            changed = (value + rng.uniform(0.5, 2.0, value.shape)).astype(value.dtype)
            init.CopyFrom(numpy_helper.from_array(changed, init.name))
    for node in model.graph.node:
        if node.op_type == "BatchNormalization":
            for attribute in node.attribute:
                if attribute.name == "epsilon":
                    attribute.f = 0.25
    before = collections.Counter(node.op_type for node in model.graph.node)
    assert before["BatchNormalization"] > 0
    folded = copy(model)
    changes = fold_batchnorm(folded)
    after = collections.Counter(node.op_type for node in folded.graph.node)
    assert after["BatchNormalization"] == 0 and len(changes) == before["BatchNormalization"]
    assert after["Conv"] == before["Conv"]
    image = rng.standard_normal((1, 3, 36, 52)).astype(np.float32)
    expected, got = run(model, image), run(folded, image)
    assert np.abs(expected - got).max() <= 1e-4 * max(1.0, np.abs(expected).max())


def test_a_conv_whose_output_is_used_elsewhere_is_not_folded():
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones((2, 1, 1, 1), np.float32), "w")
    params = [numpy_helper.from_array(np.full(2, v, np.float32), n)
              for n, v in (("g", 2.0), ("b", 0.5), ("m", 0.1), ("v", 4.0))]
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"]),
         helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["n"]),
         helper.make_node("Add", ["c", "n"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 2, 2])],
        [weight] + params)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    assert fold_batchnorm(model) == []
    assert [node.op_type for node in model.graph.node] == ["Conv", "BatchNormalization", "Add"]
