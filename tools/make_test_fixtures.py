#!/usr/bin/env python3
"""Regenerate the PyTorch-exported ONNX fixtures under tests/fixtures/pytorch/.

A narrow SegNet-Basic (width 8, 3x3 kernels, 5 classes, batch-norm statistics randomised so
they matter) at 36x52 (odd sides after two poolings) is exported by both routes of
tools/export_pytorch.py. ``segnet_tiny_io.npz`` holds inputs (random, all-zero, constant,
negative: the last three make many all-equal windows) and PyTorch's logits for each, so tests
can compare against PyTorch itself where ONNX Runtime cannot load a form (opset 20 on 1.10),
and PyTorch's answer to one of ONNX's MaxUnpool test cases.

    python3 tools/make_test_fixtures.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from edge_segnet import fileio  # noqa: E402
from edge_segnet.models import torch_export as export_pytorch  # noqa: E402
from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.models.torch_segnet import torch  # noqa: E402

FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests",
                      "fixtures", "pytorch")
SIZE = (36, 52)
CLASSES = 5


def tiny_model():
    model = export_pytorch.build_model("segnet-basic", CLASSES, width=8, kernel=3, seed=7)
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                count = module.num_features
                module.running_mean.copy_(torch.randn(count, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(count, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(count, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(count, generator=generator) * 0.1)
    return model.eval()


def inputs():
    rng = np.random.RandomState(11)
    return {
        "random": rng.standard_normal((1, 3) + SIZE).astype(np.float32),
        "zeros": np.zeros((1, 3) + SIZE, np.float32),
        "constant": np.full((1, 3) + SIZE, 0.7, np.float32),
        "negative": -np.abs(rng.standard_normal((1, 3) + SIZE)).astype(np.float32),
    }


def main():
    model = tiny_model()
    os.makedirs(FOLDER, exist_ok=True)
    for route in export_pytorch.ROUTES:
        path = os.path.join(FOLDER, "segnet_tiny_{}.onnx".format(route))
        zoo.save(export_pytorch.export(model, route, SIZE), path)
        print("wrote", path)
    arrays = {}
    with torch.no_grad():
        for name, array in inputs().items():
            arrays["input_" + name] = array
            arrays["logits_" + name] = model(torch.from_numpy(array)).numpy()
        # ONNX's test_maxunpool_export_with_output_shape inputs, as PyTorch unpools them.
        values = torch.tensor([[[[5.0, 6.0], [7.0, 8.0]]]])
        indices = torch.tensor([[[[5, 7], [13, 15]]]])
        arrays["maxunpool_5x5_pytorch"] = torch.nn.functional.max_unpool2d(
            values, indices, 2, 2, output_size=(5, 5)).numpy()
    path = os.path.join(FOLDER, "segnet_tiny_io.npz")
    with fileio.atomic_path(path, what="the fixture") as temp_path:
        with open(temp_path, "wb") as handle:  # a path would get ".npz" appended
            np.savez(handle, **arrays)
    print("wrote", path)


if __name__ == "__main__":
    main()
