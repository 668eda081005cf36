"""``eval --plot``: the confusion matrix of each model, row-normalised (each ground-truth class's
pixels spread over the predictions), one panel per model. Needs matplotlib (optional)."""

import copy

import numpy as np

from edge_segnet import fileio, optional


def require_plotting():
    """Import matplotlib or fail with one line: call before the evaluation, not after."""
    return optional.require("matplotlib", "--plot")


def normalised_rows(result):
    """(row names, column names, fractions): rows are the evaluated ground-truth classes,
    columns every class a model can predict (the ignored one too: predicting it on a labelled
    pixel is an error). A class absent from the ground truth has a row of NaN."""
    matrix = result.matrix
    rows = matrix.evaluated_classes()
    counts = matrix.counts[rows].astype(np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        fractions = np.where(totals > 0, counts / np.maximum(totals, 1), np.nan)
    return [result.names[c] for c in rows], list(result.names), fractions


def write_plot(report, path):
    """One heat map per model in ``report`` (an evaluate.Report), written atomically as PNG."""
    matplotlib = require_plotting()
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = len(report.results)
    classes = len(report.results[0].names)
    side = max(4.0, 0.45 * classes + 2.0)
    figure, axes = plt.subplots(1, panels, figsize=(side * panels, side), squeeze=False)
    image = None
    for axis, result in zip(axes[0], report.results):
        row_names, column_names, fractions = normalised_rows(result)
        cmap = plt.get_cmap("Blues")
        if hasattr(cmap, "with_extremes"):  # matplotlib 3.4 and newer
            cmap = cmap.with_extremes(bad="#dddddd")  # a class absent from the ground truth
        else:
            cmap = copy.copy(cmap)
            cmap.set_bad("#dddddd")
        image = axis.imshow(np.ma.masked_invalid(fractions), cmap=cmap, vmin=0.0, vmax=1.0,
                            interpolation="nearest", aspect="auto")
        axis.set_xticks(range(len(column_names)))
        axis.set_xticklabels(column_names, rotation=60, ha="right")
        axis.set_yticks(range(len(row_names)))
        axis.set_yticklabels(row_names)
        axis.set_xlabel("prediction")
        if axis is axes[0][0]:
            axis.set_ylabel("ground truth")
        data = result.to_json()
        axis.set_title("{}\nglobal {} | class avg. {} | mIoU {}".format(
            result.label, _percent(data["global_accuracy"]),
            _percent(data["class_average_accuracy"]), _percent(data["mean_iou"])), fontsize=10)
        if classes <= 20:
            for row in range(fractions.shape[0]):
                for column in range(fractions.shape[1]):
                    value = fractions[row, column]
                    if np.isfinite(value) and value >= 0.005:
                        axis.text(column, row, "{:.0f}".format(100 * value), ha="center",
                                  va="center", fontsize=7,
                                  color="white" if value > 0.6 else "black")
    figure.colorbar(image, ax=list(axes[0]), fraction=0.025, pad=0.02,
                    label="share of the class's pixels")
    with fileio.atomic_path(path, what="plot") as temp_path:
        figure.savefig(temp_path, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def _percent(value):
    return "-" if value is None else "{:.1f}%".format(100.0 * value)
