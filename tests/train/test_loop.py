"""Training (train extra; see tests/conftest.py)."""

import numpy as np
import onnx
import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet.data import camvid
from edge_segnet import prepare as prepare_module
from edge_segnet.models.torch_segnet import torch
from edge_segnet.train import data as data_module
from edge_segnet.train.loop import TrainConfig, train

from ..graph.conftest import run

SIZE = (48, 64)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("train") / "synthetic"
    camvid.make_synthetic(str(root), 8, size=SIZE, seed=3)
    return str(root)


def test_a_tiny_network_learns_and_its_export_is_prepare_ready(dataset, tmp_path, logged):
    logs = logged  # the package's log lines
    config = TrainConfig(data=dataset, width=8, kernel=3, input_size=SIZE, epochs=12,
                         batch_size=2, lr=3e-2, checkpoint=str(tmp_path / "tiny.ckpt"),
                         export=str(tmp_path / "tiny.onnx"))
    model, history = train(config)
    assert len(history) == 12
    # Class-weighted loss on five images is noisy: compare the last epochs with the first.
    assert np.mean([entry["loss"] for entry in history[-3:]]) < 0.85 * history[0]["loss"], \
        history
    assert all(0.0 <= entry["val_miou"] <= 1.0 for entry in history)
    assert logs[0].startswith("epoch 1: loss") and logs[-1].startswith("wrote")

    exported = onnx.load(str(tmp_path / "tiny.onnx"))
    prepared, _ = prepare_module.prepare(exported, prepare_module.PrepareOptions(
        input_size=SIZE, unpool_form="plugin"))
    image = np.random.RandomState(0).standard_normal((1, 3) + SIZE).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(image)).numpy()
    assert np.abs(run(prepared, image) - expected).max() <= 1e-4


def test_training_resumes_from_its_checkpoint(dataset, tmp_path, logged):
    checkpoint = str(tmp_path / "resume.ckpt")
    logs = logged  # the package's log lines
    first = dict(data=dataset, width=4, kernel=3, input_size=SIZE, batch_size=4,
                 checkpoint=checkpoint)
    _, history = train(TrainConfig(epochs=2, **first))
    assert [entry["epoch"] for entry in history] == [1, 2]
    _, history = train(TrainConfig(epochs=3, **first))
    assert [entry["epoch"] for entry in history] == [1, 2, 3]
    assert "resumed {} at epoch 2".format(checkpoint) in logs


def test_median_frequency_weights():
    class Labels(object):
        """Stands for a dataset: two label maps, class 1 rare, class 3 void."""
        class_count, ignore_index = 4, 3

        def __len__(self):
            return 2

        def labels(self, index):
            return [np.array([[0, 0, 0, 1]]), np.array([[0, 2, 2, 3]])][index]

    weights = data_module.class_weights(Labels(), "median")
    # f0 = 4/8, f1 = 1/4 (only in image 0), f2 = 2/4: median 0.5.
    assert weights.tolist() == pytest.approx([1.0, 2.0, 1.0, 0.0])
    assert data_module.class_weights(Labels(), "none").tolist() == [1, 1, 1, 1]
