"""The model zoo: named SegNet variants exported to ONNX files."""

import os
import warnings

import onnx

from edge_segnet import fileio
from edge_segnet.errors import ModelError, OutputError, UsageError
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
    """An ONNX model from ``path``, or a ModelError saying why not."""
    try:
        with warnings.catch_warnings():
            # onnx 1.11 (JetPack 4.6) warns about a corrupt file before it raises: the error
            # below says it in one line.
            warnings.simplefilter("ignore", RuntimeWarning)
            return onnx.load(path)
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
