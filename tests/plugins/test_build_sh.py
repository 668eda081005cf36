"""plugins/build.sh links the libnvinfer the Python it names imports, and configures afresh each
run. A fake ``tensorrt`` module (it loads a fake libnvinfer.so.10 with ctypes, RTLD_LOCAL like the
real one) stands in for pip's TensorRT; the headers are fake too, so no build gets past CMake's
checks, which is what is tested."""

import os
import subprocess
import sys

import pytest

from . import fake_tensorrt_install as fake_tensorrt

pytestmark = pytest.mark.skipif(fake_tensorrt.missing_tools() is not None,
                                reason="build.sh tests need cmake, nvcc and cc: {}".format(
                                    fake_tensorrt.missing_tools()))


def _flat(text):
    return " ".join(text.split())


def _fake_pip_tensorrt(base, version):
    """A site folder whose ``tensorrt`` loads tensorrt_libs/libnvinfer.so.<major> on import."""
    site = os.path.join(str(base), "site")
    libs = os.path.join(site, "tensorrt_libs")
    library = fake_tensorrt.write_library(libs, "libnvinfer.so." + version.split(".")[0],
                                          version.split(".")[0], dev_link=False)
    package = os.path.join(site, "tensorrt")
    os.makedirs(package)
    with open(os.path.join(package, "__init__.py"), "w") as handle:
        handle.write("import ctypes\n_nvinfer = ctypes.CDLL({!r})\n__version__ = {!r}\n".format(
            library, version))
    return site, library


def _build_sh(tmp_path, args, python_site=None, **environ):
    env = dict(os.environ)
    env.pop("TENSORRT_ROOT", None)
    env["PYTHON"] = sys.executable
    env["EDGE_SEGNET_BUILD_DIR"] = str(tmp_path / "build")
    env["EDGE_SEGNET_JOBS"] = "2"
    if python_site:
        env["PYTHONPATH"] = python_site
    env.update(environ)
    result = subprocess.run(["bash", fake_tensorrt.BUILD_SH, "-DEDGE_SEGNET_CUDA_ARCHS=75"] + args,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return result.returncode, result.stdout.decode("utf-8", "replace")


def test_links_the_tensorrt_python_imports_and_refuses_other_headers(tmp_path):
    site, library = _fake_pip_tensorrt(tmp_path, "10.3.0")
    # A system-style root of another release, with its own library: Python's must win.
    root = fake_tensorrt.fake_root(tmp_path / "trt-8", "8.6.1", "8.6.1")
    status, output = _build_sh(tmp_path, ["-DTENSORRT_ROOT=" + root], python_site=site)
    assert status != 0
    text = _flat(output)
    assert "linking the TensorRT 10.3.0 that {} imports: {}".format(sys.executable, library) in text
    assert "TensorRT headers 8.6.1" in text and "but libnvinfer 10.3.0 ({}".format(library) in text


def test_python_without_tensorrt_leaves_the_search_to_cmake(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    status, output = _build_sh(tmp_path, ["-DTENSORRT_ROOT=" + str(empty)],
                               python_site=str(empty), EDGE_SEGNET_TENSORRT_FROM_PYTHON="0")
    assert status != 0
    assert "linking the TensorRT" not in output
    assert "TensorRT headers (NvInfer.h) not found" in _flat(output)


def test_each_run_configures_afresh(tmp_path):
    # An earlier run's TENSORRT_ROOT must not carry over into a run that names none.
    first = fake_tensorrt.fake_root(tmp_path / "trt-old", "8.2.1", "8.2.1")
    _build_sh(tmp_path, ["-DTENSORRT_ROOT=" + first], EDGE_SEGNET_TENSORRT_FROM_PYTHON="0")
    status, output = _build_sh(tmp_path, [], EDGE_SEGNET_TENSORRT_FROM_PYTHON="0")
    if os.path.exists("/usr/include/x86_64-linux-gnu/NvInfer.h") or \
            os.path.exists("/usr/include/aarch64-linux-gnu/NvInfer.h"):
        pytest.skip("a system TensorRT here is found by the second run")
    assert status != 0
    assert first not in output
    assert "TensorRT headers (NvInfer.h) not found" in _flat(output)
