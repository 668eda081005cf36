"""The SegNet paper's CamVid figures, printed beside ours by ``eval --reference paper``.

Source: Badrinarayanan, Handa, Cipolla, "SegNet: A Deep Convolutional Encoder-Decoder
Architecture for Robust Semantic Pixel-Wise Labelling", arXiv:1505.07293 (2015), Table 1
(CamVid, 11 road classes, test split), row "SegNet - 4 layer" (SegNet-Basic: 4 encoders and
4 decoders, trained with L-BFGS), class accuracies in percent. The per-class figures as reproduced
in the results table of github.com/pfnet-research/chainer-segnet (README, row "SegNet - 4 layer
(from paper)"); their global (84.3) and class average (62.9) agree with the paper's, and the mean
of the eleven class figures is 62.8, the class average up to the rounding of the printed figures.
The paper reports no IoU for this row. Its protocol: 360x480 images, the original training set
and median-frequency weighting; ours runs at the model's input size, so the rows compare methods,
not identical measurements.
"""

from edge_segnet.errors import UsageError

SEGNET_4_LAYER = {
    "name": "SegNet paper",
    "description": "SegNet 4-layer (SegNet-Basic), arXiv:1505.07293 Table 1, CamVid test, "
                   "360x480, the paper's protocol",
    "input_size": (360, 480),
    # Our CamVid class names (edge_segnet.models.labels) -> the paper's column.
    "class_accuracy": {
        "building": 75.0,
        "tree": 84.6,
        "sky": 91.2,
        "car": 82.7,
        "sign": 36.9,        # Sign-Symbol
        "road": 93.3,
        "pedestrian": 55.0,
        "fence": 37.5,
        "pole": 44.8,        # Column-Pole
        "pavement": 74.1,    # Side-walk
        "bicyclist": 16.0,
    },
    "class_average_accuracy": 62.9,
    "global_accuracy": 84.3,
    "mean_iou": None,
}

REFERENCES = {"paper": SEGNET_4_LAYER}

# Published SegNet-Basic results on CamVid test at 360x480 that give no per-class row, in
# percent (global, class average, mIoU): the rows issue 25 measures the shipped model against.
# Sources, as issue 25 quotes them: Badrinarayanan, Kendall, Cipolla, "SegNet: A Deep
# Convolutional Encoder-Decoder Architecture for Image Segmentation", IEEE TPAMI 39(12), 2017,
# its comparison of decoder variants (SegNet-Basic with median-frequency class balancing, and
# without); chainercv's SegNet-Basic CamVid example (its README's results).
SUMMARY_ROWS = (
    ("SegNet TPAMI, SegNet-Basic, median-frequency weighting", 82.7, 62.0, 47.7),
    ("SegNet TPAMI, SegNet-Basic, no weighting", 84.0, 54.6, 46.3),
    ("chainercv's SegNet-Basic reproduction", 82.7, 67.1, 47.2),
)


class Reference(object):
    """A published row: fractions 0..1 like our results, None where the source gives nothing."""

    def __init__(self, figures):
        self.name = figures["name"]
        self.description = figures["description"]
        self.input_size = figures["input_size"]
        self.class_accuracy = {name: value / 100.0
                               for name, value in figures["class_accuracy"].items()}
        self.global_accuracy = _fraction(figures["global_accuracy"])
        self.class_average_accuracy = _fraction(figures["class_average_accuracy"])
        self.mean_iou = _fraction(figures["mean_iou"])

    def to_json(self):
        return {
            "name": self.name,
            "description": self.description,
            "input_size": list(self.input_size),
            "global_accuracy": self.global_accuracy,
            "class_average_accuracy": self.class_average_accuracy,
            "mean_iou": self.mean_iou,
            "class_accuracy": dict(self.class_accuracy),
        }


def _fraction(value):
    return None if value is None else value / 100.0


def load(name):
    """The Reference named ``name`` (``paper``); UsageError for anything else."""
    if name not in REFERENCES:
        raise UsageError("--reference must be one of {}; got {!r}".format(
            ", ".join(sorted(REFERENCES)), name))
    return Reference(REFERENCES[name])
