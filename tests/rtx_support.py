"""TensorRT for RTX in tests: the real parser and builder, imported lazily, and where they are
absent a skip that says why, which EDGE_SEGNET_REQUIRE_RTX=1 (CI) turns into a failure."""

import importlib
import os
import time

import pytest

from edge_segnet.trt_facts import datatypes, rtx

REQUIRE_ENV = "EDGE_SEGNET_REQUIRE_RTX"


def _unavailable(reason):
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail("{} ({}=1: these tests must run here)".format(reason, REQUIRE_ENV))
    pytest.skip(reason)


def lib_dir():
    libs = importlib.import_module(rtx.LIBS_MODULE)
    return os.path.dirname(os.path.abspath(libs.__file__))


def bindings():
    """The ``tensorrt_rtx_bindings`` module, with the unversioned library link checked (without
    it a plugin node aborts the whole test process)."""
    try:
        module = importlib.import_module(rtx.BINDINGS_MODULE)
    except ImportError as exc:
        _unavailable("TensorRT for RTX is not installed ({}; pip install {}): {}".format(
            rtx.BINDINGS_MODULE, " ".join("{}=={}".format(name, rtx.WHEEL_VERSION)
                                          for name in rtx.WHEELS), exc))
    problem = rtx.missing_link(lib_dir())
    if problem:
        _unavailable(problem)
    return module


class Network(object):
    """What the real parser made of one graph, and what the real builder made of that."""

    def __init__(self, parsed, errors, inputs, outputs, layer_outputs, plan_bytes, seconds):
        self.parsed, self.errors = parsed, errors
        # {numpy dtype name (or DataType member name): count} over every layer's outputs.
        self.layer_outputs = layer_outputs
        self.inputs, self.outputs = inputs, outputs
        self.plan_bytes, self.seconds = plan_bytes, seconds

    def io(self):
        """(name, mode, shape, numpy dtype name) in the order of the sidecar's "io" records."""
        return [(name, "input", shape, dtype) for name, shape, dtype in self.inputs] + \
            [(name, "output", shape, dtype) for name, shape, dtype in self.outputs]


def _tensor(tensor):
    return (tensor.name, tuple(tensor.shape),
            datatypes.numpy_type_name(tensor.dtype) or datatypes.member_name(tensor.dtype))


def parse_and_build(trt, model_bytes, build=True, compute_capabilities=rtx.COMPUTE_CAPABILITIES,
                    quiet=False):
    """Parse ``model_bytes`` into a strongly typed network (the only kind TensorRT for RTX
    builds) and, when it parsed and ``build`` is set, build it ahead of time for
    ``compute_capabilities`` without a GPU. Raises nothing: the caller asserts."""
    start = time.perf_counter()
    # quiet: where the parser's errors are expected, and read back through get_error.
    logger = trt.Logger(trt.Logger.INTERNAL_ERROR if quiet else trt.Logger.ERROR)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    parser = trt.OnnxParser(network, logger)
    parsed = parser.parse(model_bytes)
    errors = []
    for index in range(parser.num_errors):
        error = parser.get_error(index)
        errors.append((error.node_name(), error.node_operator(), error.desc()))
    inputs = [_tensor(network.get_input(i)) for i in range(network.num_inputs)]
    outputs = [_tensor(network.get_output(i)) for i in range(network.num_outputs)]
    layer_outputs = {}
    for index in range(network.num_layers):
        layer = network.get_layer(index)
        for slot in range(layer.num_outputs):
            dtype = _tensor(layer.get_output(slot))[2]
            layer_outputs[dtype] = layer_outputs.get(dtype, 0) + 1
    plan_bytes = None
    if parsed and build:
        config = builder.create_builder_config()
        config.num_compute_capabilities = len(compute_capabilities)
        for index, capability in enumerate(compute_capabilities):
            config.set_compute_capability(
                getattr(trt.ComputeCapability, rtx.member_for(capability)), index)
        plan = builder.build_serialized_network(network, config)
        plan_bytes = plan.nbytes if plan is not None else 0
    return Network(parsed, errors, inputs, outputs, layer_outputs, plan_bytes,
                   time.perf_counter() - start)
