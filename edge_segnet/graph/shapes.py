"""Static shapes of every tensor of a graph with a static input.

ONNX shape inference stops at MaxUnpool when its output size comes from a Shape node, and it
knows nothing of our unpooling op; both take the size of the tensor that was pooled, so those
shapes are filled in and inference is run again until nothing more is learnt.
"""

import onnx
from onnx import TensorProto, helper

from edge_segnet.graph import UNPOOL_OP


def _known_shapes(model):
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes, types = {}, {}
    for value in (list(inferred.graph.input) + list(inferred.graph.value_info)
                  + list(inferred.graph.output)):
        tensor_type = value.type.tensor_type
        dims = [dim.dim_value if dim.HasField("dim_value") else None
                for dim in tensor_type.shape.dim]
        if tensor_type.HasField("shape") and all(dim for dim in dims):
            shapes[value.name] = dims
        if tensor_type.elem_type:
            types[value.name] = tensor_type.elem_type
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
        types[init.name] = init.data_type
    return shapes, types


def _unpool_output_shape(node, producers, shapes):
    """Output shape of a MaxUnpool fed by Shape(x) or of our op: x's size, the values' channels."""
    if node.op_type == "MaxUnpool" and len(node.input) >= 3:
        source = producers.get(node.input[2])
        like = source.input[0] if source is not None and source.op_type == "Shape" else None
    elif node.op_type == UNPOOL_OP:
        like = node.input[1]
    else:
        return None
    if like not in shapes or node.input[0] not in shapes:
        return None
    dims = list(shapes[like])
    dims[1] = shapes[node.input[0]][1]
    return dims


# Initializers up to this size keep their values (shape inference reads e.g. Reshape targets);
# larger ones (weights) travel as shapes only, so inference does not copy a VGG's 118 MB.
_VALUES_KEPT = 4096


def skeleton(model):
    """A copy of the model for shape inference: its weights replaced by typed graph inputs."""
    skeleton = onnx.ModelProto()
    skeleton.ir_version = model.ir_version
    skeleton.opset_import.extend(model.opset_import)
    graph = skeleton.graph
    graph.node.extend(model.graph.node)
    graph.input.extend(model.graph.input)
    graph.output.extend(model.graph.output)
    graph.value_info.extend(model.graph.value_info)
    declared = {value.name for value in model.graph.input}
    for init in model.graph.initializer:
        if _product(init.dims) <= _VALUES_KEPT:
            graph.initializer.add().CopyFrom(init)
        elif init.name not in declared:
            graph.input.append(helper.make_tensor_value_info(init.name, init.data_type,
                                                             list(init.dims)))
    return skeleton


def _product(dims):
    total = 1
    for size in dims:
        total *= int(size)
    return total


def static_shapes(model, with_types=False):
    """{tensor name: [dims]} for every tensor whose shape is fully known."""
    weights = {init.name: init for init in model.graph.initializer}
    model = skeleton(model)
    producers = {out: node for node in model.graph.node for out in node.output}
    while True:
        shapes, types = _known_shapes(model)
        added = False
        for node in model.graph.node:
            if node.output[0] in shapes:
                continue
            dims = _unpool_output_shape(node, producers, shapes)
            if dims is not None:
                elem_type = types.get(node.input[0], TensorProto.FLOAT)
                model.graph.value_info.append(
                    helper.make_tensor_value_info(node.output[0], elem_type, dims))
                added = True
        if not added:
            for name, init in weights.items():
                shapes[name] = list(init.dims)
                types[name] = init.data_type
            return (shapes, types) if with_types else shapes


def annotate(model):
    """Write every known static shape into the model's value_info and outputs."""
    shapes, types = static_shapes(model, with_types=True)
    graph_io = {value.name for value in graph_values(model)}
    del model.graph.value_info[:]
    for node in model.graph.node:
        for name in node.output:
            if name and name in shapes and name in types and name not in graph_io:
                model.graph.value_info.append(
                    helper.make_tensor_value_info(name, types[name], shapes[name]))
    for value in model.graph.output:
        if value.name in shapes:
            _set_dims(value, shapes[value.name])
            if value.name in types:
                value.type.tensor_type.elem_type = types[value.name]
    return shapes


def graph_values(model):
    return list(model.graph.input) + list(model.graph.output)


def _set_dims(value, dims):
    shape = value.type.tensor_type.shape
    del shape.dim[:]
    for size in dims:
        shape.dim.add().dim_value = int(size)


def set_static_dims(value, dims):
    """Give a graph input or output the static ``dims``."""
    _set_dims(value, dims)
