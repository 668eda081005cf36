"""What a build will do, decided before TensorRT is touched: the options checked, the graph the
engine is built from (``prepare``'s passes that a raw export still needs), the precision path,
and the refusals that need no GPU (an op the target parser cannot take, a calibration cache on
TensorRT 11, a size the model cannot take)."""

import hashlib
import os

from edge_segnet import fileio, inputs
from edge_segnet import prepare as prepare_module
from edge_segnet.engine.sidecar import ENGINE_EXTENSIONS
from edge_segnet.errors import ModelError, UsageError
from edge_segnet.graph import UNPOOL_OP, fp16, heads
from edge_segnet.graph.editing import has_qdq
from edge_segnet.graph.shapes import static_shapes
from edge_segnet.models import metadata, zoo
from edge_segnet.platform import installed
from edge_segnet.sizes import parse_size
from edge_segnet.trt_facts import calibration_cache, parser_ops, releases, rtx

PRECISIONS = ("fp32", "fp16", "int8")
MAX_OPT_LEVEL = 5


class BuildOptions(object):
    """The options of ``edge-segnet build``, checked where they can be alone."""

    def __init__(self, precision="fp32", output=None, input_size=None, unpool=None,
                 plugin=None, calib_cache=None, workspace_mib=None, timing_cache=None,
                 dla_core=None, gpu_fallback=False, opt_level=None, force=False,
                 verbose=False, trt_version=None, target=None, compute_capabilities=None):
        if target is not None:
            releases.check_flavour(target)
        if isinstance(compute_capabilities, str):
            compute_capabilities = rtx.parse_compute_capabilities(compute_capabilities)
        if compute_capabilities and target == releases.TENSORRT:
            raise UsageError("--compute-capability goes with --target rtx (TensorRT builds for "
                             "the GPU it runs on)")
        if precision not in PRECISIONS:
            raise UsageError("precision must be one of {}; got {!r}".format(
                ", ".join(PRECISIONS), precision))
        if unpool not in (None, "plugin", "native"):
            raise UsageError("--unpool must be plugin or native; got {!r}".format(unpool))
        if workspace_mib is not None and workspace_mib < 1:
            raise UsageError("--workspace must be at least 1 MiB; got {}".format(workspace_mib))
        if opt_level is not None and not 0 <= opt_level <= MAX_OPT_LEVEL:
            raise UsageError("--opt-level must be 0 to {}; got {}".format(MAX_OPT_LEVEL,
                                                                           opt_level))
        if dla_core is not None and dla_core < 0:
            raise UsageError("--dla-core must be 0 or more; got {}".format(dla_core))
        if gpu_fallback and dla_core is None:
            raise UsageError("--gpu-fallback goes with --dla-core N")
        # A DLA runs FP16 and INT8 only: --dla-core builds FP16 unless --int8, as trtexec does.
        self.precision_from_dla = dla_core is not None and \
            releases.dla_precision(precision) != precision
        if dla_core is not None:
            precision = releases.dla_precision(precision)
        if calib_cache and precision != "int8":
            raise UsageError("--calib-cache goes with --int8")
        if plugin and unpool == "native":
            raise UsageError("--plugin goes with --unpool plugin; the native form needs none")
        if isinstance(input_size, str):
            input_size = parse_size(input_size)
        if input_size is not None and min(input_size) < 1:
            raise UsageError("--input-size sides must be at least 1; got {}x{}".format(
                *input_size))
        self.precision = precision
        self.output = output
        self.input_size = tuple(input_size) if input_size else None
        self.unpool = unpool
        self.plugin = plugin
        self.calib_cache = calib_cache
        self.workspace_mib = workspace_mib
        self.timing_cache = timing_cache
        self.dla_core = dla_core
        self.gpu_fallback = gpu_fallback
        self.opt_level = opt_level
        self.force = force
        self.verbose = verbose
        self.trt_version = trt_version
        self.target = target  # None: chosen by what is installed (installed.default_target)
        self.compute_capabilities = tuple(compute_capabilities) if compute_capabilities \
            else None

    def flavour(self):
        """The flavour to build for: --target, else TensorRT where an option only TensorRT
        has is given (--trt-version, --calib-cache, --dla-core), else what is installed."""
        if self.target:
            return self.target
        if self.trt_version or self.calib_cache or self.dla_core is not None:
            return releases.TENSORRT
        return installed.default_target()


def check_rtx_options(options):
    """What TensorRT for RTX has no counterpart for, refused in one line before any work."""
    refused = ((options.calib_cache, "--calib-cache", rtx.NO_CALIBRATORS,
                "give the Q/DQ model from edge-segnet calibrate"),
               (options.dla_core is not None, "--dla-core", rtx.NO_DLA, "leave out --dla-core"),
               (options.gpu_fallback, "--gpu-fallback", rtx.NO_DLA, "leave it out"),
               (options.trt_version, "--trt-version",
                "TensorRT for RTX has its own releases; the installed one builds",
                "leave out --trt-version"))
    for given, option, why, hint in refused:
        if given:
            raise UsageError("{} with --target rtx: {}".format(option, why), hint=hint)


def default_output(model_path):
    root = os.path.splitext(model_path)[0]
    if root.endswith(".prepared"):
        root = root[:-len(".prepared")]
    return root + ".engine"


def check_output_paths(model_path, output, timing_cache=None, calib_cache=None):
    """The engine, its description and the timing cache may overwrite nothing the build
    reads (the model, the calibration cache), nor each other, nor anything but regular files;
    all are checked writable before minutes of building."""
    if model_path.lower().endswith(ENGINE_EXTENSIONS):
        raise UsageError("{} is already an engine; build takes an .onnx model".format(
            model_path))
    engine = os.path.abspath(output)
    described = os.path.abspath(output + ".json")
    inputs = {os.path.abspath(model_path): "the model being built"}
    if calib_cache:
        inputs[os.path.abspath(calib_cache)] = "--calib-cache"
    for path, name in ((engine, "-o " + output), (described, "the engine description " +
                                                  output + ".json")):
        if path in inputs:
            raise UsageError("{} would overwrite {}".format(name, inputs[path]),
                             hint="choose another engine path")
    if not engine.lower().endswith(ENGINE_EXTENSIONS):
        raise UsageError("-o {} is not an engine file name".format(output),
                         hint="end it in .engine or .plan")
    outputs = [(engine, "the engine"), (described, "the engine description")]
    if timing_cache:
        timing = os.path.abspath(timing_cache)
        if timing in inputs or timing in (engine, described):
            raise UsageError("--timing-cache {} is another file of this build".format(
                timing_cache))
        outputs.append((timing, "the timing cache"))
    for path, what in outputs:
        if os.path.exists(path) and not os.path.isfile(path):
            raise UsageError("{} exists and is not a regular file".format(path),
                             hint="choose another path for " + what)
        fileio.check_writable_path(path, what)


class BuildPlan(object):
    """The graph to build and what was done to get it."""

    def __init__(self, model, source_sha256, passes, unpool, input_size, target_version,
                 precision, quantization, calibration_cache=None):
        self.model = model
        self.source_sha256 = source_sha256
        self.passes = passes
        self.unpool = unpool
        self.input_size = input_size
        self.target_version = target_version
        self.precision = precision
        self.quantization = quantization
        self.calibration_cache = calibration_cache  # a parsed calibration_cache.Cache, or None
        self.info = metadata.ModelInfo.from_model(model)
        self.input_format = self.info.extra.get("input_format", heads.FORMAT_NORMALIZED)

    @property
    def needs_plugin(self):
        return any(node.op_type == UNPOOL_OP for node in self.model.graph.node)

    def model_bytes(self):
        return self.model.SerializeToString()


def _read_model(model_path):
    data = inputs.read_bytes(model_path, "model file", ModelError, hint="give an .onnx file")
    return data, zoo.load(model_path)


def _quantization(model, options, version):
    """How INT8 reaches TensorRT: the model's Q/DQ nodes (every release) or a calibration
    cache (implicit INT8, 8.x-10.x)."""
    if options.precision != "int8":
        if has_qdq(model):
            raise UsageError("the model holds Q/DQ (INT8) nodes; build it with --int8")
        return None
    if options.calib_cache:
        if not releases.has_calibrators(version):
            raise UsageError("--calib-cache: TensorRT {}.{} has no calibrators (implicit INT8 "
                             "is gone from 11)".format(*version),
                             hint="give the Q/DQ model from edge-segnet calibrate instead")
        if has_qdq(model):
            raise UsageError("the model is already quantised (Q/DQ nodes); --calib-cache "
                             "goes with a float model")
        if fp16.is_fp16(model):
            raise UsageError("the model computes in FP16; --calib-cache goes with its FP32 "
                             "model")
        if os.path.isdir(options.calib_cache):
            raise ModelError("--calib-cache {} is a folder; give the cache file".format(
                options.calib_cache))
        if not os.path.isfile(options.calib_cache):
            raise ModelError("calibration cache not found: {}".format(options.calib_cache))
        return "calibration-cache"
    if has_qdq(model):
        return "qdq"
    raise UsageError("--int8 needs a quantised model (Q/DQ nodes, from edge-segnet calibrate)"
                     " or --calib-cache FILE (TensorRT 8.x-10.x)")


def plan(model_path, options, version=None, flavour=releases.TENSORRT):
    """Check the model and options and make the graph to build for TensorRT ``version``
    (default: --trt-version, else the installed release, else the oldest supported), or for
    TensorRT for RTX (``flavour``), planned as the TensorRT line whose facts it shares."""
    if flavour == releases.RTX:
        check_rtx_options(options)
        version = rtx.PLANNED_AS
    elif options.compute_capabilities:
        raise UsageError("--compute-capability goes with --target rtx (TensorRT builds for the "
                         "GPU it runs on)")
    elif options.trt_version:
        version = releases.parse_version(options.trt_version, "--trt-version")
    elif version is None:
        version = installed.target_version()
    releases.check_supported(version)
    source_bytes, model = _read_model(model_path)
    info = metadata.ModelInfo.from_model(model)
    prepared = info.extra.get("prepared")
    quantization = _quantization(model, options, version)
    # Read once; a malformed cache is said now, not by TensorRT minutes later.
    cache = calibration_cache.read_cache(options.calib_cache) if quantization == \
        "calibration-cache" else None
    if cache is not None:
        calibration_cache.check_replayable(cache.algorithm, options.calib_cache)
    passes = []
    if prepared:
        recorded_form = prepared.get("unpool")
        if options.unpool and recorded_form not in ("none", options.unpool):
            raise UsageError("{} was prepared with the {} unpooling form; --unpool {} needs the "
                             "raw export".format(model_path, recorded_form, options.unpool))
        size = tuple(info.input_size or ())
        if options.input_size and tuple(options.input_size) != size:
            raise UsageError("{} was prepared for {}x{}; it cannot take {}x{}".format(
                model_path, size[0], size[1], *options.input_size),
                hint="give the raw export to build another input size")
        unpool = recorded_form
        input_size = size
    else:
        # TensorRT for RTX takes only V3 plugins built against its own library
        # (tools/check_plugin_builds.sh --rtx): there the native form is the default.
        unpool = options.unpool or ("native" if flavour == releases.RTX else "plugin")
        input_size = tuple(options.input_size or info.input_size or zoo.DEFAULT_INPUT_SIZE)
        prepare_options = prepare_module.PrepareOptions(
            input_size=input_size, unpool_form=unpool, embed_preprocess=True,
            argmax=True, keep_logits=True,
            trt_version="{}.{}".format(*version))
        try:
            model, reports = prepare_module.prepare(model, prepare_options, source_bytes)
        except ModelError as exc:
            raise ModelError("{} cannot be built for input {}x{}: {}".format(
                model_path, input_size[0], input_size[1], exc.message), hint=exc.hint)
        passes = [report.name for report in reports]
        _check_no_empty_tensor(model, input_size, model_path)
    check_dla(options, unpool, version)
    if options.precision == "fp16" and not releases.has_precision_flags(version):
        # TensorRT 11 takes FP16 only from the model's types
        if not fp16.is_fp16(model):  # prepare --fp16 made it so already
            passes.append(fp16.convert(model))
    if cache is not None:
        check_cache_covers(model, cache, options.calib_cache)
    parser_ops.check_parseable(
        model, version, plugin_ops=(UNPOOL_OP,) if unpool == "plugin" else (),
        product="TensorRT for RTX" if flavour == releases.RTX else None)
    return BuildPlan(model, hashlib.sha256(source_bytes).hexdigest(), passes, unpool,
                     input_size, version, options.precision, quantization, cache)


def check_dla(options, unpool, version):
    """What a DLA can never build, said before TensorRT: a release without DLA support, and
    the plugin form without --gpu-fallback (a DLA runs no plugin: the unpooling layer has to
    run on the GPU, and without GPU fallback the build fails after minutes)."""
    if options.dla_core is None:
        return
    if not releases.has_dla(version):
        raise UsageError("--dla-core: TensorRT {}.{} does not support DLA (8.x to 10.x do)"
                         .format(*version), hint="leave out --dla-core")
    if unpool == "plugin" and not options.gpu_fallback:
        raise UsageError("--dla-core {} without --gpu-fallback cannot build the plugin form: "
                         "the unpooling plugin runs only on the GPU".format(options.dla_core),
                         hint="add --gpu-fallback (the plugin layers then run on the GPU), or "
                              "build with --unpool native")


def check_cache_covers(model, cache, cache_path):
    """A cache made for another graph would leave every layer without a scale, and TensorRT
    would build a slow engine with only warnings: refuse it. The tensors that matter most are
    the inputs of the convolutions (where the INT8 kernels read)."""
    initializers = {init.name for init in model.graph.initializer}
    # Kept float on purpose. By name: protobuf may wrap the same node anew on each access.
    frame_convs = {node.name for node in heads.preprocess_convs(model)}
    conv_inputs = {node.input[0] for node in model.graph.node
                   if node.op_type in ("Conv", "ConvTranspose") and node.input[0] not in
                   initializers and node.name not in frame_convs}
    if not cache.scales:
        raise ModelError("calibration cache {} holds no tensor scales".format(cache_path),
                         hint="write one with edge-segnet calibrate --cache")
    missing = sorted(conv_inputs - set(cache.scales))
    if missing:
        raise ModelError("calibration cache {} has no scale for {} of the {} convolution "
                         "inputs of this graph (first: {}): it was made for another "
                         "model, or for another release's graph (from 8.5 the graph takes "
                         "uint8 frames)".format(cache_path, len(missing), len(conv_inputs),
                                                missing[0]),
                         hint="calibrate this model for this release: edge-segnet calibrate "
                              "MODEL --trt-version X.Y.Z --cache F")


def _check_no_empty_tensor(model, input_size, model_path):
    """A size too small for the model's poolings leaves empty tensors, which TensorRT
    refuses only after minutes of work."""
    for name, shape in static_shapes(model).items():
        if any(side == 0 for side in shape):
            raise ModelError("{} cannot be built for input {}x{}: tensor {} would be empty "
                             "({})".format(model_path, input_size[0], input_size[1], name,
                                           "x".join(str(side) for side in shape)),
                             hint="each pooling halves the size: give a larger --input-size")
