import numpy as np
import pytest

from edge_segnet.models import zoo


@pytest.fixture(scope="session")
def basic_model_path(tmp_path_factory):
    """SegNet-Basic at the default 128x256, He-initialised with seed 0."""
    path = str(tmp_path_factory.mktemp("models") / "segnet-basic.onnx")
    zoo.save(zoo.create("segnet-basic"), path)
    return path


@pytest.fixture(scope="session")
def small_basic_model_path(tmp_path_factory):
    """SegNet-Basic at an odd size, for tests that need many quick inferences."""
    path = str(tmp_path_factory.mktemp("models") / "segnet-basic-small.onnx")
    zoo.save(zoo.create("segnet-basic", input_size=(36, 52)), path)
    return path


@pytest.fixture
def frame():
    return np.random.RandomState(0).randint(0, 256, size=(72, 104, 3), dtype=np.uint8)


@pytest.fixture
def unwritable_dir():
    """A folder that refuses new files even to root: procfs."""
    return "/proc"
