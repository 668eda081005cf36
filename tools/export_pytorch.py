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

from edge_segnet import fileio  # noqa: E402
from edge_segnet.errors import EdgeSegnetError  # noqa: E402
from edge_segnet.models import torch_export, zoo  # noqa: E402
from edge_segnet.sizes import parse_size  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Export a PyTorch SegNet to ONNX.")
    parser.add_argument("--arch", choices=sorted(zoo.SPECS),
                        help="Default: the checkpoint's, else segnet-basic.")
    parser.add_argument("--checkpoint", help="A state dict (or a checkpoint of "
                                             "tools/train_segnet.py, whose architecture, "
                                             "width, kernel, classes and input size are the "
                                             "defaults).")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--route", default="torchscript", choices=torch_export.ROUTES)
    parser.add_argument("--classes", type=int, help="Default: the checkpoint's, else 12.")
    parser.add_argument("--input-size", help="Default: the checkpoint's, else 128x256.")
    parser.add_argument("--width", type=int, help="Features of the first stage (scaled).")
    parser.add_argument("--kernel", type=int, help="Convolution kernel size.")
    parser.add_argument("--npz", help="Also write the weights as .npz for export-model.")
    args = parser.parse_args(argv)
    for flag in ("classes", "width", "kernel"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            parser.error("--{} must be at least 1; got {}".format(flag, value))
    return args


def _trained_with(checkpoint):
    """The training config a tools/train_segnet.py checkpoint records ({} for a state dict)."""
    if not checkpoint:
        return {}
    state = torch_export.read_torch_file(checkpoint, "--checkpoint", hint="give a state dict "
                                         "or a checkpoint tools/train_segnet.py wrote")
    config = state.get("config") if isinstance(state, dict) else None
    return config if isinstance(config, dict) else {}


def export(args):
    # Before any work: never over the checkpoint, and the two outputs apart.
    fileio.check_outputs_apart([("-o", args.output), ("--npz", args.npz)],
                               [("--checkpoint", args.checkpoint)])
    fileio.check_writable_path(args.output, what="the model")
    if args.npz:
        fileio.check_writable_path(args.npz, what="the weights")
    trained = _trained_with(args.checkpoint)
    arch = args.arch or trained.get("arch") or "segnet-basic"
    classes = args.classes or trained.get("class_count") or 12  # 0 refused by parse_args
    size = (parse_size(args.input_size, "--input-size") if args.input_size else
            tuple(trained.get("input_size") or (128, 256)))
    width = args.width or trained.get("width")
    kernel = args.kernel or trained.get("kernel")
    model = torch_export.build_model(arch, classes, width, kernel, checkpoint=args.checkpoint)
    zoo.save(torch_export.export(model, args.route, size), args.output)
    if args.npz:
        with fileio.atomic_path(args.npz, what="the weights") as temp_path:
            with open(temp_path, "wb") as handle:  # a path would get ".npz" appended
                np.savez(handle, **model.numpy_weights())
    print("wrote {} ({} route, {} classes, input 1x3x{}x{})".format(
        args.output, args.route, classes, *size))


def main(argv=None):
    args = parse_args(argv)
    try:
        export(args)
    except EdgeSegnetError as error:
        print("export_pytorch: error: {}".format(error), file=sys.stderr, flush=True)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
