"""tools/train_segnet.py's defaults (what tools/bench_train.py measured best) and the benchmark
itself, on a tiny dataset."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet.models.torch_segnet import torch
from edge_segnet.train.data import default_cache_dir
from edge_segnet.train.loop import TrainConfig
from tests import tool_scripts

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "tools")
SYNTHETIC_MODEL = os.path.join(os.path.dirname(__file__), "..", "..", "edge_segnet", "models",
                               "shipped", "segnet-basic-synthetic.onnx")


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


@pytest.mark.parametrize("args, code, words", [
    (["--data", "{missing}"], 1, "bench_train.py: error: dataset folder not found: {missing}"),
    (["--input-size", "7"], 2, "bench_train.py: error: argument --input-size: the size must be "
                               "HEIGHTxWIDTH"),
    (["--steps", "0"], 2, "bench_train.py: error: argument --steps: must be at least 1")])
def test_the_benchmark_refuses_bad_input_in_one_line(tmp_path, args, code, words):
    missing = str(tmp_path / "missing")
    result = subprocess.run(
        [sys.executable, os.path.join(TOOLS, "bench_train.py")] +
        [arg.format(missing=missing) for arg in args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    assert result.returncode == code
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert words.format(missing=missing) in result.stderr


def test_training_with_a_held_out_sequence_then_shipping_chooses_tau_there(
        two_drives, tmp_path_factory, capsys):
    import json

    import onnx

    out = tmp_path_factory.mktemp("out")  # two_drives is tmp_path: nothing is written there
    checkpoint, shipped = str(out / "run.ckpt"), str(out / "shipped.onnx")
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
                             "choices_made_on": "sequence B", "val": "trained on"}
    assert card["metrics"]["held_out"]["images"] == 3
    assert card["recipe"]["label_resize"].startswith("nearest, centre-aligned")
    assert "jitter" in card["recipe"]["augmentation"]
    choice = card["prior_correction"]["choice"]
    assert choice["chosen_on"] == "B" and set(choice["candidates"]) == {"0.0", "0.5"}
    assert str(card["prior_correction"]["tau"]) in choice["candidates"]


@pytest.mark.parametrize("train_split, choices, split, val_scored", [
    ("train", None, {"trained_on": "train", "choices_made_on": "val (frames of a training "
                     "drive)"}, "val split"),
    ("train+val", "sequence 0006R0, by the run before (the same recipe without it)",
     {"trained_on": "train+val", "choices_made_on": "sequence 0006R0, by the run before "
      "(the same recipe without it)", "val": "trained on"}, "val split, which it trained on"),
])
def test_the_card_says_where_choices_were_made_and_that_val_was_trained_on(
        train_split, choices, split, val_scored):
    import types

    state = {"history": [{"epoch": 1, "seconds": 2.0, "val_miou": 0.5}],
             "config": {"train_split": train_split}}
    spec = types.SimpleNamespace(encoder=[(64,)], kernel=7)
    card = tool_scripts.load("ship_camvid_model").model_card(
        state, spec, "train_segnet ...", {}, choices_made_on=choices)
    assert (card["split"], card["val_scored"]) == (split, val_scored)


@pytest.mark.parametrize("config, augmentation", [
    ({}, "random scale/crop and horizontal flip (tools/train_segnet.py)"),
    ({"zoom_out": True, "photometric": True},
     "random scale/crop (zoom-out onto a void border) and horizontal flip, "
     "gamma/contrast/brightness/hue/saturation jitter (tools/train_segnet.py)"),
])
def test_the_card_names_the_augmentation_the_checkpoint_was_trained_with(config, augmentation):
    import types

    state = {"history": [{"epoch": 1, "seconds": 2.0, "val_miou": 0.5}], "config": config}
    spec = types.SimpleNamespace(encoder=[(64,)], kernel=7)
    card = tool_scripts.load("ship_camvid_model").model_card(state, spec, "train_segnet ...", {})
    assert card["recipe"]["augmentation"] == augmentation


def _tree(folder):
    return sorted((os.path.relpath(os.path.join(root, name), folder),
                   os.path.getsize(os.path.join(root, name)))
                  for root, _, names in os.walk(folder) for name in names)


@pytest.mark.parametrize("case, code, words", [
    ("garbage", 1, "--checkpoint {ws}/c.ckpt is not a file PyTorch saved (UnpicklingError) "
                   "(give another --checkpoint path"),
    ("onnx", 1, "--checkpoint {ws}/c.ckpt is not a file PyTorch saved"),
    ("weights only", 1, "is not a checkpoint of this training loop: it holds no optimizer / "
                        "scheduler / epoch / history"),
    ("folder", 1, "cannot write the checkpoint: {ws}/c.ckpt is a folder, not a regular file"),
    ("fifo", 1, "cannot write the checkpoint: {ws}/c.ckpt is a FIFO"),
    ("same path", 2, "--checkpoint and --export are the same path"),
    ("inside the dataset", 2, "--checkpoint {data}/train/c.ckpt is inside the dataset --data"),
    ("export folder missing", 1, "cannot write the ONNX export: folder {ws}/gone does not "
                                 "exist"),
])
def test_checkpoint_and_export_paths_that_would_lose_data_or_fail_late_are_refused_first(
        synthetic, tmp_path, fifo, capsys, case, code, words):
    ws = str(tmp_path)
    checkpoint, export = os.path.join(ws, "c.ckpt"), None
    if case == "garbage":
        open(checkpoint, "wb").write(b"\x00garbage" * 10)
    elif case == "onnx":
        open(checkpoint, "wb").write(open(SYNTHETIC_MODEL, "rb").read())
    elif case == "weights only":
        torch.save({"model": {"w": torch.zeros(1)}}, checkpoint)
    elif case == "folder":
        os.mkdir(checkpoint)
    elif case == "fifo":
        fifo(checkpoint)
    elif case == "same path":
        export = checkpoint
    elif case == "inside the dataset":
        checkpoint = os.path.join(synthetic, "train", "c.ckpt")
    elif case == "export folder missing":
        export = os.path.join(ws, "gone", "m.onnx")
    before, data_before = _tree(ws), _tree(synthetic)
    capsys.readouterr()  # only what the tool says below
    argv = ["--data", synthetic, "--width", "4", "--kernel", "3", "--input-size", "48x64",
            "--batch-size", "2", "--epochs", "1", "--threads", "1", "--no-cache",
            "--checkpoint", checkpoint] + (["--export", export] if export else [])
    assert tool_scripts.load("train_segnet").main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("train_segnet: error: --") or err.startswith(
        "train_segnet: error: cannot write"), err
    assert words.format(ws=ws, data=synthetic) in err, err
    assert _tree(ws) == before and _tree(synthetic) == data_before


@pytest.mark.parametrize("case, code, words", [
    ("garbage", 1, "--checkpoint {ws}/c.ckpt is not a file PyTorch saved (UnpicklingError)"),
    ("missing", 1, "--checkpoint not found: {ws}/c.ckpt"),
    ("fifo", 1, "--checkpoint {ws}/c.ckpt is not a regular file: it is a FIFO"),
    ("output is the checkpoint", 2, "-o {ws}/c.ckpt is also the input --checkpoint"),
    ("output inside the dataset", 2, "-o {data}/m.onnx is inside the dataset --data"),
    ("output folder missing", 1, "cannot write the model: folder {ws}/gone does not exist"),
])
def test_shipping_refuses_what_is_not_a_checkpoint_and_outputs_that_would_lose_data(
        synthetic, tmp_path, fifo, capsys, case, code, words):
    ws = str(tmp_path)
    checkpoint, output = os.path.join(ws, "c.ckpt"), os.path.join(ws, "m.onnx")
    if case == "garbage":
        open(checkpoint, "wb").write(b"\x00garbage" * 10)
    elif case == "fifo":
        fifo(checkpoint)  # torch.load would wait on it forever
    else:
        open(checkpoint, "wb").write(b"")  # never read: the output is refused first
        if case == "missing":
            os.remove(checkpoint)
        output = {"output is the checkpoint": checkpoint,
                  "output inside the dataset": os.path.join(synthetic, "m.onnx"),
                  "output folder missing": os.path.join(ws, "gone", "m.onnx")}.get(case, output)
    before, data_before = _tree(ws), _tree(synthetic)
    capsys.readouterr()  # only what the tool says below
    assert tool_scripts.load("ship_camvid_model").main([
        "--checkpoint", checkpoint, "--data", synthetic, "--command", "train_segnet ...",
        "-o", output]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert words.format(ws=ws, data=synthetic) in err, err
    assert _tree(ws) == before and _tree(synthetic) == data_before


def test_shipping_refuses_a_tau_list_that_is_not_numbers(capsys):
    with pytest.raises(SystemExit) as stopped:
        tool_scripts.load("ship_camvid_model").parse_args([
            "--checkpoint", "c.ckpt", "--data", "CamVid", "--command", "x", "-o", "m.onnx",
            "--choose-tau", "0,a"])
    assert stopped.value.code == 2
    assert "--choose-tau takes numbers separated by commas" in capsys.readouterr().err
