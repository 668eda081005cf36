"""The kernel-only library (``libedge_segnet_unpool_kernels.so``, no TensorRT): building it
with CMake and calling its C ABI, for tests, GPU checks and the bandwidth benchmark.

It is built for the GPU it will run on (``default_archs``): a build for one fixed architecture
fails on any GPU of another major version ("no kernel image is available")."""

import ctypes
import os
import re
import shutil
import struct
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


def _nvcc():
    found = shutil.which("nvcc")
    if found is None and os.path.exists("/usr/local/cuda/bin/nvcc"):
        found = "/usr/local/cuda/bin/nvcc"
    return found


def toolchain_missing():
    """Why the kernel cannot be built here, or None when cmake and nvcc are both found."""
    if shutil.which("cmake") is None:
        return "cmake not found on PATH"
    if _nvcc() is None:
        return "nvcc not found on PATH"
    return None


def _output(command):
    """A command's stdout, or None when it is missing or fails."""
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", "replace")


def nvcc_archs(nvcc=None):
    """The architectures this nvcc builds, ascending (from ``--list-gpu-arch``, which CUDA 11
    and later have), or None when it cannot tell."""
    nvcc = nvcc or _nvcc()
    listed = _output([nvcc, "--list-gpu-arch"]) if nvcc else None
    if not listed:
        return None
    archs = sorted(set(int(name) for name in re.findall(r"compute_(\d+)", listed)))
    return archs or None


def gpu_archs():
    """Compute capabilities of this machine's GPUs as integers (8.7 -> 87); [] without any."""
    listed = _output(["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"])
    if not listed:
        return []
    return sorted(set(int(major + minor) for major, minor in
                      re.findall(r"^\s*(\d+)\.(\d+)\s*$", listed, re.MULTILINE)))


def default_archs(gpus=None, supported=None):
    """What to build the kernel for here, as CMake's EDGE_SEGNET_CUDA_ARCHS ("90", "80;86").

    Each GPU's own architecture; where nvcc cannot build that one, the newest it can below it
    (the library carries PTX for its newest architecture, which the driver compiles for the
    newer GPU). Without a GPU the kernel only runs on the host (reference and emulation), so the
    oldest architecture nvcc builds is enough: the quickest build. ``gpus`` and ``supported``
    default to ``gpu_archs()`` and ``nvcc_archs()``.
    """
    gpus = gpu_archs() if gpus is None else gpus
    supported = nvcc_archs() if supported is None else supported
    chosen = []
    for gpu in gpus:
        if not supported or gpu in supported:
            chosen.append(gpu)
            continue
        older = [arch for arch in supported if arch <= gpu]
        if older:
            chosen.append(older[-1])
    if chosen:
        return ";".join(str(arch) for arch in sorted(set(chosen)))
    if supported:
        return str(supported[0])
    # nvcc without --list-gpu-arch is CUDA 10.x, whose oldest Jetson is sm_53.
    return "53"


def build(build_dir, archs=None, werror=True):
    """Configure and build the kernel library target alone; returns its path.

    ``archs``: CMake's EDGE_SEGNET_CUDA_ARCHS; default the EDGE_SEGNET_CUDA_ARCHS environment
    variable, else ``default_archs()``.
    """
    if archs is None:
        archs = os.environ.get("EDGE_SEGNET_CUDA_ARCHS") or default_archs()
    os.makedirs(build_dir, exist_ok=True)
    environ = dict(os.environ)
    environ["PATH"] = "/usr/local/cuda/bin:" + environ.get("PATH", "")
    # KERNELS_ONLY: TensorRT is neither needed nor looked for.
    configure = ["cmake", PLUGINS_DIR, "-DCMAKE_BUILD_TYPE=Release",
                 "-DEDGE_SEGNET_KERNELS_ONLY=ON",
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


def embedded_code(path):
    """What a CUDA library carries for the GPU: ``{("sass", 75), ("ptx", 90), ...}``.

    Read from its .nv_fatbin section (fat binary containers of entries whose headers give the
    kind, 1 PTX or 2 ELF/SASS, and the architecture), so that no CUDA tool is needed.
    """
    with open(path, "rb") as handle:
        data = handle.read()
    fatbin = _elf_section(data, ".nv_fatbin")
    found = set()
    offset = 0
    while fatbin is not None and offset + 16 <= len(fatbin):
        magic, _, header_size, size = struct.unpack_from("<IHHQ", fatbin, offset)
        if magic != 0xBA55ED50:
            break
        entry = offset + header_size
        end = entry + size
        while entry + 32 <= end:
            kind, _, entry_header, payload = struct.unpack_from("<HHIQ", fatbin, entry)
            arch = struct.unpack_from("<I", fatbin, entry + 28)[0]
            if kind in (1, 2):
                found.add(("ptx" if kind == 1 else "sass", arch))
            entry += entry_header + payload
        offset = end
    return found


def _elf_section(data, name):
    """The bytes of section ``name`` of a little-endian ELF64 file, or None."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    section_offset = struct.unpack_from("<Q", data, 0x28)[0]
    entry_size, count, names_index = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, section_offset + i * entry_size)
               for i in range(count)]
    names_at = headers[names_index][4]
    for name_offset, _, _, _, offset, size in headers:
        end = data.index(b"\0", names_at + name_offset)
        if data[names_at + name_offset:end].decode("ascii", "replace") == name:
            return data[offset:offset + size]
    return None


class UnpoolKernels(object):
    """ctypes bindings of the C ABI in plugins/unpool/unpool_kernel.h."""

    def __init__(self, path):
        self.path = path
        self.library = ctypes.CDLL(path)
        common = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                  ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_float]
        self.library.edge_segnet_unpool_host.argtypes = common
        self.library.edge_segnet_unpool_host.restype = ctypes.c_int32
        self.library.edge_segnet_unpool_emulate.argtypes = common
        self.library.edge_segnet_unpool_emulate.restype = ctypes.c_int32
        self.library.edge_segnet_unpool_launch.argtypes = common + [ctypes.c_void_p]
        self.library.edge_segnet_unpool_launch.restype = ctypes.c_int32

    @staticmethod
    def _shape(values, pooled):
        n, c, height, width = pooled.shape
        return n * c, height, width

    def _run(self, function, values, pooled, requant_scale, output):
        values = np.ascontiguousarray(values)
        pooled = np.ascontiguousarray(pooled)
        if output is None:
            output = np.full(pooled.shape, 99, dtype=pooled.dtype)  # must all be overwritten
        planes, height, width = self._shape(values, pooled)
        status = function(values.ctypes.data, pooled.ctypes.data, output.ctypes.data, planes,
                          height, width, TYPE_CODES[pooled.dtype], requant_scale)
        return status, output

    def host(self, values, pooled, requant_scale=1.0, output=None):
        """The host reference on numpy arrays; returns (status, output)."""
        return self._run(self.library.edge_segnet_unpool_host, values, pooled, requant_scale,
                         output)

    def emulate(self, values, pooled, requant_scale=1.0, output=None):
        """The kernel's own per-item code run on the host over the launch it would make for
        these arrays (the access path follows their alignment, as on the GPU); returns
        (status, output). Elements the kernel would not write keep ``output``'s values."""
        return self._run(self.library.edge_segnet_unpool_emulate, values, pooled, requant_scale,
                         output)

    def launch(self, values_ptr, pooled_ptr, output_ptr, shape, dtype, requant_scale=1.0,
               stream=0):
        """The kernel on device pointers (e.g. CuPy's ``.data.ptr``); returns the status."""
        n, c, height, width = shape
        return self.library.edge_segnet_unpool_launch(
            values_ptr, pooled_ptr, output_ptr, n * c, height, width,
            TYPE_CODES[np.dtype(dtype)], requant_scale, stream)
