"""A stand-in for the GPU behind ``edge_segnet.engine.cuda_memory.CudaMemory``: "device" memory
is host memory addressed by integer pointers, copies happen when issued, events read the
host clock. It also serves fake TensorRT as the memory its executions read and write
(``allocate``/``array``/``free``), so that an engine's run moves real bytes.

``make_fake_pycuda`` stands in one level lower, for the ``pycuda`` package itself, with
pycuda's per-thread context stack and its abort at exit (see the section below)."""

import atexit
import os
import sys
import threading
import time
import types

import numpy as np

from edge_segnet.engine.cuda_memory import CudaMemory, DeviceBuffer


class FakeStream(object):
    def __init__(self, handle):
        self.handle = handle


class FakeCuda(CudaMemory):
    name = "fake-cuda"

    def __init__(self, gpu=("Fake Orin (stands in for a real GPU)", (8, 7)),
                 can_capture_graphs=True):
        self.gpu = gpu
        self.can_capture_graphs = can_capture_graphs
        self._blocks = {}
        self._next = 0x10000
        self.calls = []
        self.closed = False

    # The memory protocol fake TensorRT executes against.
    def allocate(self, nbytes):
        ptr = self._next
        self._blocks[ptr] = np.zeros(max(1, int(nbytes)), np.uint8)
        self._next += max(256, int(nbytes) + 256)
        return ptr

    def array(self, ptr, shape, dtype):
        dtype = np.dtype(dtype)
        count = int(np.prod(shape))
        return self._blocks[int(ptr)][:count * dtype.itemsize].view(dtype).reshape(shape)

    def free(self, buffer):
        ptr = buffer.ptr if isinstance(buffer, DeviceBuffer) else int(buffer)
        self.calls.append("free")
        del self._blocks[ptr]

    # CudaMemory
    def device(self):
        return self.gpu

    def pinned_empty(self, shape, dtype):
        self.calls.append("pinned_empty")
        return np.zeros(shape, dtype)

    def device_alloc(self, nbytes):
        self.calls.append("device_alloc")
        return DeviceBuffer(self.allocate(nbytes), nbytes)

    def stream(self):
        return FakeStream(0x5000)

    def copy_to_device_async(self, buffer, host_array, stream):
        self.calls.append("htod")
        view = self._blocks[buffer.ptr][:host_array.nbytes]
        view[:] = np.ascontiguousarray(host_array).view(np.uint8).ravel()

    def copy_to_host_async(self, host_array, buffer, stream):
        self.calls.append("dtoh")
        host_array.view(np.uint8).ravel()[:] = self._blocks[buffer.ptr][:host_array.nbytes]

    def event(self):
        return [None]

    def record(self, event, stream):
        event[0] = time.perf_counter()

    def elapsed_ms(self, start, end):
        return (end[0] - start[0]) * 1e3

    def synchronize(self, stream):
        self.calls.append("synchronize")

    def capture_graph(self, stream, enqueue):
        self.calls.append("capture_graph")
        return enqueue

    def launch_graph(self, graph, stream):
        self.calls.append("launch_graph")
        graph()

    def close(self):
        self.closed = True


# --------------------------------------------------------------------------- pycuda
#
# A stand-in for the ``pycuda`` package (its ``driver`` module) as strict as pycuda's C++ core
# about the one thing that kills a board's commands: the context stack. Every behaviour below
# follows inducer/pycuda at tag v2021.1 (commit 7c759be651a6e03c6b68eac2bda12b0eaacb9564, the
# pycuda JetPack 4.6 users pip-install; the same code at v2026.1, 47c48314), src/cpp/cuda.hpp
# unless another file is named:
#
# * ``context_stack`` is a ``boost::thread_specific_ptr``: each thread has its own stack.
# * ``device::retain_primary_context`` (cuDevicePrimaryCtxRetain) returns a context and pushes
#   nothing; ``context_push`` (Python ``Context.push``) pushes onto the calling thread's stack;
#   ``device::make_context`` creates a context and pushes it.
# * ``context::pop`` is static (``.staticmethod("pop")`` in src/wrapper/wrap_cudadrv.cpp): it
#   pops the top of the calling thread's stack, whichever context it is called on, and on an
#   empty stack throws ``error("context::pop", CUDA_ERROR_INVALID_CONTEXT, "cannot pop
#   non-current context")``, which ``translate_cuda_error`` (wrap_cudadrv.cpp) raises as
#   LogicError with ``error::make_message``'s text "context::pop failed: invalid context -
#   cannot pop non-current context".
# * ``context_stack::~context_stack``, run when the stack is destroyed at module cleanup (after
#   Python's atexit handlers, which is why an atexit ``Context.pop`` such as pycuda.autoinit's
#   is in time), prints "PyCUDA ERROR: The context stack was not empty upon module cleanup."
#   with an explanation to stderr and calls abort() when anything is still on the stack.
#   Modelled by an atexit handler registered when the stand-in is made (so it runs after
#   every handler registered later, as module cleanup does); it checks every thread's stack
#   at interpreter exit, where pycuda checks a worker thread's when that thread ends.
# * Without a current context (the calling thread's stack empty): ``mem_alloc`` and
#   ``pagelocked_empty`` call cuMemAlloc / cuMemHostAlloc first (``mem_alloc``,
#   ``mem_host_alloc``, evaluated before the ``host_pointer`` base), which return
#   CUDA_ERROR_INVALID_CONTEXT: LogicError "cuMemAlloc failed:
#   invalid context" (CUDAPP_CALL_GUARDED, ``error::make_message``, ``curesult_to_str``);
#   ``Stream`` and ``Event`` derive from ``context_dependent``, whose
#   ``explicit_context_dependent::acquire_context`` throws first: LogicError
#   "explicit_context_dependent failed: invalid context - no currently active context?".
#   ``Device(n)`` calls cuDeviceGet (``make_device``): before ``init()`` it fails with
#   CUDA_ERROR_NOT_INITIALIZED ("not initialized"), past the last device with
#   CUDA_ERROR_INVALID_DEVICE ("invalid device").
# * The exception classes: Error, and MemoryError, LogicError, LaunchError, RuntimeError
#   derived from it (DECLARE_EXC in wrap_cudadrv.cpp).
#
# Not modelled: the device (copies complete when issued, events read the host clock),
# ``detach``, context flags, and the allocations' own context activation when freed.

PYCUDA_STACK_ERROR = "PyCUDA ERROR: The context stack was not empty upon module cleanup."


def make_fake_pycuda(gpu=("Fake Xavier (stands in for a real GPU)", (7, 2)),
                     abort_at_exit=True, cuda_version=(10, 2, 0)):
    """(pycuda, pycuda.driver) stand-in modules; install both in ``sys.modules`` (or call
    ``install_fake_pycuda``). ``driver._f_memory`` is the device memory that fake TensorRT's
    executions read and write (``Scenario(memory=driver._f_memory)``); ``driver._f_stacks()``
    lists each thread's stack. With ``abort_at_exit`` the process aborts at exit, as pycuda's,
    when a context is still pushed."""
    driver = types.ModuleType("pycuda.driver", "STAND-IN for pycuda.driver (tests/engine/"
                                               "fake_cuda.py): no GPU behind it.")
    package = types.ModuleType("pycuda", "STAND-IN for pycuda (tests/engine/fake_cuda.py).")
    package.VERSION, package.VERSION_TEXT, package.STAND_IN = (2021, 1), "2021.1", True
    package.driver = driver
    memory = FakeCuda(gpu)
    local = threading.local()
    all_stacks = []
    lock = threading.Lock()
    state = {"initialised": False}

    class Error(Exception):
        pass

    class MemoryError_(Error):
        pass

    class LogicError(Error):
        pass

    class LaunchError(Error):
        pass

    class RuntimeError_(Error):
        pass

    MemoryError_.__name__, RuntimeError_.__name__ = "MemoryError", "RuntimeError"

    def stack():
        if not hasattr(local, "stack"):
            local.stack = []
            with lock:
                all_stacks.append((threading.current_thread().name, local.stack))
        return local.stack

    def need_context(call):
        if not stack():
            raise LogicError("{} failed: invalid context".format(call))

    def need_context_dependent():
        if not stack():
            raise LogicError("explicit_context_dependent failed: invalid context - no "
                             "currently active context?")

    class Context(object):
        def __init__(self, name):
            self._name = name

        def push(self):
            stack().append(self)

        @staticmethod
        def pop():
            if not stack():
                raise LogicError("context::pop failed: invalid context - cannot pop "
                                 "non-current context")
            stack().pop()

        @staticmethod
        def get_current():
            return stack()[-1] if stack() else None

        def __repr__(self):
            return "<fake pycuda Context {}>".format(self._name)

    class Device(object):
        def __init__(self, index):
            if not state["initialised"]:
                raise LogicError("cuDeviceGet failed: not initialized")
            if index != 0:
                raise LogicError("cuDeviceGet failed: invalid device")
            self.index = index

        @staticmethod
        def count():
            return 1

        def name(self):
            return gpu[0]

        def compute_capability(self):
            return tuple(gpu[1])

        def retain_primary_context(self):
            return Context("primary")

        def make_context(self, flags=0):
            context = Context("created")
            context.push()
            return context

    class DeviceAllocation(object):
        def __init__(self, nbytes):
            self.ptr = memory.allocate(nbytes)
            self.freed = False

        def __int__(self):
            return self.ptr

        def free(self):
            if not self.freed:
                self.freed = True
                memory.free(self.ptr)

    class Stream(object):
        def __init__(self, flags=0):
            need_context_dependent()
            self.handle = 0x5000 + len(stack())

        def synchronize(self):
            pass

    class Event(object):
        def __init__(self, flags=0):
            need_context_dependent()
            self._time = None

        def record(self, stream=None):
            self._time = time.perf_counter()
            return self

        def synchronize(self):
            return self

        def time_till(self, end):
            return (end._time - self._time) * 1e3

    def init(flags=0):
        state["initialised"] = True

    def mem_alloc(nbytes):
        need_context("cuMemAlloc")
        return DeviceAllocation(nbytes)

    def pagelocked_empty(shape, dtype, order="C", mem_flags=0):
        need_context("cuMemHostAlloc")
        return np.empty(shape, dtype, order=order)

    def _ptr(target):
        return int(target)

    def memcpy_htod_async(dest, src, stream=None):
        view = memory._blocks[_ptr(dest)][:src.nbytes]
        view[:] = np.ascontiguousarray(src).view(np.uint8).ravel()

    def memcpy_dtoh_async(dest, src, stream=None):
        dest.view(np.uint8).ravel()[:] = memory._blocks[_ptr(src)][:dest.nbytes]

    for name, value in (("Error", Error), ("MemoryError", MemoryError_),
                        ("LogicError", LogicError), ("LaunchError", LaunchError),
                        ("RuntimeError", RuntimeError_), ("Context", Context),
                        ("Device", Device), ("DeviceAllocation", DeviceAllocation),
                        ("Stream", Stream), ("Event", Event), ("init", init),
                        ("mem_alloc", mem_alloc), ("pagelocked_empty", pagelocked_empty),
                        ("memcpy_htod_async", memcpy_htod_async),
                        ("memcpy_dtoh_async", memcpy_dtoh_async)):
        setattr(driver, name, value)
    driver.get_version = lambda: tuple(cuda_version)
    driver.get_driver_version = lambda: cuda_version[0] * 1000 + cuda_version[1] * 10
    driver.STAND_IN = True
    driver._f_memory = memory
    driver._f_stacks = lambda: [(name, list(entries)) for name, entries in all_stacks]

    def module_cleanup():
        left = [(name, entries) for name, entries in all_stacks if entries]
        if not left:
            return
        sys.stderr.write("-" * 67 + "\n" + PYCUDA_STACK_ERROR + "\n" + "-" * 67 + "\n"
                         "(stand-in pycuda, tests/engine/fake_cuda.py) still pushed: {}\n"
                         "The program will be aborted now.\n".format(
                             "; ".join("{}: {}".format(name, entries) for name, entries in left)))
        sys.stderr.flush()
        os.abort()

    if abort_at_exit:
        atexit.register(module_cleanup)
    return package, driver


def install_fake_pycuda(**options):
    """Make ``import pycuda.driver`` give the stand-in in this process; returns the driver."""
    package, driver = make_fake_pycuda(**options)
    sys.modules["pycuda"], sys.modules["pycuda.driver"] = package, driver
    return driver
