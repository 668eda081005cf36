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


def _version_text(number):
    return "{}.{}".format(number // 1000, (number % 1000) // 10)


def driver_version():
    """'12.4' from libcuda's cuDriverGetVersion, or None without a driver."""
    library = _load(("libcuda.so.1", "libcuda.so"))
    if library is None:
        return None
    version = ctypes.c_int(0)
    if library.cuDriverGetVersion(ctypes.byref(version)) != 0:
        return None
    return _version_text(version.value)


def runtime_version():
    """'10.2' from libcudart's cudaRuntimeGetVersion, or None when no runtime is found."""
    library = _load(_RUNTIME_NAMES)
    if library is None:
        return None
    version = ctypes.c_int(0)
    if library.cudaRuntimeGetVersion(ctypes.byref(version)) != 0:
        return None
    return _version_text(version.value)
