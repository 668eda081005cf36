"""Exporting the PyTorch SegNets to ONNX by the two routes that work (see
tools/export_pytorch.py for the command line).

Stock PyTorch cannot export ``max_unpool2d`` as ONNX MaxUnpool: the TorchScript exporter
refuses it, and the dynamo exporter decomposes it into ScatterND. ``torchscript`` here writes a
real MaxUnpool through a custom symbolic (opset 13, IR 7); ``dynamo`` is the stock exporter's
ScatterND form. ``edge-segnet prepare`` takes both.
"""

import io
import os
import warnings

import onnx

from edge_segnet import inputs
from edge_segnet.errors import DataError, ModelError
from edge_segnet.models import metadata, segnet, zoo
from edge_segnet.models.labels import camvid
from edge_segnet.models.torch_segnet import SegNet, plain_unpool, torch

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


def read_torch_file(path, what, hint):
    """What torch.load reads from ``path``, or a DataError in one line (``hint``: what to give
    instead): torch.load's own errors run to several lines, and it waits forever on a FIFO."""
    inputs.check_regular_file(path, what, DataError, hint=hint)
    if os.path.isdir(path):
        raise DataError("{} {} is a folder".format(what, path), hint=hint)
    if not os.path.exists(path):
        raise DataError("{} not found: {}".format(what, path), hint=hint)
    try:
        return torch.load(path, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - pickle, zip and torch errors alike
        raise DataError("{} {} is not a file PyTorch saved ({})".format(
            what, path, type(exc).__name__), hint=hint)


def build_model(arch, class_count, width=None, kernel=None, checkpoint=None, seed=0,
                dropout=0.0):
    """A SegNet of ``arch`` (scaled to ``width``/``kernel``); with ``checkpoint`` (a state
    dict, or a training checkpoint holding one as "model"), its weights."""
    spec = zoo.spec_for(arch)
    if width or kernel:
        spec = spec.scaled(width, kernel)
    torch.manual_seed(seed)
    model = SegNet(spec, class_count, dropout=dropout)
    if checkpoint:
        hint = "give a state dict or a checkpoint tools/train_segnet.py wrote"
        state = read_torch_file(checkpoint, "--checkpoint", hint)
        if isinstance(state, dict) and isinstance(state.get("model"), dict):
            state = state["model"]
        if not isinstance(state, dict):
            raise DataError("--checkpoint {} holds no state dict".format(checkpoint), hint=hint)
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:  # missing, unexpected or differently shaped weights
            raise ModelError("--checkpoint {} does not fit {} (width {}, kernel {}, {} "
                             "classes): {}".format(
                                 checkpoint, arch, spec.encoder[0][0], spec.kernel, class_count,
                                 str(exc).strip().splitlines()[-1].strip()),
                hint="give the --arch, --width, --kernel and --classes it was trained with")
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


