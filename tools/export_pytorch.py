#!/usr/bin/env python3
"""Export a PyTorch SegNet to ONNX by either of the two routes that work.

Stock PyTorch cannot export ``max_unpool2d`` as ONNX MaxUnpool: the TorchScript exporter
refuses it, and the dynamo exporter decomposes it into ScatterND. Both routes below give a
graph that ``edge-segnet prepare`` turns into a TensorRT-ready one:

- ``--route torchscript`` (recommended): the unpooling is exported through a custom symbolic as
  a real ``MaxUnpool`` node (fed by MaxPool's indices plus the per-plane offsets PyTorch's
  convention needs); opset 13, IR 7: readable by TensorRT 8.2 and ONNX Runtime 1.10 as it is.
- ``--route dynamo``: ``torch.onnx.export(..., dynamo=True)`` as it comes (opset 18+,
  MaxPool -> index arithmetic -> ScatterND into a zero tensor -> Reshape). prepare recognises
  that form too and lowers the opset back to 13.

    python3 tools/export_pytorch.py --arch segnet-basic [--checkpoint CKPT.pt] -o model.onnx
        [--route torchscript|dynamo] [--classes 12] [--input-size 128x256] [--width 64]
        [--npz weights.npz]

``--npz`` also writes the weights for ``edge-segnet export-model --weights``.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from edge_segnet.models import torch_export, zoo  # noqa: E402
from edge_segnet.sizes import parse_size  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="Export a PyTorch SegNet to ONNX.")
    parser.add_argument("--arch", default="segnet-basic", choices=sorted(zoo.SPECS))
    parser.add_argument("--checkpoint", help="A state dict (or a checkpoint of "
                                             "tools/train_segnet.py).")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--route", default="torchscript", choices=torch_export.ROUTES)
    parser.add_argument("--classes", type=int, default=12)
    parser.add_argument("--input-size", default="128x256")
    parser.add_argument("--width", type=int, help="Features of the first stage (scaled).")
    parser.add_argument("--kernel", type=int, help="Convolution kernel size.")
    parser.add_argument("--npz", help="Also write the weights as .npz for export-model.")
    args = parser.parse_args()
    size = parse_size(args.input_size)
    model = torch_export.build_model(args.arch, args.classes, args.width, args.kernel,
                                     checkpoint=args.checkpoint)
    zoo.save(torch_export.export(model, args.route, size), args.output)
    if args.npz:
        np.savez(args.npz, **model.numpy_weights())
    print("wrote {} ({} route, {} classes, input 1x3x{}x{})".format(
        args.output, args.route, args.classes, *size))


if __name__ == "__main__":
    main()
