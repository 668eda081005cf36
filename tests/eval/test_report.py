"""The eval report: confusion matrices in the JSON, the plot, full class names, rows named by
file, and the SegNet paper's row beside ours."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from edge_segnet import optional
from edge_segnet.cli import app
from edge_segnet.data import camvid, datasets
from edge_segnet.errors import UsageError
from edge_segnet.eval import evaluate as evaluate_module, paper, plot as plot_module
from edge_segnet.models import labels as labels_module
from tests.eval.test_evaluate import _OracleSegmenter
from tests.test_cli import assert_one_line_error

ROAD, CAR, VOID = 3, 8, 11


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("report") / "synthetic"
    camvid.make_synthetic(str(root), 6, size=(48, 64), seed=2)
    return str(root)


@pytest.fixture
def fake_models(dataset, monkeypatch):
    """Model paths -> oracle segmenters (a perfect one; one that calls every road a car);
    records which models were opened."""
    opened = []

    def open_segmenter(model, threads=None, backend="auto"):
        opened.append(model)
        return _OracleSegmenter(dataset, mistake=(ROAD, CAR) if "road-as-car" in model else None)

    monkeypatch.setattr(evaluate_module, "open_segmenter", open_segmenter)
    return opened


def road_pixels(dataset):
    return sum(int((datasets.read_labels(s.label_path) == ROAD).sum())
               for s in datasets.list_samples(dataset, "test"))


def test_the_json_holds_each_models_confusion_matrix(dataset, fake_models):
    report = evaluate_module.evaluate(["runs/oracle.onnx", "runs/road-as-car.onnx"], dataset,
                                      progress=False)
    perfect, confused = (model["confusion_matrix"] for model in report.to_json()["models"])
    names = list(labels_module.camvid().names)
    assert confused["classes"] == names and confused["ignored"] == "void"
    assert confused["rows"] == "ground truth" and confused["columns"] == "prediction"
    counts = np.array(confused["counts"])
    assert counts.shape == (12, 12)
    assert counts[ROAD, CAR] == road_pixels(dataset) and counts[ROAD, ROAD] == 0
    assert counts[VOID].sum() == 0  # void pixels are not counted
    assert counts.sum() == report.results[1].matrix.pixels
    diagonal = np.array(perfect["counts"])
    assert np.trace(diagonal) == diagonal.sum()
    json.dumps(report.to_json())  # plain JSON types throughout


def test_class_names_are_not_cut_and_columns_line_up(dataset, fake_models):
    text = evaluate_module.evaluate(["oracle"], dataset, progress=False).format_text()
    header = text.splitlines()[1]
    for name in ("pedestrian", "bicyclist", "building", "pavement"):
        assert " " + name in header
    table = text.split("\n\n")[0].splitlines()[1:]
    assert len(set(len(line) for line in table)) == 1


def test_rows_are_labelled_by_file_name_and_told_apart_by_folder(dataset, fake_models):
    models = ["/work/a/segnet.onnx", "/work/b/segnet.onnx", "/work/c/road-as-car.onnx"]
    report = evaluate_module.evaluate(models, dataset, progress=False)
    assert [r.label for r in report.results] == ["a/segnet.onnx", "b/segnet.onnx",
                                                 "road-as-car.onnx"]
    rows = report.format_text().splitlines()[2:5]
    assert [row.split()[0] for row in rows] == ["a/segnet.onnx", "b/segnet.onnx",
                                                "road-as-car.onnx"]
    assert report.to_json()["models"][0]["model"] == "/work/a/segnet.onnx"  # full path kept
    assert evaluate_module.model_labels(["x/m/model.onnx", "y/m/model.onnx"]) == [
        "x/m/model.onnx", "y/m/model.onnx"]
    assert evaluate_module.model_labels(["m.onnx", "./m.onnx"]) == ["m.onnx (1)", "m.onnx (2)"]
    assert evaluate_module.model_labels(["engines/m.engine"]) == ["m.engine"]


def test_the_papers_row_beside_ours(dataset, fake_models):
    report = evaluate_module.evaluate(["oracle.onnx"], dataset, progress=False,
                                      reference="paper")
    lines = report.format_text().splitlines()
    header, ours, theirs = lines[1], lines[2], lines[3]
    assert ours.startswith("oracle.onnx") and theirs.startswith("SegNet paper*")
    cells = dict(zip(header.split()[1:], theirs.split()[2:]))  # "SegNet paper*" is two words
    assert cells["sky"] == "91.2" and cells["pole"] == "44.8" and cells["bicyclist"] == "16.0"
    assert cells["global"] == "84.3" and cells["class"] == "62.9" and cells["mIoU"] == "-"
    iou_table = report.format_text().split("class IoU (%)")[1].split("\n\n")[0]
    assert "SegNet paper" not in iou_table  # the paper gives no IoU for this row
    assert any(line.startswith("* the paper's figures, not measured here") and "360x480" in line
               for line in lines)
    published = report.to_json()["reference"]
    assert published["global_accuracy"] == pytest.approx(0.843)
    assert published["class_accuracy"]["road"] == pytest.approx(0.933)
    assert published["mean_iou"] is None


def test_the_papers_figures_hang_together():
    figures = paper.SEGNET_4_LAYER
    assert set(figures["class_accuracy"]) == set(labels_module.camvid().names[:11])
    mean = sum(figures["class_accuracy"].values()) / 11
    assert abs(mean - figures["class_average_accuracy"]) < 0.15  # rounding of printed figures
    with pytest.raises(UsageError, match="--reference must be one of paper"):
        paper.load("cvpr")


def test_the_paper_row_needs_camvid_classes(dataset, monkeypatch):
    class _Other(_OracleSegmenter):
        def __init__(self, root):
            super(_Other, self).__init__(root)
            self.info = type("Info", (), {"labels": labels_module.LabelSet(
                ["grass", "water", "void"], [[0, 0, 0]] * 3)})()

    monkeypatch.setattr(evaluate_module, "open_segmenter",
                        lambda model, threads=None, backend="auto": _Other(dataset))
    with pytest.raises(UsageError, match="the paper's figures are for CamVid's classes"):
        evaluate_module.evaluate(["lake.onnx"], dataset, progress=False, reference="paper")


def test_cli_reference_and_json(dataset, fake_models, tmp_path):
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", "m/oracle.onnx", "--data", dataset, "--json",
                                      str(out), "--reference", "paper"])
    assert result.exit_code == 0, result.output
    assert "SegNet paper*" in result.output and "wrote {}".format(out) in result.output
    payload = json.loads(out.read_text())
    assert payload["models"][0]["label"] == "oracle.onnx"
    assert len(payload["models"][0]["confusion_matrix"]["counts"]) == 12
    assert payload["reference"]["name"] == "SegNet paper"
    fake_models[:] = []
    bad = CliRunner().invoke(app, ["eval", "oracle.onnx", "--data", dataset, "--reference",
                                   "arxiv"])
    assert_one_line_error(bad, 2, "--reference must be one of paper")
    assert fake_models == []  # refused before any model was opened


def test_row_normalised_confusion(dataset, fake_models):
    report = evaluate_module.evaluate(["road-as-car"], dataset, progress=False)
    rows, columns, fractions = plot_module.normalised_rows(report.results[0])
    assert "void" not in rows and columns[-1] == "void" and fractions.shape == (11, 12)
    present = ~np.isnan(fractions).any(axis=1)
    assert np.allclose(fractions[present].sum(axis=1), 1.0)
    assert fractions[rows.index("road"), columns.index("car")] == 1.0


@pytest.mark.skipif(optional.try_import("matplotlib") is None,
                    reason="matplotlib is not installed here (the dev extra brings it on "
                           "Python 3.9 and newer)")
def test_plot_is_a_png_with_one_panel_per_model(dataset, fake_models, tmp_path):
    png = tmp_path / "confusion.png"
    result = CliRunner().invoke(app, ["eval", "oracle", "road-as-car", "--data", dataset,
                                      "--plot", str(png)])
    assert result.exit_code == 0, result.output
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = np.frombuffer(data[16:24], dtype=">u4")
    assert width > 1.5 * height  # two panels side by side


def test_plot_without_matplotlib_fails_before_evaluating(dataset, fake_models, tmp_path,
                                                         without_modules):
    without_modules("matplotlib")
    result = CliRunner().invoke(app, ["eval", "oracle", "--data", dataset, "--plot",
                                      str(tmp_path / "c.png")])
    assert_one_line_error(result, 3, "--plot needs the Python package 'matplotlib'")
    assert fake_models == []


def test_unwritable_outputs_fail_before_evaluating(dataset, fake_models, unwritable_dir):
    for option in ("--plot", "--json"):
        result = CliRunner().invoke(app, ["eval", "oracle", "--data", dataset, option,
                                          unwritable_dir + "/out"])
        assert_one_line_error(result, 1, "cannot write")
    assert fake_models == []
