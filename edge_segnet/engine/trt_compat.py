"""Every difference between the TensorRT releases we build and run on (8.2 to 11.x), and
TensorRT for RTX (its own module, ``tensorrt_rtx_bindings``), kept in this one module. Callers
pass the imported ``tensorrt`` module (or a test's stand-in) and get one interface; which
release has which name is pinned per release by tests/engine against each release's binding
names (tests/engine/trt_manifests).

Where a capability can be told apart by the presence of a name (``hasattr``) that is used,
so that releases between the ones we check (8.4, 9.x, 10.x minors) take the right path too;
the facts behind each choice are in ``edge_segnet.trt_facts.releases``.
"""

import numpy as np

from edge_segnet import optional
from edge_segnet.errors import EdgeSegnetError, UsageError
from edge_segnet.platform import installed
from edge_segnet.trt_facts import calibration_cache, datatypes, releases, rtx

GIB = 1 << 30


class TensorRTError(EdgeSegnetError):
    """TensorRT refused something (parse, build, deserialisation, execution)."""


def flavour(tensorrt):
    """releases.RTX for TensorRT for RTX's module, else releases.TENSORRT (stand-ins
    included): the two are told apart by the module's name, as NVIDIA names them."""
    name = getattr(tensorrt, "__name__", "") or ""
    return releases.RTX if name.split(".")[0] in rtx.MODULES else releases.TENSORRT


def import_flavour(wanted, purpose):
    """The installed module of flavour ``wanted``, or MissingDependencyError with the fix."""
    if wanted == releases.RTX:
        module = installed.rtx_module()
        return module or optional.require(rtx.BINDINGS_MODULE, purpose)
    return optional.require("tensorrt", purpose)


def import_either(purpose):
    """TensorRT where it is installed, else TensorRT for RTX (engines built with it run
    through the same backend, on RTX GPUs), else MissingDependencyError naming TensorRT."""
    module = optional.try_import("tensorrt")
    if module is None:
        module = installed.rtx_module()
    return module or optional.require("tensorrt", purpose)


def release_version(tensorrt):
    """(major, minor) of the module's own version (TensorRT for RTX: 1.7)."""
    return releases.parse_version(tensorrt.__version__)


def version(tensorrt):
    """(major, minor) of the TensorRT line whose facts apply to the given module: its own
    version, or for TensorRT for RTX the line it is planned as (rtx.PLANNED_AS: strongly typed
    only, as 11)."""
    if flavour(tensorrt) == releases.RTX:
        return rtx.PLANNED_AS
    return release_version(tensorrt)


def describe_release(tensorrt):
    """"TensorRT 10.3.0.26" or "TensorRT for RTX 1.7.1.116", for messages."""
    return "{} {}".format(releases.FLAVOUR_NAMES[flavour(tensorrt)], tensorrt.__version__)


# --- logging and plugins -------------------------------------------------------------------

def make_logger(tensorrt, verbose=False):
    severity = tensorrt.Logger.VERBOSE if verbose else tensorrt.Logger.WARNING
    return tensorrt.Logger(severity)


def init_plugins(tensorrt, logger):
    """Register TensorRT's own plugins (the parser needs the registry populated)."""
    tensorrt.init_libnvinfer_plugins(logger, "")


def find_plugin_creator(tensorrt, name, version_text, namespace=""):
    """The registered creator of plugin ``name`` (V2 or V3), or None.

    From 10 ``get_creator`` finds creators of either generation; 8.x has ``get_plugin_creator``
    only, and 11 no longer has it.
    """
    registry = tensorrt.get_plugin_registry()
    if _has(registry, "get_creator"):
        return registry.get_creator(name, version_text, namespace)
    return registry.get_plugin_creator(name, version_text, namespace)


# --- building ------------------------------------------------------------------------------

def create_network(tensorrt, builder):
    """An explicit-batch network, as the ONNX parser needs. Before 10 that takes the
    EXPLICIT_BATCH flag; 10 deprecates it and 11 removed it. On 11 every network is strongly
    typed whatever the flag says, so none is passed."""
    flags = 0
    creation = tensorrt.NetworkDefinitionCreationFlag
    if releases.needs_explicit_batch_flag(version(tensorrt)):
        flags |= 1 << int(creation.EXPLICIT_BATCH)
    return builder.create_network(flags)


def set_workspace(tensorrt, config, nbytes):
    if _has(config, "set_memory_pool_limit"):
        config.set_memory_pool_limit(tensorrt.MemoryPoolType.WORKSPACE, int(nbytes))
    else:  # 8.2
        config.max_workspace_size = int(nbytes)


def default_workspace(config):
    """8.2 builds with no scratch memory unless told (its default is 0 bytes of
    max_workspace_size, which rules out most tactics); later releases default to the device's
    memory. Give 8.2 one GiB, as trtexec did."""
    return None if _has(config, "set_memory_pool_limit") else GIB


def platform_has_fast_int8(builder):
    """None where the release no longer says (11): the GPU's compute capability decides."""
    return builder.platform_has_fast_int8 if _has(builder, "platform_has_fast_int8") else None


def _has(obj, name):
    try:
        getattr(obj, name)
        return True
    except AttributeError:
        return False


def set_precision(tensorrt, config, precision, calibrator=None):
    """Builder flags for ``precision`` (fp32, fp16, int8); returns the flags set, by name.

    INT8 comes from the network's Q/DQ nodes, or (<= 10.x) from a calibrator; FP16 is set with
    INT8 so that layers left unquantised run in half rather than single precision. On 11 there
    are no precision flags: the ONNX model's types are the precision, and nothing is set.
    """
    if releases.is_strongly_typed_only(version(tensorrt)):
        if calibrator is not None:
            raise UsageError("TensorRT 11 has no calibrators: INT8 comes only from a Q/DQ model",
                             hint="give a model from edge-segnet calibrate")
        return []
    names = list(releases.PRECISION_FLAGS[precision])
    for name in names:
        config.set_flag(getattr(tensorrt.BuilderFlag, name))
    if calibrator is not None:
        config.int8_calibrator = calibrator
    return names


def set_compute_capabilities(tensorrt, config, capabilities):
    """TensorRT for RTX: build ahead of time for these (major, minor) targets, no GPU needed
    (IBuilderConfig.num_compute_capabilities and set_compute_capability, as NVIDIA's "CPU-Only
    AOT" page shows them; ComputeCapability.CURRENT, this machine's GPU, is never asked for)."""
    config.num_compute_capabilities = len(capabilities)
    for index, capability in enumerate(capabilities):
        config.set_compute_capability(
            getattr(tensorrt.ComputeCapability, rtx.member_for(capability)), index)


def network_io(network):
    """The I/O of a parsed network as TensorSpecs, inputs first (TensorRT for RTX cannot
    deserialise the engine it built without a GPU; the network's tensors are the engine's)."""
    specs = []
    for count, get, is_input in ((network.num_inputs, network.get_input, True),
                                 (network.num_outputs, network.get_output, False)):
        for index in range(count):
            tensor = get(index)
            specs.append(TensorSpec(tensor.name, is_input, tensor.shape,
                                    numpy_dtype(tensor.dtype)))
    return specs


def set_optimization_level(tensorrt, config, level):
    if not _has(config, "builder_optimization_level"):
        raise UsageError("--opt-level needs TensorRT 8.6 or newer; this is {}".format(
            tensorrt.__version__))
    config.builder_optimization_level = int(level)


def set_dla(tensorrt, config, core, gpu_fallback):
    """Configure a DLA build as trtexec does (releases.DLA_FLAGS and around); the precision
    flags (FP16 unless INT8) come from set_precision. Returns the flags set, by name."""
    config.default_device_type = tensorrt.DeviceType.DLA
    config.DLA_core = int(core)
    names = [name for name in releases.DLA_FLAGS if _has(tensorrt.BuilderFlag, name)]
    names.append(releases.DLA_FALLBACK_FLAG if gpu_fallback else releases.DLA_NO_FALLBACK_FLAG)
    for name in names:
        config.set_flag(getattr(tensorrt.BuilderFlag, name))
    return names


def layer_placement(tensorrt, network, config):
    """[(layer name, "DLA" or "GPU")] for a network configured for a DLA: a layer runs on the
    DLA where its device type is the DLA and the builder says it can run there
    (IBuilderConfig.get_device_type and can_run_on_DLA, bound in every release 8.2-11)."""
    placement = []
    for index in range(network.num_layers):
        layer = network.get_layer(index)
        on_dla = (config.get_device_type(layer) == tensorrt.DeviceType.DLA and
                  config.can_run_on_DLA(layer))
        placement.append((layer.name, "DLA" if on_dla else "GPU"))
    return placement


def set_runtime_dla_core(runtime, core):
    """The DLA core an engine runs on is the runtime's, set before deserialising (from 8 the
    default is -1: NvInferRuntime.h, IRuntime::setDLACore, 8.2.1); trtexec does the same
    (samples/common/sampleEngines.cpp, loadEngineToEnv, 8.2.1 lines 1000-1003)."""
    if core is not None:
        runtime.DLA_core = int(core)


def set_detailed_profiling(tensorrt, config):
    """Layer names and details in the engine, so that the per-layer profile names layers."""
    config.profiling_verbosity = tensorrt.ProfilingVerbosity.DETAILED


TIMING_CACHE_TAKEN, TIMING_CACHE_MISMATCH, TIMING_CACHE_UNREADABLE = "taken", "mismatch", \
    "unreadable"


def attach_timing_cache(config, data):
    """Attach a timing cache read from ``data`` (empty: a new one). Returns TIMING_CACHE_TAKEN,
    or why a new cache replaced it: TIMING_CACHE_UNREADABLE when ``create_timing_cache`` gives
    None (a stale or corrupt file: NVIDIA's own loader checks for that, shared/utils/
    cacheUtils.cpp at v10.16, buildTimingCacheFromFile), TIMING_CACHE_MISMATCH when
    ``set_timing_cache`` refuses a cache from another release or GPU (it returns False)."""
    cache = config.create_timing_cache(bytes(data or b""))
    if cache is None:
        _attach_new_timing_cache(config)
        return TIMING_CACHE_UNREADABLE
    if config.set_timing_cache(cache, False):
        return TIMING_CACHE_TAKEN
    _attach_new_timing_cache(config)
    return TIMING_CACHE_MISMATCH


def _attach_new_timing_cache(config):
    cache = config.create_timing_cache(b"")
    if cache is None or not config.set_timing_cache(cache, False):
        raise TensorRTError("TensorRT could not make a new timing cache",
                            hint="build without --timing-cache")


def serialized_timing_cache(config):
    """The timing cache after a build, or None when the config holds none."""
    cache = config.get_timing_cache()
    return bytes(cache.serialize()) if cache is not None else None


def build_serialized(builder, network, config):
    """The serialised engine as bytes, or None when the build failed (TensorRT logged why)."""
    host_memory = builder.build_serialized_network(network, config)
    if host_memory is None:
        return None
    return bytes(memoryview(host_memory))


class ParseProblem(object):
    """One ONNX parser error: the node it is about (index, name, op) and the parser's text."""

    def __init__(self, node_index, node_name, op_type, description):
        self.node_index, self.node_name = node_index, node_name
        self.op_type, self.description = op_type, description

    def __str__(self):
        if self.node_index is None or self.node_index < 0:
            return self.description
        return "node {} '{}' ({}): {}".format(self.node_index, self.node_name or "?",
                                              self.op_type or "?", self.description)


def parser_problems(parser, model):
    """The parser's errors, each naming its node. From 10 the parser names the node and its op
    itself; before, only the node's index is given and ``model`` (the ONNX proto parsed)
    supplies the name and op."""
    problems = []
    nodes = model.graph.node
    for index in range(parser.num_errors):
        error = parser.get_error(index)
        node_index = error.node()
        name = op_type = None
        if _has(error, "node_name"):
            name, op_type = error.node_name(), error.node_operator()
        elif 0 <= node_index < len(nodes):
            name, op_type = nodes[node_index].name, nodes[node_index].op_type
        problems.append(ParseProblem(node_index, name, op_type, error.desc()))
    return problems


def implicit_int8_calibrator(tensorrt, cache_bytes, algorithm="EntropyCalibration2"):
    """A calibrator that only replays a calibration cache (the legacy implicit-INT8 path,
    8.x-10.x): TensorRT reads the cache and never asks for a batch. Its class is the one
    whose algorithm the cache's header names (TensorRT refuses a cache of another)."""
    calibration_cache.check_replayable(algorithm)
    base = getattr(tensorrt, calibration_cache.CALIBRATOR_CLASSES[algorithm])

    class CacheCalibrator(base):
        def __init__(self):
            base.__init__(self)
            self._cache = bytes(cache_bytes)

        def get_batch_size(self):
            return 1

        def get_batch(self, names):
            return None

        def read_calibration_cache(self):
            return self._cache

        def write_calibration_cache(self, cache):
            pass

    return CacheCalibrator()


# --- running -------------------------------------------------------------------------------

class TensorSpec(object):
    """One engine I/O tensor: name, direction, static shape, numpy dtype."""

    def __init__(self, name, is_input, shape, dtype):
        self.name, self.is_input = name, bool(is_input)
        self.shape = tuple(int(side) for side in shape)
        self.dtype = np.dtype(dtype)

    @property
    def nbytes(self):
        return int(np.prod(self.shape)) * self.dtype.itemsize

    def to_json(self):
        return {"name": self.name, "mode": "input" if self.is_input else "output",
                "shape": list(self.shape), "dtype": self.dtype.name}


def numpy_dtype(datatype):
    """The numpy dtype of a TensorRT DataType, from our own table: ``tensorrt.nptype`` of 8.2
    and 8.5 raises AttributeError under numpy >= 1.24 (see trt_facts.datatypes)."""
    name = datatypes.numpy_type_name(datatype)
    if name is None:
        raise TensorRTError("the engine has a tensor of type {}, which numpy has no type for"
                            .format(datatypes.member_name(datatype)),
                            hint="rebuild it with edge-segnet build")
    return np.dtype(name)


def io_tensors(tensorrt, engine):
    """The engine's I/O tensors in the engine's order. 8.5 added named tensors
    (num_io_tensors, get_tensor_*); 8.2-8.4 know bindings by index only, and 10 removed
    those."""
    specs = []
    if _has(engine, "num_io_tensors"):
        for index in range(engine.num_io_tensors):
            name = engine.get_tensor_name(index)
            is_input = engine.get_tensor_mode(name) == tensorrt.TensorIOMode.INPUT
            specs.append(TensorSpec(name, is_input, engine.get_tensor_shape(name),
                                    numpy_dtype(engine.get_tensor_dtype(name))))
    else:
        for index in range(engine.num_bindings):
            specs.append(TensorSpec(engine.get_binding_name(index),
                                    engine.binding_is_input(index),
                                    engine.get_binding_shape(index),
                                    numpy_dtype(engine.get_binding_dtype(index))))
    for spec in specs:
        if any(side < 0 for side in spec.shape):
            raise TensorRTError("engine tensor {} has a dynamic shape {}".format(
                spec.name, list(spec.shape)), hint="rebuild it with edge-segnet build, which "
                                                   "fixes the input size")
    return specs


class Execution(object):
    """Runs one execution context on fixed device addresses: the tensor API (>= 8.5) binds each
    address by name once; the bindings API (8.2-8.4) passes them by index on every call."""

    def __init__(self, context, specs, addresses):
        self.context = context
        self._tensor_api = _has(context, "execute_async_v3")
        if self._tensor_api:
            for spec in specs:
                context.set_tensor_address(spec.name, int(addresses[spec.name]))
        else:
            self._bindings = [int(addresses[spec.name]) for spec in specs]

    def execute_async(self, stream_handle):
        if self._tensor_api:
            ok = self.context.execute_async_v3(stream_handle)
        else:
            ok = self.context.execute_async_v2(self._bindings, stream_handle)
        if not ok:
            raise TensorRTError("TensorRT failed to enqueue the engine (see its log above)")


def layer_profiler(tensorrt):
    """An IProfiler that sums each layer's time over the runs it sees."""
    base = tensorrt.IProfiler

    class LayerTimes(base):
        def __init__(self):
            base.__init__(self)
            self.milliseconds = {}
            self.counts = {}

        def report_layer_time(self, layer_name, ms):
            self.milliseconds[layer_name] = self.milliseconds.get(layer_name, 0.0) + ms
            self.counts[layer_name] = self.counts.get(layer_name, 0) + 1

    return LayerTimes()
