"""``edge-segnet build`` and ``selftest`` where TensorRT is missing (CI, laptops): what can be
checked is checked, the rest is one line that says how to get TensorRT."""

import os

import pytest

from edge_segnet.models import zoo
from edge_segnet.trt_facts import calibration_cache
from tests.test_cli import assert_one_line_error, cli  # noqa: F401 (fixture)


@pytest.fixture
def model(tmp_path):
    path = str(tmp_path / "segnet.onnx")
    zoo.save(zoo.create("segnet-basic", input_size=(36, 52)), path)
    return path


def test_without_tensorrt_build_says_how_to_get_it_and_writes_nothing(cli, model, tmp_path,
                                                                      without_modules):
    # Neither flavour: where TensorRT for RTX is installed alone, build chooses it.
    without_modules("tensorrt", "tensorrt_rtx_bindings", "tensorrt_rtx")
    result = cli("build", model, "--fp16")
    assert_one_line_error(result, 3, "needs the Python package 'tensorrt'")
    assert "JetPack" in result.output and "tensorrt-cu12" in result.output
    assert sorted(os.listdir(str(tmp_path))) == ["segnet.onnx"]


@pytest.mark.parametrize("args, code, text", [
    (["--workspace", "0"], 2, "--workspace must be at least 1 MiB"),
    (["--fp16", "--int8"], 2, "give one of --fp16, --int8, --fp32"),
    (["--int8"], 2, "--int8 needs a quantised model"),
    (["-o", "/proc/segnet.engine"], 1, "cannot write the engine"),
    (["-o", "MODEL"], 2, "would overwrite the model"),
    (["--trt-version", "10.3"], 2, "--trt-version goes with --print-trtexec"),
    (["--dla-core", "-1"], 2, "--dla-core must be 0 or more"),
    (["--opt-level", "9"], 2, "--opt-level must be 0 to 5"),
])
def test_bad_build_options_get_one_line_before_any_work(cli, model, args, code, text):
    args = [model if arg == "MODEL" else arg for arg in args]
    assert_one_line_error(cli("build", model, *args), code, text)


def test_a_corrupt_model_gets_one_line(cli, tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x08\x07garbage")
    assert_one_line_error(cli("build", str(path)), 1, "not a readable ONNX model")


def test_print_trtexec_writes_the_graph_and_the_release_s_command(cli, model, tmp_path):
    result = cli("build", model, "--fp16", "--workspace", "256", "--print-trtexec",
                 "--trt-version", "8.2")
    assert result.exit_code == 0, result.output
    graph = str(tmp_path / "segnet.trtexec.onnx")
    assert os.path.isfile(graph)
    line = result.output.splitlines()[-1]
    assert line.startswith("trtexec --onnx=" + graph)
    assert "--fp16" in line and "--workspace=256" in line and "--plugins=" in line
    assert not os.path.exists(str(tmp_path / "segnet.engine"))  # nothing was built
    result = cli("build", model, "--fp16", "--print-trtexec", "--trt-version", "11.1")
    assert "--fp16" not in result.output.splitlines()[-1]


def test_selftest_without_tensorrt_checks_the_cpu_side_and_says_what_it_cannot(
        cli, without_modules):
    without_modules("tensorrt")
    result = cli("selftest")
    assert result.exit_code == 0, result.output
    assert "prepare + verify (CPU)   pass" in result.output
    assert "TensorRT engines         not checked  TensorRT is not installed" in result.output
    assert "selftest passed: 1 passed, 0 failed, 1 not checked" in result.output


def test_an_engine_given_to_build_is_named_as_such(cli, tmp_path):
    path = tmp_path / "m.engine"
    path.write_bytes(b"\x00engine")
    assert_one_line_error(cli("build", str(path)), 2, "is already an engine")


@pytest.mark.parametrize("args, code, text", [
    (["--iterations", "0"], 2, "--iterations must be at least 1"),
    (["--keep", "MODEL"], 2, "exists and is not a folder"),
    (["--model", "missing.onnx"], 1, "model file not found"),
])
def test_selftest_bad_input_gets_one_line(cli, model, args, code, text):
    args = [model if arg == "MODEL" else arg for arg in args]
    assert_one_line_error(cli("selftest", *args), code, text)


def test_selftest_checks_a_model_at_its_own_size(cli, model, without_modules):
    without_modules("tensorrt")
    result = cli("selftest", "--model", model)
    assert result.exit_code == 0 and "prepare + verify (CPU)   pass" in result.output


@pytest.mark.parametrize("command", [["run", "--model", "PATH", "--backend", "tensorrt",
                                      "--max-frames", "1"],
                                     ["verify", "MODEL", "PATH", "--backend", "tensorrt"]])
@pytest.mark.parametrize("path", ["missing.onnx", "FOLDER"])
def test_an_onnx_for_the_tensorrt_backend_that_is_not_there_is_one_line(
        cli, model, tmp_path, command, path, monkeypatch):
    import types

    # Past the import of tensorrt (a stand-in here), to the model check of the cache.
    monkeypatch.setitem(__import__("sys").modules, "tensorrt",
                        types.ModuleType("tensorrt"))
    path = str(tmp_path) if path == "FOLDER" else str(tmp_path / path)
    args = [model if arg == "MODEL" else path if arg == "PATH" else arg for arg in command]
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_print_trtexec_hands_trtexec_a_cache_headed_for_its_release(cli, model, tmp_path):
    from tests.engine.calibration_caches import write_cache_for

    cache = write_cache_for(model, tmp_path / "made-for-8.5.2.calib", "8.5.2")
    result = cli("build", model, "--int8", "--calib-cache", cache, "--print-trtexec",
                 "--trt-version", "10.3.1")
    assert result.exit_code == 0, result.output
    handed = str(tmp_path / "segnet.trtexec.calib")
    assert "--calib=" + handed in result.output.splitlines()[-1]
    replayed = calibration_cache.read_cache(handed)
    assert replayed.version == (10, 3, 1)
    assert replayed.scales == calibration_cache.read_cache(cache).scales
    # the input is left as it was
    assert calibration_cache.read_cache(cache).version == (8, 5, 2)
