"""What the graph does before and after the network: frame bytes in, a label map out.

Both run on the device (TensorRT) as on ONNX Runtime, so the host only resizes the frame and
reads back H x W int32 labels instead of C x H x W float logits.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from edge_segnet.errors import ModelError, UsageError
from edge_segnet.graph.editing import GraphIndex
from edge_segnet.graph.shapes import static_shapes

INPUT_TYPES = ("uint8", "float32")
NORMALIZATIONS = ("meanstd", "lcn")
LABELS_OUTPUT = "labels"

# metadata input_format values; the Segmenter feeds frames accordingly.
FORMAT_NORMALIZED = "normalized_nchw"      # float 1x3xHxW, normalised on the host
FORMAT_BGR_UINT8 = "bgr_uint8_nhwc"        # the frame's bytes as they are
FORMAT_BGR_FLOAT = "bgr_float_nchw"        # frame values 0..255 as float, planar
# The input embed_preprocess adds: how an engine without its description (trtexec) still tells
# frame values from host-normalised ones.
FRAME_INPUT = "frame"

# The name of the 1x1 convolution embed_preprocess adds (fresh names add "_2", ...).
PREPROCESS_NODE = "preprocess"

# Caffe's LRN WITHIN_CHANNEL on the input, as SegNet-Basic's "norm" layer applies it.
LCN_SIZE, LCN_ALPHA, LCN_BETA = 5, 1e-4, 0.75


def preprocess_convs(model):
    """The convolutions embed_preprocess put in front of the network: they read the frame's
    raw values, which INT8 would cut to 7 bits, and cost nothing worth quantising."""
    return [node for node in model.graph.node if node.op_type == "Conv" and (
        node.name == PREPROCESS_NODE or node.name.startswith(PREPROCESS_NODE + "_"))]


def _single_input(model):
    index = GraphIndex(model)
    if len(index.graph_inputs) != 1:
        raise ModelError("the model has {} inputs; one image input is needed".format(
            len(index.graph_inputs)))
    return index, index.graph_inputs[0]


def embed_preprocess(model, mean, std, color_order="RGB", input_type="uint8",
                     normalization="meanstd"):
    """Make the graph take the camera frame (BGR) and normalise it itself.

    ``uint8``: 1xHxWx3 bytes (TensorRT >= 8.5); ``float32``: 1x3xHxW values 0..255, for
    TensorRT 8.2, which has no UINT8 network inputs. Returns the input format's name.
    """
    if input_type not in INPUT_TYPES:
        raise UsageError("--input-type must be one of {}; got {!r}".format(
            ", ".join(INPUT_TYPES), input_type))
    if normalization not in NORMALIZATIONS:
        raise UsageError("--normalize must be one of {}; got {!r}".format(
            ", ".join(NORMALIZATIONS), normalization))
    index, value = _single_input(model)
    dims = [dim.dim_value for dim in value.type.tensor_type.shape.dim]
    if len(dims) != 4 or dims[1] != 3 or value.type.tensor_type.elem_type != TensorProto.FLOAT:
        raise ModelError("--embed-preprocess needs a float 1x3xHxW input; {} is {}".format(
            value.name, dims))
    height, width = dims[2:]
    network_input = index.fresh(value.name + ".network")
    frame = index.fresh(FRAME_INPUT)
    nodes, inits = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), index.fresh(name)))
        return inits[-1].name

    if input_type == "uint8":
        new_input = helper.make_tensor_value_info(frame, TensorProto.UINT8, [1, height, width, 3])
        as_float = index.fresh("frame.float")
        planar = index.fresh("frame.planar")
        nodes.append(helper.make_node("Cast", [frame], [as_float], to=TensorProto.FLOAT,
                                      name=as_float))
        nodes.append(helper.make_node("Transpose", [as_float], [planar], perm=[0, 3, 1, 2],
                                      name=planar))
        input_format = FORMAT_BGR_UINT8
    else:
        new_input = helper.make_tensor_value_info(frame, TensorProto.FLOAT, [1, 3, height, width])
        planar = frame
        input_format = FORMAT_BGR_FLOAT
    # One 1x1 convolution reorders BGR to the model's color order and applies its scale and
    # offset: exact (the other weights are 0) and one layer for TensorRT to fuse.
    order = [2, 1, 0] if color_order.upper() == "RGB" else [0, 1, 2]
    if normalization == "meanstd":
        mean = np.asarray(mean, dtype=np.float32)
        std = np.asarray(std, dtype=np.float32)
        scale, offset = 1.0 / (255.0 * std), -mean / std
    else:
        scale, offset = np.ones(3, np.float32), np.zeros(3, np.float32)
    weights = np.zeros((3, 3, 1, 1), dtype=np.float32)
    for out_channel, in_channel in enumerate(order):
        weights[out_channel, in_channel] = scale[out_channel]
    normalised = network_input if normalization == "meanstd" else index.fresh("frame.ordered")
    nodes.append(helper.make_node(
        "Conv", [planar, const("preprocess.weight", weights),
                 const("preprocess.bias", offset.astype(np.float32))],
        [normalised], kernel_shape=[1, 1], name=index.fresh(PREPROCESS_NODE)))
    if normalization == "lcn":
        nodes.extend(_lcn_nodes(index, normalised, network_input, const))
    graph = model.graph
    old_input_name = value.name
    for node in graph.node:
        for position, name in enumerate(node.input):
            if name == old_input_name:
                node.input[position] = network_input
    kept_inputs = [v for v in graph.input if v.name != old_input_name]
    del graph.input[:]
    graph.input.extend([new_input] + kept_inputs)
    existing = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + existing)
    graph.initializer.extend(inits)
    return input_format


def _lcn_nodes(index, x, out, const):
    """y = x * (1 + alpha * mean_{5x5}(x^2)) ^ -beta, zero padded (Caffe's WITHIN_CHANNEL)."""
    square, local, scaled, shifted, factor = (index.fresh("lcn." + part) for part in (
        "square", "local", "scaled", "shifted", "factor"))
    half = LCN_SIZE // 2
    return [
        helper.make_node("Mul", [x, x], [square], name=square),
        helper.make_node("AveragePool", [square], [local], kernel_shape=[LCN_SIZE, LCN_SIZE],
                         pads=[half] * 4, count_include_pad=1, name=local),
        helper.make_node("Mul", [local, const("lcn.alpha", np.float32(LCN_ALPHA))], [scaled],
                         name=scaled),
        helper.make_node("Add", [scaled, const("lcn.one", np.float32(1.0))], [shifted],
                         name=shifted),
        helper.make_node("Pow", [shifted, const("lcn.beta", np.float32(-LCN_BETA))], [factor],
                         name=factor),
        helper.make_node("Mul", [x, factor], [out], name=index.fresh("lcn")),
    ]


def add_argmax(model, keep_logits=False):
    """An ArgMax head: the first output becomes the int32 label map 1xHxW; the logits stay a
    second output when ``keep_logits``."""
    graph = model.graph
    if len(graph.output) != 1:
        raise ModelError("--argmax needs a model with one output (the logits); it has {}: "
                         "{}".format(len(graph.output), ", ".join(v.name for v in graph.output)))
    logits = graph.output[0]
    dims = static_shapes(model).get(logits.name, [])
    if len(dims) != 4:
        raise ModelError("--argmax needs 1xCxHxW logits; output {} has shape {}".format(
            logits.name, dims))
    index = GraphIndex(model)
    indices = index.fresh(LABELS_OUTPUT + ".int64")
    labels = index.fresh(LABELS_OUTPUT)
    graph.node.extend([
        helper.make_node("ArgMax", [logits.name], [indices], axis=1, keepdims=0,
                         name=indices),
        helper.make_node("Cast", [indices], [labels], to=TensorProto.INT32, name=labels),
    ])
    labels_value = helper.make_tensor_value_info(labels, TensorProto.INT32,
                                                 [dims[0], dims[2], dims[3]])
    logits_value = onnx.ValueInfoProto()
    logits_value.CopyFrom(logits)
    kept = [labels_value] + ([logits_value] if keep_logits else [])
    del graph.output[:]
    graph.output.extend(kept)
