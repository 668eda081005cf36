#!/usr/bin/env python3
"""Export a PyTorch SegNet to ONNX by either of the two routes that work.

Stock PyTorch cannot export ``max_unpool2d`` as ONNX MaxUnpool: the TorchScript exporter
refuses it, and the dynamo exporter decomposes it into ScatterND. Both routes below give a
graph that ``edge-segnet prepare`` turns into a TensorRT-ready one:

- ``--route torchscript`` (recommended): the unpooling is exported through a custom symbolic as
  a real ``MaxUnpool`` node (fed by MaxPool's indices plus the per-plane offsets PyTorch's
  convention needs); opset 13, IR 7: readable by TensorRT 8.2 and ONNX Runtime 1.10 as it is.
- ``--route dynamo``: ``torch.onnx.export(..., dynamo=True)`` as it comes (opset 18,
  MaxPool -> index arithmetic -> ScatterND into a zero tensor -> Reshape). prepare recognises
  that form too and lowers the opset back to 13.

    python3 tools/export_pytorch.py --arch segnet-basic [--checkpoint CKPT.pt] -o model.onnx
        [--route torchscript|dynamo] [--classes 12] [--input-size 128x256] [--width 64]
        [--npz weights.npz]

``--npz`` also writes the weights for ``edge-segnet export-model --weights``.
"""

import argparse
import io
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import onnx  # noqa: E402

from edge_segnet.models import metadata, segnet, zoo  # noqa: E402
from edge_segnet.models.labels import camvid  # noqa: E402
from edge_segnet.sizes import parse_size  # noqa: E402
from edge_segnet.models.torch_segnet import SegNet, plain_unpool, torch  # noqa: E402

ROUTES = ("torchscript", "dynamo")


class _OnnxMaxUnpool(torch.autograd.Function):
    """max_unpool2d that the TorchScript exporter writes as ONNX MaxUnpool.

    PyTorch's indices count within each (n, c) plane; ONNX's count over the whole tensor. The
    symbolic adds the plane offsets back the way PyTorch's own MaxPool export subtracts them:
    from a kernel-1 MaxPool's indices of the pooled tensor, first element of every plane.
    """

    @staticmethod
    def forward(ctx, values, indices, like):
        # The aten op directly: functional.max_unpool2d checks the size with traced tensors.
        size = [int(side) for side in like.shape[-2:]]
        return torch.ops.aten.max_unpool2d(values, indices, size)

    @staticmethod
    def symbolic(g, values, indices, like):
        _, flat = g.op("MaxPool", like, kernel_shape_i=[1, 1], strides_i=[1, 1], outputs=2)
        const = lambda values: g.op("Constant", value_t=torch.tensor(  # noqa: E731
            values, dtype=torch.int64))
        offsets = g.op("Slice", flat, const([0, 0]), const([1, 1]), const([2, 3]))
        shape = g.op("Shape", like)
        return g.op("MaxUnpool", values, g.op("Add", indices, offsets), shape,
                    kernel_shape_i=[2, 2], strides_i=[2, 2])


def _onnx_unpool(values, indices, like):
    return _OnnxMaxUnpool.apply(values, indices, like)


def build_model(arch, class_count, width=None, kernel=None, checkpoint=None, seed=0):
    spec = zoo.spec_for(arch)
    if width or kernel:
        spec = spec.scaled(width, kernel)
    torch.manual_seed(seed)
    model = SegNet(spec, class_count)
    if checkpoint:
        state = torch.load(checkpoint, map_location="cpu")
        model.load_state_dict(state.get("model", state) if isinstance(state, dict) else state)
    return model.eval()


def _with_metadata(model, info):
    metadata.set_props(model, info.to_props())
    onnx.checker.check_model(model)
    return model


def export(model, route, input_size, info=None):
    """The model exported by ``route``, as an onnx.ModelProto with our metadata."""
    if route not in ROUTES:
        raise ValueError("route must be one of {}".format(ROUTES))
    info = info or metadata.ModelInfo(labels=camvid().with_count(model.class_count),
                                      input_size=input_size, architecture=model.spec.name)
    example = torch.zeros(1, 3, *input_size)
    names = {"input_names": [segnet.INPUT_NAME], "output_names": [segnet.OUTPUT_NAME]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if route == "dynamo":
            program = torch.onnx.export(model, (example,), dynamo=True, verbose=False, **names)
            return _with_metadata(program.model_proto, info)
        buffer = io.BytesIO()
        model.unpool = _onnx_unpool
        try:
            torch.onnx.export(model, (example,), buffer, dynamo=False,
                              opset_version=segnet.OPSET, **names)
        finally:
            model.unpool = plain_unpool
    exported = onnx.load_from_string(buffer.getvalue())
    exported.ir_version = segnet.IR_VERSION
    return _with_metadata(exported, info)


def main():
    parser = argparse.ArgumentParser(description="Export a PyTorch SegNet to ONNX.")
    parser.add_argument("--arch", default="segnet-basic", choices=sorted(zoo.SPECS))
    parser.add_argument("--checkpoint", help="A state dict (or {'model': state dict}).")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--route", default="torchscript", choices=ROUTES)
    parser.add_argument("--classes", type=int, default=12)
    parser.add_argument("--input-size", default="128x256")
    parser.add_argument("--width", type=int, help="Features of the first stage (scaled).")
    parser.add_argument("--npz", help="Also write the weights as .npz for export-model.")
    args = parser.parse_args()
    size = parse_size(args.input_size)
    model = build_model(args.arch, args.classes, args.width, checkpoint=args.checkpoint)
    zoo.save(export(model, args.route, size), args.output)
    if args.npz:
        np.savez(args.npz, **model.numpy_weights())
    print("wrote {} ({} route, {} classes, input 1x3x{}x{})".format(
        args.output, args.route, args.classes, *size))


if __name__ == "__main__":
    main()
