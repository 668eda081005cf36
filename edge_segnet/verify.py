"""``verify``: two models on the same frames, compared the way segmentation cares about:
logit differences, arg-max agreement and per-class IoU between the two label maps."""

import glob
import json
import os

import numpy as np

from edge_segnet import optional
from edge_segnet.data.synthetic import StreetScene
from edge_segnet.errors import DataError, EdgeSegnetError, UsageError
from edge_segnet.runtime import open_segmenter

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff")


class VerificationFailed(EdgeSegnetError):
    """The two models differ by more than the tolerances."""


class Comparison(object):
    def __init__(self, names):
        self.names = names
        self.frames = 0
        self.max_abs = None
        self.sum_abs = 0.0
        self.count_abs = 0
        self.agree = 0
        self.pixels = 0
        self.intersection = np.zeros(len(names), np.int64)
        self.union = np.zeros(len(names), np.int64)
        self.logits_note = None

    @property
    def mean_abs(self):
        return self.sum_abs / self.count_abs if self.count_abs else None

    @property
    def agreement(self):
        return self.agree / self.pixels if self.pixels else None

    def iou(self):
        """{class name: IoU} for classes present in either label map."""
        return {name: float(inter) / union for name, inter, union in
                zip(self.names, self.intersection, self.union) if union}

    def add(self, labels_a, labels_b, logits_a=None, logits_b=None):
        self.frames += 1
        if logits_a is not None and logits_b is not None:
            difference = np.abs(logits_a.astype(np.float64) - logits_b.astype(np.float64))
            largest = float(difference.max())
            self.max_abs = largest if self.max_abs is None else max(self.max_abs, largest)
            self.sum_abs += float(difference.sum())
            self.count_abs += difference.size
        self.agree += int((labels_a == labels_b).sum())
        self.pixels += labels_a.size
        classes = len(self.names)
        a = np.clip(labels_a.ravel(), 0, classes - 1)
        b = np.clip(labels_b.ravel(), 0, classes - 1)
        both = np.bincount(a[a == b], minlength=classes)[:classes]
        count_a = np.bincount(a, minlength=classes)[:classes]
        count_b = np.bincount(b, minlength=classes)[:classes]
        self.intersection += both
        self.union += count_a + count_b - both

    def failures(self, atol, min_agreement):
        found = []
        if self.max_abs is not None and self.max_abs > atol:
            found.append("logits differ by up to {:.3g} (atol {:.3g})".format(self.max_abs, atol))
        if self.agreement is not None and self.agreement * 100.0 < min_agreement:
            found.append("arg-max agreement {:.4f}% is below {:.4f}%".format(
                self.agreement * 100.0, min_agreement))
        return found

    def to_json(self):
        return {"frames": self.frames, "logits_max_abs_diff": self.max_abs,
                "logits_mean_abs_diff": self.mean_abs, "argmax_agreement": self.agreement,
                "iou": self.iou(), "logits_note": self.logits_note}

    def format_text(self):
        lines = ["frames compared: {}".format(self.frames)]
        if self.max_abs is not None:
            lines.append("logits: max |diff| {:.3g}, mean |diff| {:.3g}".format(
                self.max_abs, self.mean_abs))
        else:
            lines.append("logits: not compared ({})".format(self.logits_note))
        lines.append("arg-max agreement: {:.4f}%".format(self.agreement * 100.0))
        lines.append("IoU between the label maps per class: " + ", ".join(
            "{} {:.4f}".format(name, value) for name, value in self.iou().items()))
        return "\n".join(lines)


def synthetic_frames(count, size=(360, 480), seed=0):
    if count < 1:
        raise UsageError("--synthetic must be at least 1; got {}".format(count))
    scene = StreetScene(size=size, seed=seed)
    for t in range(count):
        yield scene.render(t * 7)[0]


def image_frames(folder):
    """Every image in ``folder`` (or matching a glob), sorted by name."""
    cv2 = optional.require("cv2", "reading images")
    if os.path.isdir(folder):
        paths = sorted(path for path in glob.glob(os.path.join(folder, "*"))
                       if path.lower().endswith(IMAGE_EXTENSIONS))
    else:
        paths = sorted(glob.glob(folder))
    if not paths:
        raise DataError("no images found in {}".format(folder),
                        hint="give a folder of .png/.jpg files")
    for path in paths:
        frame = cv2.imread(path, cv2.IMREAD_COLOR)
        if frame is None:
            raise DataError("cannot read image {}".format(path))
        yield frame


def compare(path_a, path_b, frames, threads=None, backend_b="auto"):
    """Run both models on every frame; returns a Comparison (model A is the reference)."""
    segmenter_a = open_segmenter(path_a, threads=threads)
    segmenter_b = open_segmenter(path_b, backend=backend_b, threads=threads)
    try:
        return compare_open(segmenter_a, segmenter_b, frames, path_a, path_b)
    finally:
        segmenter_a.close()
        segmenter_b.close()


def compare_segmenters(path_a, segmenter_b, frames, threads=None):
    """Model ``path_a`` (on its own backend) against an open Segmenter, e.g. an engine."""
    segmenter_a = open_segmenter(path_a, threads=threads)
    try:
        return compare_open(segmenter_a, segmenter_b, frames, path_a, segmenter_b.model_path)
    finally:
        segmenter_a.close()


def compare_open(segmenter_a, segmenter_b, frames, path_a, path_b):
    if segmenter_a.input_size != segmenter_b.input_size:
        raise UsageError("{} takes {}x{} and {} takes {}x{}: prepare both for one size".format(
            path_a, segmenter_a.input_size[0], segmenter_a.input_size[1], path_b,
            segmenter_b.input_size[0], segmenter_b.input_size[1]))
    logits = segmenter_a.logits_output is not None and segmenter_b.logits_output is not None
    comparison = Comparison(segmenter_a.info.labels.names)
    if not logits:
        comparison.logits_note = "a model outputs labels only; prepare it with --keep-logits"
    for frame in frames:
        a = segmenter_a.infer(frame, want_logits=logits)
        b = segmenter_b.infer(frame, want_logits=logits)
        comparison.add(a.labels, b.labels, a.logits, b.logits)
    return comparison


def report_json(comparison, atol, min_agreement):
    payload = comparison.to_json()
    payload.update({"atol": atol, "min_agreement_percent": min_agreement,
                    "failures": comparison.failures(atol, min_agreement)})
    return json.dumps(payload, indent=2)
