import pytest

from edge_segnet.data import camvid

SIZE = (48, 64)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """12 synthetic street scenes at the network's input size: 8 train (4 steps of 2 per
    epoch, 2 of a global batch of 4), 2 val, 2 test."""
    root = tmp_path_factory.mktemp("train-data") / "synthetic"
    camvid.make_synthetic(str(root), 12, size=SIZE, seed=3)
    return str(root)


@pytest.fixture(scope="session")
def larger_synthetic(tmp_path_factory):
    """Scenes larger than the input, as CamVid's 360x480 are for 128x256."""
    root = tmp_path_factory.mktemp("train-data") / "larger"
    camvid.make_synthetic(str(root), 6, size=(120, 160), seed=5)
    return str(root)


def tiny(data, **overrides):
    """TrainConfig arguments of a network that trains in a fraction of a second."""
    arguments = dict(data=data, width=4, kernel=3, input_size=SIZE, batch_size=2, threads=1)
    arguments.update(overrides)
    return arguments
