import os
import signal
import subprocess
import sys
import textwrap
import threading
import types

import numpy as np
import pytest

from edge_segnet.engine import cuda_memory
from edge_segnet.errors import MissingDependencyError
from tests.engine.fake_cuda import PYCUDA_STACK_ERROR, make_fake_pycuda


def test_without_pycuda_or_cuda_python_the_error_says_how_to_get_either(monkeypatch):
    monkeypatch.setattr(cuda_memory.optional, "try_import", lambda name: None)
    with pytest.raises(MissingDependencyError) as caught:
        cuda_memory.open_cuda()
    message = str(caught.value)
    assert "pycuda" in message and "cuda-python" in message and "\n" not in message


def _stand_in_pycuda(calls):
    """A stand-in for pycuda.driver recording each call (no GPU behind it)."""

    class Error(Exception):
        pass

    class Allocation(object):
        def __init__(self, nbytes):
            self.nbytes = nbytes

        def __int__(self):
            return 0xABC000

        def free(self):
            calls.append("free")

    stack = []

    class Context(object):
        # pycuda's Context.pop is static and pops the calling thread's top (see fake_cuda.py).
        def push(self):
            calls.append("push")
            stack.append(self)

        @staticmethod
        def pop():
            if not stack:
                raise Error("context::pop failed: invalid context - cannot pop non-current "
                            "context")
            calls.append("pop")
            stack.pop()

    class Device(object):
        def __init__(self, index):
            calls.append("Device({})".format(index))

        def retain_primary_context(self):
            calls.append("retain_primary_context")
            return Context()

        def name(self):
            return "stand-in Xavier"

        def compute_capability(self):
            return (7, 2)

    class Stream(object):
        handle = 0x77

        def synchronize(self):
            calls.append("Stream.synchronize")

    class Event(object):
        def record(self, stream):
            calls.append("Event.record")

        def time_till(self, other):
            return 1.5

    driver = types.SimpleNamespace(
        Error=Error, Device=Device, Stream=Stream, Event=Event,
        init=lambda: calls.append("init"),
        pagelocked_empty=lambda shape, dtype: (calls.append("pagelocked_empty"),
                                               np.zeros(shape, dtype))[1],
        mem_alloc=lambda nbytes: (calls.append("mem_alloc({})".format(nbytes)),
                                  Allocation(nbytes))[1],
        memcpy_htod_async=lambda dest, src, stream: calls.append("memcpy_htod_async"),
        memcpy_dtoh_async=lambda dest, src, stream: calls.append("memcpy_dtoh_async"))
    return driver


def test_pycuda_memory_works_on_the_primary_context_that_tensorrt_uses():
    calls = []
    cuda = cuda_memory.PycudaMemory(_stand_in_pycuda(calls))
    assert calls[:4] == ["init", "Device(0)", "retain_primary_context", "push"]
    assert cuda.device() == ("stand-in Xavier", (7, 2))
    host = cuda.pinned_empty((1, 3, 4, 4), np.float32)
    buffer = cuda.device_alloc(host.nbytes)
    assert buffer.ptr == 0xABC000 and buffer.nbytes == 192
    stream = cuda.stream()
    start, end = cuda.event(), cuda.event()
    cuda.copy_to_device_async(buffer, host, stream)
    cuda.record(start, stream)
    cuda.record(end, stream)
    cuda.copy_to_host_async(host, buffer, stream)
    cuda.synchronize(stream)
    assert cuda.elapsed_ms(start, end) == 1.5
    cuda.free(buffer)
    cuda.close()
    assert calls[4:] == ["pagelocked_empty", "mem_alloc(192)", "memcpy_htod_async",
                         "Event.record", "Event.record", "memcpy_dtoh_async",
                         "Stream.synchronize", "free", "pop"]
    assert not cuda.can_capture_graphs


def test_real_cuda_python_without_a_driver_fails_with_one_line():
    cudart = cuda_memory._import_cudart()
    if cudart is None:
        pytest.skip("cuda-python is not installed (pip install cuda-python)")
    for name in ("cudaGraphInstantiateWithFlags", "cudaGraphDestroy", "cudaMallocHost",
                 "cudaMemcpyAsync", "cudaStreamBeginCapture", "cudaEventElapsedTime"):
        assert hasattr(cudart, name), name  # every runtime call CudaPythonMemory makes
    error, count = cudart.cudaGetDeviceCount()
    if int(error) == 0 and count:
        pytest.skip("this machine has a CUDA GPU: tests/gpu covers it")
    with pytest.raises(cuda_memory.CudaError) as caught:
        cuda_memory.CudaPythonMemory(cudart)
    assert "\n" not in str(caught.value) and "CUDA error" in str(caught.value)


class _Error(int):
    """A stand-in for cuda-python's cudaError_t enum members."""

    @property
    def name(self):
        return "cudaSuccess" if self == 0 else "cudaErrorMemoryAllocation"


def _stand_in_cudart(calls, fail=None):
    """A stand-in for cuda.bindings.runtime (cuda-python): every call returns (error, ...),
    host allocations are real ctypes buffers so that arrays can view them."""
    import ctypes

    keep = []

    def call(name, *result):
        def function(*args):
            calls.append(name)
            if name == fail:
                return (_Error(2),) + tuple(None for _ in result)
            return (_Error(0),) + result
        return function

    def malloc_host(nbytes):
        calls.append("cudaMallocHost")
        buffer = ctypes.create_string_buffer(nbytes)
        keep.append(buffer)
        return _Error(0), ctypes.addressof(buffer)

    properties = types.SimpleNamespace(name=b"stand-in H200\0\0", major=9, minor=0)
    return types.SimpleNamespace(
        cudaSetDevice=call("cudaSetDevice"),
        cudaGetDeviceProperties=call("cudaGetDeviceProperties", properties),
        cudaMallocHost=malloc_host, cudaFreeHost=call("cudaFreeHost"),
        cudaMalloc=call("cudaMalloc", 0xD000), cudaFree=call("cudaFree"),
        cudaStreamCreate=call("cudaStreamCreate", 0x51),
        cudaMemcpyAsync=lambda dst, src, n, kind, stream: (calls.append(
            "cudaMemcpyAsync({})".format(kind)), (_Error(0),))[1],
        cudaMemcpyKind=types.SimpleNamespace(cudaMemcpyHostToDevice="H2D",
                                             cudaMemcpyDeviceToHost="D2H"),
        cudaEventCreate=call("cudaEventCreate", "event"),
        cudaEventRecord=call("cudaEventRecord"),
        cudaEventElapsedTime=call("cudaEventElapsedTime", 0.25),
        cudaStreamSynchronize=call("cudaStreamSynchronize"),
        cudaStreamCaptureMode=types.SimpleNamespace(cudaStreamCaptureModeGlobal=0),
        cudaStreamBeginCapture=call("cudaStreamBeginCapture"),
        cudaStreamEndCapture=call("cudaStreamEndCapture", "graph"),
        cudaGraphInstantiateWithFlags=lambda graph, flags: (calls.append(
            "cudaGraphInstantiateWithFlags({}, {})".format(graph, flags)), (_Error(0), "exec"))[1],
        cudaGraphDestroy=lambda graph: (calls.append("cudaGraphDestroy({})".format(graph)),
                                        (_Error(0),))[1],
        cudaGraphLaunch=call("cudaGraphLaunch"),
        cudaGetErrorString=lambda error: (_Error(0), b"out of memory"))


def test_cuda_python_memory_checks_every_call_and_captures_graphs():
    calls = []
    cuda = cuda_memory.CudaPythonMemory(_stand_in_cudart(calls))
    assert cuda.device() == ("stand-in H200", (9, 0))
    host = cuda.pinned_empty((2, 3), np.float32)
    host[:] = 7
    assert host.sum() == 42  # an array over the pinned allocation itself
    buffer = cuda.device_alloc(host.nbytes)
    stream = cuda.stream()
    assert stream.handle == 0x51
    cuda.copy_to_device_async(buffer, host, stream)
    cuda.copy_to_host_async(host, buffer, stream)
    graph = cuda.capture_graph(stream, lambda: calls.append("enqueue"))
    cuda.launch_graph(graph, stream)
    start, end = cuda.event(), cuda.event()
    assert cuda.elapsed_ms(start, end) == 0.25
    cuda.close()
    assert calls[calls.index("cudaMalloc"):] == [
        "cudaMalloc", "cudaStreamCreate", "cudaMemcpyAsync(H2D)", "cudaMemcpyAsync(D2H)",
        "cudaStreamBeginCapture", "enqueue", "cudaStreamEndCapture",
        "cudaGraphInstantiateWithFlags(graph, 0)", "cudaGraphDestroy(graph)", "cudaGraphLaunch", "cudaEventCreate", "cudaEventCreate", "cudaEventElapsedTime",
        "cudaFreeHost"]


def test_a_failing_cuda_call_is_one_line_naming_what_was_being_done():
    cuda = cuda_memory.CudaPythonMemory(_stand_in_cudart([], fail="cudaMalloc"))
    with pytest.raises(cuda_memory.CudaError) as caught:
        cuda.device_alloc(1 << 30)
    assert str(caught.value).startswith("CUDA error while allocating 1073741824 bytes on the "
                                        "GPU: cudaErrorMemoryAllocation (out of memory)")


# --- the pycuda stand-in is as strict as pycuda about its context stack -------------------

def test_the_pycuda_stand_in_pops_per_thread_and_refuses_an_empty_stack_as_pycuda_does():
    _, driver = make_fake_pycuda(abort_at_exit=False)
    driver.init()
    context = driver.Device(0).retain_primary_context()
    assert driver.Context.get_current() is None  # retaining pushes nothing
    with pytest.raises(driver.LogicError, match="cuMemAlloc failed: invalid context"):
        driver.mem_alloc(16)  # no current context: CUDA_ERROR_INVALID_CONTEXT
    with pytest.raises(driver.LogicError, match="no currently active context"):
        driver.Stream()
    context.push()
    driver.mem_alloc(16).free()
    errors = []

    def other_thread():
        try:
            driver.Context.pop()
        except driver.LogicError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert errors == ["context::pop failed: invalid context - cannot pop non-current context"]
    driver.Context.pop()
    with pytest.raises(driver.LogicError, match="cannot pop non-current context"):
        context.pop()


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _exit_with(pushes, pops):
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, {repo!r})
        from tests.engine.fake_cuda import install_fake_pycuda
        driver = install_fake_pycuda()
        driver.init()
        context = driver.Device(0).retain_primary_context()
        for _ in range({pushes}):
            context.push()
        for _ in range({pops}):
            driver.Context.pop()
        print("done")
    """).format(repo=_REPO, pushes=pushes, pops=pops)
    return subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


def test_the_pycuda_stand_in_aborts_at_exit_with_a_context_left_pushed_as_pycuda_does():
    left = _exit_with(pushes=2, pops=1)
    assert left.returncode == -signal.SIGABRT and left.stdout == "done\n"
    assert PYCUDA_STACK_ERROR in left.stderr
    clean = _exit_with(pushes=2, pops=2)
    assert (clean.returncode, clean.stderr) == (0, "")


def test_pycuda_memory_pops_its_own_push_once_and_leaves_the_callers_context():
    _, driver = make_fake_pycuda(abort_at_exit=False)
    driver.init()
    callers = driver.Device(0).make_context()  # the application's own, pushed before ours
    cuda = cuda_memory.PycudaMemory(driver)
    assert driver._f_stacks()[0][1] == [callers, driver.Context.get_current()]
    cuda.close()
    cuda.close()  # a second close must not pop the caller's context
    assert driver._f_stacks()[0][1] == [callers]


# --- one CUDA layer per process, closed by the command's session --------------------------

@pytest.fixture
def pycuda_driver(monkeypatch):
    """The strict pycuda stand-in as ``pycuda.driver`` (no abort: the test reads the stack)."""
    package, driver = make_fake_pycuda(abort_at_exit=False)
    monkeypatch.setitem(sys.modules, "pycuda", package)
    monkeypatch.setitem(sys.modules, "pycuda.driver", driver)
    yield driver
    cuda_memory._Process.memory, cuda_memory._Process.users = None, 0
    cuda_memory._Process.sessions = 0


def _pushed(driver):
    return sum(len(entries) for _, entries in driver._f_stacks())


def test_a_session_opens_cuda_once_for_all_its_users_and_pops_it_at_its_end(pycuda_driver):
    with cuda_memory.session():
        assert not cuda_memory.is_open()  # nothing opened until someone needs the GPU
        first = cuda_memory.acquire()
        with cuda_memory.Borrowed() as borrowed:
            assert borrowed.get() is first
        assert cuda_memory.acquire() is first  # never released: the session still closes it
        assert _pushed(pycuda_driver) == 1
    assert _pushed(pycuda_driver) == 0 and not cuda_memory.is_open()


@pytest.mark.parametrize("stop", [RuntimeError("build failed"), KeyboardInterrupt()])
def test_a_session_ended_by_an_error_or_an_interrupt_pops_what_it_pushed(pycuda_driver, stop):
    with pytest.raises(type(stop)):
        with cuda_memory.session():
            cuda_memory.acquire()
            raise stop
    assert _pushed(pycuda_driver) == 0


def test_without_a_session_the_last_release_closes_cuda(pycuda_driver):
    first = cuda_memory.acquire()
    assert cuda_memory.acquire() is first
    cuda_memory.release(first)
    assert _pushed(pycuda_driver) == 1
    cuda_memory.release(first)
    assert _pushed(pycuda_driver) == 0
    cuda_memory.release(first)  # one release too many changes nothing
    assert _pushed(pycuda_driver) == 0


def test_a_session_leaves_open_what_was_opened_before_it(pycuda_driver):
    held = cuda_memory.acquire()  # e.g. a Segmenter opened by library code
    with cuda_memory.session():
        assert cuda_memory.acquire() is held
    assert _pushed(pycuda_driver) == 1
    cuda_memory.release(held)
    cuda_memory.release(held)
    assert _pushed(pycuda_driver) == 0
