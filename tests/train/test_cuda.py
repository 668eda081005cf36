"""--device cuda: the same loop on a CUDA GPU (skipped without one)."""

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet.models.torch_segnet import torch
from edge_segnet.train.loop import TrainConfig, train

from .conftest import tiny
from .test_distributed import NOISE_DRIVEN  # biases feeding batch norms: see there

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


def test_training_on_cuda_resumes_a_cpu_checkpoint_and_writes_a_portable_one(
        synthetic, tmp_path, logged):
    path = str(tmp_path / "c.ckpt")
    train(TrainConfig(**tiny(synthetic, epochs=2, max_steps=4, checkpoint=path)))
    logs = logged  # the package's log lines
    model, history = train(TrainConfig(**tiny(
        synthetic, epochs=3, device="cuda", channels_last=True, cache_dir=str(tmp_path / "cache"),
        checkpoint=path, export=str(tmp_path / "m.onnx"))))
    assert "resumed {} at epoch 1".format(path) in logs
    assert [entry["epoch"] for entry in history] == [1, 2, 3]
    assert all(0.0 <= entry["val_miou"] <= 1.0 for entry in history[1:])
    state = torch.load(path)  # CPU tensors: loads without a GPU
    assert all(tensor.device.type == "cpu" for tensor in state["model"].values())
    assert state["scheduler"]["last_epoch"] == 12
    assert next(model.parameters()).device.type == "cpu"  # the returned model is a plain one


def test_one_step_on_cuda_is_the_step_on_the_cpu(synthetic, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)  # FP32, as on the CPU
    results = {}
    for device in ("cpu", "cuda"):
        path = str(tmp_path / (device + ".ckpt"))
        train(TrainConfig(**tiny(synthetic, epochs=1, max_steps=1, device=device,
                                 checkpoint=path)))
        results[device] = torch.load(path)["model"]
    for name, tensor in results["cpu"].items():
        if name.endswith(NOISE_DRIVEN):
            continue
        assert torch.allclose(tensor.float(), results["cuda"][name].float(), atol=1e-4), name
