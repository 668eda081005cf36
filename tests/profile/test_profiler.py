import json
import re

import jsonschema
import pytest
from typer.testing import CliRunner

from edge_segnet.cli import app
from edge_segnet.errors import UsageError
from edge_segnet.profile import profiler


@pytest.fixture(scope="module")
def schema():
    with open(profiler.SCHEMA_PATH) as handle:
        return json.load(handle)


def test_onnx_runtime_profile_end_to_end_with_layers(small_basic_model_path, schema, tmp_path):
    out, table = str(tmp_path / "r.json"), str(tmp_path / "r.csv")
    result = CliRunner().invoke(app, ["profile", small_basic_model_path, "--iterations", "15",
                                      "--warmup", "2", "--per-layer", "--baseline-ms", "97",
                                      "--json", out, "--csv", table])
    assert result.exit_code == 0, result.output
    report = json.load(open(out))
    jsonschema.validate(report, schema)
    assert report["iterations"] == 15 and len(report["samples_ms"]) == 15
    assert report["conditions"]["backend"] == "onnxruntime"
    ops = {layer["op_type"] for layer in report["layers"]}
    assert "Conv" in ops and "MaxUnpool" in ops
    assert abs(sum(layer["share"] for layer in report["layers"]) - 1.0) < 1e-6
    assert report["comparison"]["ratios"]["median"] == pytest.approx(
        report["latency_ms"]["median"] / 97.0)
    assert open(table).read().splitlines()[0] == "iteration,latency_ms"
    assert len(open(table).read().splitlines()) == 16
    assert "latency    15 runs after 2 warm-up: median" in result.output
    assert "vs 97.0 ms: median x" in result.output


def test_stages_and_total_come_from_the_same_runs_on_a_frame_of_the_cameras_size(
        small_basic_model_path, schema, monkeypatch):
    from edge_segnet.runtime.segmenter import Segmenter

    shapes = []
    prepare = Segmenter.prepare_input
    monkeypatch.setattr(Segmenter, "prepare_input",
                        lambda self, frame: shapes.append(frame.shape) or prepare(self, frame))
    report = profiler.profile(small_basic_model_path, profiler.ProfileOptions(
        iterations=12, warmup=1, frame_size=(480, 640)))
    jsonschema.validate(report, schema)
    assert set(shapes) == {(480, 640, 3)}
    assert report["conditions"]["frame_size"] == [480, 640]
    assert report["conditions"]["threads"] >= 1 and report["conditions"]["spinning"] is False
    stages = report["stages_ms"]
    assert report["total_ms"]["count"] == report["iterations"] == 12
    assert all(stats["count"] == 12 for stats in stages.values())
    assert report["latency_ms"] == stages["inference"]
    # The same calls: the stages' means add up to the total's (less the timer's own cost).
    share = sum(stats["mean"] for stats in stages.values()) / report["total_ms"]["mean"]
    assert 0.97 <= share <= 1.0


def test_compare_with_an_earlier_report(small_basic_model_path, tmp_path, schema):
    first = str(tmp_path / "first.json")
    result = CliRunner().invoke(app, ["profile", small_basic_model_path, "--iterations", "5",
                                      "--json", first])
    assert result.exit_code == 0, result.output
    report = profiler.profile(small_basic_model_path, profiler.ProfileOptions(
        iterations=5, warmup=1, compare=first))
    jsonschema.validate(report, schema)
    with open(first) as handle:
        earlier = json.load(handle)["latency_ms"]
    ratios = report["comparison"]["ratios"]
    assert set(ratios) >= {"median", "p90"}
    for key, ratio in ratios.items():
        assert ratio == pytest.approx(report["latency_ms"][key] / earlier[key])


def test_tegrastats_missing_is_a_warning_and_the_run_goes_on(small_basic_model_path,
                                                             monkeypatch):
    from edge_segnet.profile import tegrastats

    # As on a workstation, whatever this machine is.
    monkeypatch.setattr(tegrastats.TegrastatsReader, "available", staticmethod(lambda: False))
    report = profiler.profile(small_basic_model_path, profiler.ProfileOptions(
        iterations=3, warmup=0, tegrastats_on=True))
    assert any("tegrastats not found" in warning for warning in report["warnings"])
    assert report["iterations"] == 3 and "tegrastats" not in report


@pytest.mark.parametrize("args, code, text", [
    (["missing.onnx"], 1, "model file not found: missing.onnx"),
    (["MODEL", "--iterations", "0"], 2, "--iterations must be at least 1"),
    (["MODEL", "--json", "/proc/r.json"], 1, "cannot write report"),
    (["MODEL", "--json", "no/such/dir/r.json"], 1, "does not exist"),
    (["MODEL", "--backend", "cuda"], 2, "--backend must be one of"),
    (["MODEL", "--iterations", "5", "--duration", "2"], 2, "not both"),
    (["MODEL", "--cuda-graph"], 2, "--cuda-graph needs the TensorRT backend"),
    (["MODEL", "--compare", "none.json"], 1, "report to compare with not found"),
    (["MODEL", "--backend", "tensorrt"], 3, "needs the Python package 'tensorrt'"),
])
def test_bad_input_gets_one_line(small_basic_model_path, tmp_path, monkeypatch, without_modules,
                                 args, code, text):
    monkeypatch.chdir(tmp_path)
    if "tensorrt" in args:  # the case of a machine without it, whatever this one has
        # (TensorRT for RTX too: with it, an .onnx on --backend tensorrt builds with it)
        without_modules("tensorrt", "tensorrt_rtx_bindings", "tensorrt_rtx")
    args = [small_basic_model_path if arg == "MODEL" else arg for arg in args]
    result = CliRunner().invoke(app, ["profile"] + args)
    assert result.exit_code == code, result.output
    assert text in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_duration_bounds_the_run(small_basic_model_path):
    import time

    start = time.perf_counter()
    report = profiler.profile(small_basic_model_path, profiler.ProfileOptions(
        duration=0.3, warmup=0))
    elapsed = time.perf_counter() - start
    # The runs (whole frames: pre-processing, model, arg-max) fill the duration and stop: their
    # times add up to it, give or take one run.
    assert report["iterations"] >= 1
    total = report["total_ms"]
    spent, longest = total["mean"] * total["count"] / 1e3, total["max"] / 1e3
    assert 0.3 <= spent + longest
    assert spent <= 0.3 + longest
    assert elapsed < 30
    with pytest.raises(UsageError, match="--duration must be more than 0"):
        profiler.ProfileOptions(duration=0)


def test_plot_is_a_png_where_matplotlib_is_installed(small_basic_model_path, tmp_path):
    import sys

    png = tmp_path / "latency.png"
    result = CliRunner().invoke(app, ["profile", small_basic_model_path, "--iterations", "5",
                                      "--plot", str(png)])
    if sys.version_info >= (3, 9):  # the dev extra brings matplotlib there
        assert result.exit_code == 0, result.output
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert result.exit_code == 3
        assert "--plot needs the Python package 'matplotlib'" in result.output
        assert not png.exists()


def test_profile_says_what_it_is_doing_before_the_minutes_it_takes(small_basic_model_path,
                                                                    logged):
    from edge_segnet.profile import profiler

    lines = logged
    profiler.profile(small_basic_model_path, profiler.ProfileOptions(iterations=3, warmup=2))
    assert lines[0].startswith("warming up: 2 runs on onnxruntime")
    # how long the timing will take, from the warm-up's time a run
    assert re.match(r"timing: 3 runs \(under a second at [0-9.]+ ms a run\)$", lines[1]), lines


def test_the_expected_time_of_the_timing_is_said_in_seconds():
    from edge_segnet.profile import profiler

    options = profiler.ProfileOptions(iterations=200)
    assert profiler._expected(options, [900.0, 60.0, 50.0, 40.0]) == \
        "200 runs (about 10 s at 50.0 ms a run)"
    assert profiler._expected(options, []) == "200 runs"
    assert profiler._expected(profiler.ProfileOptions(duration=30), [5.0]) == "30 s"


@pytest.mark.parametrize("median", ["NaN", "Infinity", "-3", "0", "\"fast\""])
def test_a_report_to_compare_with_whose_figures_are_no_latency_is_refused(
        tmp_path, small_basic_model_path, monkeypatch, median):
    from edge_segnet.errors import DataError
    from edge_segnet.profile import profiler

    report = tmp_path / "old.json"
    report.write_text('{"latency_ms": {"median": %s, "p90": 4.0}}' % median)
    monkeypatch.setattr(profiler, "open_segmenter", lambda *a, **k: pytest.fail("timed"))
    with pytest.raises(DataError, match=r"old.json: latency_ms.median is .*, not a latency"):
        profiler.profile(small_basic_model_path, profiler.ProfileOptions(compare=str(report)))


def test_conditions_name_no_cuda_where_no_gpu_ran_the_model(small_basic_model_path,
                                                           monkeypatch):
    from edge_segnet.platform import cuda
    from edge_segnet.profile import conditions

    monkeypatch.setattr(cuda, "driver_version", lambda: None)
    monkeypatch.setattr(cuda, "runtime_version", lambda: (13, 0))  # a pip libcudart
    found, _ = conditions.collect(small_basic_model_path, "onnxruntime", "fp32", (36, 52))
    assert "cuda_runtime" not in found and "cuda_driver" not in found
    found, _ = conditions.collect(small_basic_model_path, "tensorrt", "fp16", (36, 52))
    assert found["cuda_runtime"] == (13, 0)


def test_a_report_to_compare_with_is_read_before_any_timing(tmp_path, small_basic_model_path,
                                                             monkeypatch):
    from edge_segnet.errors import DataError
    from edge_segnet.profile import profiler

    report = tmp_path / "old.json"
    report.write_text('{"latency_ms": 5}')
    opened = []
    monkeypatch.setattr(profiler, "open_segmenter", lambda *a, **k: opened.append(a))
    with pytest.raises(DataError, match="is not an edge-segnet profile report"):
        profiler.profile(small_basic_model_path, profiler.ProfileOptions(compare=str(report)))
    assert opened == []
