"""tests/engine/test_cuda_memory.py on real hardware, through both CUDA layers the TensorRT
backend takes (pycuda, cuda-python): pinned memory, asynchronous copies both ways, events, a
CUDA graph (cuda-python; pycuda refuses one in one line), and a command-shaped process that
exits cleanly, where real pycuda aborts at exit over a context left pushed (the behaviour
tests/engine/fake_cuda.py's stand-in copies). Skipped, with the reason, without a GPU or the
layer."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from edge_segnet.engine import cuda_memory
from edge_segnet.errors import EdgeSegnetError

LAYERS = ("pycuda", "cuda-python")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _importable(layer):
    if layer == "pycuda":
        driver = cuda_memory.optional.try_import("pycuda.driver")
        return driver is not None and not getattr(driver, "STAND_IN", False)
    return cuda_memory._import_cudart() is not None


def _open(layer):
    if not _importable(layer):
        pytest.skip("{} is not installed here (real hardware test)".format(layer))
    try:
        cuda = cuda_memory.open_cuda(prefer=layer)
        cuda.device()
    except EdgeSegnetError as exc:
        pytest.skip("no usable CUDA GPU through {} here: {}".format(layer, exc))
    return cuda


@pytest.fixture(params=LAYERS)
def cuda(request):
    memory = _open(request.param)
    yield memory
    memory.close()


@pytest.mark.gpu
def test_pinned_memory_and_async_copies_round_trip_timed_by_events(cuda):
    name, capability = cuda.device()
    assert name and capability[0] >= 3
    host = cuda.pinned_empty((1, 3, 64, 96), np.float32)
    host[...] = np.arange(host.size, dtype=np.float32).reshape(host.shape)
    back = cuda.pinned_empty(host.shape, np.float32)
    back[...] = -1
    buffer = cuda.device_alloc(host.nbytes)
    stream = cuda.stream()
    start, end = cuda.event(), cuda.event()
    cuda.record(start, stream)
    cuda.copy_to_device_async(buffer, host, stream)
    cuda.copy_to_host_async(back, buffer, stream)
    cuda.record(end, stream)
    cuda.synchronize(stream)
    assert np.array_equal(back, host)
    assert cuda.elapsed_ms(start, end) >= 0.0
    cuda.free(buffer)


@pytest.mark.gpu
def test_a_cuda_graph_replays_what_was_captured(cuda):
    host = cuda.pinned_empty((4096,), np.float32)
    back = cuda.pinned_empty((4096,), np.float32)
    buffer = cuda.device_alloc(host.nbytes)
    stream = cuda.stream()

    def enqueue():
        cuda.copy_to_device_async(buffer, host, stream)
        cuda.copy_to_host_async(back, buffer, stream)

    if not cuda.can_capture_graphs:
        with pytest.raises(cuda_memory.CudaError, match="CUDA graphs need cuda-python"):
            cuda.capture_graph(stream, enqueue)
        cuda.free(buffer)
        return
    graph = cuda.capture_graph(stream, enqueue)
    for value in (3.0, 5.0):  # the graph reads the pinned memory at each launch
        host[...] = value
        cuda.launch_graph(graph, stream)
        cuda.synchronize(stream)
        assert (back == value).all()
    cuda.free(buffer)


def _process(layer, body):
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, {repo!r})
        import numpy as np
        from edge_segnet.engine import cuda_memory
        cuda_memory.open_cuda = (lambda open_cuda: lambda prefer=None: open_cuda({layer!r}))(
            cuda_memory.open_cuda)
    """).format(repo=REPO, layer=layer) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120)


@pytest.mark.gpu
@pytest.mark.parametrize("layer", LAYERS)
def test_a_command_s_session_exits_cleanly(layer):
    _open(layer).close()  # skips without the layer or a GPU
    process = _process(layer, """
        with cuda_memory.session():
            cuda = cuda_memory.acquire()
            host = cuda.pinned_empty((16,), np.float32)
            buffer = cuda.device_alloc(host.nbytes)
            stream = cuda.stream()
            cuda.copy_to_device_async(buffer, host, stream)
            cuda.synchronize(stream)
            cuda.free(buffer)
        print("done")
    """)
    assert (process.returncode, process.stdout) == (0, "done\n"), process.stderr
    assert "PyCUDA ERROR" not in process.stderr


@pytest.mark.gpu
def test_real_pycuda_aborts_at_exit_with_a_context_left_pushed_as_the_stand_in_does():
    _open("pycuda").close()
    process = _process("pycuda", """
        cuda_memory.open_cuda()  # pushed, never popped
        print("done")
    """)
    assert process.returncode == -6 and process.stdout == "done\n", process.stderr
    assert "PyCUDA ERROR: The context stack was not empty upon module cleanup." in \
        process.stderr
