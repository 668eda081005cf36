"""plugins/CMakeLists.txt configured against fake TensorRT folders (tests/plugins/fake_tensorrt_install.py):
the plugin must link the libnvinfer of the headers' release or not be built, a changed
TENSORRT_ROOT is searched again, and the kernel library needs no TensorRT."""

import os
import shutil

import pytest

from edge_segnet.engine import unpool_kernels

from . import fake_tensorrt_install as fake_tensorrt
from .fake_tensorrt_install import cache_value, configure, fake_root

pytestmark = pytest.mark.skipif(fake_tensorrt.missing_tools() is not None,
                                reason="CMake configure tests need cmake, nvcc and cc: {}".format(
                                    fake_tensorrt.missing_tools()))


def _flat(text):
    return " ".join(text.split())


def test_headers_without_libnvinfer_are_refused_with_the_reason(tmp_path):
    root = fake_root(tmp_path / "trt", "8.2.1")
    status, output = configure(tmp_path / "build", "-DTENSORRT_ROOT=" + root)
    assert status != 0
    text = _flat(output)
    assert "headers found" in text and "but no libnvinfer" in text, output
    assert "RTLD_LOCAL" in text and "EDGE_SEGNET_KERNELS_ONLY=ON" in text, output


def test_the_kernel_library_alone_needs_no_tensorrt(tmp_path):
    root = fake_root(tmp_path / "trt", "8.2.1")
    status, output = configure(tmp_path / "build", "-DTENSORRT_ROOT=" + root,
                               "-DEDGE_SEGNET_KERNELS_ONLY=ON")
    assert status == 0, output
    assert "kernel library only" in output
    empty = tmp_path / "empty"
    empty.mkdir()
    status, output = configure(tmp_path / "build-none", "-DTENSORRT_ROOT=" + str(empty))
    assert status == 0, output
    assert "Building the kernel library only" in _flat(output)


def test_required_tensorrt_without_headers_says_pip_has_none(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    status, output = configure(tmp_path / "build", "-DTENSORRT_ROOT=" + str(empty),
                               "-DEDGE_SEGNET_REQUIRE_TENSORRT=ON")
    assert status != 0
    assert "pip's tensorrt ships no headers" in _flat(output)


def test_a_linked_library_of_the_same_release_is_accepted(tmp_path):
    root = fake_root(tmp_path / "trt", "8.2.1", "8.2.1")
    status, output = configure(tmp_path / "build", "-DTENSORRT_ROOT=" + root)
    assert status == 0, output
    text = _flat(output)
    assert "TensorRT 8.2.1 headers in {}/include".format(root) in text
    assert "linking {}/lib/".format(root) in text and "file name libnvinfer.so.8.2.1" in text


def test_a_changed_tensorrt_root_is_searched_again(tmp_path):
    first = fake_root(tmp_path / "trt-8", "8.2.1", "8.2.1")
    second = fake_root(tmp_path / "trt-10", "10.3.0", "10.3.0")
    build = tmp_path / "build"
    status, output = configure(build, "-DTENSORRT_ROOT=" + first)
    assert status == 0, output
    status, output = configure(build, "-DTENSORRT_ROOT=" + second)
    assert status == 0, output
    assert "TensorRT 10.3.0 headers in {}/include".format(second) in _flat(output)
    assert cache_value(build, "TENSORRT_INCLUDE_DIR") == second + "/include"
    assert cache_value(build, "TENSORRT_NVINFER_LIBRARY").startswith(second + "/lib/")


def test_a_library_given_with_d_survives_a_root_change(tmp_path):
    first = fake_root(tmp_path / "trt-a", "8.2.1", "8.2.1")
    second = fake_root(tmp_path / "trt-b", "8.2.1", "8.2.1")
    given = fake_tensorrt.write_library(str(tmp_path / "elsewhere"), "libnvinfer.so.8.2.1", 8)
    build = tmp_path / "build"
    assert configure(build, "-DTENSORRT_ROOT=" + first, "-DTENSORRT_NVINFER_LIBRARY=" + given)[0] == 0
    status, output = configure(build, "-DTENSORRT_ROOT=" + second)
    assert status == 0, output
    assert cache_value(build, "TENSORRT_NVINFER_LIBRARY") == given
    assert cache_value(build, "TENSORRT_INCLUDE_DIR") == second + "/include"


@pytest.mark.parametrize("headers, library", [("8.2.1", "10.3.0"), ("8.5.2", "8.2.1"),
                                              ("10.3.0", "8.6.1")])
def test_headers_and_library_of_different_releases_are_refused(tmp_path, headers, library):
    root = fake_root(tmp_path / "trt", headers, library)
    status, output = configure(tmp_path / "build", "-DTENSORRT_ROOT=" + root)
    assert status != 0
    text = _flat(output)
    assert "TensorRT headers {}".format(headers) in text
    assert "but libnvinfer {}".format(library) in text, output


def test_the_version_python_reports_is_checked(tmp_path):
    # What build.sh passes for pip's TensorRT: the mapped libnvinfer.so.10, and its version.
    pip_library = fake_tensorrt.write_library(str(tmp_path / "tensorrt_libs"), "libnvinfer.so.10", 10,
                                              dev_link=False)
    old = fake_root(tmp_path / "trt-8", "8.2.1")
    status, output = configure(tmp_path / "build-8", "-DTENSORRT_ROOT=" + old,
                               "-DTENSORRT_NVINFER_LIBRARY=" + pip_library,
                               "-DEDGE_SEGNET_TENSORRT_LIBRARY_VERSION=10.3.0")
    assert status != 0
    assert "but libnvinfer 10.3.0 ({}, EDGE_SEGNET_TENSORRT_LIBRARY_VERSION)".format(
        pip_library) in _flat(output)
    new = fake_root(tmp_path / "trt-10", "10.3.0")
    status, output = configure(tmp_path / "build-10", "-DTENSORRT_ROOT=" + new,
                               "-DTENSORRT_NVINFER_LIBRARY=" + pip_library,
                               "-DEDGE_SEGNET_TENSORRT_LIBRARY_VERSION=10.3.1")
    assert status == 0, output
    assert "linking {} (TensorRT 10.3.1".format(pip_library) in _flat(output)


def test_a_library_named_by_its_soname_only_checks_the_major(tmp_path):
    root = fake_root(tmp_path / "trt", "10.3.0", "10")
    status, output = configure(tmp_path / "build", "-DTENSORRT_ROOT=" + root)
    assert status == 0, output
    assert "only the major version" in _flat(output)
    wrong = fake_root(tmp_path / "trt-8", "8.6.1", "10")
    status, output = configure(tmp_path / "build-8", "-DTENSORRT_ROOT=" + wrong)
    assert status != 0
    assert "but libnvinfer 10 (" in _flat(output)


def test_version_macros_naming_other_macros_are_followed(tmp_path):
    root = fake_root(tmp_path / "trt", "10.16.0", "10.16.0", indirect=True)
    status, output = configure(tmp_path / "build", "-DTENSORRT_ROOT=" + root)
    assert status == 0, output
    assert "TensorRT 10.16.0 headers" in _flat(output)


def test_architectures_get_ptx_for_the_newest(tmp_path):
    status, output = configure(tmp_path / "build", "-DEDGE_SEGNET_KERNELS_ONLY=ON",
                               "-DEDGE_SEGNET_CUDA_ARCHS=75;86")
    assert status == 0, output
    assert "CUDA architectures 75;86, PTX for compute_86" in output
    flags = open(str(tmp_path / "build" / "CMakeFiles" / "edge_segnet_unpool_kernels.dir" /
                     "flags.make")).read()
    for code in ("arch=compute_75,code=sm_75", "arch=compute_86,code=sm_86",
                 "arch=compute_86,code=compute_86"):
        assert code in flags
    assert "code=compute_75" not in flags


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None or
                    os.path.exists("/proc/device-tree/compatible"),
                    reason="a GPU or Jetson board here is detected before the fallback list")
def test_without_a_gpu_every_arch_this_cuda_builds_for_users(tmp_path):
    supported = unpool_kernels.nvcc_archs()
    if not supported or supported[0] < 75:
        pytest.skip("the expectation below is written for CUDA 13 (sm_75 and newer)")
    expected = [arch for arch in (75, 80, 86, 87, 89, 90, 100, 110, 120) if arch in supported]
    status, output = configure(tmp_path / "build", "-DEDGE_SEGNET_KERNELS_ONLY=ON",
                               detect_archs=True)
    assert status == 0, output
    assert "CUDA architectures {}, PTX for compute_{}".format(
        ";".join(str(arch) for arch in expected), expected[-1]) in output
