"""The TensorRT commands, each in a process of its own, under the strict pycuda stand-in
(tests/engine/fake_cuda.py) that aborts at exit as pycuda does while a context is pushed: each
command pops what it pushed on every path (success, a failed build, SIGINT, SIGTERM) and exits
with its own code, never 134 and "PyCUDA ERROR"."""

import os
import signal
import subprocess
import sys

import pytest

from edge_segnet.engine.trt_compat import TensorRTError
from edge_segnet.models import zoo
from edge_segnet.runtime import open_segmenter
from tests.engine.fake_cuda import PYCUDA_STACK_ERROR, make_fake_pycuda
from tests.engine.fake_tensorrt import Scenario, make_fake_tensorrt
from tests.engine.stand_in_cli import GPU, run_cli, stand_in_environment
from tests.engine.stand_in_plugin import compile_stand_in_plugin

pytest.importorskip("onnxruntime", reason="the stand-in engine computes with ONNX Runtime")

PLUGIN = ("EdgeSegnetUnpool", "1", "")
STAND_IN_CLI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stand_in_cli.py")


def _clean_exit(process, code=0):
    assert PYCUDA_STACK_ERROR not in process.stderr, process.stderr
    assert "context" not in process.stderr.lower(), process.stderr
    assert process.returncode == code, (process.returncode, process.stderr)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cuda-lifetime")
    zoo.save(zoo.create("segnet-basic", input_size=(36, 52)), str(folder / "segnet.onnx"))
    return folder


@pytest.fixture(scope="module")
def engine(folder):
    """An engine written by ``edge-segnet build``, whose exit is the first thing checked."""
    process = run_cli(["build", "segnet.onnx", "--unpool", "native", "-o", "segnet.engine"],
                      cwd=str(folder))
    return process, str(folder / "segnet.engine")


def test_build_writes_its_engine_and_exits_zero_with_the_context_popped(engine):
    process, path = engine
    _clean_exit(process)
    assert os.path.isfile(path) and "wrote " + path.rsplit(os.sep, 1)[1] in process.stdout


def test_run_exits_zero_with_the_context_popped(engine, folder):
    process = run_cli(["run", "--model", engine[1], "--max-frames", "3", "--headless"],
                      cwd=str(folder))
    _clean_exit(process)
    assert "3 frames in" in process.stdout


def test_a_build_that_fails_after_cuda_opened_exits_with_its_error(folder):
    process = run_cli(["build", "segnet.onnx", "--unpool", "native", "-o", "failed.engine"],
                      scenario={"build_fails": "stand-in: out of tactics"}, cwd=str(folder))
    _clean_exit(process, TensorRTError.exit_code)
    assert process.stderr.splitlines()[-1].startswith("error: TensorRT could not build")


@pytest.mark.parametrize("signum, code, line", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated")])
def test_a_run_stopped_by_a_signal_pops_the_context_and_exits_with_the_signal_s_code(
        engine, folder, signum, code, line):
    process = subprocess.Popen(
        [sys.executable, STAND_IN_CLI, "run", "--model", engine[1], "--headless"],
        env=stand_in_environment(), cwd=str(folder), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True)
    try:
        # The run echoes its setup (the engine is loaded, CUDA pushed) before the frame loop.
        seen = process.stdout.readline()
        assert seen.startswith("no output"), seen
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    process.stderr = stderr
    if process.returncode == 0:
        # It landed in the frame loop, which ends the run as its last frame would.
        _clean_exit(process, 0)
        assert "ended by interrupt" in stdout
    else:
        _clean_exit(process, code)
        assert stderr.strip().splitlines()[-1] == line


def test_a_run_whose_source_fails_after_the_engine_loaded_exits_with_its_error(engine, folder):
    process = run_cli(["run", "--model", engine[1], "--source", "missing.mp4", "--headless"],
                      cwd=str(folder))
    _clean_exit(process, 1)
    assert process.stderr.splitlines()[-1] == "error: video file not found: missing.mp4"


@pytest.fixture(scope="module")
def plugin_environment(folder):
    """A real shared library where EDGE_SEGNET_PLUGIN points (the stand-in registry has the
    creator), and an engine cache of the test's own."""
    library = compile_stand_in_plugin(folder)
    return {"EDGE_SEGNET_PLUGIN": library, "EDGE_SEGNET_CACHE": str(folder / "cache")}


def test_run_of_an_onnx_model_on_tensorrt_builds_into_the_cache_and_exits_zero(
        folder, plugin_environment):
    process = run_cli(["run", "--model", "segnet.onnx", "--backend", "tensorrt",
                       "--max-frames", "2", "--headless"], cwd=str(folder),
                      scenario={"registered_plugins": [list(PLUGIN)]},
                      environ=plugin_environment)
    _clean_exit(process)
    assert "building a TensorRT engine for segnet.onnx into the cache" in process.stdout
    assert "2 frames in" in process.stdout


def test_selftest_whose_builds_fail_reports_them_and_exits_one_with_the_context_popped(
        folder, plugin_environment):
    # No creator registered: both builds fail after CUDA was opened for them.
    process = run_cli(["selftest", "--iterations", "1", "--model", "segnet.onnx"],
                      cwd=str(folder), environ=plugin_environment)
    _clean_exit(process, 1)
    assert "memory through pycuda" in process.stdout
    assert "build fp32               FAIL" in process.stdout


def test_the_engine_cache_and_the_segmenter_share_one_pushed_context(
        folder, plugin_environment, monkeypatch):
    package, driver = make_fake_pycuda(gpu=GPU, abort_at_exit=False)
    for name, module in (("pycuda", package), ("pycuda.driver", driver), (
            "tensorrt", make_fake_tensorrt("8.2.1", Scenario(
                gpu_name=GPU[0], memory=driver._f_memory, registered_plugins=[PLUGIN])))):
        monkeypatch.setitem(sys.modules, name, module)
    for name, value in plugin_environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EDGE_SEGNET_CACHE", str(folder / "in-process-cache"))
    # Library use, outside a command's session: the cache builds, the Segmenter loads.
    segmenter = open_segmenter(str(folder / "segnet.onnx"), backend="tensorrt")
    assert [len(entries) for _, entries in driver._f_stacks()] == [1]
    segmenter.close()
    assert [len(entries) for _, entries in driver._f_stacks()] == [0]
