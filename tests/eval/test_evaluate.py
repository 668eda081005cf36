import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from edge_segnet.cli import app
from edge_segnet.data import camvid, datasets
from edge_segnet.errors import DataError, UsageError
from edge_segnet.eval import evaluate as evaluate_module
from edge_segnet.models import labels as labels_module
from edge_segnet.runtime.segmenter import Segmentation
from tests.test_cli import assert_one_line_error


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval") / "synthetic"
    camvid.make_synthetic(str(root), 6, size=(48, 64), seed=2)
    return str(root)


class _OracleSegmenter(object):
    """Stands for a perfect model: answers each frame with its ground truth, looked up by
    the frame's bytes; ``step`` 2 answers at half resolution, as a model smaller than the
    labels does."""

    def __init__(self, root, mistake=None, step=1):
        self.step = step
        self.info = type("Info", (), {"labels": labels_module.camvid()})()
        self.answers = {}
        self.mistake = mistake
        for sample in datasets.list_samples(root, "test"):
            image = datasets.read_image(sample.image_path)
            self.answers[image.tobytes()] = datasets.read_labels(sample.label_path)
        self.closed = False

    def close(self):
        self.closed = True

    def infer(self, frame, want_logits=False):
        labels = self.answers[frame.tobytes()].astype(np.int32)
        if self.mistake is not None:
            labels = np.where(labels == self.mistake[0], self.mistake[1], labels)
        return Segmentation(labels[::self.step, ::self.step])


def test_a_perfect_model_scores_100(dataset, monkeypatch):
    monkeypatch.setattr(evaluate_module, "open_segmenter",
                        lambda model, threads=None, backend="auto": _OracleSegmenter(dataset))
    report = evaluate_module.evaluate(["oracle"], dataset, progress=False)
    data = report.to_json()["models"][0]
    assert data["global_accuracy"] == data["class_average_accuracy"] == data["mean_iou"] == 1.0
    assert report.frames == len(datasets.list_samples(dataset, "test"))
    assert data["pixels"] == report.frames * 48 * 64 - sum(
        int((datasets.read_labels(s.label_path) == 11).sum())
        for s in datasets.list_samples(dataset, "test"))


def test_predictions_smaller_than_the_labels_are_scaled_up(dataset, monkeypatch):
    monkeypatch.setattr(evaluate_module, "open_segmenter",
                        lambda model, threads=None, backend="auto": _OracleSegmenter(dataset, step=2))
    data = evaluate_module.evaluate(["half"], dataset, progress=False).to_json()["models"][0]
    # Nearest-neighbour upscaling of a half-size answer loses only thin edges.
    assert 0.85 < data["global_accuracy"] < 1.0


def test_two_models_side_by_side_like_the_papers_table(dataset, monkeypatch):
    models = {"oracle": _OracleSegmenter(dataset), "road-as-car": _OracleSegmenter(
        dataset, mistake=(3, 8))}
    monkeypatch.setattr(evaluate_module, "open_segmenter",
                        lambda model, threads=None, backend="auto": models[model])
    report = evaluate_module.evaluate(["oracle", "road-as-car"], dataset, progress=False)
    first, second = (result.to_json() for result in report.results)
    assert second["class_accuracy"]["road"] == 0.0
    assert second["mean_iou"] < first["mean_iou"]
    text = report.format_text().splitlines()
    assert text[0] == "class accuracy (%)" and "mIoU" in text[1]
    assert text[2].startswith("oracle") and text[3].startswith("road-as-car")
    assert "void" not in text[1]


def test_a_real_model_through_the_cli_with_json(dataset, small_basic_model_path, tmp_path):
    out = str(tmp_path / "eval.json")
    result = CliRunner().invoke(app, ["eval", small_basic_model_path, "--data", dataset,
                                      "--json", out])
    assert result.exit_code == 0, result.output
    payload = json.load(open(out))
    assert payload["frames"] == len(datasets.list_samples(dataset, "test"))
    model = payload["models"][0]
    assert 0.0 <= model["global_accuracy"] <= 1.0 and set(model["class_iou"]) == set(
        labels_module.camvid().names[:11])


def test_labels_out_of_range_count_as_void_with_one_warning(dataset, tmp_path, monkeypatch,
                                                            logged):
    import shutil

    import cv2

    root = str(tmp_path / "copy")
    shutil.copytree(dataset, root)
    sample = datasets.list_samples(root, "test")[0]
    labels = cv2.imread(sample.label_path, cv2.IMREAD_UNCHANGED)
    labels[:5, :5] = 200
    cv2.imwrite(sample.label_path, labels)
    monkeypatch.setattr(evaluate_module, "open_segmenter",
                        lambda model, threads=None, backend="auto": _OracleSegmenter(dataset))
    report = evaluate_module.evaluate(["oracle"], root, progress=False)
    assert logged == ["{}: 25 label values out of range 0..11 counted as void".format(
        sample.label_path)]
    assert report.out_of_range == {sample.label_path: 25}
    assert "25 pixels in 1 files" in report.format_text()


def test_bad_datasets_get_one_clear_error(dataset, tmp_path, small_basic_model_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["eval", small_basic_model_path, "--data", dataset, "--split",
                                  "holdout"])
    assert missing.exit_code == 1 and "missing split folder" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
    with pytest.raises(UsageError, match="--ignore-class 'sky2' is not a class"):
        evaluate_module._ignore_index(["sky", "road"], "sky2")
    import shutil

    root = str(tmp_path / "broken")
    shutil.copytree(dataset, root)
    first = sorted(os.listdir(os.path.join(root, "test")))[0]
    with open(os.path.join(root, "test", first), "wb") as handle:
        handle.write(b"broken")
    with pytest.raises(DataError, match="cannot read image"):
        evaluate_module.evaluate([small_basic_model_path], root, progress=False)


def _copy_with_labels(dataset, root, change):
    """A copy of ``dataset`` whose test labels are ``change(labels)``."""
    import shutil

    import cv2

    shutil.copytree(dataset, root)
    for sample in datasets.list_samples(root, "test"):
        labels = cv2.imread(sample.label_path, cv2.IMREAD_UNCHANGED)
        cv2.imwrite(sample.label_path, change(labels))
    return root


def test_labels_that_are_all_void_leave_nothing_to_score_and_are_refused(
        dataset, tmp_path, small_basic_model_path):
    root = _copy_with_labels(dataset, str(tmp_path / "void"),
                             lambda labels: np.full_like(labels, 11))
    with pytest.raises(DataError, match="no labelled pixel to score: every label pixel of the "
                                        "1 image of split 'test' in .* is the ignored class "
                                        "11 \\('void'\\) or out of range 0..11"):
        evaluate_module.evaluate([small_basic_model_path], root, progress=False)
    result = CliRunner().invoke(app, ["eval", small_basic_model_path, "--data", root])
    assert_one_line_error(result, 1, "error: no labelled pixel to score:")


def test_labels_of_another_size_than_their_image_are_refused_naming_both(
        dataset, tmp_path, small_basic_model_path):
    import cv2

    root = _copy_with_labels(dataset, str(tmp_path / "small"), lambda labels: cv2.resize(
        labels, (32, 24), interpolation=cv2.INTER_NEAREST))
    sample = datasets.list_samples(root, "test")[0]
    with pytest.raises(DataError) as info:
        evaluate_module.evaluate([small_basic_model_path], root, progress=False)
    assert str(info.value).startswith(
        "label image {} has size 24x32 but its image {} has size 48x64 (HEIGHTxWIDTH)".format(
            sample.label_path, sample.image_path))


def test_an_ignore_class_id_the_model_does_not_have_is_refused_with_the_valid_range(
        dataset, small_basic_model_path):
    names = list(labels_module.camvid().names)
    with pytest.raises(UsageError) as info:
        evaluate_module._ignore_index(names, "99")
    assert str(info.value).startswith("--ignore-class 99 is not a class of the model: it has 12 "
                                      "classes (ids 0..11: sky, building, pole")
    assert evaluate_module._ignore_index(names, "11") == 11
    assert evaluate_module._ignore_index(["road"] * 19, "255", layout="cityscapes") == 255
    result = CliRunner().invoke(app, ["eval", small_basic_model_path, "--data", dataset,
                                      "--ignore-class", "99"])
    assert_one_line_error(result, 2, "--ignore-class 99 is not a class of the model")


def test_the_default_void_means_the_models_void_class_or_nothing():
    assert evaluate_module._ignore_index(list(labels_module.camvid().names), "void") == 11
    assert evaluate_module._ignore_index(["road", "Unlabelled"], "void") == 1
    assert evaluate_module._ignore_index(["road"], "void") is None
    assert evaluate_module._ignore_index(["road"], "none") is None


def test_a_one_class_model_on_twelve_class_data_is_refused_not_scored(dataset, tmp_path):
    """Most of the truth is no class of the model: a score of what is left means nothing.
    Refused in one line about the classes (not about --ignore-class void, which a 1-class
    model lacks)."""
    from edge_segnet.models import zoo
    from tests.test_cli import assert_one_line_error

    path = str(tmp_path / "one.onnx")
    zoo.save(zoo.create("segnet-basic", class_count=1, input_size=(36, 52),
                        labels=labels_module.LabelSet(["sky"], [[128, 128, 128]])), path)
    result = CliRunner().invoke(app, ["eval", path, "--data", dataset])
    assert_one_line_error(result, 1, "has 1 class (ids 0..0) but ")
    assert "of its labelled pixels are no class of the model" in result.output
    assert "ignore-class" not in result.output


def test_a_model_whose_output_is_nan_is_refused_not_scored(dataset, tmp_path):
    import onnx
    from onnx import numpy_helper

    from edge_segnet.models import zoo
    from tests.test_cli import assert_one_line_error

    model = zoo.create("segnet-basic", input_size=(36, 52))
    weight = model.graph.initializer[0]
    values = numpy_helper.to_array(weight).copy()
    values.flat[0] = np.nan
    weight.CopyFrom(numpy_helper.from_array(values, weight.name))
    path = str(tmp_path / "nan.onnx")
    onnx.save(model, path)
    # Refused before a frame runs (ONNX Runtime 1.10 was seen to crash on such a model).
    assert_one_line_error(CliRunner().invoke(app, ["eval", path, "--data", dataset]), 1,
                          "nan.onnx holds 1 NaN or infinite weight (first in ")
    assert_one_line_error(CliRunner().invoke(app, ["run", "--model", path, "--headless",
                                                   "--max-frames", "2"]), 1,
                          "nan.onnx holds 1 NaN or infinite weight")


def test_nan_logits_are_refused_where_the_weights_could_not_be_checked(small_basic_model_path):
    """An engine's weights are not readable: its output is checked on the first frame."""
    from edge_segnet.errors import ModelError
    from edge_segnet.live import loop
    from edge_segnet.live.options import RunOptions
    from edge_segnet.live.setup import build_run

    with pytest.raises(ModelError, match="outputs 3 NaN or infinite values of 6 on a.png"):
        evaluate_module.check_finite(np.array([1.0, np.nan, np.inf, -np.inf, 0.0, 2.0]),
                                     "m.engine", "a.png")
    evaluate_module.check_finite(np.zeros(3, np.float32), "m.engine", "a.png")
    evaluate_module.check_finite(None, "m.engine", "a.png")  # a label map only
    setup = build_run(RunOptions(model=small_basic_model_path, headless=True, max_frames=2))
    real = setup.segmenter.run_prepared

    def poisoned(tensor, want_logits=False):
        labels, logits = real(tensor, want_logits)
        return labels, np.full_like(logits, np.nan) if logits is not None else logits

    setup.segmenter.run_prepared = poisoned
    with pytest.raises(ModelError, match="NaN or infinite values"):
        loop.run(setup.segmenter, setup.source, setup.sinks, setup.painter, setup.options)
    setup.segmenter.close()


def test_the_report_scores_each_recording_sequence_and_says_how_predictions_were_resized(
        dataset, small_basic_model_path):
    from edge_segnet import labelmaps

    report = evaluate_module.evaluate([small_basic_model_path], dataset, progress=False)
    payload = report.to_json()
    assert payload["prediction_resize"] == labelmaps.METHOD
    sequences = payload["models"][0]["sequences"]
    # The synthetic test split is one drive: its figures are the whole split's.
    assert list(sequences) == ["seq0000"] and sequences["seq0000"]["frames"] == payload["frames"]
    assert sequences["seq0000"]["global_accuracy"] == pytest.approx(
        payload["models"][0]["global_accuracy"])


def test_a_held_out_sequence_of_joined_splits_is_scored_alone(two_drives, small_basic_model_path):
    report = evaluate_module.evaluate([small_basic_model_path], two_drives, split="train+val",
                                      sequences=("+", ["B"]), progress=False)
    assert report.frames == 3
    assert list(report.to_json()["models"][0]["sequences"]) == ["B"]


@pytest.mark.parametrize("option, inside", [
    ("--predictions", "trainannot"), ("--predictions", "val"), ("--predictions", "."),
    ("--json", "testannot/x.png"), ("--json", "report.json"), ("--plot", "train/c.png")])
def test_no_output_of_eval_lands_anywhere_inside_its_dataset(
        dataset, small_basic_model_path, option, inside):
    from tests.test_cli import assert_one_line_error

    target = os.path.normpath(os.path.join(dataset, inside))
    before = sorted(os.path.join(folder, name) for folder, _, names in os.walk(dataset)
                    for name in names)
    result = CliRunner().invoke(app, ["eval", small_basic_model_path, "--data", dataset,
                                      option, target])
    assert_one_line_error(result, 2, "error: {} {} is inside the dataset --data {}".format(
        option, target, dataset))
    after = sorted(os.path.join(folder, name) for folder, _, names in os.walk(dataset)
                   for name in names)
    assert after == before
