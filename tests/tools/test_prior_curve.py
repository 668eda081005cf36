"""tools/prior_curve.py: the shipped CamVid model rescored under other prior corrections scores,
at the TAU it was shipped with, exactly what eval scores, and moves its bias as
ship_camvid_model.py would have."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from edge_segnet.eval import evaluate as evaluate_module
from edge_segnet.models import metadata, shipped, zoo
from tests import tool_scripts


@pytest.fixture(scope="module")
def prior_curve():
    sys.path.insert(0, tool_scripts.TOOLS)  # its `import tool_main`, as when run as a script
    try:
        yield tool_scripts.load("prior_curve")
    finally:
        sys.path.remove(tool_scripts.TOOLS)


def _card(path):
    return metadata.ModelInfo.from_model(zoo.load(path)).extra["model_card"]


def test_the_offset_per_unit_of_tau_is_the_bias_the_model_was_shipped_with(prior_curve):
    path = shipped.model_path("segnet-basic-camvid")
    tau, direction, names = prior_curve.shipped_correction(path)
    correction = _card(path)["prior_correction"]
    assert tau == correction["tau"] > 0
    void = names.index("void")
    bias = np.asarray(correction["classifier_bias"])
    assert direction[void] == 0  # void's own large negative bias is never moved
    assert np.allclose(np.delete(tau * direction, void), np.delete(bias, void), atol=1e-3)


def test_at_the_shipped_tau_it_counts_what_eval_counts(prior_curve, camvid_mini):
    path = shipped.model_path("segnet-basic-camvid")
    selection = {"split": "test", "sequences": ("+", ["0001TP"])}
    tau, matrices, frames = prior_curve.curve(path, camvid_mini, [0.0, 0.4], threads=1,
                                              **selection)
    report = evaluate_module.evaluate([path], camvid_mini, threads=1, progress=False,
                                      **selection)
    assert frames == report.frames > 0
    assert np.array_equal(matrices[tau].counts, report.results[0].matrix.counts)
    # A smaller TAU trades frequent classes for rare ones: fewer pixels predicted as road,
    # sky or building.
    frequent = [0, 1, 3]
    assert matrices[0.0].counts[:, frequent].sum() < matrices[tau].counts[:, frequent].sum()


def test_the_command_prints_and_writes_the_curve(camvid_mini, tmp_path):
    out = tmp_path / "curve.json"
    result = subprocess.run(
        [sys.executable, os.path.join(tool_scripts.TOOLS, "prior_curve.py"),
         "segnet-basic-camvid", "--data", camvid_mini, "--sequence", "0001TP", "--taus=0.4,0",
         "--threads", "1", "--json", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "shipped with TAU 0.4" in lines[0]
    assert lines[1].startswith("TAU  0.00: global") and lines[2].endswith("(shipped)")
    document = json.loads(out.read_text())
    assert [row["tau"] for row in document["curve"]] == [0.0, 0.4]
    assert document["sequences"] == ["0001TP"] and document["frames"] > 0


@pytest.mark.parametrize("args, code, words", [
    (["segnet-basic-synthetic", "--data", "{data}", "--taus", "0"], 1,
     "records no prior correction"),
    (["segnet-basic-camvid", "--data", "{data}", "--taus", "x"], 2,
     "argument --taus: 'x' is not a comma-separated list of numbers"),
    (["segnet-basic-camvid", "--data", "{data}", "--taus", "0", "--json", "{data}/c.json"], 2,
     "is inside the dataset --data"),
    (["segnet-basic-camvid", "--data", "{missing}", "--taus", "0"], 1,
     "dataset folder not found"),
])
def test_bad_input_gets_one_line(args, code, words, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    paths = {"data": str(data), "missing": str(tmp_path / "missing")}
    result = subprocess.run(
        [sys.executable, os.path.join(tool_scripts.TOOLS, "prior_curve.py")] +
        [arg.format(**paths) for arg in args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert lines[0].startswith("prior_curve.py: error: ")
    assert os.listdir(str(data)) == []


def test_a_card_whose_frequencies_do_not_fit_the_classes_is_refused(prior_curve, tmp_path):
    model = zoo.load(shipped.model_path("segnet-basic-camvid"))
    card = metadata.ModelInfo.from_model(model).extra["model_card"]
    card["prior_correction"]["train_frequencies"] = [0.5, 0.5]
    metadata.set_props(model, {metadata.PREFIX + "model_card": json.dumps(card)})
    path = str(tmp_path / "edited.onnx")
    zoo.save(model, path)
    with pytest.raises(prior_curve.ModelError, match="holds 2 training frequencies for its 12"):
        prior_curve.shipped_correction(path)
