"""``calibrate``: ranges from ONNX Runtime's calibrators over streamed frames, Q/DQ nodes from
its QDQ quantizer placed where TensorRT fuses them, TensorRT's calibration cache from the same
ranges, and a summary of what was clipped.

ONNX Runtime cannot run our unpooling op, so the ranges are collected on a twin of the graph in
which each unpooling node is spelled in standard ops under the same tensor names; the Q/DQ
nodes then go into the graph itself, where the op stays as it is."""

import contextlib
import datetime
import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile

import numpy as np
import onnx

from edge_segnet import fileio, inputs, optional
from edge_segnet import prepare as prepare_module
from edge_segnet.errors import (DataError, EdgeSegnetError, MissingDependencyError,
                                 ModelError, OutOfMemoryError, UsageError)
from edge_segnet.graph import fp16, heads, unpool
from edge_segnet.graph.batchnorm import fold_batchnorm
from edge_segnet.graph.editing import has_qdq
from edge_segnet.graph.shapes import static_shapes
from edge_segnet.models import metadata, zoo
from edge_segnet.quant import frames as frames_module
from edge_segnet.platform import installed
from edge_segnet.runtime import in_memory
from edge_segnet.runtime.onnxruntime_backend import out_of_memory, require_onnxruntime
from edge_segnet.trt_facts import calibration_cache as cache_facts

_log = logging.getLogger(__name__)

METHODS = ("entropy", "percentile", "minmax")
# Chosen on CamVid's val split (SegNet-Basic, 100 train frames): the 99.99th percentile kept
# global accuracy, class average and mIoU within 0.1 point of FP32; entropy moved the class
# average by 2 points (it clips more, and the rare classes pay).
DEFAULT_METHOD = "percentile"
TARGETS = ("tensorrt", "onnxruntime")
DEFAULT_PERCENTILE = 99.99
# Frames per pass of ONNX Runtime's calibrator: it keeps every calibrated tensor of a pass in
# memory (SegNet-Basic: ~8 MB per tensor and frame), so the pass is short and memory bounded.
FRAMES_PER_PASS = 4
# Ops whose outputs the implicit-INT8 path of TensorRT may keep in INT8; their tensors get a
# range in the cache. Our unpooling op's inputs and output are among them through its
# neighbours (MaxPool, Relu, Conv).
CACHE_OPS = ("Conv", "ConvTranspose", "BatchNormalization", "Relu", "MaxPool", "Add", "Sub",
             "Mul", "Concat", "AveragePool", "Clip", "LeakyRelu", "Sigmoid")
# Calibration frames the INT8 model is compared with the float one on, as a first sanity check.
AGREEMENT_FRAMES = 8
# The calibration metadata key beside the model's other edge_segnet.* properties.
CALIBRATION_KEY = "calibration"


class CalibrateOptions(object):
    def __init__(self, method=DEFAULT_METHOD, percentile=None, target="tensorrt",
                 trt_version=None, unpool_form="plugin", input_size=None):
        if method not in METHODS:
            raise UsageError("--method must be one of {}; got {!r}".format(", ".join(METHODS),
                                                                            method))
        if percentile is not None:
            if method != "percentile":
                raise UsageError("--percentile goes with --method percentile")
            if not (50.0 <= percentile < 100.0) or percentile != percentile:
                raise UsageError("--percentile must be at least 50 and below 100 (the share "
                                 "of values kept, e.g. 99.99); got {}".format(percentile))
        if target not in TARGETS:
            raise UsageError("--target must be tensorrt or onnxruntime; got {!r}".format(target))
        self.method = method
        self.percentile = DEFAULT_PERCENTILE if percentile is None else float(percentile)
        self.target = target
        self.cache_version = (cache_facts.parse_full_version(trt_version)
                              if trt_version else None)
        self.unpool_form = unpool_form
        self.input_size = tuple(input_size) if input_size else None


class CalibrationResult(object):
    def __init__(self, record, summary, agreement):
        self.record = record
        self.summary = summary
        self.agreement = agreement


def _quantization():
    """ONNX Runtime's quantization package, new enough to quantize from ranges computed
    here (quantize_static's calibration_cache_path)."""
    onnxruntime = require_onnxruntime("calibrate (ONNX Runtime's quantization package)")
    quantization = optional.require("onnxruntime.quantization",
                                    "calibrate (ONNX Runtime's quantization package)")

    if "calibration_cache_path" not in inspect.signature(
            quantization.quantize_static).parameters:
        raise MissingDependencyError(
            "calibrate needs a newer onnxruntime than {} (its quantize_static must take "
            "calibration_cache_path)".format(onnxruntime.__version__),
            hint="calibrate on a workstation with pip install -U onnxruntime; the board only "
                 "needs the Q/DQ model or the cache it writes")
    return quantization


def _check_outputs(model, where):
    """The outputs prepare produces: logits (float 1xCxHxW), optionally with the int32 label
    map (1xHxW) of its arg-max head. Anything else cannot be scored or built the same way."""
    shapes, types = static_shapes(model, with_types=True)
    logits = []
    for output in model.graph.output:
        shape, kind = shapes.get(output.name), types.get(output.name)
        if output.name == heads.LABELS_OUTPUT and kind == onnx.TensorProto.INT32:
            continue
        if kind in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16) and shape and \
                len(shape) == 4 and shape[0] == 1:
            logits.append(output.name)
            continue
        raise ModelError("{}: output '{}' ({}, shape {}) is not what prepare produces (float "
                         "1xCxHxW logits, or the int32 label map)".format(
                             where, output.name, onnx.TensorProto.DataType.Name(kind or 0),
                             shape), hint="calibrate the raw export or prepare's output")
    if len(logits) != 1:
        raise ModelError("{}: {} logits outputs; calibration needs the model's one logits "
                         "output".format(where, len(logits)),
                         hint="prepare with --keep-logits when it has an --argmax head")


def load_float_model(model_path, options):
    """The float graph to quantise: prepare's output as it is, a raw export prepared as
    ``build`` prepares it (TensorRT target), BatchNormalization folded into its Conv."""
    source_bytes = inputs.read_bytes(model_path, "model file", ModelError,
                                     hint="give an .onnx file")
    model = zoo.load(model_path)
    source_sha256 = hashlib.sha256(source_bytes).hexdigest()
    if has_qdq(model):
        raise ModelError("{} already holds Q/DQ (INT8) nodes".format(model_path),
                         hint="calibrate the float model it was made from")
    if fp16.is_fp16(model):
        raise ModelError("{} computes in FP16; INT8 scales come from the FP32 model".format(
            model_path), hint="calibrate the model before prepare --fp16")
    info = metadata.ModelInfo.from_model(model)
    passes = []
    if options.target == "tensorrt" and not info.extra.get("prepared"):
        size = options.input_size or info.input_size or zoo.DEFAULT_INPUT_SIZE
        prepare_options = prepare_module.PrepareOptions(
            input_size=size, unpool_form=options.unpool_form, embed_preprocess=True,
            argmax=True, keep_logits=True,
            trt_version="{}.{}".format(*options.cache_version[:2]) if options.cache_version
            else None)
        model, reports = prepare_module.prepare(model, prepare_options, source_bytes)
        passes = [report.name for report in reports]
        _log.info("prepared {} as build does ({}x{}, {} unpooling, preprocessing and arg-max in "
                  "the graph)".format(model_path, size[0], size[1], options.unpool_form))
    elif options.input_size and tuple(options.input_size) != tuple(info.input_size or ()):
        raise UsageError("--input-size goes with a raw export; {} is {}".format(
            model_path, "prepared for {}x{}".format(*info.input_size) if info.input_size else
            "kept at its own size"))
    folded = fold_batchnorm(model)
    if folded:
        passes.append("fold-batchnorm")
        _log.info("folded {} BatchNormalization nodes into their Conv".format(len(folded)))
    _check_outputs(model, model_path)
    return model, passes, source_sha256


def _input_tensors(model):
    info = metadata.ModelInfo.from_model(model)
    shapes = static_shapes(model)
    name = [value.name for value in model.graph.input
            if value.name not in {init.name for init in model.graph.initializer}][0]
    size = tuple(shapes[name][2:]) if shapes.get(name) and len(shapes[name]) == 4 else None
    input_format = info.extra.get("input_format", heads.FORMAT_NORMALIZED)
    if input_format == heads.FORMAT_BGR_UINT8:
        size = tuple(shapes[name][1:3])
    size = size or info.input_size or zoo.DEFAULT_INPUT_SIZE
    return name, frames_module.InputTensors(info, input_format, size)


def _calibration_twin(model):
    """The graph ONNX Runtime runs to collect ranges: our op in standard ops."""
    twin = onnx.ModelProto()
    twin.CopyFrom(model)
    unpool.expand_plugin_nodes(twin)
    return twin


def _calibrated_ops(model, target):
    present = {node.op_type for node in model.graph.node}
    if target == "tensorrt":
        return sorted(present & set(CACHE_OPS))
    return None  # ONNX Runtime's own placement quantises every op it can: range them all


def _calibrator_options(options):
    if options.method == "minmax":
        return {"symmetric": True}
    if options.method == "percentile":
        return {"symmetric": True, "percentile": options.percentile, "num_bins": 2048}
    return {"symmetric": True, "num_bins": 2048, "num_quantized_bins": 128}


def _method_enum(quantization, method):
    return {"entropy": quantization.CalibrationMethod.Entropy,
            "percentile": quantization.CalibrationMethod.Percentile,
            "minmax": quantization.CalibrationMethod.MinMax}[method]


class _Frames(object):
    """One short pass of input dicts for ONNX Runtime's calibrator (its DataReader)."""

    def __init__(self, feeds):
        self._feeds = iter(feeds)

    def get_next(self):
        return next(self._feeds, None)


def collect_ranges(model, calibration_set, options, work_dir, progress=False):
    """TensorsData of ONNX Runtime's calibrator (and its histograms, where the method keeps
    any) over every frame of ``calibration_set``."""
    quantization = _quantization()
    twin_path = os.path.join(work_dir, "twin.onnx")
    onnx.save(_calibration_twin(model), twin_path)
    input_name, to_tensor = _input_tensors(model)
    with _quiet():
        calibrator = quantization.create_calibrator(
            twin_path, _calibrated_ops(model, options.target),
            augmented_model_path=os.path.join(work_dir, "augmented.onnx"),
            calibrate_method=_method_enum(quantization, options.method),
            extra_options=_calibrator_options(options))
    reader_base = quantization.CalibrationDataReader
    reader_class = type("StreamedFrames", (_Frames, reader_base), {})
    done, batch = 0, []

    def flush():
        with _quiet():
            calibrator.collect_data(reader_class([{input_name: tensor} for tensor in batch]))
        del batch[:]

    for frame in calibration_set.frames():
        batch.append(to_tensor(frame))
        done += 1
        if len(batch) == FRAMES_PER_PASS:
            flush()
        if progress:
            frames_module.progress(done, calibration_set.total)
    if batch:
        flush()
    if done == 0:
        raise DataError(
            "none of the {} calibration images could be read (first: {})".format(
                calibration_set.total, calibration_set.first_skipped),
            hint="give a folder of PNG or JPEG images")
    if progress and done < calibration_set.total:
        frames_module.progress(calibration_set.total, calibration_set.total)
    with _quiet():
        ranges = calibrator.compute_data()
    histograms = {}
    collector = getattr(calibrator, "collector", None)
    if collector is not None and getattr(collector, "histogram_dict", None):
        histograms = {name: (np.asarray(value[0]), np.asarray(value[1]))
                      for name, value in collector.histogram_dict.items()}
    return ranges, histograms, done


@contextlib.contextmanager
def _quiet():
    """ONNX Runtime's quantization prints its progress with print() and advice through the
    root logger: keep stdout ours and stderr to what we say."""
    import io
    import logging

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        root.setLevel(level)


def _amax(tensor_data):
    low, high = tensor_data.range_value
    return float(max(abs(float(np.asarray(low).max())), abs(float(np.asarray(high).max()))))


def _clipped_fraction(histogram, amax):
    """Share of the calibration values whose magnitude lies beyond the range kept. The
    percentile calibrator's histograms are of |x|, the entropy calibrator's of x: both tails
    count."""
    if histogram is None:
        return 0.0
    counts, edges = histogram
    total = float(counts.sum())
    if total == 0:
        return 0.0
    centres = (edges[:-1] + edges[1:]) / 2.0
    return float(counts[np.abs(centres) > amax].sum()) / total


def summarize(ranges, histograms, names):
    """Per tensor: the observed range, the range kept, the clipped share."""
    rows = []
    for name in names:
        if name not in ranges.data:
            continue
        amax = _amax(ranges.data[name])
        histogram = histograms.get(name)
        observed = float(np.abs(histogram[1]).max()) if histogram is not None else amax
        rows.append({"tensor": name, "amax": amax, "observed_amax": max(observed, amax),
                     "scale": amax / cache_facts.INT8_MAX,
                     "clipped_fraction": _clipped_fraction(histogram, amax)})
    return rows


def _quantize(model, ranges, options, work_dir):
    """The Q/DQ model from ONNX Runtime's QDQ quantizer, fed the ranges collected here."""
    quantization = _quantization()
    ranges_path = os.path.join(work_dir, "ranges.json")
    quantization.save_tensors_data(ranges, ranges_path)
    extra = {"ActivationSymmetric": True, "WeightSymmetric": True}
    op_types = None
    if options.target == "tensorrt":
        # TensorRT's placement: Q/DQ on the inputs and weights of Conv, none on its output
        # (nothing between Conv, BN and ReLU, which TensorRT fuses), float weights under a
        # Q->DQ pair and a float bias (8.x imports neither INT8 initializers nor INT32 DQ).
        op_types = ["Conv", "ConvTranspose"]
        extra.update({"OpTypesToExcludeOutputQuantization": op_types, "QuantizeBias": False,
                      "AddQDQPairToWeight": True})
    # The frame's raw values stay float: the normalisation in front of the network.
    excluded = [node.name for node in heads.preprocess_convs(model)]
    source_path = os.path.join(work_dir, "float.onnx")
    output_path = os.path.join(work_dir, "qdq.onnx")
    onnx.save(model, source_path)
    with _quiet():
        quantization.quantize_static(
            source_path, output_path, calibration_cache_path=ranges_path,
            calibrate_method=_method_enum(quantization, options.method),
            quant_format=quantization.QuantFormat.QDQ, op_types_to_quantize=op_types,
            nodes_to_exclude=excluded,
            per_channel=True, reduce_range=False,
            activation_type=quantization.QuantType.QInt8,
            weight_type=quantization.QuantType.QInt8, extra_options=extra)
    quantized = onnx.load(output_path)
    _keep_model_identity(model, quantized)
    return quantized


def _keep_model_identity(float_model, quantized):
    """The quantizer rebuilds the model: keep the IR version (a newer onnx would write one that
    older ONNX Runtimes cannot read; per-channel Q/DQ needs opset 13, hence IR 7 at least),
    our op's domain and the metadata."""
    quantized.ir_version = max(float_model.ir_version, 7)
    domains = {entry.domain for entry in quantized.opset_import}
    for entry in float_model.opset_import:
        if entry.domain not in domains:
            quantized.opset_import.append(entry)
    del quantized.metadata_props[:]
    quantized.metadata_props.extend(float_model.metadata_props)


def calibrate(model_path, calibration_set, output, options, cache=None, summary_path=None,
              progress=False):
    """Write the Q/DQ model to ``output`` (and the TensorRT cache to ``cache``, the summary
    JSON to ``summary_path``); returns a CalibrationResult. ``progress``: a bar on stderr."""
    if not os.path.exists(model_path):  # before the outputs are checked against it
        raise ModelError("model file not found: {}".format(model_path))
    fileio.check_outputs_apart([("-o", output), ("--cache", cache),
                                ("--summary", summary_path)], [("model", model_path)])
    for path, what in ((output, "Q/DQ model"), (cache, "calibration cache"),
                       (summary_path, "calibration summary")):
        if path:
            fileio.check_writable_path(path, what)
    if cache and options.target != "tensorrt":
        raise UsageError("--cache is TensorRT's: it goes with --target tensorrt")
    cache_version = options.cache_version or _default_cache_version()
    if cache:
        cache_facts.header(cache_version)  # a release without calibrators: said before work
    model, passes, source_sha256 = load_float_model(model_path, options)
    _quantization()
    _log.info("calibrating on {} ({}{})".format(
        calibration_set.description, options.method,
        " {}".format(options.percentile) if options.method == "percentile" else ""))
    work_dir = tempfile.mkdtemp(prefix="edge-segnet-calibrate.")
    try:
        ranges, histograms, used = collect_ranges(model, calibration_set, options, work_dir,
                                                  progress)
        if calibration_set.skipped:
            _log.info("skipped {} unreadable images (first: {})".format(
                calibration_set.skipped, calibration_set.first_skipped))
        quantized = _quantize(model, ranges, options, work_dir)
    except Exception as exc:
        if not isinstance(exc, EdgeSegnetError) and out_of_memory(str(exc)):
            raise OutOfMemoryError("ONNX Runtime ran out of memory calibrating {}".format(
                model_path), hint="close other programs, or calibrate on a machine with more "
                                  "memory")
        if isinstance(exc, EdgeSegnetError) or work_dir not in str(exc):
            raise
        # ONNX Runtime names the copy it was handed: the user knows only their model.
        reason = " ".join(str(exc).replace(work_dir + os.sep, "").split())
        raise ModelError("ONNX Runtime could not calibrate {}: {}".format(
            model_path, reason[:300]), hint="check that ONNX Runtime runs it (edge-segnet "
                                            "verify MODEL MODEL)")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    present = {name for node in model.graph.node for name in list(node.input) +
               list(node.output)}
    present.update(value.name for value in model.graph.input)
    names = sorted(name for name in ranges.data if name in present)
    summary = summarize(ranges, histograms, names)
    cache_text = None
    if cache:
        # No scale for the frame's raw values: TensorRT then keeps the normalisation in float.
        raw = {node.input[0] for node in heads.preprocess_convs(model)}
        cache_text = cache_facts.format_cache({row["tensor"]: row["amax"] for row in summary
                                               if row["tensor"] not in raw}, cache_version)
    qdq_pairs = sum(1 for node in quantized.graph.node if node.op_type == "QuantizeLinear")
    record = {
        "method": options.method,
        "percentile": options.percentile if options.method == "percentile" else None,
        "target": options.target,
        "frames": used,
        "skipped": calibration_set.skipped,
        "source": calibration_set.description,
        "float_model_sha256": source_sha256,
        "passes": passes,
        "quantizer": "onnxruntime {} quantize_static (QDQ, symmetric int8 activations, "
                     "per-channel symmetric int8 weights)".format(installed.onnxruntime_version()),
        "quantize_linear_nodes": qdq_pairs,
        "tensors": len(summary),
        "cache_sha256": hashlib.sha256(cache_text.encode("ascii")).hexdigest()
        if cache_text else None,
        "cache_header": cache_text.split("\n", 1)[0] if cache_text else None,
        "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    _record_in_metadata(quantized, record)
    # Both on ONNX Runtime (our op through its reference), on a few calibration frames.
    agreement, compared = in_memory.label_agreement(
        model, quantized, _first_frames(calibration_set, AGREEMENT_FRAMES))
    record["agreement_with_float_percent"] = agreement
    record["agreement_frames"] = compared
    _record_in_metadata(quantized, record)
    # All or none: a full disk on the cache or the summary must not leave a finished model
    # under -o beside an error.
    files = [(output, quantized.SerializeToString(), "Q/DQ model")]
    if cache_text is not None:
        files.append((cache, cache_text.encode("ascii"), "calibration cache"))
    if summary_path:
        files.append((summary_path, (json.dumps(
            {"calibration": record, "images": calibration_set.names(), "tensors": summary},
            indent=1) + "\n").encode("utf-8"), "calibration summary"))
    fileio.write_files_atomic(files)
    return CalibrationResult(record, summary, agreement)


def _first_frames(calibration_set, count):
    for index, frame in enumerate(calibration_set.frames()):
        if index >= count:
            return
        yield frame


def _record_in_metadata(model, record):
    key = metadata.PREFIX + CALIBRATION_KEY
    kept = [entry for entry in model.metadata_props if entry.key != key]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    entry = model.metadata_props.add()
    entry.key, entry.value = key, json.dumps(record, sort_keys=True)


def _default_cache_version():
    """The installed TensorRT's release, else the oldest we build for (8.2.1): ``build``
    re-heads a cache for the release it runs on, so the default only matters to trtexec."""
    return installed.tensorrt_release() or (8, 2, 1)


def format_summary(result, limit=12):
    """A short table for the terminal: the most clipped tensors first."""
    rows = sorted(result.summary, key=lambda row: -row["clipped_fraction"])
    lines = ["{} tensors calibrated on {} frames ({}{}); Q/DQ pairs: {}".format(
        len(result.summary), result.record["frames"], result.record["method"],
        " {}".format(result.record["percentile"]) if result.record["percentile"] else "",
        result.record["quantize_linear_nodes"])]
    lines.append("{:<44} {:>10} {:>10} {:>9}".format("tensor", "range", "observed",
                                                     "clipped"))
    for row in rows[:limit]:
        lines.append("{:<44} {:>10.4g} {:>10.4g} {:>8.4f}%".format(
            row["tensor"][-44:], row["amax"], row["observed_amax"],
            100.0 * row["clipped_fraction"]))
    if len(rows) > limit:
        lines.append("... {} more (all in --summary)".format(len(rows) - limit))
    if result.agreement is not None:
        lines.append("label agreement with the float model on {} calibration frames: "
                     "{:.2f}%".format(result.record["agreement_frames"], result.agreement))
    return "\n".join(lines)
