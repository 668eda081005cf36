"""A stand-in for the ``tensorrt`` module of one TensorRT release, for tests on machines
without TensorRT or a GPU.

    trt = make_fake_tensorrt("8.2.1", Scenario(fast_int8=False))
    monkeypatch.setitem(sys.modules, "tensorrt", trt)   # or pass ``trt`` where code takes it

Names. The module and every class expose exactly the names that release's Python bindings
have, read from ``trt_manifests/trt-<release>.json`` (written by ``tools/trt_api_manifest.py``
from TensorRT's own binding source). A name the release lacks raises ``AttributeError`` (as
the real module would), so engine code that uses ``execute_async_v2`` on 10.x or
``num_io_tensors`` on 8.2 fails its test. Behaviour is the hand-written Python below, reachable
only through listed names; a listed name with no behaviour here raises
``NotImplementedError("fake tensorrt <release>: <Class>.<name> not modelled")`` when an instance
(or the module) is asked for it. Looked up on a class it gives a placeholder instead, so
``hasattr(trt.IBuilderConfig, name)`` tells whether the release has it. Unmodelled dunders
(``__repr__``, ``__eq__`` ...) fall back to Python's defaults. Setting an attribute a generated
object lacks raises ``AttributeError`` as on pybind11 objects; Python subclasses (loggers,
profilers, calibrators) may set what they like. Names starting ``_f_`` are the fake's own.

Calls. ``trt._calls`` lists every call into the fake as text: ``"Builder.create_network"``,
``"IBuilderConfig.set_flag(BuilderFlag.FP16)"`` (enum arguments are shown, others are not),
``"IBuilderConfig.max_workspace_size="`` (a property set), ``"ICudaEngine.num_io_tensors"`` (a
property read), ``"init_libnvinfer_plugins"`` (module functions). ``trt._call_args`` holds the
same entries as ``(text, args, kwargs)``. ``trt._log`` holds ``(severity_name, message)`` for
everything the fake logged through a logger.

Scenario fields (``Scenario(**fields)``; all optional):
    gpu_name             text stored in built engines; a Runtime with another refuses them
    fast_fp16, fast_int8 Builder.platform_has_fast_fp16 / _int8 (TX1/TX2/Nano: int8 False)
    dla_cores, max_dla_batch_size   Builder/Runtime.num_DLA_cores, Builder.max_DLA_batch_size
    build_fails          True or an error text: build_serialized_network logs it, returns None
    unsupported_ops      op types the parser has no importer for (they go to the plugin
                         fallback, and fail there unless registered as a plugin)
    registered_plugins   [(name, version, namespace)] creators in the plugin registry
    library_plugins      {path: [(name, version, namespace)]} added by registry.load_library
    memory               the device-memory resolver executions read and write (below)
    layer_time_ms        per-layer time given to IProfiler.report_layer_time (float or
                         callable(layer_name) -> float)
    device_memory        bytes of "GPU memory" (default memory-pool limits)
    version              ``trt.__version__`` (default: NvInferVersion.h's, e.g. "8.2.1.8";
                         wheels built from 8.6 on may say "8.6.1")

Memory protocol. An execution reads each input from, and writes each output to, the integer
address bound to it, through ``scenario.memory.array(ptr, shape, dtype)`` which must return a
writable numpy array of that shape and dtype viewing the bytes at ``ptr``. ``FakeDeviceMemory``
(``allocate(nbytes) -> ptr``, ``array``, ``free(ptr)``) is a minimal one; any object with an
``array`` method of that meaning serves (tests/engine/fake_cuda.py's FakeCuda does).

Engines. A "serialized engine" is ``b"FAKE-TRT-ENGINE\\0"``, a 4-byte length, a JSON header
(release, version, gpu, I/O tensors, layers, flags, plugin creators used ...) and the parsed
ONNX model; executing an engine runs that model on ONNX Runtime (CPU), with
``edge_segnet.graph.executor`` supplying EdgeSegnetUnpool nodes, and writes real results.

Not modelled (beyond what raises NotImplementedError): precision effects (FP16/INT8 engines
compute in FP32), dynamic shapes and optimization profiles (a -1 dimension fails the build as
without a profile), refit, CUDA graphs, streams (every execution completes before it returns),
the real plan format, numeric timing. ``nptype`` is each release's own table, ``np.bool`` and
all: under numpy 1.24-1.26 it raises AttributeError on 8.2.1 and 8.5.2 as theirs does.
"""

import ctypes
import inspect
import json
import os
import struct
import types
import warnings

import numpy as np

MANIFEST_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trt_manifests")
RELEASES = ("8.2.1", "8.5.2", "8.6.1", "10.3.0", "10.16", "11.1")
UNPOOL_OP = "EdgeSegnetUnpool"  # edge_segnet.graph.UNPOOL_OP

ENGINE_MAGIC = b"FAKE-TRT-ENGINE\x00"
TIMING_CACHE_MAGIC = b"FAKE-TRT-TIMING\x00"
CALIBRATION_MAGIC = b"FAKE-TRT-CALIBRATION\x00"

_MANIFESTS = {}


def _release(text):
    """"8.2.1", "v10.3.0", "10.3" or "10.3.0.26" -> the RELEASES entry it names."""
    text = str(text).lstrip("v")
    found = [r for r in RELEASES if text == r or text.startswith(r + ".") or
             r.startswith(text + ".")]
    if len(found) != 1:
        raise ValueError("no manifest for TensorRT {!r}; have {}".format(
            text, ", ".join(RELEASES)))
    return found[0]


def load_manifest(release):
    release = _release(release)
    if release not in _MANIFESTS:
        path = os.path.join(MANIFEST_DIR, "trt-{}.json".format(release))
        with open(path) as handle:
            _MANIFESTS[release] = json.load(handle)
    return _MANIFESTS[release]


class Scenario(object):
    """The machine and libraries the fake module pretends to run on (see the module doc)."""

    def __init__(self, gpu_name="Fake Orin (sm_87)", fast_fp16=True, fast_int8=True,
                 dla_cores=0, max_dla_batch_size=32, build_fails=False, unsupported_ops=(),
                 registered_plugins=(), library_plugins=None, memory=None, layer_time_ms=0.05,
                 device_memory=8 << 30, version=None):
        self.gpu_name = gpu_name
        self.version = version
        self.fast_fp16, self.fast_int8 = fast_fp16, fast_int8
        self.dla_cores, self.max_dla_batch_size = dla_cores, max_dla_batch_size
        self.build_fails = build_fails
        self.unsupported_ops = set(unsupported_ops)
        self.registered_plugins = [tuple(str(part) for part in c) for c in registered_plugins]
        self.library_plugins = dict(library_plugins or {})
        self.memory = memory if memory is not None else FakeDeviceMemory()
        self.layer_time_ms = layer_time_ms
        self.device_memory = device_memory


class NumpyWithoutBoolAlias(object):
    """numpy as 1.24 to 1.26 are to code that names ``np.bool`` (removed in 1.24, back in 2.0):
    everything else is the installed numpy. Tests put it in place of this module's ``np`` to
    meet 8.2.1's and 8.5.2's ``nptype`` as a board with numpy 1.24 does, whatever numpy runs
    the tests (numpy 2 itself needs ``np.bool``, so it cannot simply be deleted there)."""

    def __init__(self):
        self._numpy = np  # the real one, whatever this module's ``np`` is replaced with

    def __getattr__(self, name):
        if name == "bool":
            raise AttributeError("module 'numpy' has no attribute 'bool'.\n`np.bool` was a "
                                 "deprecated alias for the builtin `bool`.")
        return getattr(self._numpy, name)


class FakeDeviceMemory(object):
    """"Device" memory as host byte arrays addressed by integer pointers."""

    def __init__(self):
        self._blocks = {}
        self._next = 0x7F0000000000

    def allocate(self, nbytes):
        ptr = self._next
        self._blocks[ptr] = np.zeros(max(1, int(nbytes)), np.uint8)
        self._next += (max(1, int(nbytes)) + 511) // 256 * 256
        return ptr

    def array(self, ptr, shape, dtype):
        ptr, dtype = int(ptr), np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        for base, block in self._blocks.items():
            if base <= ptr and ptr + nbytes <= base + block.size:
                return block[ptr - base:ptr - base + nbytes].view(dtype).reshape(shape)
        raise ValueError("fake device memory: no allocation holds {} bytes at {:#x}".format(
            nbytes, ptr))

    def free(self, ptr):
        del self._blocks[int(ptr)]


# --------------------------------------------------------------------------- machinery


class _NotModelled(object):
    """A listed name the fake has no behaviour for."""

    def __init__(self, release, owner, name):
        self.text = "fake tensorrt {}: {}.{} not modelled".format(release, owner, name)

    def __get__(self, obj, cls=None):
        if obj is None:
            return self  # class-level lookups (hasattr probes, introspection) see it exists
        raise NotImplementedError(self.text)

    def __set__(self, obj, value):
        raise NotImplementedError(self.text)

    def __call__(self, *args, **kwargs):
        raise NotImplementedError(self.text)

    def __repr__(self):
        return "<{}>".format(self.text)


class _FakeObject(object):
    """Base of the generated classes: no attributes beyond the listed ones, like pybind11."""

    def __setattr__(self, name, value):
        cls = type(self)
        if name.startswith("_f_") or "_f_generated" not in cls.__dict__:
            object.__setattr__(self, name, value)
            return
        for klass in cls.__mro__:
            if name in klass.__dict__:
                attr = klass.__dict__[name]
                if hasattr(attr, "__set__"):
                    attr.__set__(self, value)
                    return
                break
        raise AttributeError("'tensorrt.{}' object has no attribute '{}'".format(
            cls.__name__, name))


class _EnumMember(object):
    """A pybind11 enum value: ``.name``, ``.value``, ``int()``, hashable, ``Enum.MEMBER``."""

    _f_arithmetic = False

    def __setattr__(self, name, value):
        raise AttributeError("can't set attribute")

    def __int__(self):
        return self.value

    __index__ = __int__

    def __hash__(self):
        return hash(self.value)

    def __eq__(self, other):
        if type(other) is type(self):
            return other.value == self.value
        if self._f_arithmetic and isinstance(other, int):
            return other == self.value
        return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def _f_order(self, other):
        if type(other) is type(self):
            return other.value
        if self._f_arithmetic and isinstance(other, int):
            return other
        raise TypeError("'<' not supported between {} and {}".format(
            type(self).__name__, type(other).__name__))

    def __lt__(self, other):
        return self.value < self._f_order(other)

    def __le__(self, other):
        return self.value <= self._f_order(other)

    def __gt__(self, other):
        return self.value > self._f_order(other)

    def __ge__(self, other):
        return self.value >= self._f_order(other)

    def __repr__(self):
        return "{}.{}".format(type(self).__name__, self.name)

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("fake tensorrt enum members do not pickle")


def _enum_new(cls, value):
    """``trt.DataType(0)``: pybind11 enums are constructible from their value."""
    for member in cls.__members__.values():
        if member.value == int(value):
            return member
    raise ValueError("{} has no member with value {}".format(cls.__name__, value))


_BEHAVIOURS = {}


def _models(*names):
    """Registers a class whose attributes are the behaviour of the named TensorRT class(es)."""
    def register(cls):
        for name in names:
            _BEHAVIOURS[name] = cls
        return cls
    return register


def _behaviour(owner, name):
    cls = _BEHAVIOURS.get(owner)
    for klass in (inspect.getmro(cls)[:-1] if cls else ()):
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _describe(owner, name, args):
    """``Owner.name``, ``Owner.name(Enum.MEMBER, ...)`` showing enum arguments; module functions
    are bare ``name``."""
    text = name if owner is None else "{}.{}".format(owner, name)
    shown = [repr(arg) for arg in args if isinstance(arg, _EnumMember)]
    return "{}({})".format(text, ", ".join(shown)) if shown else text


class _FakeModule(types.ModuleType):
    def __getattr__(self, name):  # only reached for names not set on the module
        if name in self.__dict__.get("_f_unmodelled", ()):
            raise NotImplementedError("fake tensorrt {}: tensorrt.{} not modelled".format(
                self.__dict__["_f_release"], name))
        raise AttributeError("module 'tensorrt' has no attribute '{}'".format(name))

    def __dir__(self):
        return sorted(set(self.__dict__) | set(self.__dict__.get("_f_unmodelled", ())))


class _Fake(object):
    """One fake module's shared state: manifest, scenario, call log, generated types."""

    def __init__(self, release, scenario):
        self.release, self.scenario = _release(release), scenario or Scenario()
        self.manifest = load_manifest(release)
        self.version = self.scenario.version or self.manifest["version"]
        self.major = int(self.version.split(".")[0])
        self.calls, self.call_args, self.log_messages = [], [], []
        self.classes, self.enums, self.listing = {}, {}, {}
        self.plugins = list(self.scenario.registered_plugins)
        self.registry = None
        self._memory_types = {}

    # --- names
    def lineage(self, cls_name):
        seen, todo = [], [cls_name]
        while todo:
            name = todo.pop(0)
            if name not in seen and name in self.listing:
                seen.append(name)
                todo.extend(self.listing[name].get("bases", ()))
        return seen

    def member(self, enum, name):
        return self.enums[enum].__members__[name]

    def has_member(self, enum, name):
        return enum in self.enums and name in self.enums[enum].__members__

    def lists(self, cls_name, name):
        return any(name in entry.get(kind, ()) for owner in self.lineage(cls_name)
                   for entry in [self.listing[owner]]
                   for kind in ("methods", "properties", "static", "attributes"))

    # --- recording and logging
    def record(self, text, args=(), kwargs=None):
        self.calls.append(text)
        self.call_args.append((text, tuple(args), dict(kwargs or {})))

    def log(self, logger, severity, message):
        self.log_messages.append((severity, message))
        if logger is None:
            return
        if "_f_generated" in type(logger).__dict__:  # the built-in Logger: kept, not printed
            return
        logger.log(self.member("ILogger.Severity", severity), message)

    # --- objects
    def new(self, cls_name, **state):
        obj = self.classes[cls_name].__new__(self.classes[cls_name])
        for key, value in state.items():
            setattr(obj, "_f_" + key, value)
        return obj

    def host_memory(self, data):
        """An IHostMemory: the buffer protocol (bytes(), memoryview, file.write), nbytes."""
        data = bytes(data)
        cls = self._memory_types.get(len(data))
        if cls is None:
            base = self.classes["IHostMemory"]
            namespace = {"_f_generated": True, "__module__": base.__module__}
            for dunder in ("__len__", "__getitem__", "__setitem__"):
                if not self.lists("IHostMemory", dunder):
                    namespace[dunder] = None  # a ctypes array has them; IHostMemory does not
            cls = type("IHostMemory", (base, ctypes.c_ubyte * len(data)), namespace)
            self._memory_types[len(data)] = cls
        return cls.from_buffer_copy(data)

    def dtype_np(self, dtype):
        return np.dtype(_NUMPY_OF_DTYPE[dtype.name])


# --------------------------------------------------------------------------- module functions


# tensorrt/__init__.py's ``nptype`` table per release: python/packaging/tensorrt/__init__.py at
# 8.2.1 (lines 150-169) and 8.5.2 (151-171); python/packaging/bindings_wheel/tensorrt/__init__.py
# at v8.6.1 (153-173), v10.3.0 (151-172), v10.16 and v11.1 (from line 171). The table is built on
# every call, and 8.2.1 and 8.5.2 write ``np.bool`` in it, which numpy 1.24-1.26 do not have (the
# name came back in numpy 2): there every call raises AttributeError before any lookup.
_NPTYPE_NAMES = {
    "8.2.1": ("float32", "float16", "int8", "int32", "bool"),
    "8.5.2": ("float32", "float16", "int8", "int32", "bool", "uint8"),
    "8.6.1": ("float32", "float16", "int8", "int32", "bool", "uint8"),
}
_NPTYPE_NAMES_FROM_10 = ("float32", "float16", "int8", "int32", "int64", "bool", "uint8")
_NPTYPE_WITH_NP_BOOL = ("8.2.1", "8.5.2")
_ITEMSIZE = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "int32": 4, "int64": 8,
             "bool": 1, "uint8": 1, "fp8": 1, "int4": 0.5, "fp4": 0.5}


def _common_enter(this):
    """python/packaging/tensorrt/__init__.py at 8.2.1, common_enter (lines 73-79); common_exit
    does nothing (lines 82-87)."""
    warnings.warn("Context managers for TensorRT types are deprecated. Memory will be freed "
                  "automatically when the reference count reaches 0.", DeprecationWarning)
    return this


def _itemsize_of(fake, trt_type):
    """tensorrt/__init__.py, _itemsize (8.2.1 line 173; bindings_wheel/tensorrt/__init__.py
    later): the size per DataType, None for one it does not list."""
    attrs = fake.manifest["module"]["attributes"]
    for name, size in sorted(_ITEMSIZE.items()):
        if name in attrs and _MODULE_ALIASES[name] == getattr(trt_type, "name", None):
            return size
    return None


def _module_functions(fake, module):
    """tensorrt/__init__.py's Python helpers and the bound module functions, as modelled."""

    def nptype(trt_type):
        mapping = {}
        for name in _NPTYPE_NAMES.get(fake.release, _NPTYPE_NAMES_FROM_10):
            if name != "bool":
                numpy_type = getattr(np, name)
            elif fake.release in _NPTYPE_WITH_NP_BOOL:
                numpy_type = getattr(np, "bool")  # as written there: np.bool
            else:
                numpy_type = np.bool_
            mapping[getattr(module, name)] = numpy_type
        if trt_type in mapping:
            return mapping[trt_type]
        raise TypeError("Could not resolve TensorRT datatype to an equivalent numpy datatype.")

    def volume(iterable):  # tensorrt/__init__.py at 8.2.1, volume (line 135)
        vol = 1
        for elem in iterable:
            vol *= elem
        return vol

    def _itemsize(trt_type):
        return _itemsize_of(fake, trt_type)

    def common_exit(this, exc_type, exc_value, traceback):
        pass

    def init_libnvinfer_plugins(logger, namespace):
        """Registers the standard TensorRT plugins; the fake's registry holds the scenario's
        creators from the start, so this only records the call. That it returns True is the
        fake's: the function is in libnvinfer_plugin (closed), bound in python/src/infer/
        pyPlugin.cpp."""
        return True

    def get_plugin_registry():
        if fake.registry is None:
            fake.registry = fake.new("IPluginRegistry", creators={})
        return fake.registry

    return {"nptype": nptype, "volume": volume, "_itemsize": _itemsize,
            "common_enter": _common_enter, "common_exit": common_exit,
            "init_libnvinfer_plugins": init_libnvinfer_plugins,
            "get_plugin_registry": get_plugin_registry}


_MODULE_ALIASES = {"float32": "FLOAT", "float16": "HALF", "bfloat16": "BF16", "int8": "INT8",
                   "int32": "INT32", "int64": "INT64", "bool": "BOOL", "uint8": "UINT8",
                   "fp8": "FP8", "int4": "INT4", "fp4": "FP4", "e8m0": "E8M0"}
_ENUM_ALIASES = {"ResizeMode": "InterpolationMode", "SliceMode": "SampleMode"}
_NUMPY_OF_DTYPE = {"FLOAT": "float32", "HALF": "float16", "INT8": "int8", "INT32": "int32",
                   "INT64": "int64", "BOOL": "bool", "UINT8": "uint8"}


def _field(name, writable=None):
    """A property over the object's ``_f_<name>`` state; ``writable``: True, or a converter."""
    def fset(self, value):
        setattr(self, "_f_" + name, value if writable is True else writable(value))
    return property(lambda self: getattr(self, "_f_" + name), fset if writable else None)


# --------------------------------------------------------------------------- loggers & plugins


@_models("ILogger")
class _ILogger(object):
    """Subclassed in Python: the fake calls the subclass's ``log``."""

    def __init__(self):
        pass

    def __enter__(self):
        return _common_enter(self)

    def __exit__(self, exc_type, exc_value, traceback):
        return None


@_models("Logger")
class _Logger(object):
    """The built-in logger; what it is sent goes to ``trt._log`` (the real one prints). Its
    min_severity defaults to WARNING (python/src/infer/pyCore.cpp at 8.2.1, DefaultLogger and
    its binding, lines 417-420 and 476-477)."""

    def __init__(self, min_severity=None):
        self._f_min_severity = (min_severity if min_severity is not None else
                                type(self)._f_fake.member("ILogger.Severity", "WARNING"))

    def log(self, severity, msg):
        type(self)._f_fake.log_messages.append((severity.name, msg))

    min_severity = _field("min_severity", True)


@_models("IProfiler")
class _IProfiler(object):
    """Subclassed in Python; executions call its ``report_layer_time`` per layer."""

    def __init__(self):
        pass


@_models("IInt8Calibrator", "IInt8EntropyCalibrator", "IInt8EntropyCalibrator2",
         "IInt8MinMaxCalibrator", "IInt8LegacyCalibrator")
class _Calibrator(object):
    """Subclassed in Python; an INT8 build calls get_batch_size, read_calibration_cache, then
    get_batch until it returns None, then write_calibration_cache. The order is the fake's
    (the builder is closed); that get_batch's None ends calibration and that a None cache means
    "no cache" follow python/src/infer/pyInt8.cpp at 8.2.1 (pyCalibratorTrampoline::getBatch
    and readCalibrationCache, lines 39-73)."""

    def __init__(self):
        pass


@_models("IPluginCreator")
class _IPluginCreator(object):
    name = property(lambda self: self._f_key[0])
    plugin_version = property(lambda self: self._f_key[1])
    plugin_namespace = property(lambda self: self._f_key[2])


def _find_creator(fake, name, version, namespace):
    """An exact (name, version, namespace) match, as IPluginRegistry::getPluginCreator takes
    all three (NvInferRuntimeCommon.h at 8.2.1; bound in python/src/infer/pyPlugin.cpp line
    247 with plugin_namespace defaulting to ""). None where none: it returns nullptr."""
    key = (str(name), str(version), str(namespace))
    return key if key in fake.plugins else None


@_models("IPluginRegistry")
class _IPluginRegistry(object):
    """The creators present are the scenario's ``registered_plugins`` (plus loaded libraries')."""

    def _f_creator(self, key):
        if key not in self._f_creators:
            self._f_creators[key] = type(self)._f_fake.new("IPluginCreator", key=key)
        return self._f_creators[key]

    @property
    def plugin_creator_list(self):
        return [self._f_creator(key) for key in type(self)._f_fake.plugins]

    all_creators = plugin_creator_list

    def get_plugin_creator(self, type, version, plugin_namespace=""):
        fake = self.__class__._f_fake
        key = _find_creator(fake, type, version, plugin_namespace)
        if key is None:  # the logged text is as seen from the library, not from a source line
            fake.log(None, "ERROR", "getPluginCreator could not find plugin: {} version: {}"
                     .format(type, version))
            return None
        return self._f_creator(key)

    get_creator = get_plugin_creator

    def load_library(self, plugin_path):
        fake = self.__class__._f_fake
        for creator in fake.scenario.library_plugins.get(plugin_path, ()):
            key = tuple(str(part) for part in creator)
            if key not in fake.plugins:
                fake.plugins.append(key)
        return plugin_path


# --------------------------------------------------------------------------- network & parser


@_models("ITensor")
class _ITensor(object):
    name = _field("name")
    shape = property(lambda self: tuple(self._f_shape))
    dtype = _field("dtype", True)
    is_network_input = _field("is_input")
    is_network_output = _field("is_output")


@_models("ILayer")
class _ILayer(object):
    name = _field("name", True)
    type = _field("type")
    precision = _field("precision", True)


@_models("INetworkDefinition")
class _INetworkDefinition(object):
    """Holds what the ONNX parser imported: I/O tensors, one layer per node, the model."""

    num_inputs = property(lambda self: len(self._f_inputs))
    num_outputs = property(lambda self: len(self._f_outputs))
    num_layers = property(lambda self: len(self._f_layers))
    has_implicit_batch_dimension = property(lambda self: not self._f_explicit)

    # nullptr (None) for an index out of range: NvInfer.h at 8.2.1, INetworkDefinition::
    # getLayer, getInput, getOutput (lines 6331, 6357, 6387).
    def get_input(self, index):
        return self._f_inputs[index] if 0 <= index < len(self._f_inputs) else None

    def get_output(self, index):
        return self._f_outputs[index] if 0 <= index < len(self._f_outputs) else None

    def get_layer(self, index):
        return self._f_layers[index] if 0 <= index < len(self._f_layers) else None

    def __len__(self):
        return len(self._f_layers)

    def __getitem__(self, index):
        # IndexError as a Python sequence; no source line checked for the bound __getitem__.
        if not 0 <= index < len(self._f_layers):
            raise IndexError(index)
        return self._f_layers[index]

    def __del__(self):
        pass


# ONNX elem_type -> DataType member name: onnx-tensorrt onnx2trt_utils.cpp, convertDtype (8.2-GA
# lines 343-361: DOUBLE and INT64 become FLOAT and INT32 there; UINT8 is refused, which the
# missing DataType.UINT8 of 8.2 gives here). Later branches add UINT8, INT64, BF16.
_ONNX_TO_DTYPE = {1: "FLOAT", 11: "FLOAT", 10: "HALF", 3: "INT8", 2: "UINT8", 9: "BOOL",
                  6: "INT32", 7: "INT64", 16: "BF16"}
_LAYER_TYPES = {
    "Conv": "CONVOLUTION", "ConvTranspose": "DECONVOLUTION", "MaxPool": "POOLING",
    "AveragePool": "POOLING", "Relu": "ACTIVATION", "LeakyRelu": "ACTIVATION",
    "Sigmoid": "ACTIVATION", "Clip": "ACTIVATION", "Tanh": "ACTIVATION",
    "BatchNormalization": "SCALE", "Add": "ELEMENTWISE", "Sub": "ELEMENTWISE",
    "Mul": "ELEMENTWISE", "Div": "ELEMENTWISE", "Max": "ELEMENTWISE", "Min": "ELEMENTWISE",
    "Pow": "ELEMENTWISE", "Equal": "ELEMENTWISE", "Concat": "CONCATENATION",
    "Reshape": "SHUFFLE", "Transpose": "SHUFFLE", "Flatten": "SHUFFLE", "Squeeze": "SHUFFLE",
    "Unsqueeze": "SHUFFLE", "DepthToSpace": "SHUFFLE", "SpaceToDepth": "SHUFFLE",
    "ArgMax": "TOPK", "ArgMin": "TOPK", "TopK": "TOPK", "Softmax": "SOFTMAX", "Cast": "CAST",
    "Identity": "IDENTITY", "Resize": "RESIZE", "Upsample": "RESIZE", "Gather": "GATHER",
    "ScatterND": "SCATTER", "Constant": "CONSTANT", "Shape": "SHAPE", "Slice": "SLICE",
    "Gemm": "MATRIX_MULTIPLY", "MatMul": "MATRIX_MULTIPLY", "Pad": "PADDING",
    "ReduceMax": "REDUCE", "ReduceMean": "REDUCE", "ReduceSum": "REDUCE", "Where": "SELECT",
    "Not": "UNARY", "Exp": "UNARY", "Log": "UNARY", "Sqrt": "UNARY", "Abs": "UNARY",
    "Neg": "UNARY",
}


def _node_attribute(node, name, default):
    import onnx.helper
    for attribute in node.attribute:
        if attribute.name == name:
            value = onnx.helper.get_attribute_value(attribute)
            return value.decode("utf-8") if isinstance(value, bytes) else str(value)
    return default


@_models("OnnxParser")
class _OnnxParser(object):
    """The ONNX parser's visible behaviour: I/O dtypes converted as the release converts them,
    an importer per standard op, the plugin fallback for the rest, errors with node details."""

    def __init__(self, network, logger):
        self._f_network, self._f_logger, self._f_errors = network, logger, []

    num_errors = property(lambda self: len(self._f_errors))

    def get_error(self, index):
        return self._f_errors[index] if 0 <= index < len(self._f_errors) else None

    def clear_errors(self):
        del self._f_errors[:]

    def supports_operator(self, op_name):
        import onnx.defs
        fake = type(self)._f_fake
        return onnx.defs.has(op_name) and op_name not in fake.scenario.unsupported_ops

    def parse(self, model, path=None):
        return _import_onnx(self, bytes(memoryview(model)))

    def parse_from_file(self, model):
        """An unreadable file: "Failed to open file: <path>" logged (onnx-tensorrt
        onnx2trt_utils.cpp at 8.2-GA, line 1575) and False."""
        fake = type(self)._f_fake
        try:
            with open(model, "rb") as handle:
                data = handle.read()
        except (IOError, OSError):
            fake.log(self._f_logger, "ERROR", "Failed to open file: {}".format(model))
            _parser_error(self, "MODEL_DESERIALIZE_FAILED", "Failed to open file: " + model)
            return False
        return _import_onnx(self, data)

    def __del__(self):
        pass


@_models("ParserError")
class _ParserError(object):
    def code(self):
        return self._f_code

    def desc(self):
        return self._f_desc

    def node(self):
        return self._f_node

    def node_name(self):
        return self._f_node_name

    def node_operator(self):
        return self._f_node_operator

    def func(self):
        return self._f_func

    def file(self):
        return self._f_file

    def line(self):
        return self._f_line

    def __str__(self):
        """python/src/parsers/pyOnnx.cpp at 8.2.1, parser_error_str (line 47); from 10 the node's
        name and operator too (pyOnnx.cpp at v10.3.0, parserErrorStr bound at line 184)."""
        if type(self)._f_fake.lists("ParserError", "node_name"):
            return "In node {} with name: {} and operator: {} ({}): {}: {}".format(
                self._f_node, self._f_node_name, self._f_node_operator, self._f_func,
                self._f_code.name, self._f_desc)
        return "In node {} ({}): {}: {}".format(self._f_node, self._f_func, self._f_code.name,
                                               self._f_desc)

    __repr__ = __str__


@_models("ErrorCode")
class _ErrorCode(object):
    """The parser's ErrorCode prints as its bare name."""

    def __str__(self):
        return self.name

    __repr__ = __str__


def _parser_error(parser, code, desc, node=-1, node_name="", node_operator="", func="parse",
                  file="ModelImporter.cpp"):
    fake = type(parser)._f_fake
    parser._f_errors.append(fake.new(
        "ParserError", code=fake.member("ErrorCode", code), desc=desc, node=node,
        node_name=node_name, node_operator=node_operator, func=func, file=file, line=0))
    return False


def _tensor_dtype(fake, elem_type):
    name = _ONNX_TO_DTYPE.get(elem_type)
    if name == "INT64" and not fake.has_member("DataType", "INT64"):
        name = "INT32"  # the 8.x parser casts INT64 down to INT32
    return fake.member("DataType", name) if name and fake.has_member("DataType", name) else None


def _import_onnx(parser, data):
    """What ModelImporter does, as far as the network's I/O, layers and failures go."""
    import onnx
    fake, network, logger = type(parser)._f_fake, parser._f_network, parser._f_logger
    try:
        model = onnx.load_model_from_string(data)
    except Exception:
        return _parser_error(parser, "MODEL_DESERIALIZE_FAILED",
                             "Failed to parse ONNX model from the given buffer")
    if not network._f_explicit:  # onnx-tensorrt ModelImporter.cpp at 8.2-GA, line 597
        return _parser_error(
            parser, "INVALID_VALUE", "Assertion failed: !mImporterCtx.network()->"
            "hasImplicitBatchDimension() && \"This version of the ONNX parser only supports "
            "TensorRT INetworkDefinitions with an explicit batch dimension. Please ensure the "
            "network was created using the EXPLICIT_BATCH NetworkDefinitionCreationFlag.\"",
            func="importModel")
    graph = model.graph
    initializers = {init.name for init in graph.initializer}

    def tensors(values, is_input):
        made = []
        for value in values:
            if value.name in initializers:
                continue
            tensor_type = value.type.tensor_type
            dtype = _tensor_dtype(fake, tensor_type.elem_type)
            if dtype is None:
                _parser_error(parser, "UNSUPPORTED_NODE", "Assertion failed: convertDtype("
                              "onnxDtype.elem_type(), &trtDtype) && \"Failed to convert ONNX "
                              "date type to TensorRT data type.\"", func="importInput")
                return None
            shape = tuple(dim.dim_value if dim.HasField("dim_value") else -1
                          for dim in tensor_type.shape.dim)
            made.append(fake.new("ITensor", name=value.name, shape=shape, dtype=dtype,
                                 is_input=is_input, is_output=not is_input,
                                 elem_type=tensor_type.elem_type))
        return made

    inputs = tensors(graph.input, True)
    if inputs is None:
        return False
    layers, plugins = [], []
    import onnx.defs
    for index, node in enumerate(graph.node):
        # The importer is looked up by op_type alone, whatever the node's domain
        # (onnx-tensorrt ModelImporter.cpp, parseGraph: 8.2-GA line 145; 10.1-GA lines 155-167
        # and, for the checker, 272-294); an op with no importer goes to FallbackPluginImporter.
        if onnx.defs.has(node.op_type) and node.op_type not in fake.scenario.unsupported_ops:
            type_name = _LAYER_TYPES.get(node.op_type)
        else:
            fake.log(logger, "INFO", "No importer registered for op: {}. Attempting to import "
                     "as plugin.".format(node.op_type))
            # Name, the plugin_version attribute (default "1") and the plugin_namespace
            # attribute (default ""): never the node's domain (onnx-tensorrt
            # builtin_op_importers.cpp, FallbackPluginImporter: 8.2-GA lines 4782-4786, 8.5-GA
            # 5428-5433, 8.6-GA 5398-5403; onnxOpImporters.cpp 10.0-GA 6362-6367, 10.1-GA
            # 6441-6446; onnxOpCheckers.cpp 10.1-GA 772-780), looked up in the registry by
            # importPluginCreator (importerUtils.cpp 10.1-GA 878-899).
            version = _node_attribute(node, "plugin_version", "1")
            namespace = _node_attribute(node, "plugin_namespace", "")
            fake.log(logger, "INFO", "Searching for plugin: {}, plugin_version: {}, "
                     "plugin_namespace: {}".format(node.op_type, version, namespace))
            key = _find_creator(fake, node.op_type, version, namespace)
            if key is None:
                fake.log(logger, "ERROR", "getPluginCreator could not find plugin: {} version: "
                         "{}".format(node.op_type, version))
                if fake.major >= 10:  # the op checkers run before importing
                    code, func = "INVALID_NODE", "checkFallbackPluginImporter"
                    desc = 'creator && "Plugin not found, are the plugin name, version, and ' \
                           'namespace correct?"'
                else:
                    code, func = "UNSUPPORTED_NODE", "importFallbackPluginImporter"
                    desc = 'Assertion failed: creator && "Plugin not found, are the plugin ' \
                           'name, version, and namespace correct?"'
                return _parser_error(parser, code, desc, node=index, node_name=node.name,
                                     node_operator=node.op_type, func=func)
            if key not in plugins:
                plugins.append(key)
            type_name = "PLUGIN_V2"
        layer_type = fake.member("LayerType", type_name) if type_name and fake.has_member(
            "LayerType", type_name) else None
        layers.append(fake.new("ILayer", name=node.name or "node_of_" + node.output[0],
                               type=layer_type, precision=fake.member("DataType", "FLOAT")))
    outputs = tensors(graph.output, False)
    if outputs is None:
        return False
    for key, value in (("inputs", inputs), ("outputs", outputs), ("layers", layers),
                       ("plugins", plugins), ("model", data)):
        setattr(network, "_f_" + key, value)
    return True


# --------------------------------------------------------------------------- builder


_DLA_POOL_DEFAULTS = {"DLA_MANAGED_SRAM": 1 << 20, "DLA_LOCAL_DRAM": 1 << 30,
                      "DLA_GLOBAL_DRAM": 512 << 20}


@_models("Builder")
class _Builder(object):
    def __init__(self, logger):
        self._f_logger = logger

    platform_has_fast_fp16 = property(lambda self: bool(type(self)._f_fake.scenario.fast_fp16))
    platform_has_fast_int8 = property(lambda self: bool(type(self)._f_fake.scenario.fast_int8))
    num_DLA_cores = property(lambda self: int(type(self)._f_fake.scenario.dla_cores))
    max_DLA_batch_size = property(
        lambda self: int(type(self)._f_fake.scenario.max_dla_batch_size))

    def create_network(self, flags=0):
        fake = type(self)._f_fake
        creation = fake.enums["NetworkDefinitionCreationFlag"].__members__
        # From 10 every network is explicit-batch and the flag is ignored (NvInfer.h at
        # v10.3.0, kEXPLICIT_BATCH, lines 9611-9614).
        explicit = fake.major >= 10 or bool(
            "EXPLICIT_BATCH" in creation and flags & (1 << int(creation["EXPLICIT_BATCH"])))
        return fake.new("INetworkDefinition", flags=int(flags), explicit=explicit, inputs=[],
                        outputs=[], layers=[], plugins=[], model=None, logger=self._f_logger)

    def create_builder_config(self):
        """Defaults: TF32 on (NvInfer.h at 8.2.1, kTF32, line 7736: "Enabled by default"); a
        0-byte max_workspace_size on 8.2 (line 7960); WORKSPACE "max device memory" and the DLA
        pools 1 MiB / 1 GiB / 512 MiB (NvInfer.h at v10.3.0, MemoryPoolType, lines 8526-8550);
        LAYER_NAMES_ONLY verbosity (NvInferRuntime.h at 8.2.1, line 1255); optimization level 3
        (NvInfer.h at v8.6.1, line 9777); GPU with DLA core -1. Tactic sources: every one on,
        the fake's choice (NvInfer.h at 8.2.1, setTacticSources, says the default depends on
        the platform)."""
        fake = type(self)._f_fake
        flags = 0
        if fake.has_member("BuilderFlag", "TF32"):  # on by default
            flags |= 1 << int(fake.member("BuilderFlag", "TF32"))
        pools = {}
        if "MemoryPoolType" in fake.enums:
            for name, member in fake.enums["MemoryPoolType"].__members__.items():
                pools[member] = _DLA_POOL_DEFAULTS.get(name, fake.scenario.device_memory)
        verbosity = fake.member("ProfilingVerbosity", "LAYER_NAMES_ONLY")
        return fake.new("IBuilderConfig", flags=flags, pools=pools, workspace=0,
                        device_type=fake.member("DeviceType", "GPU"), dla_core=-1,
                        layer_devices={},
                        calibrator=None, optimization_level=3, verbosity=verbosity,
                        tactic_sources=(1 << len(fake.enums["TacticSource"].__members__)) - 1,
                        timing_cache=None)

    def build_serialized_network(self, network, config):
        # None on failure, after logging why (NvInfer.h: nullptr on failure). The error texts
        # of _build_problem are the fake's wording (the builder is closed), each in the form
        # the library prints ("Error Code N: ...").
        blob = _build(self, network, config)
        return type(self)._f_fake.host_memory(blob) if blob is not None else None

    def build_engine(self, network, config):
        blob = _build(self, network, config)
        return _deserialize(type(self)._f_fake, self._f_logger, blob) if blob else None

    def __enter__(self):
        return _common_enter(self)

    def __exit__(self, exc_type, exc_value, traceback):
        return None

    def __del__(self):
        pass


def _flag_names(fake, enum, mask):
    return sorted(name for name, member in fake.enums[enum].__members__.items()
                  if mask & (1 << int(member)))


def _build_problem(fake, network, config):
    scenario = fake.scenario
    if not network._f_outputs:
        return "Error Code 4: Internal Error (Network must have at least one output)"
    if any(dim < 0 for tensor in network._f_inputs for dim in tensor._f_shape):
        return ("Error Code 4: Internal Error (Network has dynamic or shape inputs, but no "
                "optimization profile has been defined.)")
    if config._f_device_type.name == "DLA" and not 0 <= config._f_dla_core < max(
            0, scenario.dla_cores):
        return ("Error Code 2: Internal Error (DLA core {} requested, this platform has {} DLA "
                "cores)".format(config._f_dla_core, scenario.dla_cores))  # fake's wording
    if config._f_device_type.name == "DLA" and not _flag_set(fake, config, "GPU_FALLBACK"):
        # A layer meant for the DLA that cannot run there runs on the GPU only with
        # GPU_FALLBACK (NvInfer.h, BuilderFlag::kGPU_FALLBACK, 8.2.1 line 7718); without it the
        # build fails. The text is the fake's wording.
        for layer in network._f_layers:
            if _layer_device(config, layer).name == "DLA" and not _can_run_on_dla(
                    fake, config, layer):
                return ("Error Code 2: Internal Error ({} cannot run on DLA and GPU fallback "
                        "is not enabled)".format(layer._f_name))
    if scenario.build_fails:
        if isinstance(scenario.build_fails, str):
            return scenario.build_fails
        first = network._f_layers[0]._f_name if network._f_layers else "(network)"
        return ("Error Code 10: Internal Error (Could not find any implementation for node "
                "{}.)".format(first))
    return None


class FakeProcessTerminated(BaseException):
    """std::terminate in the real process: a C++ exception left a ``noexcept`` function. A
    BaseException, so that no ``except Exception`` in the code under test can swallow it."""


# Calibrator methods bound with PYBIND11_OVERLOAD_PURE_NAME (python/src/infer/pyInt8.cpp at
# 8.2.1: pyCalibratorTrampoline::getBatchSize, pyIInt8LegacyCalibrator::getQuantile,
# getRegressionCutoff, readHistogramCache, writeHistogramCache). A Python subclass lacking one
# makes pybind11 throw "Tried to call pure virtual function"; inside those ``noexcept``
# overrides 8.2.1 has no try/catch (the process terminates), while 8.5.2 and later catch it,
# print "[ERROR] Exception caught in <name>(): ..." and return zero / nullptr (pyInt8.cpp at
# 8.5.2 and v10.3.0, the same functions).
_PURE_CALIBRATOR_METHODS = ("get_batch_size",)
_PURE_LEGACY_METHODS = ("get_quantile", "get_regression_cutoff", "read_histogram_cache",
                        "write_histogram_cache")


def _overridden(obj, name):
    return any(name in klass.__dict__ for klass in type(obj).__mro__
               if "_f_generated" not in klass.__dict__ and klass not in _BEHAVIOURS.values())


def _call_pure(fake, calibrator, owner, name, *args):
    if _overridden(calibrator, name):
        return getattr(calibrator, name)(*args)
    what = 'Tried to call pure virtual function "{}::{}"'.format(owner, name)
    if fake.release == "8.2.1":
        raise FakeProcessTerminated("terminate called after throwing an instance of "
                                    "'std::runtime_error'\n  what():  " + what)
    import sys
    sys.stderr.write("[ERROR] Exception caught in {}(): {}\n".format(name, what))
    return None


def _flag_set(fake, config, name):
    return fake.has_member("BuilderFlag", name) and bool(
        config._f_flags & (1 << int(fake.member("BuilderFlag", name))))


# Layer types the fake's DLA never takes: plugins. No public source line says so (the builder
# is closed); NVIDIA's documentation ("DLA Supported Layers and Restrictions") lists no plugin
# layer. Other per-layer DLA limits (sizes, kernel shapes, which ops) are not modelled.
_NOT_ON_DLA = ("PLUGIN", "PLUGIN_V2", "PLUGIN_V3")


def _can_run_on_dla(fake, config, layer):
    """A DLA computes in FP16 or INT8 only (samples/common/common.h, enableDLA, 8.2.1 lines
    619-624: "FP32 mode is not permitted"; trtexec sets FP16 for it, sampleEngines.cpp at 8.2.1
    lines 821-824): with neither flag no layer can run there."""
    if not (_flag_set(fake, config, "FP16") or _flag_set(fake, config, "INT8")):
        return False
    return layer._f_type is None or layer._f_type.name not in _NOT_ON_DLA


def _layer_device(config, layer):
    return config._f_layer_devices.get(id(layer), config._f_device_type)


def _layer_on_dla(fake, config, layer):
    return (_layer_device(config, layer).name == "DLA" and
            _can_run_on_dla(fake, config, layer))


def _calibrate(fake, network, config):
    """What an INT8 build asks of the calibrator. Which of the legacy calibrator's four
    methods the (closed-source) builder calls, and when, no public source says: the fake calls
    all four, so that a calibrator lacking one fails here as it can on the real builder."""
    calibrator = config._f_calibrator
    if calibrator is None or not fake.has_member("BuilderFlag", "INT8") or not (
            config._f_flags & (1 << int(fake.member("BuilderFlag", "INT8")))):
        return 0
    for name in _PURE_CALIBRATOR_METHODS:
        _call_pure(fake, calibrator, "IInt8Calibrator", name)
    if isinstance(calibrator, fake.classes["IInt8LegacyCalibrator"]):
        for name in _PURE_LEGACY_METHODS[:3]:
            _call_pure(fake, calibrator, "IInt8LegacyCalibrator", name)
        _call_pure(fake, calibrator, "IInt8LegacyCalibrator", "write_histogram_cache", b"")
    cache = calibrator.read_calibration_cache()
    if cache:
        return 0
    calibrator.get_batch_size()
    names, batches = [tensor._f_name for tensor in network._f_inputs], 0
    while batches < 10000:
        pointers = calibrator.get_batch(names)
        if not pointers:
            break
        for tensor, ptr in zip(network._f_inputs, pointers):  # reads each batch as TRT would
            fake.scenario.memory.array(int(ptr), tensor._f_shape, fake.dtype_np(tensor._f_dtype))
        batches += 1
    calibrator.write_calibration_cache(CALIBRATION_MAGIC + json.dumps(
        {"release": fake.release, "batches": batches}).encode("utf-8"))
    return batches


def _build(builder, network, config):
    """The engine as bytes, or None after logging why not (as build_serialized_network)."""
    fake, logger = type(builder)._f_fake, builder._f_logger
    problem = _build_problem(fake, network, config)
    if problem:
        fake.log(logger, "ERROR", problem)
        return None
    batches = _calibrate(fake, network, config)
    io = [{"name": t._f_name, "shape": list(t._f_shape), "dtype": t._f_dtype.name,
           "mode": mode, "onnx_elem_type": t._f_elem_type}
          for mode, tensors in (("INPUT", network._f_inputs), ("OUTPUT", network._f_outputs))
          for t in tensors]
    header = {
        "format": 1, "release": fake.release, "version": fake.version,
        "gpu": fake.scenario.gpu_name, "io": io,
        "layers": [{"name": layer._f_name, "precision": layer._f_precision.name,
                    "type": layer._f_type.name if layer._f_type is not None else None,
                    "device": "DLA" if _layer_on_dla(fake, config, layer) else "GPU"}
                   for layer in network._f_layers],
        "plugins": [list(key) for key in network._f_plugins],
        "builder_flags": _flag_names(fake, "BuilderFlag", config._f_flags),
        "network_flags": _flag_names(fake, "NetworkDefinitionCreationFlag", network._f_flags),
        "profiling_verbosity": config._f_verbosity.name,
        "device_type": config._f_device_type.name, "dla_core": config._f_dla_core,
        "memory_pools": {member.name: size for member, size in config._f_pools.items()},
        "max_workspace_size": config._f_workspace,
        "builder_optimization_level": config._f_optimization_level,
        "calibration_batches": batches,
    }
    if config._f_timing_cache is not None:
        config._f_timing_cache._f_entries += len(network._f_layers)
    text = json.dumps(header, sort_keys=True).encode("utf-8")
    return ENGINE_MAGIC + struct.pack("<I", len(text)) + text + network._f_model


@_models("IBuilderConfig")
class _IBuilderConfig(object):
    def _f_bit(self, flag):
        return 1 << int(flag)

    def set_flag(self, flag):
        self._f_flags = self._f_flags | self._f_bit(flag)

    def clear_flag(self, flag):
        self._f_flags = self._f_flags & ~self._f_bit(flag)

    def get_flag(self, flag):
        return bool(self._f_flags & self._f_bit(flag))

    flags = _field("flags", int)

    def set_memory_pool_limit(self, pool, pool_size):
        self._f_pools[pool] = int(pool_size)

    def get_memory_pool_limit(self, pool):
        return self._f_pools[pool]

    def _f_get_workspace(self):
        fake = type(self)._f_fake
        if "MemoryPoolType" in fake.enums:  # 8.4+: the WORKSPACE pool
            return self._f_pools[fake.member("MemoryPoolType", "WORKSPACE")]
        return self._f_workspace

    def _f_set_workspace(self, value):
        fake = type(self)._f_fake
        if "MemoryPoolType" in fake.enums:
            self._f_pools[fake.member("MemoryPoolType", "WORKSPACE")] = int(value)
        self._f_workspace = int(value)

    max_workspace_size = property(_f_get_workspace, _f_set_workspace)

    default_device_type = _field("device_type", True)
    DLA_core = _field("dla_core", int)
    int8_calibrator = _field("calibrator", True)
    builder_optimization_level = _field("optimization_level", int)
    profiling_verbosity = _field("verbosity", True)

    def set_tactic_sources(self, tactic_sources):
        self._f_tactic_sources = int(tactic_sources)
        return True

    def get_tactic_sources(self):
        return self._f_tactic_sources

    def create_timing_cache(self, serialized_timing_cache):
        """Empty bytes: a new cache (NvInfer.h, IBuilderConfig::createTimingCache: "Size 0
        means create a new cache from scratch", 8.2.1 and v10.3.0). Bytes it cannot read: None,
        which NVIDIA's own loader checks for (shared/utils/cacheUtils.cpp at v10.16,
        buildTimingCacheFromFile; samples/utils/timingCache.cpp at v10.3.0, the same function:
        "TimingCache creation failed"). The logged text is the fake's wording."""
        fake = type(self)._f_fake
        data = bytes(memoryview(serialized_timing_cache))
        origin, entries = (fake.version, fake.scenario.gpu_name), 0
        if data:
            try:
                if not data.startswith(TIMING_CACHE_MAGIC):
                    raise ValueError("no magic")
                content = json.loads(data[len(TIMING_CACHE_MAGIC):].decode("utf-8"))
                origin, entries = (content["version"], content["gpu"]), int(content["entries"])
            except (ValueError, KeyError, TypeError):
                fake.log(None, "ERROR", "Error Code 1: Serialization (the timing cache blob "
                         "cannot be read)")  # fake's wording
                return None
        return fake.new("ITimingCache", origin=origin, entries=entries)

    def set_timing_cache(self, cache, ignore_mismatch):
        """False for a cache made on another device unless ignore_mismatch (NvInfer.h,
        IBuilderConfig::setTimingCache, 8.2.1 and v10.3.0: "A failure will be reported if the
        CUDA device property in the provided cache is different"). The fake also refuses a
        cache of another release there; no public source says which of the two checks a
        blob from another release fails."""
        fake = type(self)._f_fake
        if cache._f_origin != (fake.version, fake.scenario.gpu_name) and not ignore_mismatch:
            return False
        self._f_timing_cache = cache
        return True

    def get_timing_cache(self):
        return self._f_timing_cache

    def set_device_type(self, layer, device_type):
        self._f_layer_devices[id(layer)] = device_type

    def get_device_type(self, layer):
        return _layer_device(self, layer)

    def is_device_type_set(self, layer):
        return id(layer) in self._f_layer_devices

    def reset_device_type(self, layer):
        self._f_layer_devices.pop(id(layer), None)

    def can_run_on_DLA(self, layer):
        return _can_run_on_dla(type(self)._f_fake, self, layer)

    def __enter__(self):
        return _common_enter(self)

    def __exit__(self, exc_type, exc_value, traceback):
        return None

    def __del__(self):
        pass


@_models("ITimingCache")
class _ITimingCache(object):
    def serialize(self):
        fake = type(self)._f_fake
        return fake.host_memory(TIMING_CACHE_MAGIC + json.dumps(
            {"version": self._f_origin[0], "gpu": self._f_origin[1],
             "entries": self._f_entries}, sort_keys=True).encode("utf-8"))


# --------------------------------------------------------------------------- runtime & engine


def _deserialize(fake, logger, data, dla_core=-1):
    """None after logging why, as IRuntime::deserializeCudaEngine returns nullptr; the
    refusals (another release, another GPU, a plugin creator missing) are the ones the
    documentation names, in the fake's wording modelled on the library's messages."""
    if not data.startswith(ENGINE_MAGIC):
        fake.log(logger, "ERROR", "Error Code 1: Serialization (Serialization assertion "
                 "magicTagRead == kMAGIC_TAG failed.Magic tag does not match)")
        return None
    start = len(ENGINE_MAGIC) + 4
    (length,) = struct.unpack("<I", data[len(ENGINE_MAGIC):start])
    header = json.loads(data[start:start + length].decode("utf-8"))
    if header["version"] != fake.version:
        fake.log(logger, "ERROR", "Error Code 1: Serialization (Serialization assertion "
                 "stdVersionRead == kSERIALIZATION_VERSION failed.Version tag does not match. "
                 "Note: Current Version: {}, Serialized Engine Version: {})".format(
                     fake.version, header["version"]))
        return None
    if header["gpu"] != fake.scenario.gpu_name:
        fake.log(logger, "ERROR", "Error Code 6: The engine plan file is generated on an "
                 "incompatible device, expecting {} got {}, please rebuild.".format(
                     header["gpu"], fake.scenario.gpu_name))
        return None
    for name, version, namespace in header["plugins"]:
        if _find_creator(fake, name, version, namespace) is None:
            fake.log(logger, "ERROR", "getPluginCreator could not find plugin: {} version: {}"
                     .format(name, version))
            fake.log(logger, "ERROR", "Error Code 1: Serialization (Serialization assertion "
                     "creator failed.Cannot deserialize plugin since corresponding IPluginCreator"
                     " not found in Plugin Registry)")
            return None
    return fake.new("ICudaEngine", header=header, model=data[start + length:], blob=data,
                    session=None, logger=logger, runtime_dla_core=dla_core)


@_models("Runtime")
class _Runtime(object):
    def __init__(self, logger):
        """DLA_core -1 until set: "Starting with TensorRT 8, the default value will be -1"
        (NvInferRuntime.h, IRuntime::setDLACore, 8.2.1 line 650). The engine keeps the core
        it was deserialised with (``_f_runtime_dla_core``)."""
        self._f_logger = logger
        self._f_dla_core = -1

    def deserialize_cuda_engine(self, serialized_engine):
        return _deserialize(type(self)._f_fake, self._f_logger,
                            bytes(memoryview(serialized_engine)), self._f_dla_core)

    num_DLA_cores = property(lambda self: int(type(self)._f_fake.scenario.dla_cores))
    DLA_core = _field("dla_core", int)

    def __enter__(self):
        return _common_enter(self)

    def __exit__(self, exc_type, exc_value, traceback):
        return None

    def __del__(self):
        pass


@_models("ICudaEngine")
class _ICudaEngine(object):
    """An engine knows its I/O (inputs first, then outputs, as TensorRT orders bindings)."""

    def _f_io(self, key):
        """The I/O entry by name or index. An unknown name logs an API usage error (the text
        is modelled on the library's, no source line) and gives None."""
        fake = type(self)._f_fake
        io = self._f_header["io"]
        if isinstance(key, str):
            found = [entry for entry in io if entry["name"] == key]
            if not found:
                fake.log(self._f_logger, "ERROR", "Error Code 3: API Usage Error (Parameter "
                         "check failed, condition: ... Given invalid tensor name: {})".format(key))
            return found[0] if found else None
        return io[key] if 0 <= key < len(io) else None

    # the bindings API (8.x, 9.x)
    num_bindings = property(lambda self: len(self._f_header["io"]))
    max_batch_size = property(lambda self: 1)
    has_implicit_batch_dimension = property(lambda self: False)

    def get_binding_name(self, index):
        entry = self._f_io(int(index))
        return entry["name"] if entry else None

    def get_binding_index(self, name):  # -1 if not found: NvInferRuntime.h at 8.2.1, l. 1309
        names = [entry["name"] for entry in self._f_header["io"]]
        return names.index(name) if name in names else -1

    def binding_is_input(self, index):
        entry = self._f_io(index)
        return bool(entry) and entry["mode"] == "INPUT"

    def get_binding_shape(self, index):
        entry = self._f_io(index)
        return tuple(entry["shape"]) if entry else ()

    def get_binding_dtype(self, index):
        entry = self._f_io(index)
        return type(self)._f_fake.member("DataType", entry["dtype"]) if entry else None

    def __len__(self):
        return len(self._f_header["io"])

    def __getitem__(self, key):
        return self.get_binding_index(key) if isinstance(key, str) else self.get_binding_name(
            key)

    # the tensor API (8.5+)
    num_io_tensors = property(lambda self: len(self._f_header["io"]))

    def get_tensor_name(self, index):
        entry = self._f_io(int(index))
        return entry["name"] if entry else None

    def get_tensor_mode(self, name):
        entry = self._f_io(name)
        return type(self)._f_fake.member("TensorIOMode", entry["mode"] if entry else "NONE")

    def get_tensor_shape(self, name):
        entry = self._f_io(name)
        return tuple(entry["shape"]) if entry else ()

    def get_tensor_dtype(self, name):
        entry = self._f_io(name)
        return type(self)._f_fake.member("DataType", entry["dtype"]) if entry else None

    num_layers = property(lambda self: len(self._f_header["layers"]))
    num_optimization_profiles = property(lambda self: 1)
    profiling_verbosity = property(lambda self: type(self)._f_fake.member(
        "ProfilingVerbosity", self._f_header["profiling_verbosity"]))
    device_memory_size = property(lambda self: sum(
        int(np.prod(entry["shape"])) * np.dtype(_NUMPY_OF_DTYPE.get(entry["dtype"], "float32"))
        .itemsize for entry in self._f_header["io"]))  # fake: the I/O bytes

    def create_execution_context(self):
        return type(self)._f_fake.new("IExecutionContext", engine=self, addresses={},
                                      profiler=None, debug_sync=False, emits_profile=True,
                                      last_times=[])

    def serialize(self):
        return type(self)._f_fake.host_memory(self._f_blob)

    def create_engine_inspector(self):
        return type(self)._f_fake.new("EngineInspector", engine=self)

    def _f_runner(self):
        """ONNX Runtime (and edge_segnet's executor for unpooling nodes) on the model."""
        if self._f_session is None:
            import onnx
            import onnxruntime
            from edge_segnet.graph import executor
            model = onnx.load_model_from_string(self._f_model)

            def make_session(proto):
                return onnxruntime.InferenceSession(proto.SerializeToString(),
                                                    providers=["CPUExecutionProvider"])
            session = (executor.ReferenceSession(model, make_session)
                       if executor.has_unpool_op(model) else make_session(model))
            self._f_session = session
        return self._f_session

    def __enter__(self):
        return _common_enter(self)

    def __exit__(self, exc_type, exc_value, traceback):
        return None

    def __del__(self):
        pass


@_models("EngineInspector")
class _EngineInspector(object):
    """JSON with a "Layers" list: names, or dicts with ProfilingVerbosity.DETAILED (NvInfer
    Runtime.h at v10.3.0, IEngineInspector::getEngineInformation, lines 4532-4549, says only
    that it describes every layer in the format asked for; the keys are those trtexec's
    --exportLayerInfo files hold, not a source line)."""

    def _f_layer(self, layer):
        if self._f_engine._f_header["profiling_verbosity"] == "DETAILED":
            return {"Name": layer["name"], "LayerType": layer["type"],
                    "Precision": layer["precision"]}
        return layer["name"]

    def get_engine_information(self, format):
        header = self._f_engine._f_header
        if format.name == "ONELINE":
            return "\n".join(layer["name"] for layer in header["layers"])
        return json.dumps({"Layers": [self._f_layer(layer) for layer in header["layers"]],
                           "Bindings": [entry["name"] for entry in header["io"]]})

    def get_layer_information(self, layer_index, format):
        layer = self._f_engine._f_header["layers"][layer_index]
        return layer["name"] if format.name == "ONELINE" else json.dumps(self._f_layer(layer))


def _onnx_numpy_type(elem_type):
    import onnx
    if hasattr(onnx.helper, "tensor_dtype_to_np_dtype"):
        return onnx.helper.tensor_dtype_to_np_dtype(elem_type)
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[elem_type]


def _execute(context, pointers):
    """Runs the engine's model on the bytes at the bound addresses; False (logged) if one is
    missing. False on failure: NvInferRuntime.h, IExecutionContext::executeV2 (8.2.1, line
    2236) and enqueueV3 (v10.3.0, line 4256); the logged text is modelled on the library's
    message, not taken from a source line."""
    engine = context._f_engine
    fake = type(context)._f_fake
    io = engine._f_header["io"]
    for entry in io:
        if not pointers.get(entry["name"]):
            fake.log(engine._f_logger, "ERROR", "Error Code 3: API Usage Error (Parameter "
                     "check failed, condition: ... Address is not set for {} tensor {}. Call "
                     "setInputTensorAddress or setTensorAddress before enqueue/execute.)".format(
                         entry["mode"].lower(), entry["name"]))
            return False
    memory = fake.scenario.memory

    def view(entry):
        return memory.array(pointers[entry["name"]], tuple(entry["shape"]),
                            np.dtype(_NUMPY_OF_DTYPE[entry["dtype"]]))

    feed = {entry["name"]: np.array(view(entry), dtype=_onnx_numpy_type(entry["onnx_elem_type"]))
            for entry in io if entry["mode"] == "INPUT"}
    outputs = [entry for entry in io if entry["mode"] == "OUTPUT"]
    results = engine._f_runner().run([entry["name"] for entry in outputs], feed)
    for entry, result in zip(outputs, results):
        target = view(entry)
        target[...] = np.asarray(result).reshape(target.shape).astype(target.dtype)
    times = []
    for layer in engine._f_header["layers"]:
        ms = fake.scenario.layer_time_ms
        times.append((layer["name"], float(ms(layer["name"]) if callable(ms) else ms)))
    context._f_last_times = times
    if context._f_profiler is not None and context._f_emits_profile:
        _report(context)
    return True


def _report(context):
    for name, ms in context._f_last_times:
        context._f_profiler.report_layer_time(name, ms)


@_models("IExecutionContext")
class _IExecutionContext(object):
    engine = _field("engine")
    profiler = _field("profiler", True)
    debug_sync = _field("debug_sync", bool)
    enqueue_emits_profile = _field("emits_profile", bool)
    all_binding_shapes_specified = property(lambda self: True)
    all_shape_inputs_specified = property(lambda self: True)

    def _f_by_binding(self, bindings):
        io = self._f_engine._f_header["io"]
        return {entry["name"]: (int(ptr) if ptr else 0) for entry, ptr in zip(io, bindings)}

    def execute_async_v2(self, bindings, stream_handle, input_consumed=None):
        return _execute(self, self._f_by_binding(bindings))

    def execute_v2(self, bindings):
        return _execute(self, self._f_by_binding(bindings))

    def set_tensor_address(self, name, memory):
        # False for a name the engine lacks: the bool it returns (NvInferRuntime.h at v10.3.0,
        # setTensorAddress); which checks it makes beyond the name is not modelled.
        if self._f_engine._f_io(name) is None:
            return False
        self._f_addresses[name] = int(memory)
        return True

    def get_tensor_address(self, name):
        return self._f_addresses.get(name, 0)

    def execute_async_v3(self, stream_handle):
        return _execute(self, self._f_addresses)

    def _f_check_shape(self, entry, shape):
        if entry is None:
            return False
        if tuple(shape) != tuple(entry["shape"]):
            type(self)._f_fake.log(
                self._f_engine._f_logger, "ERROR", "Error Code 3: API Usage Error (the engine "
                "was built for {} {}, not {})".format(entry["name"], tuple(entry["shape"]),
                                                      tuple(shape)))
            return False
        return True

    def set_input_shape(self, name, shape):
        return self._f_check_shape(self._f_engine._f_io(name), shape)

    def set_binding_shape(self, binding, shape):
        return self._f_check_shape(self._f_engine._f_io(int(binding)), shape)

    def get_binding_shape(self, binding):
        entry = self._f_engine._f_io(binding)
        return tuple(entry["shape"]) if entry else ()

    def get_tensor_shape(self, name):
        entry = self._f_engine._f_io(name)
        return tuple(entry["shape"]) if entry else ()

    def report_to_profiler(self):
        if self._f_profiler is not None:
            _report(self)
        return True

    def __enter__(self):
        return _common_enter(self)

    def __exit__(self, exc_type, exc_value, traceback):
        return None

    def __del__(self):
        pass


@_models("IHostMemory")
class _IHostMemory(object):
    nbytes = property(lambda self: ctypes.sizeof(self))

    def __enter__(self):
        return _common_enter(self)

    def __exit__(self, exc_type, exc_value, traceback):
        return None

    def __del__(self):
        pass


@_models("DataType")
class _DataType(object):
    itemsize = property(lambda self: _itemsize_of(type(self)._f_fake, self))


# --------------------------------------------------------------------------- generation


def _no_constructor(name):
    # pybind11's text for a class bound without py::init (pybind11 detail/class.h,
    # pybind11_object_init).
    def __init__(self, *args, **kwargs):
        raise TypeError("tensorrt.tensorrt.{}: No constructor defined!".format(name))
    return __init__


def _wrap_function(fake, owner, name, impl):
    def call(*args, **kwargs):
        fake.record(_describe(owner, name, args), args, kwargs)
        return impl(*args, **kwargs)
    call.__name__, call.__wrapped__ = name, impl
    return call


def _wrap_method(fake, owner, name, impl):
    def method(self, *args, **kwargs):
        fake.record(_describe(owner, name, args), args, kwargs)
        return impl(self, *args, **kwargs)
    method.__name__, method.__wrapped__ = name, impl
    return method


def _wrap_property(fake, owner, name, prop):
    def fget(self):
        fake.record("{}.{}".format(owner, name))
        return prop.fget(self)

    fset = None
    if prop.fset is not None:
        def fset(self, value):
            fake.record("{}.{}=".format(owner, name), (value,))
            prop.fset(self, value)
    return property(fget, fset)


_SILENT_DUNDERS = ("__del__", "__enter__", "__exit__", "__str__", "__repr__")


def _member_value(fake, owner, name, kind):
    impl = _behaviour(owner, name)
    if impl is None:
        if name == "__init__":
            return _NotModelled(fake.release, owner, name)
        if name.startswith("__") and name.endswith("__"):
            return None  # Python's default stands in
        return _NotModelled(fake.release, owner, name)
    if kind is not None and isinstance(impl, property) != (kind == "properties"):
        raise TypeError("fake tensorrt: {}.{} is {} in the bindings".format(
            owner, name, "a property" if kind == "properties" else "not a property"))
    if isinstance(impl, property):
        return _wrap_property(fake, owner, name, impl)
    if isinstance(impl, staticmethod):
        return staticmethod(_wrap_function(fake, owner, name, impl.__func__))
    if name in _SILENT_DUNDERS:
        return impl
    return _wrap_method(fake, owner, name, impl)


def _make_enum(fake, name, members, values, arithmetic, extras):
    short = name.split(".")[-1]
    namespace = {"__module__": "tensorrt", "__qualname__": name, "_f_arithmetic": arithmetic,
                 "_f_fake": fake, "__new__": _enum_new}
    for extra in extras:
        value = _member_value(fake, name, extra, None)
        if value is not None:
            namespace[extra] = value
    cls = type(short, (_EnumMember,), namespace)
    table = {}
    for member in sorted(members, key=lambda m: (values[m], m)):
        instance = object.__new__(cls)
        object.__setattr__(instance, "name", member)
        object.__setattr__(instance, "value", values[member])
        table[member] = instance
        setattr(cls, member, instance)
    cls.__members__ = table
    return cls


def _class_attribute(fake, owner, name):
    """A listed class attribute: a nested enum (``ILogger.Severity``) or a member exported
    into the class (``Logger.WARNING``)."""
    for klass in fake.lineage(owner):
        if klass + "." + name in fake.enums:
            return fake.enums[klass + "." + name]
    for klass in fake.lineage(owner):
        for enum_name, enum in sorted(fake.enums.items()):
            if enum_name.startswith(klass + ".") and name in enum.__members__:
                return enum.__members__[name]
    return _NotModelled(fake.release, owner, name)


def _make_class(fake, name):
    if name in fake.classes:
        return fake.classes[name]
    entry = fake.listing[name]
    bases = tuple(_make_class(fake, base) for base in entry.get("bases", ())) or (_FakeObject,)
    namespace = {"__module__": "tensorrt", "__qualname__": name, "_f_generated": True,
                 "_f_fake": fake}
    behaviour = _BEHAVIOURS.get(name)
    for klass in reversed(inspect.getmro(behaviour)[:-1] if behaviour else ()):
        namespace.update((key, value) for key, value in klass.__dict__.items()
                         if key.startswith("_f_"))  # the fake's own helpers
    for kind in ("methods", "properties", "static"):
        for member in entry.get(kind, ()):
            value = _member_value(fake, name, member, kind)
            if value is not None:
                namespace[member] = value
    if "__init__" not in entry.get("methods", ()):
        namespace["__init__"] = _no_constructor(name)
    cls = type(name.split(".")[-1], bases, namespace)
    fake.classes[name] = cls
    for member in entry.get("attributes", ()):
        setattr(cls, member, _class_attribute(fake, name, member))
    return cls


def make_fake_tensorrt(release, scenario=None):
    """The fake ``tensorrt`` module of ``release`` (one of RELEASES) under ``scenario``."""
    fake = _Fake(release, scenario)
    manifest, release = fake.manifest, fake.release
    module = _FakeModule("tensorrt", "fake tensorrt {} ({})".format(release, fake.version))
    sections = (manifest, manifest["parsers"])
    for section in sections:
        for name, members in section["enums"].items():
            fake.enums[name] = _make_enum(
                fake, name, members, section["enum_values"][name],
                name in section.get("arithmetic_enums", ()),
                section.get("enum_attributes", {}).get(name, ()))
        fake.listing.update(section["classes"])
    for name in fake.listing:
        _make_class(fake, name)
    functions = _module_functions(fake, module)
    unmodelled = []
    listed = list(manifest["module"]["functions"]) + list(manifest["parsers"]["functions"])
    for name in listed:
        if name in functions:
            wrap = name not in ("common_enter", "common_exit", "_itemsize")
            setattr(module, name, _wrap_function(fake, None, name, functions[name])
                    if wrap else functions[name])
        else:
            unmodelled.append(name)
    for name in list(manifest["module"]["attributes"]) + list(manifest["parsers"]["attributes"]):
        if name in _MODULE_ALIASES and fake.has_member("DataType", _MODULE_ALIASES[name]):
            setattr(module, name, fake.member("DataType", _MODULE_ALIASES[name]))
        elif name in _ENUM_ALIASES and _ENUM_ALIASES[name] in fake.enums:
            setattr(module, name, fake.enums[_ENUM_ALIASES[name]])
        elif name == "__version__":
            module.__version__ = fake.version
        elif name == "_plugin_registry":
            module._plugin_registry = None
        elif name == "CURDIR":
            module.CURDIR = "/fake/tensorrt"
        else:
            owner = _exported_member(fake, name)
            if owner is not None:
                setattr(module, name, owner)
            else:
                unmodelled.append(name)
    for name, cls in fake.classes.items():
        if "." not in name:
            setattr(module, name, cls)
    for name, enum in fake.enums.items():
        if "." not in name:
            setattr(module, name, enum)
    module.__version__ = fake.version
    module._f_release = release
    module._f_unmodelled = frozenset(unmodelled)
    module._calls, module._call_args, module._log = fake.calls, fake.call_args, fake.log_messages
    module._scenario, module._manifest = fake.scenario, manifest
    return module


def _exported_member(fake, name):
    """A module attribute that is a member of a top-level enum exported with export_values."""
    for enum_name, enum in sorted(fake.enums.items()):
        if "." not in enum_name and name in enum.__members__:
            return enum.__members__[name]
    return None
