"""Find every max-pooling/unpooling pair and rewrite it so that no index tensor is left.

Two shapes of graph are recognised:
- ``MaxPool`` (2 outputs) -> ``MaxUnpool``, the indices passing directly or through the index
  arithmetic exporters add (PyTorch's per-plane offsets: Sub/Add/Reshape/Cast/Unsqueeze...);
- the decomposition PyTorch's dynamo exporter emits: the indices, made flat, scattered with
  ``ScatterND`` into a flat zero tensor (``ConstantOfShape``), reshaped to the pooled size.

Each pair becomes the plain MaxPool plus either our op (``form="plugin"``: inputs are the tensor
to unpool and the tensor that was pooled) or the same semantics in standard ops that TensorRT
8.2+ parses (``form="native"``: window compare against the pooled maximum + DepthToSpace).
"""

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from edge_segnet.errors import ModelError
from edge_segnet.graph import UNPOOL_DOMAIN, UNPOOL_OP, UNPOOL_PLUGIN_VERSION
from edge_segnet.graph.editing import (GraphIndex, attribute, describe, remove_dead,
                                       text_attribute)
from edge_segnet.graph.shapes import static_shapes

FORMS = ("plugin", "native")

# Ops that carry indices unchanged in meaning (conventions change, the pairing does not).
_INDEX_ARITHMETIC = {"Add", "Sub", "Reshape", "Cast", "Identity", "Flatten", "Unsqueeze",
                     "Squeeze"}
_VALUE_LAYOUT = {"Reshape", "Flatten", "Identity"}


class UnpoolPair(object):
    """One unpooling to rewrite: ``values`` unpooled to the size of ``pool``'s input."""

    def __init__(self, form_found, pool, unpool_node, removed, values, output):
        self.form_found = form_found   # "MaxUnpool" or "ScatterND"
        self.pool = pool
        self.unpool_node = unpool_node  # the node whose place the rewrite takes
        self.removed = removed          # nodes replaced by the rewrite
        self.values = values
        self.output = output

    @property
    def pooled_input(self):
        return self.pool.input[0]


def _ints(node, name, default):
    value = attribute(node, name)
    return list(value) if value is not None else list(default)


def _check_pool_attributes(node, what):
    kernel = _ints(node, "kernel_shape", [])
    strides = _ints(node, "strides", [1] * len(kernel))
    pads = _ints(node, "pads", [0] * 2 * len(kernel))
    dilations = _ints(node, "dilations", [1] * len(kernel))
    auto_pad = text_attribute(node, "auto_pad", "NOTSET")
    ceil_mode = attribute(node, "ceil_mode", 0)
    if (kernel != [2, 2] or strides != [2, 2] or any(pads) or dilations != [1, 1]
            or ceil_mode or auto_pad not in ("NOTSET", "VALID")):
        raise ModelError(
            "{} {} has kernel_shape={} strides={} pads={}{}{}: only 2x2 windows with "
            "stride 2 and no padding can be rewritten".format(
                what, describe(node), kernel, strides, pads,
                " dilations={}".format(dilations) if dilations != [1, 1] else "",
                " ceil_mode=1" if ceil_mode else ""))


def _trace_pools(index, tensor):
    """MaxPool nodes whose indices output reaches ``tensor`` through index arithmetic."""
    found, seen, stack = [], set(), [tensor]
    while stack:
        name = stack.pop()
        if name in seen or not name:
            continue
        seen.add(name)
        node = index.producers.get(name)
        if node is None:
            continue
        if node.op_type == "MaxPool" and len(node.output) > 1 and node.output[1] == name:
            # A kernel-1 MaxPool is PyTorch's trick for plane offsets, not a pooling.
            if _ints(node, "kernel_shape", []) != [1, 1] and node not in found:
                found.append(node)
        elif node.op_type in _INDEX_ARITHMETIC:
            stack.extend(node.input[:2] if node.op_type in ("Add", "Sub") else node.input[:1])
    return found


def _pool_for(index, indices, user):
    pools = _trace_pools(index, indices)
    if not pools:
        raise ModelError("the indices of {} cannot be traced to a MaxPool; prepare rewrites "
                         "only unpooling fed by a MaxPool's indices".format(describe(user)))
    if len(pools) > 1:
        raise ModelError("the indices of {} come from several MaxPool nodes ({})".format(
            describe(user), ", ".join(describe(pool) for pool in pools)))
    return pools[0]


def _through(index, tensor, ops):
    """Follow ``tensor`` back through single-input ``ops`` to where it came from."""
    node = index.producers.get(tensor)
    while node is not None and node.op_type in ops:
        tensor = node.input[0]
        node = index.producers.get(tensor)
    return tensor, node


def _is_zero_tensor(index, tensor):
    source, node = _through(index, tensor, {"Reshape", "Identity", "Cast", "Expand"})
    constant = index.constant(source)
    if constant is not None:
        return not np.any(constant)
    if node is not None and node.op_type == "ConstantOfShape":
        value = attribute(node, "value")
        return value is None or not np.any(numpy_helper.to_array(value))
    return False


def _maxunpool_pair(index, node, shapes):
    _check_pool_attributes(node, "unpooling")
    pool = _pool_for(index, node.input[1], node)
    _check_pool_attributes(pool, "pooling feeding")
    target = shapes.get(pool.input[0])
    if len(node.input) > 2 and node.input[2]:
        constant = index.constant(node.input[2])
        if constant is not None:
            size = [int(v) for v in constant]
        else:
            source = index.producers.get(node.input[2])
            size = shapes.get(source.input[0]) if source is not None and \
                source.op_type == "Shape" else shapes.get(node.output[0])
    else:
        values_shape = shapes.get(node.input[0])
        size = values_shape[:2] + [2 * side for side in values_shape[2:]] if values_shape \
            else None
    if target is not None and size is not None and list(size[2:]) != list(target[2:]):
        raise ModelError("{} unpools to {} but its MaxPool {} pooled {}: prepare needs the "
                         "unpooled size to equal the pooled tensor's".format(
                             describe(node), list(size), describe(pool), list(target)))
    return UnpoolPair("MaxUnpool", pool, node, [node], node.input[0], node.output[0])


def _scatternd_pair(index, scatter, shapes):
    """A dynamo-style decomposition ending at ``scatter``, or None when it is another scatter."""
    if text_attribute(scatter, "reduction", "none") not in ("none", ""):
        return None
    if not _is_zero_tensor(index, scatter.input[0]):
        return None
    pools = _trace_pools(index, scatter.input[1])
    if len(pools) != 1:
        return None
    pool = pools[0]
    _check_pool_attributes(pool, "pooling feeding")
    values, _ = _through(index, scatter.input[2], _VALUE_LAYOUT)
    consumers = index.consumers.get(scatter.output[0], [])
    target = shapes.get(pool.input[0])
    if (len(consumers) != 1 or consumers[0].op_type != "Reshape" or target is None
            or shapes.get(consumers[0].output[0]) != target):
        raise ModelError("{} scatters MaxPool {}'s indices but is not reshaped to the pooled "
                         "size {}".format(describe(scatter), describe(pool), target))
    if shapes.get(values, [None])[2:] != shapes.get(pool.output[0], [])[2:]:
        raise ModelError("{} scatters values of shape {} with indices of MaxPool {} of shape "
                         "{}".format(describe(scatter), shapes.get(values), describe(pool),
                                     shapes.get(pool.output[0])))
    reshape = consumers[0]
    return UnpoolPair("ScatterND", pool, reshape, [scatter, reshape], values, reshape.output[0])


def find_pairs(model):
    """Every pooling/unpooling pair, in graph order; raises ModelError on unpooling that
    cannot be rewritten."""
    index = GraphIndex(model)
    shapes = static_shapes(model)
    pairs = []
    for node in model.graph.node:
        if node.op_type == "MaxUnpool":
            pairs.append(_maxunpool_pair(index, node, shapes))
        elif node.op_type == "ScatterND":
            pair = _scatternd_pair(index, node, shapes)
            if pair is not None:
                pairs.append(pair)
    return pairs


def plugin_nodes(index, pair):
    return [helper.make_node(
        UNPOOL_OP, [pair.values, pair.pooled_input], [pair.output],
        # The node it replaces is removed, so its name is free.
        name=pair.removed[0].name or index.fresh("unpool"), domain=UNPOOL_DOMAIN,
        kernel_shape=[2, 2], strides=[2, 2], plugin_version=UNPOOL_PLUGIN_VERSION,
        plugin_namespace="")]


def native_nodes(index, pair, shapes, types):
    """The unpooling in standard ops: the value goes where the window equals the pooled maximum
    first (row-major), then DepthToSpace interleaves the four positions."""
    base = pair.unpool_node.name or "unpool"
    height, width = shapes[pair.pooled_input][2:]
    h, w = height // 2, width // 2
    name = lambda suffix: index.fresh("{}.{}".format(base, suffix))  # noqa: E731
    nodes, initializers = [], []

    def const(suffix, array):
        tensor = numpy_helper.from_array(np.asarray(array), name(suffix))
        initializers.append(tensor)
        return tensor.name

    def node(op, inputs, suffix, **attrs):
        out = name(suffix)
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    ends, axes, steps = const("ends", [2 * h, 2 * w]), const("axes", [2, 3]), const("steps",
                                                                                  [2, 2])
    windows = [node("Slice", [pair.pooled_input, const("start{}{}".format(r, c), [r, c]), ends,
                              axes, steps], "x{}{}".format(r, c))
               for r, c in ((0, 0), (0, 1), (1, 0), (1, 1))]
    maximum = pair.pool.output[0]
    equal = [node("Equal", [window, maximum], "eq{}".format(k)) for k, window in
             enumerate(windows)]
    chosen, taken = [equal[0]], equal[0]
    for k in (1, 2, 3):
        chosen.append(node("And", [equal[k], node("Not", [taken], "free{}".format(k))],
                           "first{}".format(k)))
        if k < 3:
            taken = node("Or", [taken, equal[k]], "taken{}".format(k))
    dtype = {TensorProto.FLOAT16: np.float16}.get(types.get(pair.values), np.float32)
    zero = const("zero", np.zeros((), dtype=dtype))
    placed = [node("Where", [mask, pair.values, zero], "y{}".format(k)) for k, mask in
              enumerate(chosen)]
    stacked = node("Concat", placed, "blocks", axis=1)
    if (height, width) == (2 * h, 2 * w):
        nodes.append(helper.make_node("DepthToSpace", [stacked], [pair.output], blocksize=2,
                                      mode="DCR", name=name("interleave")))
    else:
        spread = node("DepthToSpace", [stacked], "interleave", blocksize=2, mode="DCR")
        pads = const("pads", np.array([0, 0, 0, 0, 0, 0, height - 2 * h, width - 2 * w],
                                      dtype=np.int64))
        nodes.append(helper.make_node("Pad", [spread, pads], [pair.output], mode="constant",
                                      name=name("pad")))
    return nodes, initializers


def rewrite(model, form="plugin"):
    """Rewrite every pair in place; returns a list of human-readable changes."""
    if form not in FORMS:
        raise ModelError("unknown unpool form {!r}; choose plugin or native".format(form))
    pairs = find_pairs(model)
    if not pairs:
        return []
    index = GraphIndex(model)
    shapes, types = static_shapes(model, with_types=True)
    replacements, initializers, changes = {}, [], []
    for pair in pairs:
        if form == "plugin":
            new_nodes = plugin_nodes(index, pair)
        else:
            new_nodes, new_inits = native_nodes(index, pair, shapes, types)
            initializers.extend(new_inits)
        replacements[id(pair.unpool_node)] = new_nodes
        changes.append("{} with indices of {} -> {}".format(
            describe(pair.unpool_node if pair.form_found == "MaxUnpool" else pair.removed[0]),
            describe(pair.pool), "{} '{}'".format(UNPOOL_OP, new_nodes[0].name)
            if form == "plugin" else "{} standard ops".format(len(new_nodes))))
    removed = {id(node) for pair in pairs for node in pair.removed}
    nodes = []
    for node in model.graph.node:
        if id(node) in replacements:
            nodes.extend(replacements[id(node)])
        elif id(node) not in removed:
            nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    model.graph.initializer.extend(initializers)
    if form == "plugin" and not any(entry.domain == UNPOOL_DOMAIN for entry in
                                    model.opset_import):
        model.opset_import.append(helper.make_opsetid(UNPOOL_DOMAIN, 1))
    remove_dead(model)
    drop_pool_indices(model)
    return changes


def drop_pool_indices(model):
    """Remove the indices output of every MaxPool; fail when something still uses one."""
    index = GraphIndex(model)
    for node in model.graph.node:
        if node.op_type != "MaxPool" or len(node.output) < 2 or not node.output[1]:
            continue
        users = index.consumers.get(node.output[1], [])
        if users or node.output[1] in index.graph_outputs:
            raise ModelError("the indices of {} are still used by {}: prepare can only remove "
                             "indices that feed unpooling".format(
                                 describe(node), ", ".join(describe(user) for user in users)
                                 or "a graph output"))
        del node.output[1:]


class _PluginPair(object):
    """An unpooling node of ours seen as the pair it stands for (what ``native_nodes``
    needs): the MaxPool that pooled its second input gives the window maxima."""

    def __init__(self, node, pool):
        self.unpool_node = node
        self.pool = pool
        self.values = node.input[0]
        self.output = node.output[0]
        self.pooled_input = node.input[1]


def expand_plugin_nodes(model):
    """Replace every unpooling node of ours with the same semantics in standard ops, keeping
    every tensor name, so that ONNX Runtime runs the graph as it is (calibration reads the
    ranges of tensors that the plugin-form graph has too). Returns the number replaced."""
    index = GraphIndex(model)
    shapes, types = static_shapes(model, with_types=True)
    replacements, initializers = {}, []
    original = list(model.graph.node)  # one set of node objects: their ids key the swap
    for node in original:
        if node.op_type != UNPOOL_OP:
            continue
        pools = [user for user in index.consumers.get(node.input[1], [])
                 if user.op_type == "MaxPool" and user.input[0] == node.input[1]]
        if len(pools) != 1:
            raise ModelError("{} unpools {}, which {} MaxPool nodes pool".format(
                describe(node), node.input[1], len(pools)))
        new_nodes, new_inits = native_nodes(index, _PluginPair(node, pools[0]), shapes, types)
        replacements[id(node)] = new_nodes
        initializers.extend(new_inits)
    if not replacements:
        return 0
    nodes = []
    for node in original:
        nodes.extend(replacements.get(id(node), [node]))
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    model.graph.initializer.extend(initializers)
    kept = [entry for entry in model.opset_import if entry.domain != UNPOOL_DOMAIN]
    del model.opset_import[:]
    model.opset_import.extend(kept)
    return len(replacements)
