"""What a model file says about itself, in ONNX ``metadata_props`` under ``edge_segnet.*`` keys.

Values are JSON so that other tools (Netron, onnx.load) show them readably.
"""

import json

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
        if "labels" in props:
            palette = props.get("palette") or labels_module.generated_colors(len(props["labels"]))
            try:
                labels = labels_module.LabelSet(props["labels"], palette)
            except Exception:
                labels = labels_module.camvid()
        else:
            labels = labels_module.camvid()
        if class_count is not None:
            labels = labels.with_count(class_count)
        known = ("labels", "palette", "mean", "std", "color_order", "input_size", "architecture")
        return cls(
            labels=labels,
            mean=props.get("mean", DEFAULT_MEAN),
            std=props.get("std", DEFAULT_STD),
            input_size=props.get("input_size"),
            architecture=props.get("architecture"),
            color_order=props.get("color_order", "RGB"),
            extra={key: value for key, value in props.items() if key not in known},
        )


def set_props(model, props):
    """Replace or add ``metadata_props`` entries of ``model`` from a str->str dict."""
    kept = [entry for entry in model.metadata_props if entry.key not in props]
    del model.metadata_props[:]
    for entry in kept:
        model.metadata_props.add(key=entry.key, value=entry.value)
    for key in sorted(props):
        model.metadata_props.add(key=key, value=props[key])
