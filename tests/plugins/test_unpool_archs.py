"""Which architectures the kernel library is built for when none is given: the GPU's own."""

from edge_segnet.engine import unpool_kernels

NVCC_13 = [75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121]


def test_the_gpu_it_runs_on():
    assert unpool_kernels.default_archs(gpus=[90], supported=NVCC_13) == "90"
    assert unpool_kernels.default_archs(gpus=[87, 120], supported=NVCC_13) == "87;120"


def test_a_gpu_newer_than_nvcc_gets_the_newest_below_it_for_ptx():
    assert unpool_kernels.default_archs(gpus=[130], supported=NVCC_13) == "121"
    assert unpool_kernels.default_archs(gpus=[91], supported=NVCC_13) == "90"


def test_a_gpu_older_than_nvcc_is_left_to_fail_on_its_own():
    # sm_61 with CUDA 13: nothing to build for it; the cheapest build still serves the host.
    assert unpool_kernels.default_archs(gpus=[61], supported=NVCC_13) == "75"


def test_no_gpu_builds_the_oldest_arch_nvcc_has():
    assert unpool_kernels.default_archs(gpus=[], supported=NVCC_13) == "75"
    assert unpool_kernels.default_archs(gpus=[], supported=[50, 52, 53, 60]) == "50"


def test_an_nvcc_that_cannot_list_its_archs():
    # CUDA 10.2 has no --list-gpu-arch: the GPU's arch as it is, else the oldest Jetson.
    assert unpool_kernels.default_archs(gpus=[72], supported=[]) == "72"
    assert unpool_kernels.default_archs(gpus=[], supported=[]) == "53"


def test_nvidia_smi_lines_are_read(monkeypatch):
    monkeypatch.setattr(unpool_kernels, "_output", lambda command: "9.0\n8.7\n9.0\n")
    assert unpool_kernels.gpu_archs() == [87, 90]
    monkeypatch.setattr(unpool_kernels, "_output", lambda command: None)
    assert unpool_kernels.gpu_archs() == []


def test_nvcc_list_is_read(monkeypatch):
    monkeypatch.setattr(unpool_kernels, "_output",
                        lambda command: "compute_75\ncompute_80\ncompute_120\n")
    assert unpool_kernels.nvcc_archs("nvcc") == [75, 80, 120]
    monkeypatch.setattr(unpool_kernels, "_output", lambda command: None)
    assert unpool_kernels.nvcc_archs("nvcc") is None
