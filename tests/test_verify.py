import json

import numpy as np
import pytest
from typer.testing import CliRunner

from edge_segnet import verify
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
    frames = list(verify.image_frames(str(tmp_path)))
    assert len(frames) == 2
    comparison = verify.compare(models["a"], models["same"], frames)
    assert comparison.frames == 2 and comparison.max_abs == 0.0
    with pytest.raises(DataError, match="no images found"):
        list(verify.image_frames(str(tmp_path / "none")))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="cannot read image"):
        list(verify.image_frames(str(tmp_path / "broken.png")))


def test_models_of_different_sizes_are_refused(models, tmp_path):
    bigger = str(tmp_path / "big.onnx")
    zoo.save(zoo.create("segnet-basic", input_size=(64, 64)), bigger)
    with pytest.raises(UsageError, match="takes 36x52 and .* takes 64x64"):
        verify.compare(models["a"], bigger, verify.synthetic_frames(1))
    with pytest.raises(UsageError, match="--synthetic must be at least 1"):
        list(verify.synthetic_frames(0))
