"""Resuming: checkpoints of the first loop's format, resumed runs equal to uninterrupted ones,
signals that stop a run without harming its checkpoint."""

import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet import fileio
from edge_segnet.models.torch_segnet import torch
from edge_segnet.train.data import SegmentationData
from edge_segnet.train.loop import TrainConfig, TrainingInterrupted, train

from . import legacy
from .conftest import tiny

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "train_segnet.py")


def _same_weights(first, second):
    assert list(first) == list(second)
    for name in first:
        assert torch.equal(first[name], second[name]), name


def test_a_checkpoint_of_the_first_format_resumes(synthetic, tmp_path, logged):
    path = str(tmp_path / "legacy.ckpt")
    steps_per_epoch = legacy.write_checkpoint(path, synthetic, epochs_run=1, epochs=3, lr=2e-3)
    written = torch.load(path)
    logs = logged  # the package's log lines
    _, history = train(TrainConfig(**tiny(synthetic, epochs=3, lr=2e-3, checkpoint=path)))
    assert "resumed {} at epoch 1".format(path) in logs
    assert not any("schedule" in line for line in logs)  # same steps per epoch: state kept
    assert history[0] == written["history"][0]
    assert [entry["epoch"] for entry in history] == [1, 2, 3]
    state = torch.load(path)
    assert set(state) == set(written)
    assert list(state["model"]) == list(written["model"])
    # The optimizer and the schedule went on from the saved step, not from zero.
    steps = 3 * steps_per_epoch
    assert state["scheduler"]["last_epoch"] == steps
    assert {int(moments["step"]) for moments in state["optimizer"]["state"].values()} == {steps}
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(
        2e-3 * legacy._warmup_cosine(steps)(steps))
    # And the first loop reads today's checkpoints: a rollback keeps them.
    _, _, scheduler, old_history, epoch = legacy.resume(path, synthetic, epochs=3)
    assert (epoch, scheduler.last_epoch, len(old_history)) == (3, steps, 3)


def test_a_resumed_run_equals_an_uninterrupted_one(synthetic, tmp_path):
    straight_path, split_path = str(tmp_path / "straight.ckpt"), str(tmp_path / "split.ckpt")
    _, straight = train(TrainConfig(**tiny(synthetic, epochs=2, checkpoint=straight_path)))
    # Stopped after epoch 1 of 2 (as a killed run's checkpoint is), then resumed.
    _, first = train(TrainConfig(**tiny(synthetic, epochs=2, max_steps=4,
                                        checkpoint=split_path)))
    assert [entry["epoch"] for entry in first] == [1]
    _, resumed = train(TrainConfig(**tiny(synthetic, epochs=2, checkpoint=split_path)))
    # Same batches, crops and schedule: the very same weights, optimizer state and losses.
    a, b = torch.load(straight_path), torch.load(split_path)
    _same_weights(a["model"], b["model"])
    assert a["scheduler"]["last_epoch"] == b["scheduler"]["last_epoch"] == 8
    for key, moments in a["optimizer"]["state"].items():
        assert torch.equal(moments["exp_avg_sq"], b["optimizer"]["state"][key]["exp_avg_sq"])
    assert [e["loss"] for e in straight] == [e["loss"] for e in resumed]


def test_another_batch_size_realigns_the_schedule(synthetic, tmp_path, logged):
    path = str(tmp_path / "c.ckpt")
    train(TrainConfig(**tiny(synthetic, epochs=2, max_steps=4, checkpoint=path)))
    logs = logged  # the package's log lines
    train(TrainConfig(**tiny(synthetic, epochs=2, batch_size=4, checkpoint=path)))
    # 2 steps per epoch now: epoch 1 ends at step 2 of 4, not at step 4 (the end).
    assert "batches per epoch changed: learning-rate schedule set to step 2" in logs
    assert torch.load(path)["scheduler"]["last_epoch"] == 4


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_epoch_stops_after_the_step_and_keeps_the_checkpoint(
        synthetic, tmp_path, monkeypatch, signum):
    path = str(tmp_path / "c.ckpt")
    loaded = {"count": 0}
    real_getitem = SegmentationData.__getitem__

    def getitem(self, index):
        if self.augment:
            loaded["count"] += 1
            if loaded["count"] == 8 + 3:  # the 3rd training image of epoch 2
                os.kill(os.getpid(), signum)
        return real_getitem(self, index)

    monkeypatch.setattr(SegmentationData, "__getitem__", getitem)
    previous = signal.getsignal(signum)
    with pytest.raises(TrainingInterrupted) as stopped:
        train(TrainConfig(**tiny(synthetic, epochs=5, checkpoint=path)))
    assert (stopped.value.signum, stopped.value.epoch) == (signum, 1)
    assert loaded["count"] == 8 + 4  # the step under way was finished, no further one begun
    assert signal.getsignal(signum) is previous
    state = torch.load(path)
    assert state["epoch"] == 1 and len(state["history"]) == 1
    assert os.listdir(str(tmp_path)) == ["c.ckpt"]  # no temporary file left behind
    monkeypatch.undo()
    _, history = train(TrainConfig(**tiny(synthetic, epochs=2, checkpoint=path)))
    assert [entry["epoch"] for entry in history] == [1, 2]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_checkpoint_file_is_made_stops_after_it_is_written(
        synthetic, tmp_path, monkeypatch, signum):
    # The window in which the temporary file is created defers signals; what it deferred goes
    # to the loop's handler, which lets the checkpoint finish (CI met a SIGTERM there once).
    path = str(tmp_path / "c.ckpt")
    real_mkstemp, made = tempfile.mkstemp, []

    def mkstemp(*args, **kwargs):
        made.append(kwargs.get("dir"))
        if len(made) == 2:  # the first is the up-front probe; the second, epoch 1's file
            os.kill(os.getpid(), signum)
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(fileio.tempfile, "mkstemp", mkstemp)
    with pytest.raises(TrainingInterrupted) as stopped:
        train(TrainConfig(**tiny(synthetic, epochs=5, checkpoint=path)))
    monkeypatch.undo()
    assert (stopped.value.signum, stopped.value.epoch) == (signum, 1)
    state = torch.load(path)
    assert state["epoch"] == 1 and len(state["history"]) == 1
    assert os.listdir(str(tmp_path)) == ["c.ckpt"]


def test_a_signal_before_the_first_checkpoint_says_nothing_holds_the_run(
        synthetic, tmp_path, monkeypatch):
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, **kwargs):  # the up-front probe of the checkpoint path
        os.kill(os.getpid(), signal.SIGTERM)
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(fileio.tempfile, "mkstemp", mkstemp)
    with pytest.raises(TrainingInterrupted) as stopped:
        train(TrainConfig(**tiny(synthetic, epochs=5, checkpoint=str(tmp_path / "c.ckpt"))))
    assert stopped.value.epoch == 0
    assert str(stopped.value) == "stopped by SIGTERM before the first epoch ended"
    assert os.listdir(str(tmp_path)) == []


def test_the_tool_exits_cleanly_on_sigterm_whenever_it_comes(synthetic, tmp_path):
    path = str(tmp_path / "c.ckpt")
    process = subprocess.Popen(
        [sys.executable, TOOL, "--data", synthetic, "--width", "4", "--kernel", "3",
         "--input-size", "48x64", "--batch-size", "2", "--epochs", "100000", "--threads", "1",
         "--checkpoint", path, "--cache-dir", str(tmp_path / "cache")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    try:
        deadline = time.time() + 90
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # some epochs later: mid-step, mid-validation or mid-write
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, err
    state = torch.load(path)
    assert 1 <= state["epoch"] < 100000 and len(state["history"]) == state["epoch"]
    assert "stopped by SIGTERM after epoch {}; {} holds it; run the same command to " \
        "resume".format(state["epoch"], path) in err
    assert sorted(os.listdir(str(tmp_path))) == ["c.ckpt", "cache"]

