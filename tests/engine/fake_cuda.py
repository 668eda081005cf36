"""A stand-in for the GPU behind ``edge_segnet.engine.cuda_memory.CudaMemory``: "device" memory
is host memory addressed by integer pointers, copies happen when issued, events read the
host clock. It also serves fake TensorRT as the memory its executions read and write
(``allocate``/``array``/``free``), so that an engine's run moves real bytes."""

import time

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
