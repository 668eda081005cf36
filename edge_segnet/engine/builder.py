"""``edge-segnet build``: parse the planned graph with TensorRT's ONNX parser, configure the
installed release, build, and write the engine and its description atomically. With
``--target rtx`` the same through TensorRT for RTX, ahead of time for named compute
capabilities and without a GPU."""

import hashlib
import logging
import os
import time

import edge_segnet
from edge_segnet import fileio, optional
from edge_segnet.engine import cuda_memory, plan as plan_module, plugin_library, sidecar
from edge_segnet.engine import trt_compat
from edge_segnet.engine.trt_compat import TensorRTError
from edge_segnet.errors import EdgeSegnetError, UsageError
from edge_segnet.platform import installed
from edge_segnet.trt_facts import calibration_cache as cache_facts
from edge_segnet.trt_facts import gpus, releases, rtx, trtexec

_log = logging.getLogger(__name__)

MIB = 1 << 20


class HardwareRefusal(EdgeSegnetError):
    """The GPU or board cannot do what was asked (INT8 without fast INT8, a missing DLA)."""

    exit_code = 2


class BuildResult(object):
    def __init__(self, engine_path, description, seconds, plan):
        self.engine_path, self.description = engine_path, description
        self.seconds, self.plan = seconds, plan

    def format_text(self):
        d = self.description
        io = ", ".join("{} {} {} {}".format(t["mode"], t["name"], t["dtype"],
                                             "x".join(str(v) for v in t["shape"]))
                       for t in d["io"])
        return "\n".join([
            "{} {} {}, {} ({})".format(
                releases.FLAVOUR_NAMES[sidecar.flavour(d)], d["tensorrt"]["version"],
                _built_for(d), d["precision"], d["quantization"] or "no quantization"),
            "graph: {}; unpooling: {}".format(", ".join(d["prepared_passes"]) or
                                              "already prepared", d["unpool"]),
            "I/O: " + io] + _dla_lines(d.get("dla")) + [
            "built in {:.1f} s".format(self.seconds)])


def _built_for(d):
    if sidecar.flavour(d) == releases.RTX:
        return "ahead of time for compute capability {} (no GPU used)".format(
            rtx.labels(sidecar.targets(d)))
    return "on {} (compute {})".format(d["gpu"]["name"], ".".join(
        str(v) for v in d["gpu"]["compute_capability"]))


def _dla_lines(dla):
    if not dla:
        return []
    on_gpu = dla["layers_on_gpu"]
    return ["DLA core {}: {} layers on the DLA, {} on the GPU{}".format(
        dla["core"], dla["layers_on_dla"], len(on_gpu),
        " ({})".format(", ".join(on_gpu)) if on_gpu else "")]


def check_hardware(tensorrt, builder, gpu, options):
    """Refuse, with the reason, what this GPU or board cannot do."""
    name, capability = gpu
    if options.precision == "int8":
        fast = trt_compat.platform_has_fast_int8(builder)
        if fast is None:
            fast = gpus.has_fast_int8(capability)
        if not fast:
            board = gpus.board_name(capability)
            raise HardwareRefusal(
                "--int8: {} (compute {}{}) has no fast INT8; an INT8 engine would run slower "
                "than FP16 there".format(name, gpus.name_capability(capability),
                                         ", " + board if board else ""),
                hint="build with --fp16")
    if options.dla_core is not None:
        cores = builder.num_DLA_cores
        if cores == 0:
            raise HardwareRefusal("--dla-core {}: {} has no DLA (deep-learning accelerator) "
                                  "cores; only Xavier and Orin NX/AGX have them".format(
                                      options.dla_core, name), hint="leave out --dla-core")
        if options.dla_core >= cores:
            raise HardwareRefusal("--dla-core {}: this board has {} DLA core(s), numbered from "
                                  "0".format(options.dla_core, cores))


def _plugin_path(built_plan, options, tensorrt, lib_dir=None):
    if not built_plan.needs_plugin:
        return None
    if trt_compat.flavour(tensorrt) == releases.RTX:
        check_rtx_link(lib_dir)
    environ = dict(os.environ)
    if options.plugin:
        if not os.path.isfile(options.plugin):
            raise plugin_library.PluginError(
                "--plugin {} not found".format(options.plugin),
                hint="build it with ./plugins/build.sh, or build with --unpool native, which "
                     "needs no plugin")
        environ[plugin_library.PATH_VARIABLE] = options.plugin
    try:
        return plugin_library.load(environ, tensorrt=tensorrt)
    except plugin_library.PluginError as exc:
        rtx_route = "; for TensorRT for RTX, tools/check_plugin_builds.sh --rtx builds it " \
                    "against libtensorrt_rtx.so.1" if trt_compat.flavour(tensorrt) == \
            releases.RTX else ""
        raise plugin_library.PluginError(
            "the unpooling plugin cannot be loaded: " + exc.message,
            hint=(exc.hint + rtx_route + "; or build with --unpool native, which needs no "
                                         "plugin"))


def check_rtx_link(lib_dir=None):
    """TensorRT for RTX's parser loads ``libtensorrt_rtx.so`` by that name to create a plugin
    and the process aborts (std::terminate) where it is missing: refuse first, naming the
    ``ln -s`` to run. ``lib_dir``: the wheel's library folder (default: the installed one)."""
    problem = rtx.missing_link(lib_dir) if lib_dir else installed.rtx_missing_link()
    if problem:
        raise plugin_library.PluginError(
            "the unpooling plugin cannot be used with TensorRT for RTX: " + problem,
            hint="or build with --unpool native, which needs no plugin")


def _parse(tensorrt, builder, logger, built_plan):
    network = trt_compat.create_network(tensorrt, builder)
    parser = tensorrt.OnnxParser(network, logger)
    if not parser.parse(built_plan.model_bytes()):
        problems = trt_compat.parser_problems(parser, built_plan.model)
        raise TensorRTError("{}'s ONNX parser rejected the model: {}".format(
            trt_compat.describe_release(tensorrt),
            "; ".join(str(problem) for problem in problems) or
            "no reason given"), hint="run with --verbose for TensorRT's log")
    return network, parser


def _configure(tensorrt, builder, options, built_plan, targets=None):
    config = builder.create_builder_config()
    if targets:
        trt_compat.set_compute_capabilities(tensorrt, config, targets)
    workspace = options.workspace_mib * MIB if options.workspace_mib else \
        trt_compat.default_workspace(config)
    if workspace:
        trt_compat.set_workspace(tensorrt, config, workspace)
    calibrator = None
    if built_plan.calibration_cache is not None:
        calibrator = trt_compat.implicit_int8_calibrator(
            tensorrt, *_cache_for_this_release(tensorrt, built_plan.calibration_cache))
    flags = trt_compat.set_precision(tensorrt, config, built_plan.precision, calibrator)
    if options.opt_level is not None:
        trt_compat.set_optimization_level(tensorrt, config, options.opt_level)
    if options.dla_core is not None:
        flags = flags + trt_compat.set_dla(tensorrt, config, options.dla_core,
                                           options.gpu_fallback)
    trt_compat.set_detailed_profiling(tensorrt, config)
    if options.timing_cache:
        existing = b""
        if os.path.isfile(options.timing_cache):
            with open(options.timing_cache, "rb") as handle:
                existing = handle.read()
        status = trt_compat.attach_timing_cache(config, existing)
        if status == trt_compat.TIMING_CACHE_MISMATCH and existing:
            _log.info("--timing-cache {} is from another TensorRT release or GPU: starting a "
                      "new one".format(options.timing_cache))
        elif status == trt_compat.TIMING_CACHE_UNREADABLE:
            _log.info("--timing-cache {} is stale or corrupt (TensorRT {} cannot read it): "
                      "starting a new one".format(options.timing_cache, tensorrt.__version__))
    return config, flags, workspace, calibrator


def _dla_placement(tensorrt, network, config, options):
    """Which layers run on the DLA and which on the GPU, said in one line before the build;
    without --gpu-fallback a layer the DLA cannot run is refused here rather than by the
    builder minutes later. None without --dla-core."""
    if options.dla_core is None:
        return None
    if options.precision_from_dla:
        _log.info("--dla-core {}: building FP16 (a DLA runs FP16 and INT8, not FP32)".format(
            options.dla_core))
    placement = trt_compat.layer_placement(tensorrt, network, config)
    on_gpu = [name for name, device in placement if device == "GPU"]
    if on_gpu and not options.gpu_fallback:
        raise HardwareRefusal(
            "--dla-core {} without --gpu-fallback: {} of {} layers cannot run on the DLA "
            "(first: {})".format(options.dla_core, len(on_gpu), len(placement), on_gpu[0]),
            hint="add --gpu-fallback to run them on the GPU")
    _log.info("DLA core {}: {} of {} layers on the DLA{}".format(
        options.dla_core, len(placement) - len(on_gpu), len(placement),
        "; on the GPU: " + ", ".join(on_gpu) if on_gpu else ""))
    return {"core": options.dla_core, "gpu_fallback": bool(options.gpu_fallback),
            "layers_on_dla": len(placement) - len(on_gpu), "layers_on_gpu": on_gpu}


def _trtexec_release(options, built_plan):
    """The exact release trtexec will be: --trt-version as given, else the installed one,
    else the planned major.minor (patch 0)."""
    text = options.trt_version or installed.tensorrt_text() or \
        "{}.{}".format(*built_plan.target_version)
    return cache_facts.parse_full_version(text, "--trt-version")


def _cache_for_this_release(tensorrt, cache):
    """The cache's scales under the header of the installed release (TensorRT ignores a cache
    headed for another one); returns (bytes, calibration algorithm of the header)."""
    version = cache_facts.parse_full_version(tensorrt.__version__, "installed TensorRT")
    return cache.with_header(version).encode("ascii"), cache.algorithm


def print_trtexec(model_path, options):
    """Write the graph the build would use beside the engine and return the trtexec line that
    builds the same engine (for users who cross-check with trtexec)."""
    output = options.output or plan_module.default_output(model_path)
    plan_module.check_output_paths(model_path, output, options.timing_cache,
                                   options.calib_cache)
    flavour = options.flavour()
    built_plan = plan_module.plan(model_path, options, flavour=flavour)
    if flavour == releases.RTX:
        return _print_rtx_tool(model_path, output, options, built_plan)
    # Everything is checked and the line made before any file is written: a refused option
    # leaves nothing behind.
    if options.dla_core is not None and options.dla_core >= gpus.MOST_DLA_CORES:
        raise UsageError("--dla-core {}: Jetson boards have at most {} DLA cores, numbered from "
                         "0".format(options.dla_core, gpus.MOST_DLA_CORES))
    onnx_path = os.path.splitext(output)[0] + ".trtexec.onnx"
    if os.path.abspath(onnx_path) == os.path.abspath(model_path):
        raise UsageError("the graph for trtexec would overwrite {}".format(model_path))
    calib = options.calib_cache
    if built_plan.calibration_cache is not None:
        # trtexec reads the cache as it is: give it one headed for its own release.
        release = _trtexec_release(options, built_plan)
        calib = os.path.splitext(output)[0] + ".trtexec.calib"
        if os.path.abspath(calib) in (os.path.abspath(model_path),
                                      os.path.abspath(options.calib_cache)):
            raise UsageError("the cache for trtexec would overwrite {}".format(calib))
    plugin = None
    if built_plan.needs_plugin:
        if options.plugin:
            plugin_library.check_library_file(options.plugin)
        plugin = options.plugin or next((path for path in plugin_library.candidate_paths()
                                        if os.path.isfile(path)),
                                       plugin_library.LIBRARY_NAME)
    line = trtexec.command(
        built_plan.target_version, onnx_path, output, precision=built_plan.precision,
        workspace_mib=options.workspace_mib, plugin_path=plugin, calib_cache=calib,
        dla_core=options.dla_core, gpu_fallback=options.gpu_fallback,
        opt_level=options.opt_level, timing_cache=options.timing_cache,
        verbose=options.verbose)
    files = [(onnx_path, built_plan.model_bytes(), "the graph for trtexec")]
    if built_plan.calibration_cache is not None:
        files.append((calib, built_plan.calibration_cache.with_header(release).encode("ascii"),
                      "the calibration cache for trtexec"))
    fileio.write_files_atomic(files)
    return onnx_path, line


def _print_rtx_tool(model_path, output, options, built_plan):
    """The ``tensorrt_rtx`` line for a TensorRT for RTX build, with its graph written beside the
    engine; options the line could not carry (rtx.tool_command) are refused, not dropped."""
    unsaid = [name for name, given in (("--workspace", options.workspace_mib),
                                       ("--timing-cache", options.timing_cache),
                                       ("--opt-level", options.opt_level is not None),
                                       ("the unpooling plugin", built_plan.needs_plugin))
              if given]
    if unsaid:
        raise UsageError("--print-trtexec --target rtx: the {} line would leave out {} "
                         "(no documented option of the tool)".format(rtx.TOOL,
                                                                    ", ".join(unsaid)),
                         hint="leave them out{}".format(", build with --unpool native" if
                                                        built_plan.needs_plugin else ""))
    onnx_path = os.path.splitext(output)[0] + ".trtexec.onnx"
    if os.path.abspath(onnx_path) == os.path.abspath(model_path):
        raise UsageError("the graph for {} would overwrite {}".format(rtx.TOOL, model_path))
    fileio.write_bytes_atomic(onnx_path, built_plan.model_bytes(),
                              what="the graph for " + rtx.TOOL)
    return onnx_path, rtx.tool_command(onnx_path, output, options.compute_capabilities or
                                       rtx.DEFAULT_COMPUTE_CAPABILITIES)


def build(model_path, options, tensorrt=None, cuda=None, rtx_lib_dir=None):
    """Build ``model_path`` per ``options``; returns a BuildResult. ``tensorrt`` and ``cuda``
    are the imported module and a CudaMemory (tests pass stand-ins); without ``cuda`` the
    process's one is used (cuda_memory.acquire) and given back, however the build ends. A
    TensorRT for RTX build (``options.flavour()``, or ``tensorrt`` being its module) uses no
    GPU; ``rtx_lib_dir`` is where its library link is checked (default: the installed
    wheel's)."""
    with cuda_memory.Borrowed(cuda) as borrowed:
        return _build(model_path, options, tensorrt, borrowed, rtx_lib_dir)


def _build(model_path, options, tensorrt, borrowed, rtx_lib_dir):
    output = options.output or plan_module.default_output(model_path)
    plan_module.check_output_paths(model_path, output, options.timing_cache,
                                   options.calib_cache)
    flavour = trt_compat.flavour(tensorrt) if tensorrt is not None else options.flavour()
    if options.target and options.target != flavour:
        raise UsageError("--target {} but the TensorRT module given is {}".format(
            options.target, trt_compat.describe_release(tensorrt)))
    if tensorrt is None:
        tensorrt = installed.rtx_module() if flavour == releases.RTX else \
            optional.try_import("tensorrt")
    version = trt_compat.version(tensorrt) if tensorrt is not None else None
    if options.trt_version and version and flavour == releases.TENSORRT and \
            version != releases.parse_version(options.trt_version):
        raise UsageError("--trt-version {} but TensorRT {} is installed".format(
            options.trt_version, tensorrt.__version__))
    # The model's problems are worth hearing before TensorRT's absence.
    built_plan = plan_module.plan(model_path, options, version, flavour)
    if tensorrt is None:
        tensorrt = trt_compat.import_flavour(flavour, "edge-segnet build" + (
            " --target rtx" if flavour == releases.RTX else ""))
        version = trt_compat.version(tensorrt)
    releases.check_supported(version)
    targets = None
    if flavour == releases.RTX:
        # Ahead of time, for named compute capabilities: no GPU is asked for.
        targets = options.compute_capabilities or rtx.DEFAULT_COMPUTE_CAPABILITIES
        gpu = None
    else:
        gpu = borrowed.get().device()
    if not options.force and _up_to_date(output, built_plan, options, tensorrt, gpu, targets):
        _log.info("{} is up to date (use --force to rebuild)".format(output))
        return BuildResult(output, sidecar.read(output), 0.0, None)
    start = time.perf_counter()
    logger = trt_compat.make_logger(tensorrt, options.verbose)
    trt_compat.init_plugins(tensorrt, logger)
    plugin_path = _plugin_path(built_plan, options, tensorrt, rtx_lib_dir)
    builder = tensorrt.Builder(logger)
    if gpu is not None:
        check_hardware(tensorrt, builder, gpu, options)
    network, parser = _parse(tensorrt, builder, logger, built_plan)
    config, flags, workspace, calibrator = _configure(tensorrt, builder, options, built_plan,
                                                      targets)
    dla = _dla_placement(tensorrt, network, config, options)
    _log.info("building {} engine with {}{}".format(
        built_plan.precision, trt_compat.describe_release(tensorrt),
        " ahead of time for compute capability " + rtx.labels(targets) if targets else
        " (this takes minutes on a Jetson)"))
    engine_bytes = trt_compat.build_serialized(builder, network, config)
    if engine_bytes is None:
        raise TensorRTError("{} could not build the engine (see its log above)".format(
            releases.FLAVOUR_NAMES[flavour]),
            hint="run with --verbose; a larger --workspace may help")
    seconds = time.perf_counter() - start
    # TensorRT for RTX deserialises only on an RTX GPU: its network's I/O is the engine's.
    specs = trt_compat.network_io(network) if targets else \
        _engine_io(tensorrt, logger, engine_bytes)
    description = {
        "tensorrt": {"version": tensorrt.__version__, "flavour": flavour},
        "gpu": ({"name": gpu[0], "compute_capability": list(gpu[1]),
                 "board": gpus.board_name(gpu[1])} if gpu is not None else
                {"name": None, "compute_capability": None, "board": None}),
        "targets": ({"compute_capabilities": [list(cc) for cc in targets],
                     "ahead_of_time": True} if targets else None),
        "precision": built_plan.precision,
        "quantization": built_plan.quantization,
        "calibration": built_plan.info.extra.get("calibration"),
        "flags": flags,
        "workspace_bytes": workspace,
        "dla_core": options.dla_core,
        "dla": dla,
        "opt_level": options.opt_level,
        "io": [spec.to_json() for spec in specs],
        "input_format": built_plan.input_format,
        "model": sidecar.model_section(built_plan.info),
        "source": os.path.abspath(model_path),
        "source_sha256": built_plan.source_sha256,
        "prepared_passes": built_plan.passes,
        "unpool": built_plan.unpool,
        "plugin": ({"path": plugin_path, "sha256": sidecar.file_sha256(plugin_path)}
                   if plugin_path else None),
        "engine_sha256": hashlib.sha256(engine_bytes).hexdigest(),
        "engine_bytes": len(engine_bytes),
        "build_seconds": round(seconds, 2),
        "request": _request(options, plugin_path, targets),
    }
    # The description first: an engine left without its own (a build killed in between) is
    # refused by its hash instead of being run under an older description.
    fileio.write_bytes_atomic(sidecar.path_for(output),
                              sidecar.describe(description).encode(), what="engine description")
    fileio.write_bytes_atomic(output, engine_bytes, what="the engine")
    timing = trt_compat.serialized_timing_cache(config) if options.timing_cache else None
    if timing is not None:
        fileio.write_bytes_atomic(options.timing_cache, timing, what="timing cache")
    del parser, network, calibrator
    return BuildResult(output, description, seconds, built_plan)


def _request(options, plugin_path, targets=None):
    """What was asked, to tell an up-to-date engine from one built otherwise: the options,
    the plugin build and calibration cache by content, and this edge-segnet (its passes)."""
    request = {"precision": options.precision, "input_size": list(options.input_size or []),
            "unpool": options.unpool, "workspace_mib": options.workspace_mib,
            "dla_core": options.dla_core, "gpu_fallback": options.gpu_fallback,
            "opt_level": options.opt_level,
            "calib_cache_sha256": (sidecar.file_sha256(options.calib_cache)
                                   if options.calib_cache else None),
            "plugin_sha256": sidecar.file_sha256(plugin_path) if plugin_path else None,
            "edge_segnet": edge_segnet.__version__}
    if targets:  # TensorRT's requests stay as they were: their engines stay up to date
        request["compute_capabilities"] = [list(cc) for cc in targets]
    return request


def _plugin_to_use(built_plan, options):
    """The plugin library a build would load, or None (native form, or none found: the build
    then says so)."""
    if not built_plan.needs_plugin:
        return None
    if options.plugin:
        return options.plugin if os.path.isfile(options.plugin) else None
    try:
        return plugin_library.find()
    except plugin_library.PluginError:
        return None


def _up_to_date(output, built_plan, options, tensorrt, gpu, targets=None):
    """An engine already at ``output`` built from this model, with these options and plugin,
    by this TensorRT (flavour and release) for this GPU or these targets, and intact."""
    if not (os.path.isfile(output) and os.path.isfile(sidecar.path_for(output))):
        return False
    plugin_path = _plugin_to_use(built_plan, options)
    try:
        existing = sidecar.read(output)
        sidecar.check_runs_here(output, existing, tensorrt.__version__, gpu, plugin_path,
                                flavour_here=trt_compat.flavour(tensorrt))
    except EdgeSegnetError:
        return False
    return (existing.get("source_sha256") == built_plan.source_sha256 and
            existing.get("request") == _request(options, plugin_path, targets))


def _engine_io(tensorrt, logger, engine_bytes):
    runtime = tensorrt.Runtime(logger)
    engine = runtime.deserialize_cuda_engine(engine_bytes)
    if engine is None:
        raise TensorRTError("TensorRT cannot read back the engine it built")
    return trt_compat.io_tensors(tensorrt, engine)
