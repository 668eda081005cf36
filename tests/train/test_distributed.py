"""DistributedDataParallel under torchrun on the CPU (gloo): two processes train what one does.

One process with batch 4 against two with batch 2 each (--batch-size is per process): the same
global batches (DistributedSampler interleaves one permutation per epoch; crops are drawn per
sample), the same global weighted-mean loss, and with --sync-bn the same batch-norm statistics.
What remains is float summation order (per-rank partial sums, the gradient all-reduce): about
1e-7 on the weights after 4 steps at lr 1e-2, against TOLERANCE 1e-6; a real mismatch (another
batch, per-rank statistics or means) moves weights by about lr per step, 1e-2.

Not comparable: the bias of each convolution that feeds a batch norm. The norm subtracts it, so
its true gradient is zero and the computed one is rounding noise, which AdamW turns into steps of
about +-lr in a random direction, differently in any two runs (two CPU runs with other thread
counts too); ``bn.running_mean`` follows those biases. They do not change what the network
computes in training mode, which the test compares instead, on a batch it did not train on.
"""

import os
import socket
import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet.models import torch_export
from edge_segnet.models.torch_segnet import torch
from edge_segnet.train.data import SegmentationData
from edge_segnet.train.loop import TrainConfig, train

from .conftest import SIZE, tiny

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "train_segnet.py")
TOLERANCE = 1e-6  # largest absolute difference of a comparable weight or statistic
NOISE_DRIVEN = (".conv.bias", ".bn.running_mean")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_processes_train_the_weights_of_one_on_the_same_global_batch(synthetic, tmp_path):
    cache = str(tmp_path / "cache")
    one, two = str(tmp_path / "one.ckpt"), str(tmp_path / "two.ckpt")
    _, history = train(TrainConfig(**tiny(synthetic, epochs=2, batch_size=4, lr=1e-2,
                                          cache_dir=cache, checkpoint=one)))
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), TOOL,
               "--data", synthetic, "--width", "4", "--kernel", "3", "--input-size", "48x64",
               "--epochs", "2", "--batch-size", "2", "--lr", "1e-2", "--threads", "1",
               "--sync-bn", "--cache-dir", cache, "--checkpoint", two,
               "--export", str(tmp_path / "two.onnx")]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=120,
                            env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert result.returncode == 0, result.stdout
    # Rank 0 alone logs, writes the checkpoint and the export.
    assert result.stdout.count("distributed: 2 processes (gloo), global batch 4 = 2 x 2") == 1
    assert result.stdout.count("epoch 2: loss") == 1 and result.stdout.count("wrote ") == 1
    assert sorted(os.listdir(str(tmp_path))) == ["cache", "one.ckpt", "two.ckpt", "two.onnx"]

    single, distributed = torch.load(one), torch.load(two)
    assert distributed["config"]["world_size"] == 2
    assert distributed["scheduler"]["last_epoch"] == single["scheduler"]["last_epoch"] == 4
    assert list(single["model"]) == list(distributed["model"])
    for name, tensor in single["model"].items():
        other = distributed["model"][name]
        if name.endswith("num_batches_tracked"):
            assert torch.equal(tensor, other)
        elif not name.endswith(NOISE_DRIVEN):
            difference = (tensor - other).abs().max().item()
            assert difference <= TOLERANCE, (name, difference)
    # What the two networks compute in training mode (batch statistics: the biases cancel).
    images = torch.stack([SegmentationData(synthetic, "test", SIZE, 12, 11)[index][0]
                          for index in range(2)])
    outputs = []
    for state in (single, distributed):
        model = torch_export.build_model("segnet-basic", 12, 4, 3)
        model.load_state_dict(state["model"])
        with torch.no_grad():
            outputs.append(model.train()(images))
    assert (outputs[0] - outputs[1]).abs().max().item() <= 1e-5 * outputs[0].abs().max().item()
    for a, b in zip(history, distributed["history"]):
        assert abs(a["loss"] - b["loss"]) <= 1e-5 * a["loss"]
        assert abs(a["val_miou"] - b["val_miou"]) <= 1e-6
