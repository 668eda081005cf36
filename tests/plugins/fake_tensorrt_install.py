"""Fake TensorRT installations for the CMake and build.sh tests: a version header and an empty
NvInfer.h (enough for CMake's search, nothing compiles against them) and libraries named like
libnvinfer with its SONAME, built from an empty C file. None of it is TensorRT."""

import os
import shutil
import subprocess

from edge_segnet.engine import unpool_kernels

PLUGINS_DIR = unpool_kernels.PLUGINS_DIR
BUILD_SH = os.path.join(PLUGINS_DIR, "build.sh")


def c_compiler():
    return shutil.which("cc") or shutil.which("gcc")


def missing_tools():
    """Why these tests cannot run here, or None."""
    missing = unpool_kernels.toolchain_missing()
    if missing:
        return missing
    if c_compiler() is None:
        return "no C compiler (cc) for the fake libnvinfer"
    return None


def write_headers(root, version, indirect=False):
    """root/include with NvInfer.h and an NvInferVersion.h saying ``version`` ("8.2.1");
    ``indirect`` words it as 10.x and later do (the NV_ macros name other macros)."""
    include = os.path.join(root, "include")
    os.makedirs(include, exist_ok=True)
    with open(os.path.join(include, "NvInfer.h"), "w") as handle:
        handle.write("// empty: found by CMake, never compiled\n")
    parts = version.split(".")
    lines = []
    for name, value in zip(("MAJOR", "MINOR", "PATCH"), parts):
        if indirect:
            lines.append("#define TRT_{}_ENTERPRISE {}".format(name, value))
            lines.append("#define NV_TENSORRT_{0} TRT_{0}_ENTERPRISE //!< comment".format(name))
        else:
            lines.append("#define NV_TENSORRT_{} {} //!< comment".format(name, value))
    with open(os.path.join(include, "NvInferVersion.h"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return include


def write_library(folder, file_name, major, dev_link=True):
    """An empty shared library ``folder/file_name`` with SONAME libnvinfer.so.<major>, plus
    the libnvinfer.so.<major> and (``dev_link``) libnvinfer.so links a real install has."""
    os.makedirs(folder, exist_ok=True)
    source = os.path.join(folder, "empty.c")
    with open(source, "w") as handle:
        handle.write("int edge_segnet_fake_libnvinfer;\n")
    path = os.path.join(folder, file_name)
    subprocess.check_call([c_compiler(), "-shared", "-fPIC", "-o", path, source,
                           "-Wl,-soname,libnvinfer.so.{}".format(major)])
    os.remove(source)
    links = ["libnvinfer.so.{}".format(major)] + (["libnvinfer.so"] if dev_link else [])
    for link in links:
        if link != file_name and not os.path.exists(os.path.join(folder, link)):
            os.symlink(file_name, os.path.join(folder, link))
    return path


def fake_root(base, header_version, library_version=None, indirect=False):
    """A TENSORRT_ROOT: headers of ``header_version``, and lib/libnvinfer.so.<library_version>
    when one is given ("10.3.0", or "10" for a file that only has the SONAME's major)."""
    root = str(base)
    write_headers(root, header_version, indirect)
    if library_version:
        write_library(os.path.join(root, "lib"), "libnvinfer.so." + library_version,
                      library_version.split(".")[0])
    return root


def configure(build_dir, *definitions, **kwargs):
    """cmake plugins/ in ``build_dir``; returns (exit status, output)."""
    os.makedirs(str(build_dir), exist_ok=True)
    environ = dict(os.environ)
    environ["PATH"] = "/usr/local/cuda/bin:" + environ.get("PATH", "")
    environ.pop("TENSORRT_ROOT", None)
    environ.update(kwargs.get("env", {}))
    command = ["cmake", PLUGINS_DIR] + list(definitions)
    if not any(d.startswith("-DEDGE_SEGNET_CUDA_ARCHS=") for d in definitions) and \
            not kwargs.get("detect_archs"):
        command.append("-DEDGE_SEGNET_CUDA_ARCHS=75")
    result = subprocess.run(command, cwd=str(build_dir), env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    return result.returncode, result.stdout.decode("utf-8", "replace")


def cache_value(build_dir, name):
    with open(os.path.join(str(build_dir), "CMakeCache.txt")) as handle:
        for line in handle:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    return None
