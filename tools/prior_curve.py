#!/usr/bin/env python3
"""Where the prior correction could take a model that ship_camvid_model.py exported: global,
class-average and mIoU accuracy for each TAU, from one pass of the network over the split.

The model's card records the TAU it was shipped with and the training split's class
frequencies f; another TAU only moves the classifier's bias by (TAU - shipped) * (log f - mean
log f), so each frame's logits are rescored under every TAU, scored as `edge-segnet eval` does
(label maps taken to the annotations' size, centre-aligned; void ignored). Ship with a TAU
chosen on a held-out sequence (ship_camvid_model.py --choose-tau); on test this shows the
trade-off a model offers, not a choice:

    python3 tools/prior_curve.py segnet-basic-camvid --data CamVid --split test \\
        --taus=-0.3,0,0.2,0.4,0.6
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import tool_main  # noqa: E402
from edge_segnet import fileio, labelmaps  # noqa: E402
from edge_segnet.data import datasets  # noqa: E402
from edge_segnet.errors import DataError, ModelError  # noqa: E402
from edge_segnet.eval.metrics import ConfusionMatrix  # noqa: E402
from edge_segnet.models import metadata, shipped, zoo  # noqa: E402
from edge_segnet.runtime import open_segmenter  # noqa: E402


def parse_taus(text):
    try:
        taus = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "{!r} is not a comma-separated list of numbers".format(text))
    if not all(np.isfinite(taus)):
        raise argparse.ArgumentTypeError("TAU must be finite; got {}".format(text))
    return sorted(set(taus))


def parse_args(argv=None):
    parser = tool_main.Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="an ONNX file from ship_camvid_model.py, or the name of a "
                                      "shipped CamVid model")
    parser.add_argument("--data", required=True, help="CamVid-layout dataset folder")
    parser.add_argument("--split", default="test", help="split(s) to score, e.g. test or "
                                                        "train+val (default test)")
    parser.add_argument("--sequence", action="append", default=None, metavar="SEQ",
                        help="score only this recording sequence (repeatable)")
    parser.add_argument("--taus", type=parse_taus, required=True, metavar="T,T,...",
                        help="the TAU values to score (write --taus=-0.3,0 for a leading minus)")
    parser.add_argument("--threads", type=tool_main.at_least(1), default=None)
    parser.add_argument("--json", metavar="FILE", help="also write the curve as JSON")
    return parser.parse_args(argv)


def shipped_correction(model_path):
    """(TAU the model was shipped with, the offset one unit of TAU adds to each class's logit),
    from its card; ModelError when the card records no prior correction."""
    info = metadata.ModelInfo.from_model(zoo.load(model_path))
    card = info.extra.get("model_card")
    correction = card.get("prior_correction") if isinstance(card, dict) else None
    frequencies = (correction or {}).get("train_frequencies")
    if not frequencies:
        raise ModelError(
            "{} records no prior correction (its card has no prior_correction with "
            "train_frequencies)".format(model_path),
            hint="give a model exported by tools/ship_camvid_model.py with --prior-correction "
                 "or --choose-tau")
    frequencies = np.asarray(frequencies, np.float64)
    if frequencies.shape != (len(info.labels.names),) or not np.all(frequencies >= 0):
        raise ModelError("{}'s card holds {} training frequencies for its {} classes".format(
            model_path, frequencies.size, len(info.labels.names)),
            hint="give a model exported by tools/ship_camvid_model.py")
    present = frequencies > 0  # void, and classes the split never showed, are not moved
    direction = np.zeros(len(info.labels.names), np.float32)
    logs = np.log(frequencies[present])
    direction[present] = logs - logs.mean()
    return float(correction.get("tau", 0.0)), direction, info.labels.names


def curve(model_path, data, taus, split="test", sequences=None, threads=None):
    """{TAU: ConfusionMatrix} over the split, each as eval would count it had the model been
    exported with that TAU."""
    shipped_tau, direction, names = shipped_correction(model_path)
    ignore = names.index("void") if "void" in names else None
    samples = datasets.select_samples(data, split, "camvid", sequences)
    if not samples:
        raise DataError("no frames to score in split {!r}{} of {}".format(
            split, " sequence " + "+".join(sequences[1]) if sequences else "", data))
    offsets = {tau: (tau - shipped_tau) * direction for tau in taus}
    matrices = {tau: ConfusionMatrix(len(names), ignore_index=ignore) for tau in taus}
    segmenter = open_segmenter(model_path, threads=threads)
    try:
        if not segmenter.logits_output:
            raise ModelError("{} gives no logits (only labels): nothing to rescore".format(
                model_path), hint="give the FP32 file ship_camvid_model.py wrote")
        for sample in samples:
            truth = datasets.read_labels(sample.label_path, "camvid")
            logits = segmenter.infer(datasets.read_image(sample.image_path),
                                     want_logits=True).logits[0]
            for tau in taus:
                shifted = logits + offsets[tau][:, None, None]
                predicted = np.argmax(shifted, axis=0)
                matrices[tau].update(truth, labelmaps.resize_labels(predicted, *truth.shape))
    finally:
        segmenter.close()
    return shipped_tau, matrices, len(samples)


def main(argv=None):
    args = parse_args(argv)
    model = shipped.resolve(args.model)
    if args.json:
        # Before minutes of scoring: a path that cannot take the file is refused now.
        fileio.check_outputs_apart([("--json", args.json)], [("model", model)],
                                   [("--data", args.data)])
        fileio.check_writable_path(args.json, what="the JSON")
    sequences = ("+", args.sequence) if args.sequence else None
    shipped_tau, matrices, frames = curve(model, args.data, args.taus, args.split, sequences,
                                          args.threads)
    rows = {}
    print("{} on {} ({} frames); shipped with TAU {}".format(
        args.model, args.split + (" sequence " + "+".join(args.sequence) if args.sequence
                                  else ""), frames, shipped_tau))
    for tau, matrix in matrices.items():
        rows[tau] = {"global_accuracy": matrix.global_accuracy(),
                     "class_average_accuracy": matrix.class_average_accuracy(),
                     "mean_iou": matrix.mean_iou()}
        print("TAU {:5.2f}: global {:5.1f}  class average {:5.1f}  mIoU {:5.1f}{}".format(
            tau, *(100.0 * value for value in rows[tau].values()),
            "  (shipped)" if abs(tau - shipped_tau) < 1e-9 else ""))
    if args.json:
        document = {"model": args.model, "split": args.split, "sequences": args.sequence,
                    "frames": frames, "shipped_tau": shipped_tau,
                    "curve": [dict(tau=tau, **row) for tau, row in rows.items()]}
        fileio.write_bytes_atomic(args.json, (json.dumps(document, indent=1) + "\n").encode(),
                                  what="the JSON")
    return 0


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
