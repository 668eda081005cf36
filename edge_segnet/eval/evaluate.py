"""``eval``: models over a dataset split, accumulated into confusion matrices."""

import json
import logging
import os
import time

import numpy as np

from edge_segnet import fileio, inputs, labelmaps
from edge_segnet import progress as progress_module
from edge_segnet.data import datasets
from edge_segnet.errors import DataError, ModelError, OutputError, UsageError
from edge_segnet.eval import paper
from edge_segnet.eval.metrics import ConfusionMatrix
from edge_segnet.models import labels as labels_module
from edge_segnet.models import zoo
from edge_segnet.runtime import open_segmenter

_log = logging.getLogger(__name__)


class ModelResult(object):
    def __init__(self, model, matrix, names, seconds, label=None, sequences=None):
        self.model, self.matrix, self.names, self.seconds = model, matrix, names, seconds
        self.label = label or model_labels([model])[0]
        self.sequences = sequences or {}  # recording sequence -> (its ConfusionMatrix, frames)

    def confusion_json(self):
        """Every class, the ignored one included (its row stays empty: its pixels are not
        counted; its column holds the labelled pixels predicted as it, which are errors)."""
        m = self.matrix
        return {
            "rows": "ground truth",
            "columns": "prediction",
            "classes": list(self.names),
            "ignored": None if m.ignore_index is None or m.ignore_index >= len(self.names)
            else self.names[m.ignore_index],
            "counts": m.counts.tolist(),
        }

    def to_json(self):
        m = self.matrix
        return {
            "model": self.model,
            "label": self.label,
            "global_accuracy": m.global_accuracy(),
            "class_average_accuracy": m.class_average_accuracy(),
            "mean_iou": m.mean_iou(),
            "class_accuracy": {self.names[c]: v for c, v in m.per_class_accuracy().items()},
            "class_iou": {self.names[c]: v for c, v in m.per_class_iou().items()},
            "pixels": m.pixels,
            "seconds": round(self.seconds, 2),
            "confusion_matrix": self.confusion_json(),
            "sequences": {name: {"frames": frames,
                                 "global_accuracy": matrix.global_accuracy(),
                                 "class_average_accuracy": matrix.class_average_accuracy(),
                                 "mean_iou": matrix.mean_iou()}
                          for name, (matrix, frames) in sorted(self.sequences.items())},
        }


class Report(object):
    def __init__(self, results, frames, out_of_range, reference=None):
        self.results = results
        self.frames = frames
        self.out_of_range = out_of_range  # {file: pixels counted as void}
        self.reference = reference  # a paper.Reference or None

    def to_json(self):
        payload = {"frames": self.frames, "models": [r.to_json() for r in self.results],
                   "out_of_range_labels": self.out_of_range,
                   "prediction_resize": labelmaps.METHOD}
        if self.reference is not None:
            payload["reference"] = self.reference.to_json()
        return payload

    def format_text(self):
        """One row per model, one column per class: accuracy (as the paper's Table 1, with the
        paper's row when asked), then the same for IoU."""
        names = [self.results[0].names[c] for c in self.results[0].matrix.evaluated_classes()]
        widths = [max(6, len(name)) for name in names]
        reference_label = self.reference.name + "*" if self.reference is not None else ""
        width = max([len("model"), len(reference_label)] + [len(r.label) for r in self.results])
        lines = []
        for title, key in (("class accuracy (%)", "class_accuracy"), ("class IoU (%)",
                                                                       "class_iou")):
            lines.append(title)
            lines.append("{:<{w}}  ".format("model", w=width) + " ".join(
                "{:>{cw}}".format(n, cw=cw) for n, cw in zip(names, widths))
                + "  {:>7} {:>7} {:>7}".format("global", "class", "mIoU"))
            rows = [(result.label, result.to_json()) for result in self.results]
            if self.reference is not None and key == "class_accuracy":
                published = self.reference.to_json()
                published[key] = {n: self.reference.class_accuracy.get(n.lower())
                                  for n in names}
                rows.append((reference_label, published))
            for label, data in rows:
                cells = " ".join("{:>{cw}}".format(_percent(data[key].get(n)), cw=cw)
                                 for n, cw in zip(names, widths))
                lines.append("{:<{w}}  {}  {:>7} {:>7} {:>7}".format(
                    label, cells, _percent(data["global_accuracy"]),
                    _percent(data["class_average_accuracy"]), _percent(data["mean_iou"]),
                    w=width))
            lines.append("")
        if self.reference is not None:
            lines.append("* the paper's figures, not measured here: {}".format(
                self.reference.description))
        lines.append("{} frames".format(self.frames))
        if self.out_of_range:
            lines.append("labels out of range counted as void: {} pixels in {} files".format(
                sum(self.out_of_range.values()), len(self.out_of_range)))
        return "\n".join(lines)


def model_labels(models):
    """Row labels: each model's file name; where two share one, enough of their parent folders
    to tell them apart (the same path twice gets a number)."""
    parts = [[part for part in os.path.normpath(str(model)).split(os.sep) if part]
             or [str(model)] for model in models]
    depth = [1] * len(parts)
    labels = []
    for _ in range(max(len(p) for p in parts)):
        labels = ["/".join(p[-d:]) for p, d in zip(parts, depth)]
        clashing = [i for i, label in enumerate(labels) if labels.count(label) > 1
                    and depth[i] < len(parts[i])]
        if not clashing:
            break
        for i in clashing:
            depth[i] += 1
    labels = ["/".join(p[-d:]) for p, d in zip(parts, depth)]
    seen = {}
    numbered = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        numbered.append(label if labels.count(label) == 1 else "{} ({})".format(
            label, seen[label]))
    return numbered


def _percent(value):
    return "-" if value is None else "{:.1f}".format(100.0 * value)


def _ignore_index(names, ignore_class, layout=None):
    """The class id ``--ignore-class`` names, or None to ignore nothing. ``"void"`` (the
    default) means the model's void class (void, unlabelled, ...) and nothing when it has
    none: a model without one is not told about an option it was never given."""
    if ignore_class in (None, "", "none"):
        return None
    text = str(ignore_class).strip()
    lowered = [name.lower() for name in names]
    if text.lower() == "void" and "void" not in lowered:
        void = [index for index, name in enumerate(lowered) if name in labels_module.VOID_NAMES]
        return void[0] if void else None
    if text.isdigit():
        index = int(text)
        if index < len(names) or (layout == "cityscapes" and
                                  index == datasets.CITYSCAPES_IGNORE):
            return index
        raise UsageError("--ignore-class {} is not a class of the model: it has {} class{} "
                         "(ids 0..{}: {})".format(index, len(names),
                                                  "" if len(names) == 1 else "es",
                                                  len(names) - 1, _name_list(names)),
                         hint="give an id, a name, or none")
    if text.lower() not in lowered:
        raise UsageError("--ignore-class {!r} is not a class of the model ({})".format(
            ignore_class, ", ".join(names)))
    return lowered.index(text.lower())


def _name_list(names, limit=24):
    shown = ", ".join(names[:limit])
    return shown + (", ..." if len(names) > limit else "")


def _class_text(names, index):
    return "{} ({!r})".format(index, names[index]) if 0 <= index < len(names) else str(index)


def _progress(model, done, total, stream=None):
    progress_module.count(model, done, total, stream)


def _prediction_folders(predictions, labels, samples):
    """One folder per model for its label maps (the folder itself for a single model), none of
    them a folder the dataset's own images or annotations are in."""
    if not predictions:
        return [None] * len(labels)
    folders = ([predictions] if len(labels) == 1
               else [os.path.join(predictions, label) for label in labels])
    inputs = set()
    for sample in samples:
        inputs.add(os.path.realpath(os.path.dirname(sample.image_path)))
        inputs.add(os.path.realpath(os.path.dirname(sample.label_path)))
    for folder in folders:
        if os.path.realpath(folder) in inputs:
            raise UsageError("--predictions {} is a folder of the dataset itself: its files "
                             "would be overwritten; give another folder".format(folder))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise OutputError("cannot create folder {}: {}".format(folder, exc.strerror or exc))
        fileio.check_writable_dir(folder, "predictions")
    return folders


def _write_prediction(cv2, folder, image_path, predicted):
    ok, encoded = cv2.imencode(".png", predicted.astype(
        np.uint8 if predicted.max(initial=0) < 256 else np.uint16))
    if not ok:
        raise OutputError("OpenCV could not encode the label map of {}".format(image_path))
    name = os.path.splitext(os.path.basename(image_path))[0] + ".png"
    fileio.write_bytes_atomic(os.path.join(folder, name), encoded.tobytes(), what="label map")


def check_finite_weights(model_path):
    """Refuses an ONNX model whose weights hold NaN or infinity before any frame is run: its
    output would be meaningless, and ONNX Runtime 1.10 (JetPack 4.6) was seen to crash on
    one (MaxPool indices of NaN fed to MaxUnpool). Engines and other files are left to the
    output check."""
    if not str(model_path).lower().endswith(".onnx") or not os.path.isfile(model_path):
        return
    import onnx
    from onnx import numpy_helper

    try:
        # zoo.load, not onnx.load: onnx 1.11 (JetPack 4.6) prints a RuntimeWarning on a
        # corrupt file, a second line beside the one opening it gives.
        model = zoo.load(model_path)
    except ModelError:  # unreadable: opening it says why, in its own words
        return
    bad, first = 0, None
    for tensor in model.graph.initializer:
        if tensor.data_type not in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16,
                                    onnx.TensorProto.DOUBLE):
            continue
        values = numpy_helper.to_array(tensor)
        count = int(values.size - np.isfinite(values).sum())
        if count and first is None:
            first = tensor.name
        bad += count
    if bad:
        raise ModelError("{} holds {} NaN or infinite weight{} (first in {!r}): its output "
                         "would be meaningless".format(model_path, bad,
                                                       "" if bad == 1 else "s", first),
                         hint="check the training or conversion that wrote it")


def check_finite(logits, model, image):
    """Refuses a network output holding NaN or infinity (NaN weights, an overflow): its
    arg-max is class 0 everywhere, which would be scored, or drawn, without a word. ``logits``:
    the network's float output, or None where it gave only a label map."""
    if logits is not None and not np.isfinite(logits).all():
        bad = int(np.size(logits) - np.isfinite(logits).sum())
        raise ModelError("{} outputs {} NaN or infinite value{} of {} on {}: its label map "
                         "would be meaningless".format(model, bad, "" if bad == 1 else "s",
                                                       np.size(logits), image),
                         hint="check the model's weights (NaN or infinite after training or "
                              "conversion); run verify against a model that works")


def evaluate(models, data_root, split="test", layout="camvid", ignore_class="void",
             threads=None, progress=True, backend="auto", reference=None,
             predictions=None, sequences=None):
    """Evaluate every model on the split; returns a Report. Memory stays bounded: one frame
    and one confusion matrix per model at a time. ``reference`` ("paper") adds the SegNet
    paper's CamVid row to the report. ``predictions``: a folder for each image's label map
    (class ids at the model's resolution, as ``run --labels`` writes them, named by the image).
    ``split`` may join splits (``train+val``); ``sequences`` keeps or leaves out recording
    sequences (``("+", ["0006R0"])``: datasets.select_samples)."""
    cv2 = inputs.opencv_reader("evaluating on images")
    published = paper.load(reference) if reference else None
    samples = datasets.select_samples(data_root, split, layout, sequences)
    results = []
    out_of_range = {}
    labels = model_labels(models)
    folders = _prediction_folders(predictions, labels, samples)
    if len(models) > 1:
        # Each opened (and closed) before the first frame: a bad second model is refused at
        # once, not after the first one's whole split. One open at a time: a board's memory.
        for model in models:
            check_finite_weights(model)
            open_segmenter(model, backend=backend, threads=threads).close()
    for model, label, folder in zip(models, labels, folders):
        if len(models) == 1:  # several were checked above
            check_finite_weights(model)
        segmenter = open_segmenter(model, backend=backend, threads=threads)
        names = list(segmenter.info.labels.names)
        if published is not None and not results and not set(
                name.lower() for name in names) & set(published.class_accuracy):
            segmenter.close()
            raise UsageError("--reference {}: the paper's figures are for CamVid's classes ({}); "
                             "{} has {}".format(reference, ", ".join(published.class_accuracy),
                                                label, ", ".join(names)))
        if layout == "cityscapes" and len(names) == len(datasets.CITYSCAPES_CLASSES):
            names = list(datasets.CITYSCAPES_CLASSES)
        class_count = len(names)
        ignore = _ignore_index(names, ignore_class, layout)
        if layout == "cityscapes" and ignore is None:
            ignore = datasets.CITYSCAPES_IGNORE
        # Ground truth at or beyond class_count is left out like void (and reported).
        matrix = ConfusionMatrix(class_count, ignore_index=ignore)
        sequences = {}
        start = time.perf_counter()
        for done, sample in enumerate(samples, 1):
            image = datasets.read_image(sample.image_path)
            truth = datasets.read_labels(sample.label_path, layout)
            if truth.shape != image.shape[:2]:
                segmenter.close()
                raise DataError(
                    "label image {} has size {}x{} but its image {} has size {}x{} "
                    "(HEIGHTxWIDTH)".format(
                        sample.label_path, truth.shape[0], truth.shape[1], sample.image_path,
                        image.shape[0], image.shape[1]),
                    hint="a label image holds one class id per pixel of its image")
            invalid = int(((truth >= class_count) & (truth != ignore)).sum())
            labelled = truth.size if ignore is None else int((truth != ignore).sum())
            if invalid * 2 > labelled:
                # Most of the truth is no class of the model: scoring what is left (a 1-class
                # model on 12-class data scores one class) would be a number for nothing.
                segmenter.close()
                raise DataError(
                    "{} has {} class{} (ids 0..{}) but {} holds class ids up to {}: {:.0f}% of "
                    "its labelled pixels are no class of the model".format(
                        label, class_count, "" if class_count == 1 else "es",
                        class_count - 1, sample.label_path, int(truth.max()),
                        100.0 * invalid / max(labelled, 1)),
                    hint="evaluate a model trained on this dataset's classes, or check "
                         "--format")
            if invalid and sample.label_path not in out_of_range:
                _log.warning("{}: {} label values out of range 0..{} counted as void".format(
                    sample.label_path, invalid, class_count - 1))
                out_of_range[sample.label_path] = invalid
            result = segmenter.infer(image, want_logits=bool(
                getattr(segmenter, "logits_output", None)))
            try:
                check_finite(result.logits, label, sample.image_path)
            except ModelError:
                segmenter.close()
                raise
            predicted = result.labels
            if folder:
                _write_prediction(cv2, folder, sample.image_path, predicted)
            predicted = labelmaps.resize_labels(predicted, *truth.shape)
            matrix.update(truth, predicted)
            sequence = datasets.sequence_name(sample.name)
            if sequence not in sequences:
                sequences[sequence] = [ConfusionMatrix(class_count, ignore_index=ignore), 0]
            sequences[sequence][0].update(truth, predicted)
            sequences[sequence][1] += 1
            if progress and done < len(samples):
                _progress(label, done, len(samples))
        segmenter.close()
        if not matrix.pixels:
            raise DataError(
                "no labelled pixel to score: every label pixel of the {} image{} of split {!r} "
                "in {} is {}out of range 0..{}".format(
                    len(samples), "" if len(samples) == 1 else "s", split, data_root,
                    "the ignored class {} or ".format(_class_text(names, ignore))
                    if ignore is not None else "", class_count - 1),
                hint="check --ignore-class, and that the labels hold class ids, not colors")
        if progress:
            _progress(label, len(samples), len(samples))  # done: after the check, not before
        results.append(ModelResult(
            model, matrix, names, time.perf_counter() - start, label=label,
            sequences={name: tuple(entry) for name, entry in sequences.items()}))
    return Report(results, len(samples), out_of_range, reference=published)


def report_json(report):
    return json.dumps(report.to_json(), indent=2)
