"""The demo model shipped with the package: a narrow SegNet-Basic trained on synthetic street
scenes (see README, "The demo model"). It is what ``run`` uses when no model is given."""

import os

from edge_segnet.errors import ModelError

DEMO_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo",
                          "segnet-basic-synthetic.onnx")


def demo_model_path():
    if not os.path.isfile(DEMO_MODEL):
        raise ModelError("the demo model is missing from this installation ({})".format(
            DEMO_MODEL), hint="give --model FILE.onnx")
    return DEMO_MODEL


def default_model_path():
    """The model commands use when none is given."""
    return demo_model_path()
