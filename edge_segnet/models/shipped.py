"""The models shipped inside the package, and which one a command uses when given none.

- ``segnet-basic-camvid``: the paper's SegNet-Basic trained on the real CamVid train split at
  128x256 (its model card, in the file's ``metadata_props``, says how and how well). The default
  of ``run`` on cameras, videos and images, of ``profile`` and of ``selftest``.
- ``segnet-basic-synthetic``: a narrow SegNet-Basic trained on ``make-dataset``'s synthetic
  street scenes; what ``run --source synthetic`` uses, since it has seen only those scenes, and
  what tests use when they need a small trained model.
"""

import os

from edge_segnet.errors import ModelError

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shipped")
CAMVID = "segnet-basic-camvid"
SYNTHETIC = "segnet-basic-synthetic"
DESCRIPTIONS = {
    CAMVID: "SegNet-Basic trained on CamVid (real streets)",
    SYNTHETIC: "SegNet-Basic (16 features) trained on synthetic street scenes only",
}
DEFAULT = CAMVID


def model_path(name):
    """The file of shipped model ``name``."""
    if name not in DESCRIPTIONS:
        raise ModelError("no shipped model is called {!r}; the package has: {}".format(
            name, ", ".join(sorted(DESCRIPTIONS))))
    path = os.path.join(FOLDER, name + ".onnx")
    if not os.path.isfile(path):
        raise ModelError("the shipped model {} is missing from this installation ({})".format(
            name, path), hint="reinstall edge-segnet, or give a model file")
    return path


def default_model_path():
    """The model commands use when none is given."""
    return model_path(DEFAULT)


def synthetic_model_path():
    return model_path(SYNTHETIC)


def resolve(model, synthetic_source=False):
    """A model argument as a file path: None means the default (the synthetic-scene model for
    the synthetic source, which is all it has seen); a shipped model's name means its file."""
    if model is None:
        return synthetic_model_path() if synthetic_source else default_model_path()
    if model in DESCRIPTIONS and not os.path.exists(model):
        return model_path(model)
    return model
