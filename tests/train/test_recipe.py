"""A checkpoint is resumed only with the recipe it was trained with: what differs is named in one
line, and what is not the recipe (epochs, batch size, threads, how the width is spelt) may
change."""

import os

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet.errors import UsageError
from edge_segnet.models.torch_segnet import torch
from edge_segnet.train import recipe
from edge_segnet.train.loop import TrainConfig, train
from tests import tool_scripts

from . import legacy
from .conftest import SIZE, tiny


def _config(**overrides):
    return TrainConfig(**dict(dict(data="CamVid", width=64), **overrides)).to_json()


def test_what_is_not_the_recipe_may_change():
    saved = _config(epochs=30, batch_size=8, threads=2, device="cpu", data="/tmp/CamVid",
                    cache_dir="a", checkpoint="x.ckpt", export=None, val_split="val")
    resumed = _config(epochs=120, batch_size=4, threads=1, device="cuda", data="/data/CamVid",
                      cache_dir=None, checkpoint="y.ckpt", export="m.onnx", val_split="test",
                      width=None, holdout_sequences=())
    # No --width is SegNet-Basic's own 64; the order of held-out sequences is no recipe.
    assert recipe.differences(saved, resumed) == []
    assert recipe.differences(_config(holdout_sequences=("b", "a")),
                              _config(holdout_sequences=["a", "b"])) == []


def test_every_recipe_setting_that_differs_is_named_with_its_flag():
    saved = _config(lr=2e-3, weighting="median", photometric=True, dropout=0.0,
                    input_size=(128, 256), train_split="train+val")
    now = _config(lr=1e-3, weighting="sqrt-median", photometric=False, dropout=0.5,
                  input_size=(64, 128), train_split="train+val", holdout_sequences=("0006R0",),
                  width=32, seed=1, weight_decay=0.0)
    assert [flag for flag, _, _ in recipe.differences(saved, now)] == [
        "--width", "--input-size", "--lr", "--weight-decay", "--weighting", "--seed",
        "--holdout-sequence", "--photometric", "--dropout"]
    with pytest.raises(UsageError) as refused:
        recipe.refuse_changes(saved, now, "c.ckpt", "give another --checkpoint")
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(
        "c.ckpt was trained with --width 64, --input-size 128x256, --lr 0.002, "
        "--weight-decay 0.0001, --weighting median, --seed 0, no --holdout-sequence, "
        "--photometric, --dropout 0.0; this run asks for --width 32, --input-size 64x128, "
        "--lr 0.001, --weight-decay 0.0, --weighting sqrt-median, --seed 1, "
        "--holdout-sequence 0006R0, no --photometric, --dropout 0.5 (resume it with the "
        "settings it was trained with, or give another --checkpoint)")


def test_zoom_out_is_recipe_and_a_checkpoint_from_before_it_had_none():
    before = _config()
    del before["zoom_out"]  # checkpoints written before the flag existed
    assert recipe.differences(before, _config(zoom_out=False)) == []
    assert recipe.differences(before, _config(zoom_out=True)) == [("--zoom-out", False, True)]
    with pytest.raises(UsageError, match=r"trained with no --zoom-out; this run asks for "
                                         r"--zoom-out \("):
        recipe.refuse_changes(before, _config(zoom_out=True), "c.ckpt", "start another")


def test_a_first_format_checkpoint_has_the_recipe_of_its_day(synthetic, tmp_path):
    # It records neither splits, augmentation nor dropout: it was trained on "train", without
    # photometric jitter or dropout, and resumes as such and only as such.
    path = str(tmp_path / "old.ckpt")
    legacy.write_checkpoint(path, synthetic, epochs_run=1, epochs=2)
    with pytest.raises(UsageError, match="was trained with no --photometric; this run asks "
                                         "for --photometric"):
        train(TrainConfig(**tiny(synthetic, epochs=2, checkpoint=path, photometric=True)))
    _, history = train(TrainConfig(**tiny(synthetic, epochs=2, checkpoint=path)))
    assert [entry["epoch"] for entry in history] == [1, 2]


def test_the_tool_refuses_another_recipe_in_one_line_and_leaves_the_checkpoint(
        synthetic, tmp_path, capsys):
    path = str(tmp_path / "c.ckpt")
    train(TrainConfig(**tiny(synthetic, epochs=1, checkpoint=path)))
    before = open(path, "rb").read()
    capsys.readouterr()  # the run above logs where another test left a handler on stderr
    tool = tool_scripts.load("train_segnet")
    code = tool.main(["--data", synthetic, "--width", "4", "--kernel", "3", "--input-size",
                      "{}x{}".format(*SIZE), "--batch-size", "2", "--threads", "1",
                      "--epochs", "2", "--checkpoint", path, "--weighting", "none",
                      "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("train_segnet: error: {} was trained with --weighting median; this "
                          "run asks for --weighting none (".format(path))
    assert open(path, "rb").read() == before
    assert torch.load(path)["epoch"] == 1
    assert os.listdir(str(tmp_path)) == ["c.ckpt"]
