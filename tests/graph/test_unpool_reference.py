"""The numpy reference of our unpooling op against ONNX Runtime's MaxPool+MaxUnpool, ONNX's own
test cases and PyTorch."""

import importlib

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper

from edge_segnet.graph import unpool_reference

from .conftest import pytorch_io  # noqa: F401  (fixture)


def ort_pool_unpool(pooled, values=None):
    """ONNX Runtime's MaxPool (with indices) then MaxUnpool back to ``pooled``'s size."""
    n, c, height, width = pooled.shape
    h, w = height // 2, width // 2
    dtype = TensorProto.FLOAT
    nodes = [
        helper.make_node("MaxPool", ["x"], ["p", "i"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("MaxUnpool", ["v", "i", "s"], ["y"], kernel_shape=[2, 2],
                         strides=[2, 2]),
    ]
    graph = helper.make_graph(nodes, "g", [
        helper.make_tensor_value_info("x", dtype, [n, c, height, width]),
        helper.make_tensor_value_info("v", dtype, [n, c, h, w])],
        [helper.make_tensor_value_info("y", dtype, [n, c, height, width]),
         helper.make_tensor_value_info("p", dtype, [n, c, h, w])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    if values is None:
        values = np.random.RandomState(5).uniform(1, 2, (n, c, h, w)).astype(np.float32)
    return session.run(["y"], {"x": pooled, "v": values})[0], values


def _cases():
    rng = np.random.RandomState(0)
    relu = np.maximum(rng.standard_normal((2, 3, 9, 13)), 0).astype(np.float32)
    equal = np.full((1, 4, 6, 8), 3.0, np.float32)
    equal[0, 1, ::2, ::2] = 2.0  # windows whose first element is lower than the rest
    minus_inf = np.full((1, 2, 4, 6), -np.inf, np.float32)
    minus_inf[:, :, 1::2, 1::2] = -1e4  # a finite maximum in every window (fp16 holds it)
    return {
        "random": rng.standard_normal((2, 3, 16, 24)).astype(np.float32),
        "odd-sized relu zeros": relu,
        "all zero": np.zeros((1, 2, 7, 5), np.float32),
        "all equal": equal,
        "negative": -np.abs(rng.standard_normal((1, 3, 10, 10))).astype(np.float32),
        "-inf": minus_inf,
        "quantised ties": np.round(rng.uniform(0, 2, (1, 8, 12, 12))).astype(np.float32),
    }


@pytest.mark.parametrize("name, pooled", sorted(_cases().items()))
def test_reference_equals_onnx_runtime_pool_then_unpool(name, pooled):
    expected, values = ort_pool_unpool(pooled)
    assert np.array_equal(unpool_reference.unpool(values, pooled), expected), name


@pytest.mark.parametrize("name, pooled", sorted(_cases().items()))
def test_reference_in_fp16_equals_fp32_on_values_fp16_can_hold(name, pooled):
    pooled16 = pooled.astype(np.float16)
    expected, values = ort_pool_unpool(pooled16.astype(np.float32))
    result = unpool_reference.unpool(values.astype(np.float16), pooled16)
    assert result.dtype == np.float16
    assert np.array_equal(result, expected.astype(np.float16)), name


def test_first_maximum_in_row_major_order_wins():
    pooled = np.array([[[[5, 5], [5, 5]]]], np.float32)
    assert unpool_reference.unpool(np.array([[[[9]]]], np.float32), pooled)[0, 0].tolist() == [
        [9, 0], [0, 0]]
    pooled = np.array([[[[1, 7], [7, 2]]]], np.float32)
    assert unpool_reference.unpool(np.array([[[[9]]]], np.float32), pooled)[0, 0].tolist() == [
        [0, 9], [0, 0]]


def test_an_all_minus_inf_window_sends_the_value_to_its_first_element():
    """As PyTorch does (its MaxPool starts from the window's first element). ONNX Runtime 1.10
    starts from the lowest finite value, finds nothing greater and drops the value; newer
    ONNX Runtime agrees with PyTorch. TensorRT engines follow the reference."""
    pooled = np.full((1, 1, 2, 4), -np.inf, np.float32)
    pooled[0, 0, 1, 3] = 0.0
    result = unpool_reference.unpool(np.array([[[[4, 6]]]], np.float32), pooled)
    assert result[0, 0].tolist() == [[4, 0, 0, 0], [0, 0, 0, 6]]


def test_shapes_that_do_not_match_are_refused():
    with pytest.raises(ValueError, match="do not match the pooling"):
        unpool_reference.unpool(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 4, 4)))


class _CapturedCases(object):
    """ONNX's backend test generators, with their ``expect`` calls captured."""

    def __init__(self, module_name):
        self.cases = {}
        module = importlib.import_module("onnx.backend.test.case.node." + module_name)
        original = module.expect
        module.expect = self._expect
        try:
            for name in dir(module):
                value = getattr(module, name)
                if isinstance(value, type) and issubclass(value, module.Base) \
                        and value is not module.Base:
                    for attr in dir(value):
                        if attr.startswith("export_"):
                            getattr(value, attr)()
        finally:
            module.expect = original

    def _expect(self, node, inputs, outputs, name, **kwargs):
        self.cases[name] = (node, inputs, outputs)


def _pooled_tensor_for(indices, shape):
    """A tensor whose 2x2 MaxPool picks exactly these (per-plane) indices: 1 there, 0 else."""
    pooled = np.zeros(shape, np.float32)
    flat = pooled.reshape(shape[0] * shape[1], -1)
    for plane, plane_indices in enumerate(indices.reshape(shape[0] * shape[1], -1)):
        flat[plane, plane_indices] = 1.0
    return pooled


def test_onnx_maxunpool_case_without_output_shape():
    node, (values, indices), (expected,) = _CapturedCases("maxunpool").cases[
        "test_maxunpool_export_without_output_shape"]
    pooled = _pooled_tensor_for(indices, expected.shape)
    assert np.array_equal(unpool_reference.unpool(values, pooled), expected)
    assert np.array_equal(ort_pool_unpool(pooled, values)[0], expected)


def ort_unpool(values, indices, shape):
    """ONNX Runtime's MaxUnpool on given indices."""
    node = helper.make_node("MaxUnpool", ["v", "i", "s"], ["y"], kernel_shape=[2, 2],
                            strides=[2, 2])
    graph = helper.make_graph([node], "g", [
        helper.make_tensor_value_info("v", TensorProto.FLOAT, values.shape),
        helper.make_tensor_value_info("i", TensorProto.INT64, indices.shape),
        helper.make_tensor_value_info("s", TensorProto.INT64, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [int(v) for v in shape])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {"v": values, "i": indices, "s": np.asarray(shape, np.int64)})[0]


def test_onnx_maxunpool_case_with_output_shape_disagrees_with_runtime_and_pytorch(pytorch_io):
    """ONNX's expected output reads indices 5, 7, 13, 15 as if the plane were 4 wide. ONNX
    Runtime and PyTorch index the 5x5 output plane and put the values at (1,0), (1,2), (2,3),
    (3,0): we pin their behaviour, which is what users' exported models compute.

    No 2x2 pooling of a 5x5 tensor gives these indices (13 lies in window (1,1) but stands at
    window (1,0)'s place), so the case cannot be posed to our op, which never reads indices:
    it takes each window's switch from the pooled tensor itself."""
    node, (values, indices, output_shape), (onnx_expected,) = _CapturedCases(
        "maxunpool").cases["test_maxunpool_export_with_output_shape"]
    runtime = ort_unpool(values, indices, output_shape)
    assert np.array_equal(runtime, pytorch_io["maxunpool_5x5_pytorch"])
    assert not np.array_equal(runtime, onnx_expected)
    assert np.argwhere(runtime[0, 0]).tolist() == [[1, 0], [1, 2], [2, 3], [3, 0]]
    window_of_13 = (13 // 5 // 2, 13 % 5 // 2)
    assert window_of_13 == (1, 1) and np.argwhere(indices[0, 0] == 13).tolist() == [[1, 0]]


def test_onnx_maxpool_with_argmax_strides_case_picks_the_same_windows():
    node, (x,), (pooled_max, indices) = _CapturedCases("maxpool").cases[
        "test_maxpool_with_argmax_2d_precomputed_strides"]
    assert helper.get_attribute_value(next(a for a in node.attribute
                                           if a.name == "storage_order")) == 1
    height, width = x.shape[2:]
    rows, cols = indices[0, 0] % height, indices[0, 0] // height  # column-major indices
    values = np.arange(1, 5, dtype=np.float32).reshape(1, 1, 2, 2)
    ours = unpool_reference.unpool(values, x)
    for (r, c), value in zip(zip(rows.ravel(), cols.ravel()), values.ravel()):
        assert ours[0, 0, r, c] == value
    assert np.count_nonzero(ours) == 4


def test_onnx_maxpool_with_argmax_pads_case_is_refused_by_the_rewrite():
    from edge_segnet.errors import ModelError
    from edge_segnet.graph import unpool

    node, (x,), _ = _CapturedCases("maxpool").cases[
        "test_maxpool_with_argmax_2d_precomputed_pads"]
    unpool_node = helper.make_node("MaxUnpool", ["y", "z"], ["out"], kernel_shape=[5, 5],
                                   pads=[2, 2, 2, 2], name="unpool_pads")
    graph = helper.make_graph([node, unpool_node], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT,
                                                             [1, 1, 5, 5])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(ModelError, match=r"unpooling MaxUnpool 'unpool_pads' has "
                                         r"kernel_shape=\[5, 5\] strides=\[1, 1\] "
                                         r"pads=\[2, 2, 2, 2\]"):
        unpool.find_pairs(model)
