"""tools/export_pytorch.py: a train_segnet checkpoint exports with the shape it was trained
with; what is not one, a network it does not fit and outputs over it are refused in one line."""

import os

import numpy as np
import onnx
import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet.models import torch_export
from edge_segnet.models.torch_segnet import torch
from edge_segnet.train.loop import TrainConfig, train
from tests import tool_scripts
from tests.train.conftest import synthetic, tiny  # noqa: F401 - the fixture, shared


@pytest.fixture(scope="module")
def trained(synthetic, tmp_path_factory):  # noqa: F811
    path = str(tmp_path_factory.mktemp("export") / "run.ckpt")
    train(TrainConfig(**tiny(synthetic, epochs=1, checkpoint=path)))
    return path


def _files(folder):
    return {name: open(os.path.join(folder, name), "rb").read()
            for name in sorted(os.listdir(folder))}


def test_a_training_checkpoint_exports_as_it_was_trained(trained, tmp_path, capsys):
    out, npz = str(tmp_path / "m.onnx"), str(tmp_path / "m.npz")
    capsys.readouterr()
    assert tool_scripts.load("export_pytorch").main(
        ["--checkpoint", trained, "-o", out, "--npz", npz]) == 0
    assert "wrote {} (torchscript route, 12 classes, input 1x3x48x64)".format(out) in \
        capsys.readouterr().out
    graph = onnx.load(out).graph
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == [1, 3, 48, 64]
    # The checkpoint's weights (width 4, kernel 3 from its config), not a fresh network's.
    weights, written = torch.load(trained)["model"], np.load(npz)
    assert set(written.files) == set(torch_export.build_model(
        "segnet-basic", 12, 4, 3).numpy_weights())
    for name in ("enc1.conv.weight", "classifier.weight"):
        assert np.array_equal(written[name], weights[name].numpy())
    assert sorted(os.listdir(str(tmp_path))) == ["m.npz", "m.onnx"]


@pytest.mark.parametrize("case, code, words", [
    ("not a checkpoint", 1, "--checkpoint {ws}/c.ckpt is not a file PyTorch saved"),
    ("fifo", 1, "--checkpoint {ws}/c.ckpt is not a regular file: it is a FIFO"),
    ("another width", 1, "does not fit segnet-basic (width 8, kernel 3, 12 classes): size "
                         "mismatch for"),
    ("output is the checkpoint", 2, "-o {ws}/c.ckpt is also the input --checkpoint"),
    ("the two outputs the same", 2, "-o and --npz are the same path"),
    ("output folder missing", 1, "cannot write the model: folder {ws}/gone does not exist"),
])
def test_bad_input_gets_one_line_and_writes_nothing(trained, tmp_path, fifo, capsys, case,
                                                    code, words):
    ws = str(tmp_path)
    checkpoint, argv = os.path.join(ws, "c.ckpt"), []
    if case == "not a checkpoint":
        open(checkpoint, "wb").write(b"\x00garbage" * 10)
    elif case == "fifo":
        fifo(checkpoint)
    else:
        open(checkpoint, "wb").write(open(trained, "rb").read())
    output = {"output is the checkpoint": checkpoint,
              "output folder missing": os.path.join(ws, "gone", "m.onnx")}.get(
                  case, os.path.join(ws, "m.onnx"))
    if case == "another width":
        argv = ["--width", "8"]
    elif case == "the two outputs the same":
        argv = ["--npz", output]
    before = _files(ws) if case != "fifo" else sorted(os.listdir(ws))
    capsys.readouterr()  # the fixture's training run may have logged to stderr
    assert tool_scripts.load("export_pytorch").main(
        ["--checkpoint", checkpoint, "-o", output] + argv) == code
    err = capsys.readouterr().err
    assert err.startswith("export_pytorch: error: ") and err.count("\n") == 1, err
    assert words.format(ws=ws) in err, err
    assert (_files(ws) if case != "fifo" else sorted(os.listdir(ws))) == before


def test_counts_below_one_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as stopped:
        tool_scripts.load("export_pytorch").parse_args(["-o", "m.onnx", "--classes", "0"])
    assert stopped.value.code == 2
    assert "--classes must be at least 1; got 0" in capsys.readouterr().err
