import pytest

from edge_segnet.engine import unpool_kernels


@pytest.fixture(scope="session")
def kernels(tmp_path_factory):
    """The kernel-only library, compiled by nvcc with warnings as errors (C++14) for this
    machine's GPU (unpool_kernels.default_archs; without a GPU the quickest build)."""
    missing = unpool_kernels.toolchain_missing()
    if missing:
        pytest.skip("the CUDA kernel cannot be compiled here: " + missing)
    path = unpool_kernels.build(str(tmp_path_factory.mktemp("kernel-build")))
    return unpool_kernels.UnpoolKernels(path)
