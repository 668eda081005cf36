"""The CUDA kernel on a GPU, through the C ABI, against the host reference. The library is built
for this GPU (edge_segnet.engine.unpool_kernels.default_archs)."""

import numpy as np
import pytest

from edge_segnet.engine import unpool_kernels

from ..plugins.conftest import kernels  # noqa: F401  (fixture)

SHAPES = [(1, 64, 128, 256), (2, 3, 9, 13), (1, 5, 16, 20), (1, 2, 7, 64), (3, 4, 1, 5),
          (1, 64, 33, 66),
          # No whole window: W == 1 (every row left over), H == 1, both.
          (2, 3, 6, 1), (1, 2, 7, 1), (1, 64, 128, 1), (1, 3, 1, 8), (2, 2, 1, 7), (1, 1, 1, 1)]


def _inputs(shape, dtype, seed=0):
    rng = np.random.RandomState(seed)
    if dtype == np.int8:
        pooled = rng.randint(-3, 4, shape).astype(np.int8)  # many ties
        values = rng.randint(-128, 128, shape[:2] + (shape[2] // 2, shape[3] // 2))
        return values.astype(np.int8), pooled
    pooled = np.maximum(rng.standard_normal(shape), 0).astype(dtype)  # ReLU zeros: ties
    values = rng.standard_normal(shape[:2] + (shape[2] // 2, shape[3] // 2)).astype(dtype)
    return values, pooled


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: "x".join(str(s) for s in shape))
def test_kernel_equals_host_reference(cupy, kernels, shape, dtype):  # noqa: F811
    values, pooled = _inputs(shape, dtype)
    _, expected = kernels.host(values, pooled)
    d_values, d_pooled = cupy.asarray(values), cupy.asarray(pooled)
    d_output = cupy.full(shape, 77, dtype=dtype)  # every element must be overwritten
    status = kernels.launch(d_values.data.ptr, d_pooled.data.ptr, d_output.data.ptr, shape,
                            dtype)
    cupy.cuda.runtime.deviceSynchronize()
    assert status == unpool_kernels.CUDA_SUCCESS
    assert np.array_equal(cupy.asnumpy(d_output), expected)


@pytest.mark.gpu
def test_unaligned_pointers_take_the_scalar_path(cupy, kernels):  # noqa: F811
    shape = (1, 2, 8, 16)
    values, pooled = _inputs(shape, np.float32, seed=4)
    _, expected = kernels.host(values, pooled)
    # Offsets of one element break 16-byte alignment of every row.
    d_values = cupy.asarray(np.concatenate([[0], values.ravel()]).astype(np.float32))
    d_pooled = cupy.asarray(np.concatenate([[0], pooled.ravel()]).astype(np.float32))
    d_output = cupy.zeros(pooled.size + 1, np.float32)
    status = kernels.launch(d_values.data.ptr + 4, d_pooled.data.ptr + 4,
                            d_output.data.ptr + 4, shape, np.float32)
    cupy.cuda.runtime.deviceSynchronize()
    assert status == 0
    assert np.array_equal(cupy.asnumpy(d_output)[1:].reshape(shape), expected)


@pytest.mark.gpu
def test_library_is_built_for_this_gpu(cupy, kernels):  # noqa: F811
    capability = int(cupy.cuda.Device().compute_capability)
    code = unpool_kernels.embedded_code(kernels.path)
    # Its own SASS, or PTX of an older architecture that the driver compiles for it.
    assert ("sass", capability) in code or any(
        kind == "ptx" and arch <= capability for kind, arch in code), (capability, code)
