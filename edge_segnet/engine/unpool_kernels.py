"""The kernel-only library (``libedge_segnet_unpool_kernels.so``, no TensorRT): building it
with CMake and calling its C ABI, for tests, GPU checks and the bandwidth benchmark."""

import ctypes
import os
import shutil
import subprocess

import numpy as np

from edge_segnet.errors import EdgeSegnetError

PLUGINS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "plugins")
TYPE_CODES = {np.dtype(np.float32): 0, np.dtype(np.float16): 1, np.dtype(np.int8): 2}
CUDA_SUCCESS = 0
CUDA_ERROR_INVALID_VALUE = 1


class KernelBuildError(EdgeSegnetError):
    """CMake or nvcc failed on the kernel library."""


def toolchain_missing():
    """Why the kernel cannot be built here, or None when cmake and nvcc are both found."""
    for tool in ("cmake", "nvcc"):
        if shutil.which(tool) is None and not (tool == "nvcc" and os.path.exists(
                "/usr/local/cuda/bin/nvcc")):
            return "{} not found on PATH".format(tool)
    return None


def build(build_dir, archs="75", werror=True):
    """Configure and build the kernel library target alone; returns its path."""
    os.makedirs(build_dir, exist_ok=True)
    environ = dict(os.environ)
    environ["PATH"] = "/usr/local/cuda/bin:" + environ.get("PATH", "")
    configure = ["cmake", PLUGINS_DIR, "-DCMAKE_BUILD_TYPE=Release",
                 "-DEDGE_SEGNET_CUDA_ARCHS=" + archs,
                 "-DEDGE_SEGNET_WERROR=" + ("ON" if werror else "OFF")]
    for command in (configure, ["cmake", "--build", ".", "--target",
                                "edge_segnet_unpool_kernels", "--", "-j2"]):
        result = subprocess.run(command, cwd=build_dir, env=environ, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        if result.returncode != 0:
            raise KernelBuildError("{} failed:\n{}".format(" ".join(command), result.stdout.decode(
                "utf-8", "replace")[-4000:]))
    return os.path.join(build_dir, "libedge_segnet_unpool_kernels.so")


class UnpoolKernels(object):
    """ctypes bindings of the C ABI in plugins/unpool/unpool_kernel.h."""

    def __init__(self, path):
        self.library = ctypes.CDLL(path)
        common = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                  ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_float]
        self.library.edge_segnet_unpool_host.argtypes = common
        self.library.edge_segnet_unpool_host.restype = ctypes.c_int32
        self.library.edge_segnet_unpool_launch.argtypes = common + [ctypes.c_void_p]
        self.library.edge_segnet_unpool_launch.restype = ctypes.c_int32

    @staticmethod
    def _shape(values, pooled):
        n, c, height, width = pooled.shape
        return n * c, height, width

    def host(self, values, pooled, requant_scale=1.0, output=None):
        """The host reference on numpy arrays; returns (status, output)."""
        values = np.ascontiguousarray(values)
        pooled = np.ascontiguousarray(pooled)
        if output is None:
            output = np.full(pooled.shape, 99, dtype=pooled.dtype)  # must all be overwritten
        planes, height, width = self._shape(values, pooled)
        status = self.library.edge_segnet_unpool_host(
            values.ctypes.data, pooled.ctypes.data, output.ctypes.data, planes, height, width,
            TYPE_CODES[pooled.dtype], requant_scale)
        return status, output

    def launch(self, values_ptr, pooled_ptr, output_ptr, shape, dtype, requant_scale=1.0,
               stream=0):
        """The kernel on device pointers (e.g. CuPy's ``.data.ptr``); returns the status."""
        n, c, height, width = shape
        return self.library.edge_segnet_unpool_launch(
            values_ptr, pooled_ptr, output_ptr, n * c, height, width,
            TYPE_CODES[np.dtype(dtype)], requant_scale, stream)
