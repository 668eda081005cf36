"""The model zoo: named SegNet variants exported to ONNX files."""

import os
import warnings

import onnx

from edge_segnet import fileio, inputs
from edge_segnet.errors import DataError, ModelError, OutputError, UsageError
from edge_segnet.models import labels as labels_module
from edge_segnet.models import metadata, segnet, weights as weights_module

SPECS = {spec.name: spec for spec in (segnet.SEGNET_BASIC, segnet.SEGNET_VGG16)}
DEFAULT_INPUT_SIZE = (128, 256)
DEFAULT_CLASS_COUNT = 12
MAX_CLASS_COUNT = 1024


def spec_for(name):
    try:
        return SPECS[name]
    except KeyError:
        raise UsageError(
            "unknown model '{}'; choose one of: {}".format(name, ", ".join(sorted(SPECS)))
        )


def _check_class_count(class_count):
    if not 1 <= class_count <= MAX_CLASS_COUNT:
        raise UsageError(
            "--classes must be between 1 and {}; got {}".format(MAX_CLASS_COUNT, class_count)
        )


def create(name, class_count=DEFAULT_CLASS_COUNT, input_size=DEFAULT_INPUT_SIZE,
           weights_path=None, seed=0, labels=None):
    """An in-memory ONNX model of zoo variant ``name`` with its metadata recorded."""
    spec = spec_for(name)
    _check_class_count(class_count)
    source = (weights_module.NpzWeights(weights_path) if weights_path
              else weights_module.HeInitWeights(seed))
    model = segnet.build(spec, source, class_count, input_size)
    if labels is not None and len(labels) != class_count:
        # Padding with made-up names (or cutting) would hide a labels file for another model.
        raise DataError(
            "{} names {} class{} but the model has {} (--classes {})".format(
                labels.source or "the labels", len(labels), "" if len(labels) == 1 else "es",
                class_count, class_count),
            hint="give one name per class, in class-id order, or --classes {}".format(
                len(labels)))
    label_set = (labels or labels_module.camvid()).with_count(class_count)
    info = metadata.ModelInfo(
        labels=label_set,
        input_size=input_size,
        architecture=spec.name,
        extra={"weights": (os.path.basename(weights_path) if weights_path
                           else "random: He initialisation, seed {}".format(seed))},
    )
    metadata.set_props(model, info.to_props())
    onnx.checker.check_model(model)
    return model


def expected_weights(name, class_count=DEFAULT_CLASS_COUNT):
    """(tensor name, shape) pairs that an ``.npz`` for variant ``name`` must hold."""
    spec = spec_for(name)
    _check_class_count(class_count)
    recorder = weights_module.ShapeRecorder()
    segnet.build(spec, recorder, class_count, DEFAULT_INPUT_SIZE)
    return recorder.shapes


def save(model, path):
    """Write ``model`` atomically to ``path``."""
    with fileio.atomic_path(path, what="model") as temp_path:
        try:
            onnx.save(model, temp_path)
        except OSError as exc:
            raise OutputError("cannot write model {}: {}".format(path, exc.strerror or exc))


def load(path):
    """An ONNX model from ``path`` (with its external data files), or a ModelError saying
    why not."""
    inputs.check_regular_file(path, "model", ModelError, hint="give an .onnx model file")
    if os.path.isdir(path):
        raise ModelError("model path {} is a folder; give an .onnx file".format(path))
    try:
        empty = os.path.getsize(path) == 0
    except FileNotFoundError:
        raise ModelError("model file not found: {}".format(path))
    except OSError:
        empty = False  # onnx.load below says what is wrong
    if empty:
        raise ModelError("model file {} is empty (0 bytes), not an ONNX model".format(path),
                         hint="export one with edge-segnet export-model, or copy it again")
    try:
        with warnings.catch_warnings():
            # onnx 1.11 (JetPack 4.6) warns about a corrupt file before it raises: the error
            # below says it in one line.
            warnings.simplefilter("ignore", RuntimeWarning)
            model = onnx.load(path, load_external_data=False)
    except FileNotFoundError:
        raise ModelError("model file not found: {}".format(path))
    except IsADirectoryError:
        raise ModelError("model path {} is a folder; give an .onnx file".format(path))
    except PermissionError:
        raise ModelError("cannot read model {}: permission denied".format(path))
    except Exception as exc:  # protobuf raises DecodeError and others on a non-ONNX file
        raise ModelError(
            "{} is not a readable ONNX model ({})".format(path, type(exc).__name__),
            hint="export one with edge-segnet export-model",
        )
    if not model.HasField("graph"):
        # Some bytes parse as a ModelProto without any field of one.
        raise ModelError("{} is not an ONNX model: it holds no graph".format(path),
                         hint="export one with edge-segnet export-model")
    _load_external_data(model, path)
    return model


def _external_tensors(model):
    from onnx import external_data_helper

    return [tensor for tensor in external_data_helper._get_all_tensors(model)
            if external_data_helper.uses_external_data(tensor)]


def _load_external_data(model, path):
    """Read the tensors a model keeps in files beside it (models over 2 GB, or saved with
    ``save_as_external_data``), naming a missing or short data file."""
    from onnx import external_data_helper

    tensors = _external_tensors(model)
    if not tensors:
        return
    base = os.path.dirname(os.path.abspath(path))
    for tensor in tensors:
        info = external_data_helper.ExternalDataInfo(tensor)
        location = info.location or ""
        data_path = os.path.join(base, location)
        if not location or not os.path.exists(data_path):
            raise ModelError(
                "{} keeps tensor '{}' in the external data file {}, which is missing".format(
                    path, tensor.name, data_path),
                hint="copy {} beside the model".format(location or "its data file"))
        inputs.check_regular_file(data_path, "external data file", ModelError)
        if os.path.isdir(data_path):
            raise ModelError("external data file {} of {} is a folder".format(data_path, path))
        end = int(info.offset or 0) + int(info.length or 0)
        size = os.path.getsize(data_path)
        if size < end:
            raise ModelError(
                "external data file {} holds {} bytes but tensor '{}' of {} needs bytes up "
                "to {}".format(data_path, size, tensor.name, path, end),
                hint="the copy is truncated: copy it again")
    try:
        external_data_helper.load_external_data_for_model(model, base)
    except Exception as exc:
        raise ModelError("cannot read the external data of {}: {}".format(
            path, str(exc).strip().splitlines()[0] if str(exc).strip() else
            type(exc).__name__))
