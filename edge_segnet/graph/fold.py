"""Constant folding for the shape arithmetic exporters emit (Shape, Gather, Concat, Slice, ...).

Only nodes whose inputs are all known and whose outputs are small are folded: shape arithmetic
becomes initializers, while large constant tensors (a ConstantOfShape of a feature map's size)
stay as they are. Ops outside this list are left alone.
"""

import numpy as np
from onnx import numpy_helper

from edge_segnet.graph.editing import GraphIndex, attribute, numpy_dtype, remove_dead
from edge_segnet.graph.shapes import static_shapes

MAX_FOLDED_ELEMENTS = 1 << 16


def _axes(node, inputs, opset, position=1):
    if opset >= 13 and len(node.input) > position and node.input[position]:
        return [int(axis) for axis in inputs[position]]
    return list(attribute(node, "axes", []))


def _slice(node, inputs, opset):
    data = inputs[0]
    if opset >= 10:
        starts, ends = inputs[1], inputs[2]
        axes = inputs[3] if len(inputs) > 3 and inputs[3] is not None else range(len(starts))
        steps = inputs[4] if len(inputs) > 4 and inputs[4] is not None else [1] * len(starts)
    else:
        starts, ends = attribute(node, "starts"), attribute(node, "ends")
        axes = attribute(node, "axes", list(range(len(starts))))
        steps = [1] * len(starts)
    index = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[int(axis)] = slice(int(start), int(end), int(step))
    return data[tuple(index)]


def _reshape(node, inputs, opset):
    shape = [int(v) for v in inputs[1]]
    allow_zero = attribute(node, "allowzero", 0)
    if not allow_zero:
        shape = [inputs[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return inputs[0].reshape(shape)


def _constant_of_shape(node, inputs, opset):
    value = attribute(node, "value")
    fill = numpy_helper.to_array(value) if value is not None else np.zeros(1, np.float32)
    return np.full([int(v) for v in inputs[0]], fill.reshape(-1)[0], dtype=fill.dtype)


def _cast(node, inputs, opset):
    return inputs[0].astype(numpy_dtype(attribute(node, "to")))


_EVALUATORS = {
    "Identity": lambda node, x, opset: x[0],
    "Add": lambda node, x, opset: np.add(x[0], x[1]),
    "Sub": lambda node, x, opset: np.subtract(x[0], x[1]),
    "Mul": lambda node, x, opset: np.multiply(x[0], x[1]),
    "Div": lambda node, x, opset: (np.floor_divide(x[0], x[1])
                                   if np.issubdtype(x[0].dtype, np.integer)
                                   else np.divide(x[0], x[1])),
    "Neg": lambda node, x, opset: np.negative(x[0]),
    "Equal": lambda node, x, opset: np.equal(x[0], x[1]),
    "Where": lambda node, x, opset: np.where(x[0], x[1], x[2]),
    "Concat": lambda node, x, opset: np.concatenate(x, axis=attribute(node, "axis")),
    "Gather": lambda node, x, opset: np.take(x[0], x[1], axis=attribute(node, "axis", 0)),
    "Unsqueeze": lambda node, x, opset: _unsqueeze(x[0], _axes(node, x, opset)),
    "Squeeze": lambda node, x, opset: (np.squeeze(x[0], axis=tuple(_axes(node, x, opset)))
                                       if _axes(node, x, opset) else np.squeeze(x[0])),
    "Slice": _slice,
    "Reshape": _reshape,
    "ConstantOfShape": _constant_of_shape,
    "Cast": _cast,
    "Range": lambda node, x, opset: np.arange(x[0], x[1], x[2]).astype(x[0].dtype),
    "Expand": lambda node, x, opset: x[0] * np.ones([int(v) for v in x[1]], dtype=x[0].dtype),
}


def _unsqueeze(data, axes):
    rank = data.ndim + len(axes)
    for axis in sorted(axis % rank for axis in axes):
        data = np.expand_dims(data, axis)
    return data


def _default_opset(model):
    return next((entry.version for entry in model.opset_import if entry.domain in ("",
                                                                                  "ai.onnx")), 13)


def _evaluate(node, values, shapes, opset):
    """The node's output value when it can be known now, else None."""
    if node.op_type == "Shape":
        if node.input[0] not in shapes:
            return None
        dims = np.array(shapes[node.input[0]], dtype=np.int64)
        start, end = attribute(node, "start"), attribute(node, "end")
        return dims[start or 0:end] if (start is not None or end is not None) else dims
    evaluator = _EVALUATORS.get(node.op_type)
    if evaluator is None or len(node.output) != 1:
        return None
    inputs = [values.get(name) if name else None for name in node.input]
    if any(value is None for name, value in zip(node.input, inputs) if name):
        return None
    try:
        result = np.asarray(evaluator(node, inputs, opset))
    except Exception:  # unusual arithmetic: leave the node to the runtime
        return None
    return result if result.size <= MAX_FOLDED_ELEMENTS else None


def fold_constants(model):
    """Fold what can be folded in one pass in graph order; returns the number of nodes
    replaced by initializers."""
    opset = _default_opset(model)
    shapes = static_shapes(model)
    index = GraphIndex(model)
    values = {name: index.constant(name) for name in index.initializers}
    kept, folded = [], []
    for node in model.graph.node:
        if node.op_type == "Constant":
            values[node.output[0]] = index.constant(node.output[0])
            kept.append(node)
            continue
        result = _evaluate(node, values, shapes, opset)
        if result is None:
            kept.append(node)
            continue
        values[node.output[0]] = result
        folded.append(numpy_helper.from_array(result, node.output[0]))
    if folded:
        del model.graph.node[:]
        model.graph.node.extend(kept)
        model.graph.initializer.extend(folded)
        remove_dead(model)
    return len(folded)
