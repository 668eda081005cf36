"""The engine cache: an ONNX model run with ``--backend tensorrt`` is built once per model,
TensorRT flavour and release, GPU, precision, input size, unpooling form and plugin build, and
reused from ``~/.cache/edge-segnet/engines`` (``$XDG_CACHE_HOME``, or ``$EDGE_SEGNET_CACHE``).
An entry whose key or engine hash does not match is rebuilt, never loaded."""

import hashlib
import json
import logging
import os

from edge_segnet import fileio, inputs
from edge_segnet.engine import builder as builder_module
from edge_segnet.engine import cuda_memory, plan, plugin_library, sidecar, trt_compat
from edge_segnet.errors import ModelError, UsageError
from edge_segnet.trt_facts import releases, rtx

_log = logging.getLogger(__name__)

CACHE_VARIABLE = "EDGE_SEGNET_CACHE"


def cache_root(environ=None):
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_VARIABLE):
        return environ[CACHE_VARIABLE]
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "edge-segnet", "engines")


def cache_key(model_sha256, tensorrt_version, gpu, precision, input_size, unpool,
              plugin_sha256, flavour=releases.TENSORRT):
    """A hex key over everything an engine is valid for: TensorRT for RTX's 1.x and
    TensorRT's numbers are apart today, but an engine of one never loads in the other."""
    fields = {"model_sha256": model_sha256, "tensorrt": tensorrt_version, "flavour": flavour,
              "gpu": [gpu[0], list(gpu[1])], "precision": precision,
              "input_size": list(input_size) if input_size else None, "unpool": unpool,
              "plugin_sha256": plugin_sha256}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _rtx_targets(gpu):
    """This GPU alone as TensorRT for RTX's target, or UsageError where it builds for none."""
    name, capability = gpu
    if tuple(capability) not in rtx.COMPUTE_CAPABILITIES:
        raise UsageError("TensorRT for RTX {} builds for compute capability {}; this GPU is {} "
                         "(compute {})".format(rtx.WHEEL_VERSION,
                                               rtx.labels(rtx.COMPUTE_CAPABILITIES), name,
                                               rtx.label(capability)),
                         hint="use TensorRT (pip install tensorrt-cu12) on this GPU")
    return (tuple(capability),)


def entry_path(key, model_path, environ=None):
    stem = os.path.splitext(os.path.basename(model_path))[0]
    return os.path.join(cache_root(environ), key[:24], stem + ".engine")


def is_valid(engine_path, key):
    """True when the entry is complete and was built for ``key``."""
    if not (os.path.isfile(engine_path) and os.path.isfile(sidecar.path_for(engine_path))):
        return False
    try:
        data = sidecar.read(engine_path)
    except Exception:
        return False
    if not data or data.get("cache_key") != key:
        return False
    return data.get("engine_sha256") == sidecar.file_sha256(engine_path)


def cached_engine(model_path, precision="fp32", input_size=None, unpool=None, tensorrt=None,
                  cuda=None, environ=None, builder=None):
    """The path of a valid cached engine for ``model_path``, building it first when needed.
    Without ``cuda`` it borrows the process's CudaMemory (the one the Segmenter that loads the
    engine will use), never a second one."""
    with cuda_memory.Borrowed(cuda) as borrowed:
        return _cached_engine(model_path, precision, input_size, unpool, tensorrt, borrowed,
                              environ, builder)


def _cached_engine(model_path, precision, input_size, unpool, tensorrt, borrowed, environ,
                   builder):
    builder = builder or builder_module
    inputs.check_regular_file(model_path, "model", ModelError, hint="give an .onnx model file")
    if not os.path.isfile(model_path):
        raise ModelError("model file not found: {}".format(model_path) if not os.path.isdir(
            model_path) else "model path {} is a folder; give an .onnx file".format(
                model_path))
    tensorrt = tensorrt or trt_compat.import_either("the TensorRT backend")
    cuda = borrowed.get()
    flavour = trt_compat.flavour(tensorrt)
    form = unpool or ("native" if flavour == releases.RTX else "plugin")  # plan's default
    plugin_sha = None
    if form == "plugin":
        try:
            plugin_sha = sidecar.file_sha256(plugin_library.find(environ))
        except plugin_library.PluginError:
            plugin_sha = None  # the build below says what is missing
    key = cache_key(sidecar.file_sha256(model_path), tensorrt.__version__, cuda.device(),
                    precision, input_size, form, plugin_sha, flavour)
    path = entry_path(key, model_path, environ)
    if is_valid(path, key):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    _log.info("building a TensorRT engine for {} into the cache ({})".format(model_path, path))
    # TensorRT for RTX builds for named GPUs: this one alone, as TensorRT does.
    targets = _rtx_targets(cuda.device()) if flavour == releases.RTX else None
    options = plan.BuildOptions(precision=precision, output=path, input_size=input_size,
                                unpool=unpool, force=True, target=flavour,
                                compute_capabilities=targets)
    result = builder.build(model_path, options, tensorrt=tensorrt, cuda=cuda)
    data = dict(result.description)
    data["cache_key"] = key
    fileio.write_bytes_atomic(sidecar.path_for(path), sidecar.describe(data).encode(),
                              what="engine description")
    return path
