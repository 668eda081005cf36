import pytest


@pytest.fixture(scope="session")
def cupy():
    """CuPy on a CUDA GPU; these tests need the hardware and skip without it."""
    try:
        import cupy as cp
    except ImportError:
        pytest.skip("no CUDA GPU with CuPy here: the kernel runs on a GPU machine only")
    try:
        if cp.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no device")
    except Exception as exc:
        pytest.skip("no CUDA GPU here ({}): the kernel runs on a GPU machine only".format(exc))
    return cp
