"""Two open segmenters on the same frames, compared the way segmentation cares about: logit
differences (NaN and infinity counted apart), arg-max agreement and per-class IoU between the
two label maps. ``verify``, the FP16 check and calibration's agreement all measure with it."""

import math

import numpy as np

from edge_segnet.errors import UsageError


def check_tolerances(atol, min_agreement):
    """``--atol``: a finite number >= 0; ``--min-agreement``: a percentage 0..100."""
    if not (isinstance(atol, (int, float)) and math.isfinite(atol) and atol >= 0):
        raise UsageError("--atol must be a finite number >= 0, e.g. 1e-5; got {}".format(atol))
    if not (isinstance(min_agreement, (int, float)) and math.isfinite(min_agreement) and
            0 <= min_agreement <= 100):
        raise UsageError("--min-agreement must be a percentage from 0 to 100; got {}".format(
            min_agreement))


class Comparison(object):
    def __init__(self, names, models=("model A", "model B")):
        self.names = names
        self.models = tuple(models)  # how messages name the reference and the other model
        self.frames = 0
        self.max_abs = None
        self.sum_abs = 0.0
        self.count_abs = 0
        self.agree = 0
        self.pixels = 0
        self.intersection = np.zeros(len(names), np.int64)
        self.union = np.zeros(len(names), np.int64)
        self.logits_note = None
        # Logits that are NaN or infinite, per model: they fail the comparison whatever the
        # tolerances (NaN > atol is false, so they would otherwise pass unseen).
        self.nonfinite = [0, 0]
        self.nonfinite_frames = [0, 0]

    @property
    def mean_abs(self):
        return self.sum_abs / self.count_abs if self.count_abs else None

    @property
    def agreement(self):
        return self.agree / self.pixels if self.pixels else None

    @property
    def logits_compared(self):
        return self.max_abs is not None

    def iou(self):
        """{class name: IoU} for classes present in either label map."""
        return {name: float(inter) / union for name, inter, union in
                zip(self.names, self.intersection, self.union) if union}

    def add(self, labels_a, labels_b, logits_a=None, logits_b=None):
        self.frames += 1
        finite = []
        for index, logits in enumerate((logits_a, logits_b)):
            if logits is None:
                finite.append(None)
                continue
            mask = np.isfinite(logits)
            bad = int(mask.size - np.count_nonzero(mask))
            self.nonfinite[index] += bad
            self.nonfinite_frames[index] += 1 if bad else 0
            finite.append(mask)
        if logits_a is not None and logits_b is not None:
            both = finite[0] & finite[1]
            difference = np.abs(logits_a.astype(np.float64)[both] -
                                logits_b.astype(np.float64)[both])
            if difference.size:
                largest = float(difference.max())
                self.max_abs = largest if self.max_abs is None else max(self.max_abs, largest)
                self.sum_abs += float(difference.sum())
                self.count_abs += difference.size
            elif self.max_abs is None:
                self.logits_note = "no logit is finite in both models"
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

    def nonfinite_failures(self):
        return ["{} outputs {} non-finite logit{} (NaN or inf) in {} of {} frame{}".format(
            model, count, "" if count == 1 else "s", frames, self.frames,
            "" if self.frames == 1 else "s")
            for model, count, frames in zip(self.models, self.nonfinite, self.nonfinite_frames)
            if count]

    def failures(self, atol, min_agreement):
        check_tolerances(atol, min_agreement)
        found = self.nonfinite_failures()
        if self.max_abs is not None and self.max_abs > atol:
            found.append("logits differ by up to {:.3g} (atol {:.3g})".format(self.max_abs, atol))
        if self.agreement is not None and self.agreement * 100.0 < min_agreement:
            found.append("arg-max agreement {:.4f}% is below {:.4f}%".format(
                self.agreement * 100.0, min_agreement))
        return found

    def passed_text(self, atol, min_agreement):
        """What a comparison without failures showed: only what was compared."""
        agreement = "{:g}% arg-max agreement".format(min_agreement)
        if self.logits_compared:
            return "models agree within atol {:g} and {}".format(atol, agreement)
        return "models agree within {} (logits not compared: {})".format(
            agreement, self.logits_note)

    def to_json(self):
        return {"frames": self.frames, "logits_max_abs_diff": self.max_abs,
                "logits_mean_abs_diff": self.mean_abs, "argmax_agreement": self.agreement,
                "iou": self.iou(), "logits_note": self.logits_note,
                "nonfinite_logits": dict(zip(("a", "b"), self.nonfinite))}

    def format_text(self):
        lines = ["frames compared: {}".format(self.frames)]
        if self.max_abs is not None:
            lines.append("logits: max |diff| {:.3g}, mean |diff| {:.3g}{}".format(
                self.max_abs, self.mean_abs,
                " (over the values finite in both)" if any(self.nonfinite) else ""))
        else:
            lines.append("logits: not compared ({}; --atol not checked)".format(
                self.logits_note))
        for failure in self.nonfinite_failures():
            lines.append("non-finite logits: {}".format(failure))
        if self.agreement is not None:
            lines.append("arg-max agreement: {:.4f}%".format(self.agreement * 100.0))
        lines.append("IoU between the label maps per class: " + ", ".join(
            "{} {:.4f}".format(name, value) for name, value in self.iou().items()))
        return "\n".join(lines)


def compare_open(segmenter_a, segmenter_b, frames, path_a, path_b):
    if segmenter_a.input_size != segmenter_b.input_size:
        raise UsageError("{} takes {}x{} and {} takes {}x{}: prepare both for one size".format(
            path_a, segmenter_a.input_size[0], segmenter_a.input_size[1], path_b,
            segmenter_b.input_size[0], segmenter_b.input_size[1]))
    # Each model's logits are read when it has them: both, to compare them; either, to find
    # NaN or inf in it.
    logits_a = segmenter_a.logits_output is not None
    logits_b = segmenter_b.logits_output is not None
    comparison = Comparison(segmenter_a.info.labels.names, models=(path_a, path_b))
    if not (logits_a and logits_b):
        comparison.logits_note = "{} outputs labels only; prepare it with --keep-logits".format(
            path_b if logits_a else path_a if logits_b else "each model")
    for frame in frames:
        a = segmenter_a.infer(frame, want_logits=logits_a)
        b = segmenter_b.infer(frame, want_logits=logits_b)
        comparison.add(a.labels, b.labels, a.logits, b.logits)
    return comparison
