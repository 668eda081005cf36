"""``prepare``: the passes that turn a user's SegNet export into a graph TensorRT can build,
each reporting what it changed."""

import hashlib
import json
import time

import onnx

from edge_segnet import inputs
from edge_segnet.errors import ModelError, UsageError
from edge_segnet.graph import UNPOOL_OP, fp16, heads, opset, unpool
from edge_segnet.graph.editing import GraphIndex, describe, has_qdq, remove_dead
from edge_segnet.graph.fold import fold_constants
from edge_segnet.graph.shapes import annotate, set_static_dims, static_shapes
from edge_segnet.models import metadata, zoo
from edge_segnet.platform import installed
from edge_segnet.trt_facts import parser_ops, releases


class PassReport(object):
    def __init__(self, name, changes, seconds):
        self.name, self.changes, self.seconds = name, list(changes), seconds

    def to_json(self):
        return {"pass": self.name, "changes": self.changes, "seconds": round(self.seconds, 4)}


class PrepareOptions(object):
    def __init__(self, input_size=zoo.DEFAULT_INPUT_SIZE, unpool_form="plugin",
                 embed_preprocess=False, input_type="auto", normalization="meanstd",
                 argmax=False, keep_logits=False, trt_version=None, fp16=False,
                 fp16_io=False):
        if unpool_form not in unpool.FORMS:
            raise UsageError("--unpool must be plugin or native; got {!r}".format(unpool_form))
        if keep_logits and not argmax:
            raise UsageError("--keep-logits goes with --argmax (without it the logits are the "
                             "output already)")
        if input_type not in ("auto",) + heads.INPUT_TYPES:
            raise UsageError("--input-type must be auto, uint8 or float32; got {!r}".format(
                input_type))
        if fp16_io and not fp16:
            raise UsageError("--fp16-io goes with --fp16")
        if normalization not in heads.NORMALIZATIONS:
            raise UsageError("--normalize must be {}; got {!r}".format(
                " or ".join(heads.NORMALIZATIONS), normalization))
        if normalization != "meanstd" and not embed_preprocess:
            # Without the pre-processing in the graph the host normalises, by mean and std:
            # the option would be dropped unsaid.
            raise UsageError("--normalize {} goes with --embed-preprocess (without it the "
                             "host normalises by the model's mean/std)".format(normalization))
        self.fp16, self.fp16_io = fp16, fp16_io
        self.input_size = tuple(input_size)
        self.unpool_form = unpool_form
        self.embed_preprocess = embed_preprocess
        self.input_type = input_type
        self.normalization = normalization
        self.argmax = argmax
        self.keep_logits = keep_logits
        self.trt_version = trt_version

    def resolved_input_type(self):
        if self.input_type != "auto":
            return self.input_type
        return "uint8" if releases.supports_uint8_input(self.target_version()) else "float32"

    def target_version(self):
        """The TensorRT release this graph is for: asked for, installed, else the oldest."""
        if self.trt_version:
            return releases.parse_version(self.trt_version, "--trt-version")
        return installed.target_version()


def fix_input(model, size):
    """Make the single image input static 1x3xHxW and forget every stale intermediate shape."""
    index = GraphIndex(model)
    if len(index.graph_inputs) != 1:
        raise ModelError("the model has {} inputs ({}); a SegNet takes one image".format(
            len(index.graph_inputs), ", ".join(v.name for v in index.graph_inputs)))
    value = index.graph_inputs[0]
    dims = value.type.tensor_type.shape.dim
    before = [dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or "?")
              for dim in dims]
    if len(before) != 4:
        raise ModelError("input {} has shape {}; expected 4 dimensions Nx3xHxW".format(
            value.name, before))
    if isinstance(before[1], int) and before[1] not in (0, 3):
        raise ModelError("input {} has {} channels; expected 3 (an image)".format(
            value.name, before[1]))
    after = [1, 3, size[0], size[1]]
    set_static_dims(value, after)
    del model.graph.value_info[:]
    for output in model.graph.output:
        output.type.tensor_type.ClearField("shape")
    return ["input '{}': {} -> {}".format(value.name, before, after)] if before != after else []


_IMAGE_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16)


def _type_name(kind):
    return onnx.TensorProto.DataType.Name(kind or 0).lower()


def check_input_type(model, info):
    """The input run/verify/eval can feed: a float image, or the frame's bytes (uint8) of a
    graph that embeds its pre-processing. Refused here, not after the user built on it."""
    for value in GraphIndex(model).graph_inputs:
        kind = value.type.tensor_type.elem_type
        frame_bytes = kind == onnx.TensorProto.UINT8 and \
            info.extra.get("input_format") == heads.FORMAT_BGR_UINT8
        if kind not in _IMAGE_TYPES and not frame_bytes:
            raise ModelError("input '{}' is {}: a SegNet takes a float image (1x3xHxW); "
                             "run, verify and eval could not feed this model".format(
                                 value.name, _type_name(kind)),
                             hint="export the model with a float32 input")


def check_outputs(model):
    """What run, verify, eval and calibrate read: float 1xCxHxW logits, or the int32 label
    map (1xHxW) of an arg-max head."""
    shapes, types = static_shapes(model, with_types=True)
    for output in model.graph.output:
        shape, kind = shapes.get(output.name), types.get(output.name)
        if kind == onnx.TensorProto.INT32 and shape and len(shape) == 3 and shape[0] == 1:
            continue
        if kind in _IMAGE_TYPES and shape and len(shape) == 4 and shape[0] == 1:
            continue
        raise ModelError("output '{}' is {} of shape {}: a segmentation model outputs float "
                         "1xCxHxW logits (or an int32 1xHxW label map); run, verify and eval "
                         "could not read it".format(
                             output.name, _type_name(kind),
                             "x".join(str(side) for side in shape) if shape else "unknown"),
                         hint="export the model's per-pixel class scores as its output")


def check_prepared(model):
    """What TensorRT needs of the result; raises ModelError naming the first violation."""
    index = GraphIndex(model)
    shapes, types = static_shapes(model, with_types=True)
    for node in model.graph.node:
        if node.op_type == "MaxUnpool":
            raise ModelError("{} is left after prepare".format(describe(node)))
        if node.op_type == "MaxPool" and len(node.output) > 1 and node.output[1]:
            raise ModelError("{} still outputs indices: no MaxUnpool uses them the way "
                             "prepare rewrites".format(describe(node)),
                             hint="export the model with plain MaxPool (one output) where "
                                  "nothing unpools, or as the zoo's SegNet does (each "
                                  "MaxPool's indices feeding its MaxUnpool)")
        if node.op_type == UNPOOL_OP:
            for name in node.input:
                if types.get(name) == onnx.TensorProto.INT64:
                    raise ModelError("{} is fed the INT64 tensor {}".format(describe(node),
                                                                           name))
        for name in node.output:
            if name and name not in shapes:
                raise ModelError("tensor {} of {} has no static shape".format(
                    name, describe(node)))
    for value in list(index.graph_inputs) + list(model.graph.output):
        if value.name not in shapes:
            raise ModelError("graph input/output {} has no static shape".format(value.name))


def _timed(reports, name, function):
    start = time.perf_counter()
    changes = function()
    reports.append(PassReport(name, changes or [], time.perf_counter() - start))
    return changes


def prepare(model, options, source_bytes=None, check_fp16=None):
    """Run the passes on ``model`` (modified in place); returns (model, reports).
    ``check_fp16(float_model, fp16_model)``, when given, measures an ``--fp16`` result against
    the FP32 graph it came from and returns its report's lines (the CLI hands in
    ``checks.fp16.prepare_pass``: a check runs models, which passes do not)."""
    reports = []
    info = metadata.ModelInfo.from_model(model)
    _timed(reports, "validate", lambda: ["opset {}, IR {}, onnx.checker passed".format(
        opset.validate(model), model.ir_version)])
    check_input_type(model, info)
    _timed(reports, "fix-input", lambda: fix_input(model, options.input_size))
    unpool_changes = _timed(reports, "unpool", lambda: unpool.rewrite(
        model, options.unpool_form))
    if not unpool_changes:
        reports[-1].changes.append("no pooling/unpooling pair found: graph passed through")
    _timed(reports, "fold-constants", lambda: ["{} nodes folded".format(n) for n in
                                               [fold_constants(model)] if n])
    _timed(reports, "remove-dead", lambda: ["{} nodes removed".format(n) for n in
                                            [remove_dead(model)] if n])
    input_format = heads.FORMAT_NORMALIZED
    if options.embed_preprocess:
        input_type = options.resolved_input_type()

        def embed():
            fmt = heads.embed_preprocess(model, info.mean, info.std, info.color_order,
                                         input_type, options.normalization)
            return ["input is now {} ({} normalisation in the graph)".format(
                fmt, options.normalization)]

        _timed(reports, "embed-preprocess", embed)
        input_format = heads.FORMAT_BGR_UINT8 if input_type == "uint8" else \
            heads.FORMAT_BGR_FLOAT
    if options.argmax:
        _timed(reports, "argmax", lambda: heads.add_argmax(model, options.keep_logits) or [
            "output is the int32 label map{}".format(
                " (logits kept as a second output)" if options.keep_logits else "")])
    float_model = _fp16_pass(model, options, reports) if options.fp16 else None
    _timed(reports, "opset", lambda: [note for note in [opset.lower(model)] if note])
    _timed(reports, "shapes", lambda: annotate(model) and [])
    check_prepared(model)
    check_outputs(model)
    onnx.checker.check_model(model)
    if options.trt_version:
        parser_ops.check_parseable(model, options.target_version(),
                                   plugin_ops=(UNPOOL_OP,) if options.unpool_form == "plugin"
                                   else ())
    passes = [report.name for report in reports]
    extra = dict(info.extra)
    extra.update({
        "prepared": {"passes": passes, "unpool": options.unpool_form if unpool_changes else
                     "none", "unpool_pairs": len(unpool_changes or []),
                     "fp16": bool(options.fp16)},
        "input_format": input_format,
        "normalization": options.normalization if options.embed_preprocess else "host",
    })
    if source_bytes is not None:
        extra["source_sha256"] = hashlib.sha256(source_bytes).hexdigest()
    prepared_info = metadata.ModelInfo(labels=info.labels, mean=info.mean, std=info.std,
                                       input_size=options.input_size,
                                       architecture=info.architecture,
                                       color_order=info.color_order, extra=extra)
    metadata.set_props(model, prepared_info.to_props())
    if float_model is not None and check_fp16 is not None:
        # After the metadata: both graphs must be fed as the frames' format says.
        metadata.set_props(float_model, prepared_info.to_props())
        _timed(reports, "fp16-check", lambda: check_fp16(float_model, model))
    return model, reports


def _fp16_pass(model, options, reports):
    """FP16 by the model's types (what TensorRT 11 builds FP16 from); returns the FP32 graph
    it came from, to measure the result against."""
    if has_qdq(model):
        raise ModelError("--fp16: the model holds Q/DQ (INT8) nodes", hint="convert the float "
                         "model, or build the INT8 one with build --int8")
    if fp16.is_fp16(model):
        raise ModelError("--fp16: the model computes in FP16 already")
    float_model = onnx.ModelProto()
    float_model.CopyFrom(model)
    _timed(reports, "fp16", lambda: [fp16.convert(model, keep_io_types=not options.fp16_io)])
    return float_model


def prepare_file(source, destination, options, check_fp16=None):
    """Prepare ``source`` into ``destination`` (written atomically); returns the reports."""
    source_bytes = inputs.read_bytes(source, "model file", ModelError,
                                     hint="give an .onnx file")
    model = zoo.load(source)
    start = time.perf_counter()
    model, reports = prepare(model, options, source_bytes, check_fp16)
    reports.append(PassReport("total", [], time.perf_counter() - start))
    zoo.save(model, destination)
    return reports


def format_reports(reports):
    lines = []
    for report in reports:
        if report.name == "total":
            lines.append("prepared in {:.2f} s".format(report.seconds))
            continue
        lines.append("{:<17} {}".format(report.name, "; ".join(report.changes) or "-"))
    return "\n".join(lines)


def reports_json(reports):
    return json.dumps([report.to_json() for report in reports], indent=2)
