"""tools/camvid_table.py: the README's CamVid table from eval's JSON, the published rows beside
it, and each precision against FP32 with issue 25's tolerance."""

import json

import pytest

from tests import tool_scripts

CLASSES = ("sky", "building", "pole", "road", "pavement", "tree", "sign", "fence", "car",
           "pedestrian", "bicyclist")


def _model(label, global_accuracy, mean_iou):
    return {"label": label, "global_accuracy": global_accuracy,
            "class_average_accuracy": 0.6, "mean_iou": mean_iou,
            "class_accuracy": {name: 0.5 for name in CLASSES},
            "class_iou": {name: 0.25 for name in CLASSES},
            "sequences": {"Seq05VD": {"frames": 171, "global_accuracy": 0.8,
                                      "class_average_accuracy": 0.61, "mean_iou": 0.45}}}


@pytest.fixture(scope="module")
def tool():
    return tool_scripts.load("camvid_table")


def test_rows_per_class_per_sequence_and_the_published_ones(tool):
    lines = tool.table({"models": [_model("m.onnx", 0.81, 0.47)]}, ["FP32"])
    assert lines[0].startswith("| model | sky | building |")
    assert lines[2].startswith("| SegNet paper (per class: accuracy) | 91.2 | 75.0 |")
    assert "| SegNet TPAMI, SegNet-Basic, median-frequency weighting |" + " |" * 11 + \
        " 62.0 | 82.7 | 47.7 |" in lines
    assert "| FP32, accuracy | " + " | ".join(["50.0"] * 11) + \
        " | **60.0** | **81.0** | **47.0** |" in lines
    assert "| FP32, Seq05VD (171 frames) |" + " |" * 11 + " 61.0 | 80.0 | 45.0 |" in lines


def test_each_precision_is_held_to_the_tolerance_against_the_first_model(tool, tmp_path,
                                                                        capsys):
    report = {"models": [_model("a", 0.810, 0.470), _model("b", 0.806, 0.455),
                         _model("c", 0.800, 0.468)]}
    (tmp_path / "r.json").write_text(json.dumps(report))
    assert tool.main([str(tmp_path / "r.json"), "--names", "FP32,FP16,INT8"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert "FP16 against FP32: global accuracy -0.40 (within 0.5); mean iou -1.50 (OUTSIDE " \
           "1.0)" in printed
    assert "INT8 against FP32: global accuracy -1.00 (OUTSIDE 0.5); mean iou -0.20 (within " \
           "1.0)" in printed
    with pytest.raises(SystemExit, match="2 names for 3 models"):
        tool.main([str(tmp_path / "r.json"), "--names", "FP32,FP16"])


@pytest.mark.parametrize("content, words", [
    (None, "report not found: {path}"),
    ("fifo", "report {path} is not a regular file: it is a FIFO"),
    (b"\x00garbage", "{path} is not eval --json's report (JSONDecodeError)"),
    (b"\xff\xfe", "{path} is not eval --json's report (UnicodeDecodeError)"),
    (b"[1, 2]", "{path} is not eval --json's report: it lists no models"),
    (b'{"models": [{"label": "m"}]}', "{path} is not eval --json's report: a model lacks"),
])
def test_what_is_not_a_report_gets_one_line(tool, tmp_path, fifo, capsys, content, words):
    path = str(tmp_path / "r.json")
    if content == "fifo":
        fifo(path)
    elif content is not None:
        open(path, "wb").write(content)
    with pytest.raises(SystemExit) as stopped:
        tool.main([path])
    message = str(stopped.value.code)
    assert message.startswith("error: ") and "\n" not in message
    assert words.format(path=path) in message
    assert capsys.readouterr().out == ""
