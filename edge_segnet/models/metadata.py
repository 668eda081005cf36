"""What a model file says about itself, in ONNX ``metadata_props`` under ``edge_segnet.*`` keys.

Values are JSON so that other tools (Netron, onnx.load) show them readably.
"""

import json
import math

from edge_segnet.errors import ModelError
from edge_segnet.models import labels as labels_module

PREFIX = "edge_segnet."

# Normalisation applied to RGB values scaled to 0..1 (ImageNet statistics, VGG16's convention).
DEFAULT_MEAN = (0.485, 0.456, 0.406)
DEFAULT_STD = (0.229, 0.224, 0.225)


class ModelInfo(object):
    """Labels, palette, normalisation and input size of a model."""

    def __init__(self, labels=None, mean=DEFAULT_MEAN, std=DEFAULT_STD, input_size=None,
                 architecture=None, color_order="RGB", extra=None):
        self.labels = labels if labels is not None else labels_module.camvid()
        self.mean = tuple(float(v) for v in mean)
        self.std = tuple(float(v) for v in std)
        self.input_size = tuple(input_size) if input_size else None
        self.architecture = architecture
        self.color_order = color_order
        self.extra = dict(extra or {})

    def to_props(self):
        props = {
            "labels": list(self.labels.names),
            "palette": self.labels.colors_rgb.tolist(),
            "mean": list(self.mean),
            "std": list(self.std),
            "color_order": self.color_order,
        }
        if self.input_size:
            props["input_size"] = list(self.input_size)
        if self.architecture:
            props["architecture"] = self.architecture
        props.update(self.extra)
        return {PREFIX + key: json.dumps(value) for key, value in props.items()}

    @classmethod
    def from_model(cls, model, class_count=None):
        """Read what the model recorded; fill gaps with defaults sized to ``class_count``."""
        props = {}
        for entry in model.metadata_props:
            if entry.key.startswith(PREFIX):
                try:
                    props[entry.key[len(PREFIX):]] = json.loads(entry.value)
                except ValueError:
                    props[entry.key[len(PREFIX):]] = entry.value
        labels = _labels(props)
        if class_count is not None:
            labels = labels.with_count(class_count)
        known = ("labels", "palette", "mean", "std", "color_order", "input_size", "architecture")
        return cls(
            labels=labels,
            mean=_numbers(props, "mean", DEFAULT_MEAN, lambda v: math.isfinite(v)),
            std=_numbers(props, "std", DEFAULT_STD, lambda v: math.isfinite(v) and v > 0),
            input_size=_input_size(props),
            architecture=_text(props, "architecture", None),
            color_order=_text(props, "color_order", "RGB", choices=("RGB", "BGR")),
            extra={key: value for key, value in props.items() if key not in known},
        )


def _malformed(key, expected, value):
    return ModelError("the model's metadata {}{} must be {}; got {}".format(
        PREFIX, key, expected, json.dumps(value)[:60]),
        hint="fix or remove it (edge-segnet export-model writes it right)")


def _labels(props):
    if "labels" not in props:
        return labels_module.camvid()
    names = props["labels"]
    if not (isinstance(names, list) and names and all(
            isinstance(name, str) and name.strip() for name in names)):
        raise _malformed("labels", "a list of class names", names)
    palette = props.get("palette")
    if palette is None:
        palette = labels_module.generated_colors(len(names))
    elif not (isinstance(palette, list) and len(palette) == len(names) and all(
            isinstance(color, list) and len(color) == 3 and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255
                for v in color) for color in palette)):
        raise _malformed("palette", "one [R, G, B] (0..255) per label", palette)
    return labels_module.LabelSet(names, palette)


def _numbers(props, key, default, valid):
    if key not in props:
        return default
    value = props[key]
    if (isinstance(value, list) and len(value) == 3 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and valid(float(v))
            for v in value)):
        return tuple(float(v) for v in value)
    raise _malformed(key, "a list of 3 {}numbers".format("positive " if key == "std" else ""),
                     value)


def _input_size(props):
    value = props.get("input_size")
    if value is None:
        return None
    if (isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 65536 for v in value)):
        return tuple(value)
    raise _malformed("input_size", "[HEIGHT, WIDTH] in pixels", value)


def _text(props, key, default, choices=None):
    value = props.get(key, default)
    if value is None or (isinstance(value, str) and (choices is None or value in choices)):
        return value
    raise _malformed(key, "one of {}".format(", ".join(choices)) if choices else "a string",
                     value)


def set_props(model, props):
    """Replace or add ``metadata_props`` entries of ``model`` from a str->str dict."""
    kept = [entry for entry in model.metadata_props if entry.key not in props]
    del model.metadata_props[:]
    for entry in kept:
        model.metadata_props.add(key=entry.key, value=entry.value)
    for key in sorted(props):
        model.metadata_props.add(key=key, value=props[key])
