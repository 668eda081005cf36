import numpy as np
import onnx
import onnxruntime
import pytest

from edge_segnet.models import segnet, zoo


def _ops(model, op_type):
    return [node for node in model.graph.node if node.op_type == op_type]


def _attr(node, name):
    return next(onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == name)


def _initializer_shapes(model):
    return {init.name: tuple(init.dims) for init in model.graph.initializer}


@pytest.fixture(scope="module")
def basic():
    return zoo.create("segnet-basic")


@pytest.fixture(scope="module")
def vgg16():
    return zoo.create("segnet-vgg16")


def test_segnet_basic_has_the_papers_layer_structure(basic):
    convs = _ops(basic, "Conv")
    shapes = _initializer_shapes(basic)
    assert len(convs) == 9
    assert [_attr(conv, "kernel_shape") for conv in convs] == [[7, 7]] * 8 + [[1, 1]]
    assert [shapes[conv.input[1]][0] for conv in convs[:8]] == [64] * 8
    assert shapes[convs[0].input[1]] == (64, 3, 7, 7)
    assert len(convs[-1].input) == 2, "the classifier has no bias"
    assert len(_ops(basic, "BatchNormalization")) == 8
    assert len(_ops(basic, "Relu")) == 4, "ReLU in the encoders only"
    pools, unpools = _ops(basic, "MaxPool"), _ops(basic, "MaxUnpool")
    assert len(pools) == len(unpools) == 4
    assert all(len(pool.output) == 2 for pool in pools), "MaxPool hands on its indices"
    assert all(_attr(node, "kernel_shape") == [2, 2] and _attr(node, "strides") == [2, 2]
               for node in pools + unpools)
    # Decoder i unpools with encoder i's indices: the deepest first.
    assert [unpool.input[1] for unpool in unpools] == [pool.output[1] for pool in pools[::-1]]


def test_segnet_basic_parameter_and_mac_counts(basic):
    # 7*7*3*64 + 7*7*64*64*7 + 64*12 weights, 8*64 conv biases, 8*2*64 BN scales/shifts.
    assert segnet.parameter_count(basic) == 1416640
    assert round(segnet.multiply_accumulates(basic) / 1e9, 1) == 11.2


def test_segnet_vgg16_structure_and_counts(vgg16):
    convs = _ops(vgg16, "Conv")
    shapes = _initializer_shapes(vgg16)
    assert len(convs) == 26  # 13 encoder + 12 decoder + classifier
    assert all(_attr(conv, "kernel_shape") == [3, 3] for conv in convs)
    assert [shapes[conv.input[1]][0] for conv in convs[:13]] == [
        64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    assert len(_ops(vgg16, "MaxPool")) == len(_ops(vgg16, "MaxUnpool")) == 5
    assert len(_ops(vgg16, "Relu")) == 25
    assert segnet.parameter_count(vgg16) == 29449932
    assert round(segnet.multiply_accumulates(vgg16) / 1e9, 1) == 20.2


@pytest.mark.parametrize("name", sorted(zoo.SPECS))
@pytest.mark.parametrize("size", [(128, 256), (100, 150)])
def test_zoo_models_pass_the_checker_and_run_on_onnx_runtime(name, size):
    model = zoo.create(name, input_size=size, class_count=12)
    onnx.checker.check_model(model)
    assert model.ir_version == segnet.IR_VERSION
    assert [(o.domain, o.version) for o in model.opset_import] == [("", segnet.OPSET)]
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    image = np.random.RandomState(1).rand(1, 3, *size).astype(np.float32)
    (logits,) = session.run(None, {segnet.INPUT_NAME: image})
    assert logits.shape == (1, 12) + size
    assert np.isfinite(logits).all()
    # An odd side (25 after two poolings) must come back whole: a last row that is not zero.
    assert np.abs(logits[0, :, -1, :]).max() > 0


def test_he_init_is_seeded():
    first, again, other = (zoo.create("segnet-basic", seed=seed) for seed in (3, 3, 4))
    weights = [onnx.numpy_helper.to_array(m.graph.initializer[0]) for m in (first, again, other)]
    assert np.array_equal(weights[0], weights[1])
    assert not np.array_equal(weights[0], weights[2])
    assert abs(weights[0].std() - np.sqrt(2.0 / (3 * 7 * 7))) < 0.01

