"""The kernel's host reference (the same window function the kernel uses) against ONNX Runtime's
MaxPool + MaxUnpool and the numpy reference. The kernel itself runs in tests/gpu."""

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


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 1, 9), (1, 2, 7, 1)])
def test_sizes_with_no_whole_window_give_zeros_everywhere(kernels, shape):
    pooled = np.random.RandomState(0).standard_normal(shape).astype(np.float32)
    values = np.zeros(shape[:2] + (shape[2] // 2, shape[3] // 2), np.float32)
    status, output = kernels.host(values, pooled)
    assert status == 0 and not output.any()


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
