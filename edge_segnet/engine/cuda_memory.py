"""Every CUDA memory, stream and event call the TensorRT backend makes, behind one small
interface with two implementations: pycuda (what JetPack 4.6/5 boards have) and cuda-python's
runtime bindings (NVIDIA's TensorRT 10 samples moved to them, and JetPack 6 has no pycuda
wheel). ``open_cuda`` picks the one that imports.

One CUDA layer per process, for the length of a command. pycuda keeps a per-thread stack of
pushed contexts and aborts the interpreter at exit when it is not empty (pycuda
src/cpp/cuda.hpp, ``context_stack::~context_stack``), so a push that nobody pops costs the
user the exit code of a command that did its work. A command therefore wraps its work in
``session()``; the builder, the engine cache, the TensorRT Segmenter and selftest take the
process's one CudaMemory from ``acquire()`` (opened by the first of them that needs it) and
give it back with ``release()``; the session's end closes it on every path, errors and
signals included."""

import abc
import contextlib
import ctypes
import logging
import threading

import numpy as np

from edge_segnet import optional, signals
from edge_segnet.errors import EdgeSegnetError, MissingDependencyError

log = logging.getLogger(__name__)

INSTALL_HINT = ("on a Jetson with JetPack 4.6/5: export PATH=/usr/local/cuda/bin:$PATH && "
                "pip3 install pycuda; elsewhere (and JetPack 6): pip install cuda-python")


class CudaError(EdgeSegnetError):
    """A CUDA call failed (no driver, no device, out of memory, a failed copy)."""


class DeviceBuffer(object):
    """``nbytes`` of device memory at ``ptr`` (an int, as TensorRT takes addresses)."""

    def __init__(self, ptr, nbytes, handle=None):
        self.ptr, self.nbytes, self.handle = int(ptr), int(nbytes), handle


class CudaMemory(abc.ABC):
    """The interface. ``name`` says which bindings are behind it."""

    name = "none"
    can_capture_graphs = False

    @abc.abstractmethod
    def device(self):
        """(GPU name, (major, minor) compute capability) of the current device."""

    @abc.abstractmethod
    def pinned_empty(self, shape, dtype):
        """A page-locked host array (asynchronous copies need page-locked memory)."""

    @abc.abstractmethod
    def device_alloc(self, nbytes):
        """A DeviceBuffer of ``nbytes``."""

    @abc.abstractmethod
    def stream(self):
        """A new stream; its ``handle`` (an int) is what TensorRT's execute calls take."""

    @abc.abstractmethod
    def copy_to_device_async(self, buffer, host_array, stream):
        """Enqueue host -> device."""

    @abc.abstractmethod
    def copy_to_host_async(self, host_array, buffer, stream):
        """Enqueue device -> host."""

    @abc.abstractmethod
    def event(self):
        """A new CUDA event."""

    @abc.abstractmethod
    def record(self, event, stream):
        """Record ``event`` on ``stream``."""

    @abc.abstractmethod
    def elapsed_ms(self, start, end):
        """GPU time between two recorded events (after they completed)."""

    @abc.abstractmethod
    def synchronize(self, stream):
        """Wait until ``stream`` is done."""

    @abc.abstractmethod
    def free(self, buffer):
        """Release a DeviceBuffer."""

    def capture_graph(self, stream, enqueue):
        """A CUDA graph of what ``enqueue()`` puts on ``stream``; ``launch_graph`` replays it."""
        raise CudaError("CUDA graphs need cuda-python (pycuda cannot capture one here)",
                        hint="pip install cuda-python")

    def launch_graph(self, graph, stream):
        raise CudaError("CUDA graphs need cuda-python", hint="pip install cuda-python")

    def close(self):
        pass


class PycudaMemory(CudaMemory):
    """pycuda's driver API on the device's primary context, the one TensorRT's runtime-API
    calls use: a context of our own would put TensorRT's buffers in another address space."""

    name = "pycuda"

    def __init__(self, pycuda_driver, device_index=0):
        self._cuda = pycuda_driver
        self._context = None
        try:
            self._cuda.init()
            self._device = self._cuda.Device(device_index)
            context = self._device.retain_primary_context()
            context.push()
            self._context = context
        except self._cuda.Error as exc:
            raise CudaError("CUDA is not usable through pycuda: {}".format(exc),
                            hint="check the driver with nvidia-smi or tegrastats")

    def device(self):
        return self._device.name(), tuple(self._device.compute_capability())

    def pinned_empty(self, shape, dtype):
        return self._cuda.pagelocked_empty(tuple(shape), np.dtype(dtype))

    def device_alloc(self, nbytes):
        try:
            allocation = self._cuda.mem_alloc(max(1, int(nbytes)))
        except self._cuda.Error as exc:
            raise CudaError("cannot allocate {} bytes on the GPU: {}".format(nbytes, exc))
        return DeviceBuffer(int(allocation), nbytes, allocation)

    def stream(self):
        return self._cuda.Stream()

    def copy_to_device_async(self, buffer, host_array, stream):
        self._cuda.memcpy_htod_async(buffer.handle, host_array, stream)

    def copy_to_host_async(self, host_array, buffer, stream):
        self._cuda.memcpy_dtoh_async(host_array, buffer.handle, stream)

    def event(self):
        return self._cuda.Event()

    def record(self, event, stream):
        event.record(stream)

    def elapsed_ms(self, start, end):
        return float(start.time_till(end))

    def synchronize(self, stream):
        stream.synchronize()

    def free(self, buffer):
        buffer.handle.free()

    def close(self):
        """Pop the push of ``__init__``, once. pycuda's pop takes whatever is on top of the
        calling thread's stack (``context::pop`` is static in pycuda's cuda.hpp), so a second
        close would pop a context that is not ours, and a pop from another thread finds that
        thread's (empty) stack."""
        context, self._context = self._context, None
        if context is None:
            return
        try:
            context.pop()
        except self._cuda.Error as exc:
            log.warning("closing CUDA: %s", exc)


class CudaPythonMemory(CudaMemory):
    """cuda-python's runtime bindings: every call returns (error, result...)."""

    name = "cuda-python"
    can_capture_graphs = True

    def __init__(self, cudart, device_index=0):
        self._rt = cudart
        self._check(cudart.cudaSetDevice(device_index), "selecting GPU {}".format(device_index))
        self._device_index = device_index
        self._pinned = []

    def _check(self, result, doing):
        if not isinstance(result, tuple):
            result = (result,)
        error, values = result[0], result[1:]
        if int(error) != 0:
            _, text = self._rt.cudaGetErrorString(error)
            raise CudaError("CUDA error while {}: {} ({})".format(
                doing, getattr(error, "name", error),
                text.decode() if isinstance(text, bytes) else text),
                hint="check the driver with nvidia-smi or tegrastats")
        if not values:
            return None
        return values[0] if len(values) == 1 else values

    def device(self):
        properties = self._check(self._rt.cudaGetDeviceProperties(self._device_index),
                                 "reading the GPU's properties")
        name = properties.name
        if isinstance(name, bytes):
            name = name.split(b"\0", 1)[0].decode()
        return name, (int(properties.major), int(properties.minor))

    def pinned_empty(self, shape, dtype):
        dtype = np.dtype(dtype)
        nbytes = max(1, int(np.prod(shape)) * dtype.itemsize)
        ptr = self._check(self._rt.cudaMallocHost(nbytes), "allocating pinned host memory")
        self._pinned.append(ptr)
        raw = (ctypes.c_byte * nbytes).from_address(int(ptr))
        count = int(np.prod(shape))
        return np.frombuffer(raw, dtype=dtype, count=count).reshape(tuple(shape))

    def device_alloc(self, nbytes):
        ptr = self._check(self._rt.cudaMalloc(max(1, int(nbytes))),
                          "allocating {} bytes on the GPU".format(nbytes))
        return DeviceBuffer(int(ptr), nbytes, ptr)

    def stream(self):
        handle = self._check(self._rt.cudaStreamCreate(), "creating a stream")
        return _Stream(handle)

    def copy_to_device_async(self, buffer, host_array, stream):
        self._check(self._rt.cudaMemcpyAsync(
            buffer.ptr, host_array.ctypes.data, host_array.nbytes,
            self._rt.cudaMemcpyKind.cudaMemcpyHostToDevice, stream.raw), "copying to the GPU")

    def copy_to_host_async(self, host_array, buffer, stream):
        self._check(self._rt.cudaMemcpyAsync(
            host_array.ctypes.data, buffer.ptr, host_array.nbytes,
            self._rt.cudaMemcpyKind.cudaMemcpyDeviceToHost, stream.raw), "copying from the GPU")

    def event(self):
        return self._check(self._rt.cudaEventCreate(), "creating an event")

    def record(self, event, stream):
        self._check(self._rt.cudaEventRecord(event, stream.raw), "recording an event")

    def elapsed_ms(self, start, end):
        return float(self._check(self._rt.cudaEventElapsedTime(start, end),
                                 "reading the GPU time"))

    def synchronize(self, stream):
        self._check(self._rt.cudaStreamSynchronize(stream.raw), "waiting for the GPU")

    def capture_graph(self, stream, enqueue):
        mode = self._rt.cudaStreamCaptureMode.cudaStreamCaptureModeGlobal
        self._check(self._rt.cudaStreamBeginCapture(stream.raw, mode), "starting a capture")
        try:
            enqueue()
        finally:
            graph = self._check(self._rt.cudaStreamEndCapture(stream.raw),
                                "ending the capture")
        try:
            # WithFlags has one signature from CUDA 11.4 on; plain cudaGraphInstantiate
            # changed its arguments with CUDA 12 (JetPack 5's cuda-python is 11.x).
            return self._check(self._rt.cudaGraphInstantiateWithFlags(graph, 0),
                               "instantiating the CUDA graph")
        finally:
            self._rt.cudaGraphDestroy(graph)  # the executable graph keeps what it needs

    def launch_graph(self, graph, stream):
        self._check(self._rt.cudaGraphLaunch(graph, stream.raw), "launching the CUDA graph")

    def free(self, buffer):
        self._check(self._rt.cudaFree(buffer.handle), "freeing GPU memory")

    def close(self):
        for ptr in self._pinned:
            self._rt.cudaFreeHost(ptr)
        self._pinned = []


class _Stream(object):
    """A cuda-python stream: ``raw`` for cuda-python calls, ``handle`` (int) for TensorRT."""

    def __init__(self, raw):
        self.raw = raw
        self.handle = int(raw)


def _import_cudart():
    for name in ("cuda.bindings.runtime", "cuda.cudart"):  # cuda-python >= 12.6, older
        module = optional.try_import(name)
        if module is not None:
            return module
    return None


class _Process(object):
    """The process's CUDA layer: the one CudaMemory, how many ``acquire()`` calls have not been
    released, and how many ``session()`` blocks are open."""

    lock = threading.RLock()
    memory = None
    users = 0
    sessions = 0


def acquire():
    """The process's one CudaMemory, opened (``open_cuda()``) by the first call; give it back
    with ``release()``. Inside a ``session()`` it stays open until the session ends; outside
    one, until the last ``release()``."""
    with _Process.lock:
        if _Process.memory is None:
            # A signal between pycuda's push and the assignment would leave a push that no
            # one can pop: it waits until the memory is recorded.
            with signals.deferred() as pending:
                _Process.memory = open_cuda()
            try:
                pending.deliver()
            except BaseException:
                if _Process.sessions == 0:
                    _close_process_memory()
                raise  # inside a session, its end closes the memory
        _Process.users += 1
        return _Process.memory


def release(memory):
    """Give back what ``acquire()`` returned; closes it when nothing holds it any more."""
    with _Process.lock:
        if memory is None or memory is not _Process.memory:
            return  # the session that held it has ended and closed it
        _Process.users = max(0, _Process.users - 1)
        if _Process.users == 0 and _Process.sessions == 0:
            _close_process_memory()


def _close_process_memory():
    memory, _Process.memory = _Process.memory, None
    if _Process.users:
        log.debug("closing CUDA with %d users not released", _Process.users)
    _Process.users = 0
    with signals.deferred() as pending:  # a second Ctrl-C must not cut the pop short
        memory.close()
    pending.deliver()


class Borrowed(object):
    """CUDA for a with-block: the CudaMemory a caller passed (tests pass stand-ins), else the
    process's one, acquired by the first ``get()`` (code checks its inputs before it asks for a
    GPU) and released when the block ends."""

    def __init__(self, given=None):
        self.given, self._taken = given, None

    def get(self):
        if self.given is not None:
            return self.given
        if self._taken is None:
            self._taken = acquire()
        return self._taken

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        taken, self._taken = self._taken, None
        release(taken)


def is_open():
    """True while the process's CudaMemory is open."""
    return _Process.memory is not None


@contextlib.contextmanager
def session():
    """The block of a command that may use the GPU. Nothing is opened here: the first
    ``acquire()`` inside opens CUDA (a command run on ONNX Runtime never does), and the block's
    end closes it, however the block ends, whatever was not released. Nested sessions share
    the outer one; a CudaMemory that was open before the session began stays open while it
    has holders."""
    with _Process.lock:
        _Process.sessions += 1
        before = _Process.memory
    try:
        yield
    finally:
        with _Process.lock:
            _Process.sessions -= 1
            if (_Process.sessions == 0 and _Process.memory is not None
                    and (_Process.memory is not before or _Process.users == 0)):
                _close_process_memory()


def open_cuda(prefer=None):
    """A CudaMemory over pycuda (the board's) or else cuda-python; ``prefer`` ("pycuda" or
    "cuda-python") insists on one."""
    if prefer not in (None, "pycuda", "cuda-python"):
        raise ValueError(prefer)
    if prefer in (None, "pycuda"):
        driver = optional.try_import("pycuda.driver")
        if driver is not None:
            return PycudaMemory(driver)
    if prefer in (None, "cuda-python"):
        cudart = _import_cudart()
        if cudart is not None:
            return CudaPythonMemory(cudart)
    raise MissingDependencyError(
        "the TensorRT backend needs pycuda or cuda-python for GPU memory, and neither is "
        "importable", hint=INSTALL_HINT)
