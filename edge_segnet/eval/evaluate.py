"""``eval``: models over a dataset split, accumulated into confusion matrices."""

import json
import sys
import time

from edge_segnet import optional
from edge_segnet.data import datasets
from edge_segnet.errors import UsageError
from edge_segnet.eval.metrics import ConfusionMatrix
from edge_segnet.runtime import open_segmenter


class ModelResult(object):
    def __init__(self, model, matrix, names, seconds):
        self.model, self.matrix, self.names, self.seconds = model, matrix, names, seconds

    def to_json(self):
        m = self.matrix
        return {
            "model": self.model,
            "global_accuracy": m.global_accuracy(),
            "class_average_accuracy": m.class_average_accuracy(),
            "mean_iou": m.mean_iou(),
            "class_accuracy": {self.names[c]: v for c, v in m.per_class_accuracy().items()},
            "class_iou": {self.names[c]: v for c, v in m.per_class_iou().items()},
            "pixels": m.pixels,
            "seconds": round(self.seconds, 2),
        }


class Report(object):
    def __init__(self, results, frames, out_of_range):
        self.results = results
        self.frames = frames
        self.out_of_range = out_of_range  # {file: pixels counted as void}

    def to_json(self):
        return {"frames": self.frames, "models": [r.to_json() for r in self.results],
                "out_of_range_labels": self.out_of_range}

    def format_text(self):
        """One row per model, one column per class: accuracy (as the paper's Table 1), then
        the same for IoU."""
        names = [self.results[0].names[c] for c in self.results[0].matrix.evaluated_classes()]
        short = [name[:8] for name in names]
        width = max(len(r.model) for r in self.results)
        lines = []
        for title, key in (("class accuracy (%)", "class_accuracy"), ("class IoU (%)",
                                                                       "class_iou")):
            lines.append(title)
            lines.append("{:<{w}}  ".format("model", w=width) + " ".join(
                "{:>8}".format(n) for n in short) + "  {:>7} {:>7} {:>7}".format(
                "global", "class", "mIoU"))
            for result in self.results:
                data = result.to_json()
                cells = " ".join("{:>8}".format(_percent(data[key][n])) for n in names)
                lines.append("{:<{w}}  {}  {:>7} {:>7} {:>7}".format(
                    result.model, cells, _percent(data["global_accuracy"]),
                    _percent(data["class_average_accuracy"]), _percent(data["mean_iou"]),
                    w=width))
            lines.append("")
        lines.append("{} frames".format(self.frames))
        if self.out_of_range:
            lines.append("labels out of range counted as void: {} pixels in {} files".format(
                sum(self.out_of_range.values()), len(self.out_of_range)))
        return "\n".join(lines)


def _percent(value):
    return "-" if value is None else "{:.1f}".format(100.0 * value)


def _ignore_index(names, ignore_class):
    if ignore_class in (None, "", "none"):
        return None
    if str(ignore_class).isdigit():
        return int(ignore_class)
    lowered = [name.lower() for name in names]
    if ignore_class.lower() not in lowered:
        raise UsageError("--ignore-class {!r} is not a class of the model ({})".format(
            ignore_class, ", ".join(names)))
    return lowered.index(ignore_class.lower())


def _progress(model, done, total, stream=None):
    stream = stream or sys.stderr
    if stream.isatty():
        stream.write("\r{}: {}/{}".format(model, done, total) + ("\n" if done == total else ""))
        stream.flush()
    elif done == total or done % max(1, total // 10) == 0:
        stream.write("{}: {}/{}\n".format(model, done, total))


def evaluate(models, data_root, split="test", layout="camvid", ignore_class="void",
             threads=None, progress=True, warn=None, backend="auto"):
    """Evaluate every model on the split; returns a Report. Memory stays bounded: one frame
    and one confusion matrix per model at a time."""
    cv2 = optional.require("cv2", "evaluating on images")
    samples = datasets.list_samples(data_root, split, layout)
    results = []
    out_of_range = {}
    warn = warn or (lambda message: sys.stderr.write("warning: " + message + "\n"))
    for model in models:
        segmenter = open_segmenter(model, backend=backend, threads=threads)
        names = list(segmenter.info.labels.names)
        if layout == "cityscapes" and len(names) == len(datasets.CITYSCAPES_CLASSES):
            names = list(datasets.CITYSCAPES_CLASSES)
        class_count = len(names)
        ignore = _ignore_index(names, ignore_class)
        if layout == "cityscapes" and ignore is None:
            ignore = datasets.CITYSCAPES_IGNORE
        # Ground truth at or beyond class_count is left out like void (and reported).
        matrix = ConfusionMatrix(class_count, ignore_index=ignore)
        start = time.perf_counter()
        for done, sample in enumerate(samples, 1):
            image = datasets.read_image(sample.image_path)
            truth = datasets.read_labels(sample.label_path, layout)
            invalid = int(((truth >= class_count) & (truth != ignore)).sum())
            if invalid and sample.label_path not in out_of_range:
                warn("{}: {} label values out of range 0..{} counted as void".format(
                    sample.label_path, invalid, class_count - 1))
                out_of_range[sample.label_path] = invalid
            predicted = segmenter.infer(image).labels
            if predicted.shape != truth.shape:
                predicted = cv2.resize(predicted, (truth.shape[1], truth.shape[0]),
                                       interpolation=cv2.INTER_NEAREST)
            matrix.update(truth, predicted)
            if progress:
                _progress(model, done, len(samples))
        segmenter.close()
        results.append(ModelResult(model, matrix, names, time.perf_counter() - start))
    return Report(results, len(samples), out_of_range)


def report_json(report):
    return json.dumps(report.to_json(), indent=2)
