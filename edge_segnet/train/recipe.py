"""What a checkpoint's weights learned from, and what a resumed run would change of it.

A run resumed with another learning rate, weighting, augmentation or split would train its
remaining epochs on another recipe than its first ones while the checkpoint, and the model card
made from it, record one. Both trainers (loop.py and gpu_kit.py) refuse that and name the
settings that differ. Epochs, batch size, threads, device and the like are not the recipe: a run
may be resumed with more epochs (the schedule stretches), another batch size (the schedule is
moved to the same epoch) or on other hardware.
"""

from edge_segnet.errors import UsageError
from edge_segnet.models import zoo

# (config field, train_segnet.py / train_gpu.py flag)
FIELDS = (("arch", "--arch"), ("width", "--width"), ("kernel", "--kernel"),
          ("class_count", "--classes"), ("ignore_index", "--ignore-index"),
          ("input_size", "--input-size"), ("lr", "--lr"), ("weight_decay", "--weight-decay"),
          ("weighting", "--weighting"), ("seed", "--seed"), ("train_split", "--train-split"),
          ("holdout_sequences", "--holdout-sequence"), ("photometric", "--photometric"),
          ("dropout", "--dropout"), ("scale_range", "--scale-range"), ("zoom_out", "--zoom-out"))

# Fields later than the first checkpoint format: what the trainers did before each existed.
_BEFORE_THE_FIELD = {"train_split": "train", "holdout_sequences": (), "photometric": False,
                     "dropout": 0.0, "zoom_out": False}
# Only the GPU kit has it (loop.py's range is fixed in data.py): compared when both record it.
_ONLY_WHERE_BOTH_HAVE = ("scale_range",)


def _normalised(config):
    values = {field: config.get(field, _BEFORE_THE_FIELD.get(field)) for field, _ in FIELDS
              if field in config or field in _BEFORE_THE_FIELD}
    arch = values.get("arch")
    if arch in zoo.SPECS:
        # No --width means the architecture's own: 64 and "none given" are one SegNet-Basic.
        spec = zoo.spec_for(arch)
        values["width"] = values.get("width") or spec.encoder[0][0]
        values["kernel"] = values.get("kernel") or spec.kernel
    for field in ("input_size", "scale_range"):
        if values.get(field) is not None:
            values[field] = tuple(values[field])
    values["holdout_sequences"] = tuple(sorted(values.get("holdout_sequences") or ()))
    for field in ("lr", "weight_decay", "dropout"):
        if values.get(field) is not None:
            values[field] = float(values[field])
    return values


def differences(saved, current):
    """[(flag, the checkpoint's value, this run's value)] for every recipe setting the two
    config dicts (TrainConfig.to_json() form) disagree on, in FIELDS order."""
    before, now = _normalised(saved), _normalised(current)
    found = []
    for field, flag in FIELDS:
        if field in _ONLY_WHERE_BOTH_HAVE and not (field in saved and field in current):
            continue
        if before.get(field) != now.get(field):
            found.append((flag, before.get(field), now.get(field)))
    return found


def _shown(flag, value):
    if flag in ("--photometric", "--zoom-out"):
        return flag if value else "no " + flag
    if flag == "--holdout-sequence":
        return " ".join("{} {}".format(flag, name) for name in value) or "no " + flag
    if isinstance(value, tuple):  # as the flags take them
        value = ("," if flag == "--scale-range" else "x").join(str(item) for item in value)
    return "{} {}".format(flag, value)


def refuse_changes(saved, current, checkpoint, hint):
    """Raise UsageError naming every recipe setting this run would change of ``checkpoint``;
    ``hint``: how to start a new run instead, in the trainer's words."""
    found = differences(saved, current)
    if found:
        raise UsageError(
            "{} was trained with {}; this run asks for {}".format(
                checkpoint, ", ".join(_shown(flag, old) for flag, old, _ in found),
                ", ".join(_shown(flag, new) for flag, _, new in found)),
            hint="resume it with the settings it was trained with, or {}".format(hint))
