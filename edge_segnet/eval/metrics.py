"""A confusion matrix accumulated frame by frame, and the paper's metrics from it.

Definitions (SegNet, TPAMI 2017, section 4): over every pixel whose ground truth is not the
ignored class (void),
- global accuracy: correctly classified pixels / all pixels;
- class-average accuracy: the mean over classes of (correct pixels of the class / pixels of the
  class in the ground truth);
- mIoU: the mean over classes of TP / (TP + FP + FN).
A class absent from the ground truth has no accuracy and is left out of the class average; for
mIoU it counts with IoU 0 when it was predicted somewhere (false positives are errors) and is
left out when it is absent from both ground truth and prediction. Predictions of the ignored
class on labelled pixels count as errors.
"""

import numpy as np


class ConfusionMatrix(object):
    """counts[t, p]: pixels of ground-truth class t predicted as p."""

    def __init__(self, class_count, ignore_index=None):
        self.class_count = int(class_count)
        self.ignore_index = ignore_index
        self.counts = np.zeros((self.class_count, self.class_count), dtype=np.int64)

    def update(self, truth, prediction):
        truth = np.asarray(truth).ravel().astype(np.int64)
        prediction = np.asarray(prediction).ravel().astype(np.int64)
        if truth.shape != prediction.shape:
            raise ValueError("truth and prediction differ in size: {} vs {}".format(
                truth.shape, prediction.shape))
        valid = (truth >= 0) & (truth < self.class_count)
        if self.ignore_index is not None:
            valid &= truth != self.ignore_index
        prediction = np.clip(prediction[valid], 0, self.class_count - 1)
        flat = truth[valid] * self.class_count + prediction
        self.counts += np.bincount(flat, minlength=self.class_count ** 2).reshape(
            self.class_count, self.class_count)

    def evaluated_classes(self):
        """Class ids that take part: all but the ignored one."""
        return [c for c in range(self.class_count) if c != self.ignore_index]

    def per_class_accuracy(self):
        """{class id: accuracy or None when absent from the ground truth}."""
        result = {}
        for c in self.evaluated_classes():
            total = self.counts[c].sum()
            result[c] = float(self.counts[c, c]) / total if total else None
        return result

    def per_class_iou(self):
        """{class id: IoU, or None when absent from ground truth and prediction}."""
        result = {}
        for c in self.evaluated_classes():
            true_positive = self.counts[c, c]
            union = self.counts[c].sum() + self.counts[:, c].sum() - true_positive
            result[c] = float(true_positive) / union if union else None
        return result

    def global_accuracy(self):
        total = self.counts.sum()
        return float(np.trace(self.counts)) / total if total else None

    def class_average_accuracy(self):
        return _mean(self.per_class_accuracy().values())

    def mean_iou(self):
        return _mean(self.per_class_iou().values())

    @property
    def pixels(self):
        return int(self.counts.sum())


def _mean(values):
    present = [value for value in values if value is not None]
    return float(np.mean(present)) if present else None
