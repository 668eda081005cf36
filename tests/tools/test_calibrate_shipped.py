"""tools/calibrate_shipped.py: calibration/'s set for a shipped model is replaced whole or not
at all, and bad places and counts are refused in one line before any work."""

import os

import pytest

from edge_segnet.data import camvid
from edge_segnet.errors import DataError
from edge_segnet.quant import calibrate
from tests import tool_scripts
from tests.quant.conftest import quantizes_from_given_ranges

SET = ["images.txt", "segnet-basic-synthetic.int8.onnx", "segnet-basic-synthetic.trt8.2.calib",
       "segnet-basic-synthetic.trt8.5-10.calib", "summary.json"]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("calibrate-shipped") / "synth")
    camvid.make_synthetic(root, 6, seed=2)
    return root


def _files(folder):
    return {name: open(os.path.join(folder, name), "rb").read()
            for name in sorted(os.listdir(folder))}


def _run(scenes, out, *extra):
    return tool_scripts.load("calibrate_shipped").main([
        "--camvid", "unused", "--synthetic-data", scenes, "--only", "synthetic", "--count",
        "2", "-o", out] + list(extra))


def test_the_set_is_made_whole_and_a_failed_remake_leaves_the_old_one(
        scenes, tmp_path, monkeypatch, capsys):
    out = str(tmp_path / "calibration")
    if not quantizes_from_given_ranges():
        # JetPack 4.6's onnxruntime 1.10: calibrate refuses in one line, and nothing is left.
        assert _run(scenes, out) == 3
        assert "calibrate needs a newer onnxruntime" in capsys.readouterr().err
        assert not os.path.exists(out)
        return
    assert _run(scenes, out) == 0
    assert os.listdir(out) == ["segnet-basic-synthetic"]  # no staging folder left
    folder = os.path.join(out, "segnet-basic-synthetic")
    made = _files(folder)
    assert sorted(made) == SET
    assert made["images.txt"].count(b"\n") == 2

    real, calls = calibrate.calibrate, []

    def second_pass_fails(*args, **kwargs):  # after the Q/DQ model and the 8.2 cache
        calls.append(1)
        if len(calls) == 2:
            raise DataError("the disk went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(calibrate, "calibrate", second_pass_fails)
    assert _run(scenes, out, "--count", "3") == 1
    assert "calibrate_shipped: error: the disk went away" in capsys.readouterr().err
    assert _files(folder) == made and os.listdir(out) == ["segnet-basic-synthetic"]


def test_bad_places_and_counts_are_refused_before_any_work(scenes, tmp_path, capsys):
    inside = os.path.join(scenes, "calibration")
    assert _run(scenes, inside) == 2
    assert "-o {} is inside the dataset --synthetic-data".format(inside) in \
        capsys.readouterr().err
    assert not os.path.exists(inside)
    out = str(tmp_path / "new")
    assert _run(str(tmp_path / "missing"), out) == 1
    assert "dataset folder not found" in capsys.readouterr().err
    assert not os.path.exists(out)
    with pytest.raises(SystemExit):
        _run(scenes, out, "--count", "0")
    assert "--count must be at least 1" in capsys.readouterr().err
