"""tools/train_segnet.py's defaults (what tools/bench_train.py measured best) and the benchmark
itself, on a tiny dataset."""

import os

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet.train.data import default_cache_dir
from edge_segnet.train.loop import TrainConfig
from tests import tool_scripts

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "tools")


def test_the_training_tool_defaults_to_what_measured_best():
    args = tool_scripts.load("train_segnet").parse_args(["--data", "CamVid"])
    # The decoded cache (loader 5x faster, never slower); no workers, channels_last or
    # torch.compile (no gain or slower on the CPU); one process on the CPU.
    assert args.cache_dir == default_cache_dir() and not args.no_cache
    assert (args.workers, args.channels_last, args.compile, args.device) == (0, False, False,
                                                                            "cpu")
    assert not default_cache_dir().startswith(os.path.abspath(os.path.join(TOOLS, "..")))


def test_the_regularisation_flags_default_to_the_loops_defaults_and_refuse_nonsense(capsys):
    tool = tool_scripts.load("train_segnet")
    args = tool.parse_args(["--data", "CamVid"])
    defaults = TrainConfig(data="CamVid")
    assert (args.weight_decay, args.dropout) == (defaults.weight_decay, defaults.dropout)
    for flag, value in (("--dropout", "1"), ("--dropout", "-0.1"), ("--weight-decay", "-1")):
        with pytest.raises(SystemExit) as stopped:
            tool.parse_args(["--data", "CamVid", flag, value])
        assert stopped.value.code == 2
        assert flag + " must" in capsys.readouterr().err


def test_the_benchmark_interleaves_variants_and_compares_them_with_the_baseline(
        synthetic, capsys):
    bench = tool_scripts.load("bench_train")
    common = ["--data", synthetic, "--width", "4", "--kernel", "3", "--input-size", "48x64",
              "--batch-size", "2", "--repeats", "2", "--variants", "baseline,cache"]
    assert bench.main(common + ["--steps", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 thread(s)" in out and out.count("repeat 2 ") == 2
    summary = out.split("vs baseline")[1].splitlines()
    assert summary[1].startswith("baseline") and summary[2].startswith("cache")
    assert "x (" in summary[2]
    assert bench.main(common + ["--steps", "3", "--loader-only"]) == 0
    assert "loader only" in capsys.readouterr().out


def test_training_with_a_held_out_sequence_then_shipping_chooses_tau_there(
        two_drives, tmp_path, capsys):
    import json

    import onnx

    checkpoint, shipped = str(tmp_path / "run.ckpt"), str(tmp_path / "shipped.onnx")
    assert tool_scripts.load("train_segnet").main([
        "--data", two_drives, "--width", "4", "--kernel", "3", "--input-size", "32x32",
        "--batch-size", "2", "--epochs", "1", "--threads", "1", "--no-cache",
        "--train-split", "train+val", "--holdout-sequence", "B", "--photometric",
        "--checkpoint", checkpoint]) == 0
    # Val (one frame of drive A) is also in the training split here; test: a copy of val.
    import shutil
    shutil.copytree(os.path.join(two_drives, "val"), os.path.join(two_drives, "test"))
    shutil.copytree(os.path.join(two_drives, "valannot"), os.path.join(two_drives, "testannot"))
    assert tool_scripts.load("ship_camvid_model").main([
        "--checkpoint", checkpoint, "--data", two_drives, "--choose-tau", "0,0.5",
        "--command", "train_segnet ...", "-o", shipped, "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "held-out B at tau 0.0" in out and "held-out B at tau 0.5" in out
    assert "chose tau" in out
    props = {p.key: p.value for p in onnx.load(shipped).metadata_props}
    card = json.loads(props["edge_segnet.model_card"])
    assert card["split"] == {"trained_on": "train+val without sequence B",
                             "choices_made_on": "sequence B"}
    assert card["metrics"]["held_out"]["images"] == 3
    assert card["recipe"]["label_resize"].startswith("nearest, centre-aligned")
    assert "jitter" in card["recipe"]["augmentation"]
    choice = card["prior_correction"]["choice"]
    assert choice["chosen_on"] == "B" and set(choice["candidates"]) == {"0.0", "0.5"}
    assert str(card["prior_correction"]["tau"]) in choice["candidates"]
