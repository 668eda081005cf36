"""Small graph-editing helpers over ``onnx.ModelProto``: who produces and consumes a tensor,
constant values, fresh names, dead-node removal, topological order."""

import collections

from onnx import helper, numpy_helper


class GraphIndex(object):
    """Producers, consumers and constants of a graph, as it is when built; rebuild after edits."""

    def __init__(self, model):
        self.model = model
        graph = model.graph
        self.producers = {}
        self.consumers = collections.defaultdict(list)
        for node in graph.node:
            for name in node.output:
                if name:
                    self.producers[name] = node
            for name in node.input:
                if name:
                    self.consumers[name].append(node)
        self.initializers = {init.name: init for init in graph.initializer}
        self.graph_inputs = [value for value in graph.input if value.name not in self.initializers]
        self.graph_outputs = {value.name for value in graph.output}
        self._names = set(self.producers) | set(self.initializers) | {
            value.name for value in graph.input} | {node.name for node in graph.node}

    def constant(self, name):
        """The value of ``name`` when it is an initializer or a Constant node's output."""
        if name in self.initializers:
            return numpy_helper.to_array(self.initializers[name])
        node = self.producers.get(name)
        if node is not None and node.op_type == "Constant":
            for attribute in node.attribute:
                if attribute.name == "value":
                    return numpy_helper.to_array(attribute.t)
        return None

    def fresh(self, base):
        """A tensor or node name not used in the graph yet."""
        name, counter = base, 1
        while name in self._names:
            counter += 1
            name = "{}_{}".format(base, counter)
        self._names.add(name)
        return name


def numpy_dtype(onnx_type):
    """numpy dtype of an ONNX TensorProto data type (onnx 1.11 and newer)."""
    if hasattr(helper, "tensor_dtype_to_np_dtype"):
        return helper.tensor_dtype_to_np_dtype(onnx_type)
    from onnx import mapping

    return mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def attribute(node, name, default=None):
    for attr in node.attribute:
        if attr.name == name:
            return helper.get_attribute_value(attr)
    return default


def text_attribute(node, name, default=""):
    """A string attribute as str (ONNX stores bytes)."""
    value = attribute(node, name, default)
    return value.decode("utf-8") if isinstance(value, bytes) else value


def describe(node):
    """``MaxUnpool 'unpool3'`` for messages."""
    return "{} '{}'".format(node.op_type, node.name or (node.output[0] if node.output else "?"))


def remove_dead(model):
    """Drop nodes none of whose outputs is used, unused initializers and stale value_info.

    Returns the number of nodes removed.
    """
    graph = model.graph
    removed = 0
    while True:
        used = {value.name for value in graph.output}
        for node in graph.node:
            used.update(name for name in node.input if name)
        dead = [node for node in graph.node
                if not any(name in used for name in node.output if name)]
        if not dead:
            break
        dead_ids = {id(node) for node in dead}
        kept = [node for node in graph.node if id(node) not in dead_ids]
        del graph.node[:]
        graph.node.extend(kept)
        removed += len(dead)
    used = {name for node in graph.node for name in node.input}
    used |= {value.name for value in graph.output}
    kept_inits = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept_inits)
    produced = {name for node in graph.node for name in node.output}
    kept_info = [value for value in graph.value_info if value.name in produced]
    del graph.value_info[:]
    graph.value_info.extend(kept_info)
    return removed


QDQ_OPS = ("QuantizeLinear", "DequantizeLinear")


def has_qdq(model):
    """Whether the model holds Q/DQ (explicit INT8) nodes."""
    return any(node.op_type in QDQ_OPS for node in model.graph.node)
