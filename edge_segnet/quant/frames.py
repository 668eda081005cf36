"""Calibration frames: listed up front (paths only), read one at a time, and turned into the
network's input exactly as the Segmenter does, so memory stays bounded whatever the count."""

import logging
import os

import numpy as np

from edge_segnet import inputs
from edge_segnet import progress as progress_module
from edge_segnet.data import datasets, synthetic
from edge_segnet.errors import DataError, UsageError
from edge_segnet.graph import heads
from edge_segnet.runtime import preprocess

_log = logging.getLogger(__name__)

DEFAULT_COUNT = 500
MAX_COUNT = 100000


def spread(items, count):
    """``count`` items spread evenly over ``items`` (sorted lists of video frames are
    sequences: the first N would all come from one drive)."""
    if count is None or count >= len(items):
        return list(items)
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[i] for i in picks]


def _image_files(folder):
    if not os.path.isdir(folder):
        raise DataError("--images {}: no such folder".format(folder),
                        hint="give a folder of calibration images")
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(os.path.join(root, name) for name in sorted(files)
                     if name.lower().endswith(datasets.IMAGE_EXTENSIONS)
                     and not name.startswith("."))
    return found


class CalibrationSet(object):
    """Where the frames come from. ``frames()`` yields BGR uint8 frames, skipping (and
    counting) files that cannot be decoded, as a camera drops frames."""

    def __init__(self, images=None, data=None, split="train", layout="camvid", synthetic=None,
                 count=None, seed=0):
        chosen = [name for name, value in (("--images", images), ("--data", data),
                                           ("--synthetic", synthetic)) if value is not None]
        if len(chosen) != 1:
            raise UsageError("give one of --images DIR, --data DIR or --synthetic N" +
                             ("" if not chosen else "; got {}".format(" and ".join(chosen))))
        if count is not None and not 1 <= count <= MAX_COUNT:
            raise UsageError("--count must be 1 to {}; got {}".format(MAX_COUNT, count))
        if synthetic is not None and not 1 <= synthetic <= MAX_COUNT:
            raise UsageError("--synthetic must be 1 to {}; got {}".format(MAX_COUNT, synthetic))
        self.skipped_paths = {}  # path: why it was skipped
        self.synthetic, self.seed = synthetic, seed
        if synthetic is not None:
            self.paths = None
            self.total = synthetic if count is None else min(count, synthetic)
            self.description = "{} synthetic street frames (seed {})".format(self.total, seed)
            return
        if images is not None:
            available = _image_files(images)
            where = images
            if not available:
                raise DataError("no images found in {} (looked for {})".format(
                    images, ", ".join(datasets.IMAGE_EXTENSIONS)),
                    hint="give a folder of calibration images")
        else:
            available = [sample.image_path for sample in
                         datasets.list_samples(data, split, layout)]
            where = "{} split '{}'".format(data, split)
            if split == "test":
                _log.info("note: calibrating on the test split makes its evaluation optimistic; "
                          "calibrate on train (or val) and evaluate on test")
        self.paths = spread(available, DEFAULT_COUNT if count is None else count)
        self.total = len(self.paths)
        self.description = "{} of {} images in {}".format(self.total, len(available), where)

    @property
    def skipped(self):
        return len(self.skipped_paths)

    @property
    def first_skipped(self):
        if not self.skipped_paths:
            return None
        path = min(self.skipped_paths)
        return "{}: {}".format(path, self.skipped_paths[path])

    def names(self):
        """What was calibrated on (relative paths; files that could not be read are left
        out), as recorded beside the model."""
        if self.paths is None:
            return ["synthetic:{}:{}".format(self.seed, i) for i in range(self.total)]
        common = os.path.commonpath([os.path.abspath(p) for p in self.paths]) \
            if len(self.paths) > 1 else os.path.dirname(os.path.abspath(self.paths[0]))
        return [os.path.relpath(os.path.abspath(p), common) for p in self.paths
                if p not in self.skipped_paths]

    def frames(self):
        if self.paths is None:
            for image, _ in synthetic.frames(seed=self.seed, count=self.total):
                yield image
            return
        for path in self.paths:
            try:
                image, damage = inputs.decode_image(path, "calibration image")
            except DataError as exc:
                self.skipped_paths[path] = str(exc)
                continue
            if image is None or damage:
                # A damaged frame's gray part would widen the ranges as if it were scene.
                self.skipped_paths[path] = damage or "not an image OpenCV can decode"
                continue
            yield image


class InputTensors(object):
    """Frames -> the model's input tensor, as the Segmenter prepares them for this model."""

    def __init__(self, info, input_format, input_size):
        self.input_format = input_format
        self.input_size = tuple(input_size)
        self.normalizer = (preprocess.Normalizer(info.mean, info.std, info.color_order)
                           if input_format == heads.FORMAT_NORMALIZED else None)

    def __call__(self, frame):
        return preprocess.to_tensor(frame, self.input_size, self.input_format,
                                    self.normalizer)


def progress(done, total, stream=None):
    """Calibration's progress bar."""
    progress_module.count("calibrating", done, total, stream, bar_width=30)
