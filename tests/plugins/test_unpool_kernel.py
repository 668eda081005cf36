"""The kernel's host reference (the same window function the kernel uses) against ONNX Runtime's
MaxPool + MaxUnpool and the numpy reference; the kernel's own per-item code, run on the host
(``emulate``), against the reference. The kernel itself runs in tests/gpu."""

import numpy as np
import pytest

from edge_segnet.engine import unpool_kernels
from edge_segnet.graph import unpool_reference

from ..graph.test_unpool_reference import ort_pool_unpool


def _cases():
    rng = np.random.RandomState(3)
    relu = np.maximum(rng.standard_normal((2, 5, 11, 17)), 0)
    equal = np.full((1, 3, 8, 12), 2.0)
    equal[:, :, 1::2, 1::2] = 1.0
    minus_inf = np.full((1, 2, 6, 8), -np.inf)
    minus_inf[:, :, ::2, 1::2] = -3.0
    return {
        "random": rng.standard_normal((2, 4, 32, 48)),
        "relu zeros, odd sizes": relu,
        "all zero": np.zeros((1, 3, 9, 7)),
        "all equal with lower corners": equal,
        "negative": -np.abs(rng.standard_normal((1, 2, 10, 14))),
        "-inf around finite maxima": minus_inf,
        "width 4k (vector path)": np.round(rng.uniform(0, 3, (1, 2, 16, 64))),
        "3x3": rng.standard_normal((1, 1, 3, 3)),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("name, pooled", sorted(_cases().items()))
def test_host_reference_equals_onnx_runtime(kernels, name, pooled, dtype):
    pooled = pooled.astype(dtype)
    expected, values = ort_pool_unpool(pooled.astype(np.float32))
    values = values.astype(dtype)
    status, output = kernels.host(values, pooled)
    assert status == unpool_kernels.CUDA_SUCCESS
    assert output.dtype == dtype
    assert np.array_equal(output, expected.astype(dtype)), name


def test_all_minus_inf_windows_and_nan_follow_the_numpy_reference(kernels):
    pooled = np.full((1, 1, 4, 4), -np.inf, np.float32)
    pooled[0, 0, 2, 3] = np.nan
    values = np.arange(1, 5, dtype=np.float32).reshape(1, 1, 2, 2)
    status, output = kernels.host(values, pooled)
    assert status == 0
    assert np.array_equal(output, unpool_reference.unpool(values, pooled))


# W == 1 or H == 1: no whole window (ONNX Runtime's MaxUnpool refuses the empty index tensor,
# so the numpy reference is the oracle: zeros everywhere).
NO_WINDOW_SHAPES = [(1, 1, 1, 1), (2, 3, 1, 9), (1, 2, 7, 1), (1, 2, 6, 1), (2, 1, 2, 1),
                    (1, 3, 1, 8), (1, 1, 1, 2), (3, 2, 64, 1)]


def _shape_id(shape):
    return "x".join(str(size) for size in shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8])
@pytest.mark.parametrize("shape", NO_WINDOW_SHAPES, ids=_shape_id)
def test_sizes_with_no_whole_window_give_zeros_everywhere(kernels, shape, dtype):
    pooled = np.random.RandomState(0).standard_normal(shape).astype(dtype)
    values = np.ones(shape[:2] + (shape[2] // 2, shape[3] // 2), dtype)
    status, output = kernels.host(values, pooled)
    assert status == 0 and not output.any()
    assert np.array_equal(output, unpool_reference.unpool(values, pooled))


# Every access path (quads: W % 4 == 0; pairs: even W; scalar: odd W or unaligned rows), odd
# sizes, and the sizes without any window.
EMULATED_SHAPES = [(2, 3, 8, 16), (1, 2, 6, 10), (2, 2, 9, 13), (1, 3, 7, 12), (1, 1, 2, 2),
                   (1, 1, 3, 3), (1, 4, 2, 3)] + NO_WINDOW_SHAPES


def _random_inputs(shape, dtype, seed):
    rng = np.random.RandomState(seed)
    if dtype == np.int8:
        pooled = rng.randint(-3, 4, shape).astype(np.int8)  # many ties
        values = rng.randint(-128, 128, shape[:2] + (shape[2] // 2, shape[3] // 2))
        return values.astype(np.int8), pooled
    pooled = np.maximum(rng.standard_normal(shape), 0).astype(dtype)  # ReLU zeros: ties
    values = rng.uniform(1, 2, shape[:2] + (shape[2] // 2, shape[3] // 2)).astype(dtype)
    return values, pooled


def _misaligned_copy(array):
    """The same contents starting one element past an aligned address: the scalar path."""
    flat = np.empty(array.size + 1, array.dtype)
    view = flat[1:].reshape(array.shape)
    view[...] = array
    return view


@pytest.mark.parametrize("aligned", [True, False], ids=["aligned", "unaligned"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8])
@pytest.mark.parametrize("shape", EMULATED_SHAPES, ids=_shape_id)
def test_kernel_code_writes_every_element_as_the_reference(kernels, shape, dtype, aligned):
    values, pooled = _random_inputs(shape, dtype, seed=sum(shape))
    _, expected = kernels.host(values, pooled)
    if not aligned:
        values, pooled = _misaligned_copy(values), _misaligned_copy(pooled)
        output = _misaligned_copy(np.full(shape, 77, dtype))
    else:
        output = np.full(shape, 77, dtype)  # every element must be overwritten
    status, output = kernels.emulate(values, pooled, output=output)
    assert status == unpool_kernels.CUDA_SUCCESS
    assert np.array_equal(output, expected), "elements left at 77: {}".format(
        int(np.sum(output == 77)))


def test_kernel_code_requantises_int8_like_the_reference(kernels):
    values, pooled = _random_inputs((2, 3, 10, 16), np.int8, seed=8)
    _, expected = kernels.host(values, pooled, requant_scale=0.37)
    status, output = kernels.emulate(values, pooled, requant_scale=0.37)
    assert status == 0 and np.array_equal(output, expected)


def test_int8_moves_values_or_requantises_them(kernels):
    rng = np.random.RandomState(1)
    pooled = rng.randint(-128, 128, (2, 3, 10, 13)).astype(np.int8)
    values = rng.randint(-128, 128, (2, 3, 5, 6)).astype(np.int8)
    status, same_scale = kernels.host(values, pooled)
    assert status == 0
    assert np.array_equal(same_scale, unpool_reference.unpool(values, pooled))
    status, rescaled = kernels.host(values, pooled, requant_scale=0.5)
    expected = unpool_reference.unpool(
        np.clip(np.round(values.astype(np.float32) * 0.5), -128, 127).astype(np.int8), pooled)
    assert status == 0 and np.array_equal(rescaled, expected)


def test_bad_parameters_are_refused_without_touching_memory(kernels):
    values = np.zeros((1, 1, 2, 2), np.float32)
    pooled = np.zeros((1, 1, 4, 4), np.float32)
    status, _ = kernels.host(values, pooled, requant_scale=0.0)
    assert status == unpool_kernels.CUDA_ERROR_INVALID_VALUE
    assert kernels.library.edge_segnet_unpool_host(None, None, None, 1, 4, 4, 0, 1.0) == \
        unpool_kernels.CUDA_ERROR_INVALID_VALUE
    assert kernels.library.edge_segnet_unpool_host(None, None, None, 1, 4, 4, 7, 1.0) == \
        unpool_kernels.CUDA_ERROR_INVALID_VALUE


def test_library_carries_sass_for_each_arch_and_ptx_for_the_newest(kernels):
    # Without PTX a GPU newer than every built architecture has no kernel to run.
    code = unpool_kernels.embedded_code(kernels.path)
    built = sorted(arch for kind, arch in code if kind == "sass")
    assert built, code
    assert ("ptx", built[-1]) in code, code
    assert not [arch for kind, arch in code if kind == "ptx" and arch != built[-1]], code


@pytest.fixture(scope="module")
def two_arch_library(tmp_path_factory):
    missing = unpool_kernels.toolchain_missing()
    if missing:
        pytest.skip("the CUDA kernel cannot be compiled here: " + missing)
    supported = unpool_kernels.nvcc_archs() or [53, 62]
    archs = supported[:2]
    if len(archs) < 2:
        pytest.skip("this nvcc builds a single architecture")
    path = unpool_kernels.build(str(tmp_path_factory.mktemp("two-arch")),
                                archs=";".join(str(arch) for arch in archs))
    return path, archs


def test_an_explicit_arch_list_gets_ptx_for_its_newest_only(two_arch_library):
    path, archs = two_arch_library
    assert unpool_kernels.embedded_code(path) == {
        ("sass", archs[0]), ("sass", archs[1]), ("ptx", archs[1])}
