"""Runs a graph holding our unpooling op on ONNX Runtime: the standard parts on ONNX Runtime,
each unpooling node with the numpy reference, so a plugin-form graph can be checked on a CPU.

The graph is cut at every unpooling node: stage k computes that node's inputs from the graph
inputs and the unpooling outputs already known; a last stage computes the graph outputs.
"""

import onnx
from onnx import helper

from edge_segnet.graph import UNPOOL_DOMAIN, UNPOOL_OP
from edge_segnet.graph import unpool_reference
from edge_segnet.graph.shapes import static_shapes


def has_unpool_op(model):
    return any(node.op_type == UNPOOL_OP for node in model.graph.node)


def _needed_nodes(model, targets, known):
    """Nodes (in graph order) needed to compute ``targets`` from ``known`` tensors."""
    producers = {out: node for node in model.graph.node for out in node.output}
    needed, stack, seen = set(), list(targets), set()
    while stack:
        name = stack.pop()
        if name in seen or name in known or name not in producers:
            continue
        seen.add(name)
        node = producers[name]
        if node.op_type == UNPOOL_OP:
            raise ValueError("unpooling output {} is needed before it is computed".format(name))
        needed.add(id(node))
        stack.extend(node.input)
    return [node for node in model.graph.node if id(node) in needed]


def _stage_model(model, nodes, input_names, output_names, shapes, types):
    used = {name for node in nodes for name in node.input} | set(output_names)
    inits = [init for init in model.graph.initializer if init.name in used]
    inputs = [helper.make_tensor_value_info(name, types[name], shapes[name])
              for name in input_names if name in used]
    outputs = [helper.make_tensor_value_info(name, types.get(name, 0), shapes.get(name))
               for name in output_names]
    graph = helper.make_graph(nodes, "stage", inputs, outputs, initializer=inits)
    opsets = [entry for entry in model.opset_import if entry.domain != UNPOOL_DOMAIN]
    stage = helper.make_model(graph, opset_imports=opsets)
    stage.ir_version = model.ir_version
    return stage


class ReferenceSession(object):
    """The subset of ``onnxruntime.InferenceSession`` the Segmenter and verify use."""

    def __init__(self, model, make_session):
        shapes, types = static_shapes(model, with_types=True)
        initializers = {init.name for init in model.graph.initializer}
        graph_inputs = [v.name for v in model.graph.input if v.name not in initializers]
        known = set(graph_inputs) | initializers
        self.stages = []
        for node in model.graph.node:
            if node.op_type != UNPOOL_OP:
                continue
            targets = [name for name in node.input if name not in known]
            stage_nodes = _needed_nodes(model, targets, known)
            session = (make_session(_stage_model(model, stage_nodes, sorted(known - initializers),
                                                 targets, shapes, types))
                       if targets else None)
            self.stages.append((session, targets, node))
            known.add(node.output[0])
        outputs = [value.name for value in model.graph.output]
        final_nodes = _needed_nodes(model, outputs, known)
        self.final = make_session(_stage_model(model, final_nodes, sorted(known - initializers),
                                               outputs, shapes, types))
        self._first = self.stages[0][0] if self.stages and self.stages[0][0] else self.final
        self._input_names = graph_inputs
        self._constants = {init.name: onnx.numpy_helper.to_array(init)
                           for init in model.graph.initializer}

    def get_inputs(self):
        return [value for value in self._first.get_inputs() if value.name in self._input_names]

    def get_outputs(self):
        return self.final.get_outputs()

    def get_providers(self):
        return self.final.get_providers()

    @staticmethod
    def _feed(session, values):
        names = {value.name for value in session.get_inputs()}
        return {name: array for name, array in values.items() if name in names}

    def run(self, output_names, feed):
        values = dict(feed)
        for session, targets, node in self.stages:
            if session is not None:
                values.update(zip(targets, session.run(targets, self._feed(session, values))))
            operands = [values.get(name, self._constants.get(name)) for name in node.input]
            values[node.output[0]] = unpool_reference.unpool(operands[0], operands[1])
        names = output_names or [value.name for value in self.final.get_outputs()]
        return self.final.run(names, self._feed(self.final, values))

