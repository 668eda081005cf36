"""CUDA driver and runtime versions, read through ctypes so that no CUDA package is needed."""

import ctypes
import ctypes.util

_RUNTIME_NAMES = ("libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0",
                  "libcudart.so.10.2")


def _load(names):
    for name in names:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    found = ctypes.util.find_library(names[0].split(".so")[0][3:])
    if found:
        try:
            return ctypes.CDLL(found)
        except OSError:
            return None
    return None


def _query_version(library, function_name):
    """'12.4' from a CUDA ``*GetVersion(int *)`` function, or None."""
    if library is None:
        return None
    version = ctypes.c_int(0)
    if getattr(library, function_name)(ctypes.byref(version)) != 0:
        return None
    return "{}.{}".format(version.value // 1000, (version.value % 1000) // 10)


def driver_version():
    """The CUDA driver's version, or None without a driver."""
    return _query_version(_load(("libcuda.so.1", "libcuda.so")), "cuDriverGetVersion")


def runtime_version():
    """The CUDA runtime's version, or None when no libcudart is found."""
    return _query_version(_load(_RUNTIME_NAMES), "cudaRuntimeGetVersion")
