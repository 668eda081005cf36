#!/usr/bin/env python3
"""The README's CamVid table from one ``eval --json`` report: per class (accuracy and IoU), per
recording sequence and per model (FP32 first, then its FP16 and INT8 forms), beside the
published SegNet-Basic rows, with each form's difference from the first model against issue
25's tolerance (0.5 point of global accuracy, 1.0 of mIoU).

    edge-segnet eval M.onnx M.fp16.onnx M.int8.onnx --data CamVid --json r.json
    python3 tools/camvid_table.py r.json [--names FP32,FP16,INT8]
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import inputs  # noqa: E402
from edge_segnet.errors import EdgeSegnetError  # noqa: E402
from edge_segnet.eval import paper  # noqa: E402

# Issue 25: INT8 and FP16 within this many points of FP32.
TOLERANCE = {"global_accuracy": 0.5, "mean_iou": 1.0}


def _cell(value):
    return "" if value is None else "{:.1f}".format(100.0 * value)


def table(report, names=None):
    """Markdown lines for ``report`` (an eval JSON), ``names`` naming its models' rows."""
    models = report["models"]
    names = list(names or [model["label"] for model in models])
    if len(names) != len(models):
        raise ValueError("{} names for {} models".format(len(names), len(models)))
    classes = list(models[0]["class_accuracy"])
    lines = ["| model | " + " | ".join(classes) + " | class avg. | global | mIoU |",
             "|---" * (len(classes) + 4) + "|"]
    reference = paper.load("paper")
    lines.append("| {} (per class: accuracy) | ".format(reference.name) + " | ".join(
        _cell(reference.class_accuracy.get(name)) for name in classes) + " | {} | {} | {} |".format(
        _cell(reference.class_average_accuracy), _cell(reference.global_accuracy),
        _cell(reference.mean_iou) or "—"))
    for source, global_accuracy, class_average, mean_iou in paper.SUMMARY_ROWS:
        lines.append("| {} |".format(source) + " |" * len(classes) +
                     " {:.1f} | {:.1f} | {:.1f} |".format(class_average, global_accuracy,
                                                          mean_iou))
    for name, model in zip(names, models):
        lines.append("| {}, accuracy | ".format(name) + " | ".join(
            _cell(model["class_accuracy"].get(c)) for c in classes) + " | **{}** | **{}** | "
            "**{}** |".format(_cell(model["class_average_accuracy"]),
                              _cell(model["global_accuracy"]), _cell(model["mean_iou"])))
        lines.append("| {}, IoU | ".format(name) + " | ".join(
            _cell(model["class_iou"].get(c)) for c in classes) + " | | | |")
        for sequence, figures in sorted(model.get("sequences", {}).items()):
            lines.append("| {}, {} ({} frames) |".format(name, sequence, figures["frames"]) +
                         " |" * len(classes) + " {} | {} | {} |".format(
                             _cell(figures["class_average_accuracy"]),
                             _cell(figures["global_accuracy"]), _cell(figures["mean_iou"])))
    lines.append("")
    first = models[0]
    for name, model in zip(names[1:], models[1:]):
        parts = []
        for key, limit in sorted(TOLERANCE.items()):
            delta = 100.0 * (model[key] - first[key])
            parts.append("{} {:+.2f} ({})".format(key.replace("_", " "), delta,
                                                  "within {}".format(limit)
                                                  if abs(delta) <= limit else
                                                  "OUTSIDE {}".format(limit)))
        lines.append("{} against {}: {}".format(name, names[0], "; ".join(parts)))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="eval --json's report")
    parser.add_argument("--names", help="the rows' names, comma-separated (default: labels)")
    args = parser.parse_args(argv)
    not_a_report = "{} is not eval --json's report".format(args.report)
    try:
        report = json.loads(inputs.read_bytes(
            args.report, "report", hint="give the file eval --json wrote").decode("utf-8"))
    except EdgeSegnetError as exc:
        sys.exit("error: {}".format(exc))
    except ValueError as exc:  # not UTF-8, not JSON
        sys.exit("error: {} ({})".format(not_a_report, type(exc).__name__))
    if not isinstance(report, dict) or not isinstance(report.get("models"), list):
        sys.exit("error: {}: it lists no models".format(not_a_report))
    names = args.names.split(",") if args.names else None
    try:
        lines = table(report, names)
    except (KeyError, TypeError, AttributeError) as exc:
        sys.exit("error: {}: a model lacks {}".format(not_a_report, exc))
    except ValueError as exc:
        sys.exit("error: {}".format(exc))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
