"""Fold each inference-mode BatchNormalization into the Conv that feeds it.

Quantisation needs this before weights get their per-channel scales: a BatchNormalization left
between a Conv and its ReLU would be scaled into weights that were already rounded to INT8 (or
split the Conv+BN+ReLU fusion), and the weight scales would describe the wrong tensor."""

import numpy as np
from onnx import numpy_helper

from edge_segnet.graph.editing import GraphIndex, attribute, remove_dead


def _foldable(index, conv, norm):
    """The Conv's output goes nowhere but this BatchNormalization, and every parameter of
    both is a constant: then the pair is one Conv."""
    if conv.op_type != "Conv" or len(index.consumers.get(conv.output[0], [])) != 1:
        return False
    if conv.output[0] in index.graph_outputs or len(norm.output) > 1 and any(norm.output[1:]):
        return False  # training-mode statistics outputs are used
    parameters = list(conv.input[1:]) + list(norm.input[1:5])
    return all(index.constant(name) is not None for name in parameters if name)


def fold_batchnorm(model):
    """Fold in place; returns one line per folded pair."""
    index = GraphIndex(model)
    changes, removed = [], set()
    # One list of the nodes for the whole pass: ids are only stable while the objects live
    # (protobuf's C++ implementation wraps a node anew on each access).
    nodes = list(model.graph.node)
    for norm in nodes:
        if norm.op_type != "BatchNormalization":
            continue
        conv = index.producers.get(norm.input[0])
        if conv is None or not _foldable(index, conv, norm):
            continue
        weight = index.constant(conv.input[1]).astype(np.float64)
        bias = (index.constant(conv.input[2]).astype(np.float64)
                if len(conv.input) > 2 and conv.input[2] else np.zeros(weight.shape[0]))
        gamma, beta, mean, var = (index.constant(name).astype(np.float64)
                                  for name in norm.input[1:5])
        factor = gamma / np.sqrt(var + attribute(norm, "epsilon", 1e-5))
        dtype = index.constant(conv.input[1]).dtype
        new_weight = numpy_helper.from_array(
            (weight * factor.reshape((-1,) + (1,) * (weight.ndim - 1))).astype(dtype),
            index.fresh(conv.input[1] + ".folded"))
        new_bias = numpy_helper.from_array(((bias - mean) * factor + beta).astype(dtype),
                                           index.fresh(conv.name + ".bias.folded"))
        model.graph.initializer.extend([new_weight, new_bias])
        del conv.input[1:]
        conv.input.extend([new_weight.name, new_bias.name])
        # The Conv takes the BatchNormalization's output name: its consumers stay as they are.
        conv.output[0] = norm.output[0]
        removed.add(id(norm))
        changes.append("BatchNormalization '{}' folded into Conv '{}'".format(norm.name,
                                                                            conv.name))
    if removed:
        kept = [node for node in nodes if id(node) not in removed]
        del model.graph.node[:]
        model.graph.node.extend(kept)
        remove_dead(model)
    return changes
