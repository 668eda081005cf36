import json

import numpy as np
import pytest
from typer.testing import CliRunner

from edge_segnet.checks import verify
from edge_segnet.data.datasets import image_frames
from edge_segnet.data.synthetic import synthetic_frames
from edge_segnet.cli import app
from edge_segnet.errors import DataError, UsageError
from edge_segnet.models import zoo


def test_metrics_on_hand_built_label_maps():
    comparison = verify.Comparison(["a", "b", "c"])
    reference = np.array([[0, 0, 1, 1]])
    other = np.array([[0, 1, 1, 1]])
    logits_a = np.zeros((1, 3, 1, 4), np.float32)
    logits_b = logits_a.copy()
    logits_b[0, 1, 0, 1] = 0.25
    comparison.add(reference, other, logits_a, logits_b)
    assert comparison.agreement == 0.75
    assert comparison.iou() == {"a": 0.5, "b": pytest.approx(2 / 3)}
    assert comparison.max_abs == 0.25 and comparison.mean_abs == pytest.approx(0.25 / 12)
    assert comparison.failures(atol=0.3, min_agreement=75.0) == []
    assert comparison.failures(atol=0.1, min_agreement=80.0) == [
        "logits differ by up to 0.25 (atol 0.1)",
        "arg-max agreement 75.0000% is below 80.0000%"]
    payload = json.loads(verify.report_json(comparison, 0.1, 80.0))
    assert payload["argmax_agreement"] == 0.75 and len(payload["failures"]) == 2


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("verify")
    paths = {}
    for name, seed in (("a", 0), ("same", 0), ("other", 1)):
        paths[name] = str(folder / (name + ".onnx"))
        zoo.save(zoo.create("segnet-basic", input_size=(36, 52), seed=seed), paths[name])
    return paths


def test_cli_verify_passes_equal_models_and_fails_different_ones(models, tmp_path):
    runner = CliRunner()
    report = str(tmp_path / "report.json")
    same = runner.invoke(app, ["verify", models["a"], models["same"], "--synthetic", "2",
                               "--json", report])
    assert same.exit_code == 0, same.output
    assert "arg-max agreement: 100.0000%" in same.output
    assert json.load(open(report))["failures"] == []
    other = runner.invoke(app, ["verify", models["a"], models["other"], "--synthetic", "2"])
    assert other.exit_code == 1
    assert "error: models differ: logits differ by up to" in other.output


def test_images_from_a_folder(models, tmp_path):
    import cv2

    for index in range(2):
        cv2.imwrite(str(tmp_path / "f{}.png".format(index)), np.full((20, 30, 3), 60 * index,
                                                                     np.uint8))
    frames = list(image_frames(str(tmp_path)))
    assert len(frames) == 2
    comparison = verify.compare(models["a"], models["same"], frames)
    assert comparison.frames == 2 and comparison.max_abs == 0.0
    with pytest.raises(DataError, match="no images found"):
        list(image_frames(str(tmp_path / "none")))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="cannot read image"):
        list(image_frames(str(tmp_path / "broken.png")))


def test_models_of_different_sizes_are_refused(models, tmp_path):
    bigger = str(tmp_path / "big.onnx")
    zoo.save(zoo.create("segnet-basic", input_size=(64, 64)), bigger)
    with pytest.raises(UsageError, match="takes 36x52 and .* takes 64x64"):
        verify.compare(models["a"], bigger, synthetic_frames(1))
    with pytest.raises(UsageError, match="--synthetic must be at least 1"):
        list(synthetic_frames(0))


def _strict_json(text):
    """JSON as the standard has it: NaN and Infinity are not numbers there."""
    def refuse(constant):
        raise AssertionError("invalid JSON constant {}".format(constant))
    return json.loads(text, parse_constant=refuse)


def test_nan_and_inf_logits_fail_whatever_the_tolerances_and_the_json_stays_valid():
    comparison = verify.Comparison(["a", "b"], models=("a.onnx", "b.onnx"))
    labels = np.zeros((1, 3), np.int64)
    logits_a = np.zeros((1, 2, 1, 3), np.float32)
    logits_b = logits_a.copy()
    logits_b[0, 0, 0, 0] = np.nan
    logits_b[0, 1, 0, 2] = np.inf
    comparison.add(labels, labels, logits_a, logits_b)
    # The finite values agree exactly; the two others must not pass because NaN > atol is false.
    assert comparison.max_abs == 0.0
    assert comparison.failures(atol=1e-5, min_agreement=100.0) == [
        "b.onnx outputs 2 non-finite logits (NaN or inf) in 1 of 1 frame"]
    text = verify.report_json(comparison, 1e-5, 100.0)
    payload = _strict_json(text)
    assert payload["nonfinite_logits"] == {"a": 0, "b": 2} and len(payload["failures"]) == 1
    assert "non-finite logits: b.onnx outputs 2" in comparison.format_text()


def test_only_non_finite_logits_leave_nothing_to_compare_and_json_uses_null():
    comparison = verify.Comparison(["a"], models=("a.onnx", "b.onnx"))
    nan = np.full((1, 1, 2, 2), np.nan, np.float32)
    comparison.add(np.zeros((2, 2), np.int64), np.zeros((2, 2), np.int64), nan, nan)
    payload = _strict_json(verify.report_json(comparison, 0.0, 0.0))
    assert payload["logits_max_abs_diff"] is None
    assert [failure.split(" outputs")[0] for failure in payload["failures"]] == ["a.onnx",
                                                                               "b.onnx"]


def _nan_model(path):
    from edge_segnet.models.weights import HeInitWeights

    init = HeInitWeights(0)
    arrays = {name: init.get(name, shape) for name, shape in zoo.expected_weights("segnet-basic")}
    arrays["classifier.weight"][3] = np.nan
    weights = path + ".npz"
    np.savez(weights, **arrays)
    zoo.save(zoo.create("segnet-basic", input_size=(36, 52), weights_path=weights), path)
    return path


def test_cli_verify_fails_a_model_that_outputs_nan(models, tmp_path):
    nan_model = _nan_model(str(tmp_path / "nan.onnx"))
    report = str(tmp_path / "report.json")
    result = CliRunner().invoke(app, ["verify", models["a"], nan_model, "--synthetic", "1",
                                      "--json", report])
    assert result.exit_code == 1, result.output
    assert "error: models differ: {} outputs 1872 non-finite logits".format(nan_model) in \
        result.output  # 36 x 52 pixels of class 3
    assert "models agree" not in result.output
    payload = _strict_json(open(report).read())
    assert payload["nonfinite_logits"]["b"] == 36 * 52


@pytest.mark.parametrize("atol, min_agreement, text", [
    (float("nan"), 100.0, "--atol must be a finite number >= 0, e.g. 1e-5; got nan"),
    (-1.0, 100.0, "--atol must be a finite number >= 0, e.g. 1e-5; got -1.0"),
    (float("inf"), 100.0, "--atol must be a finite number >= 0"),
    (1e-5, -5.0, "--min-agreement must be a percentage from 0 to 100; got -5.0"),
    (1e-5, 150.0, "--min-agreement must be a percentage from 0 to 100; got 150.0"),
    (1e-5, float("nan"), "--min-agreement must be a percentage from 0 to 100; got nan"),
])
def test_tolerances_must_be_finite_and_in_range(atol, min_agreement, text):
    with pytest.raises(UsageError) as info:
        verify.check_tolerances(atol, min_agreement)
    assert str(info.value).startswith(text)
    with pytest.raises(UsageError):
        verify.Comparison(["a"]).failures(atol, min_agreement)
    verify.check_tolerances(0.0, 0.0)
    verify.check_tolerances(1.0, 100.0)


@pytest.mark.parametrize("args, text", [
    (["--atol", "nan"], "error: --atol must be a finite number >= 0"),
    (["--atol", "-1"], "error: --atol must be a finite number >= 0"),
    (["--min-agreement", "-5"], "error: --min-agreement must be a percentage from 0 to 100"),
    (["--min-agreement", "150"], "error: --min-agreement must be a percentage from 0 to 100"),
])
def test_cli_verify_refuses_bad_tolerances_with_exit_2(models, args, text):
    result = CliRunner().invoke(app, ["verify", models["a"], models["same"], "--synthetic", "1"]
                                + args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    # (one line once cli.py checks the tolerances before comparing: see verify.check_tolerances)
    assert lines[-1].startswith(text) and "models agree" not in result.output
    assert [line for line in lines if line.startswith("error:")] == [lines[-1]]


def test_a_labels_only_model_is_not_said_to_agree_within_atol(models, tmp_path):
    from edge_segnet import prepare

    labels_only = str(tmp_path / "argmax.onnx")
    prepare.prepare_file(models["a"], labels_only, prepare.PrepareOptions(
        input_size=(36, 52), unpool_form="native", argmax=True))
    comparison = verify.compare(models["a"], labels_only, synthetic_frames(1))
    assert not comparison.logits_compared and comparison.failures(1e-5, 100.0) == []
    text = comparison.format_text()
    assert "logits: not compared ({} outputs labels only; prepare it with --keep-logits; "\
        "--atol not checked)".format(labels_only) in text
    passed = comparison.passed_text(1e-5, 100.0)
    assert "atol" not in passed and passed.startswith("models agree within 100% arg-max "
                                                      "agreement (logits not compared")
    assert verify.Comparison(["a"]).passed_text(1e-5, 99.0).startswith("models agree within")


def test_a_fifo_among_the_images_is_refused_without_opening_it(tmp_path, fifo):
    fifo(tmp_path / "frame.png")
    with pytest.raises(DataError, match="image .*frame.png is not a regular file: it is a FIFO"):
        list(image_frames(str(tmp_path)))


def test_synthetic_frame_counts_beyond_the_bound_are_refused():
    with pytest.raises(UsageError, match="--synthetic must be at most 10000; got 100000 "
                                         "\\(give --images for more frames\\)"):
        next(synthetic_frames(100000))
    assert len(list(synthetic_frames(2, size=(8, 8)))) == 2
