import sys

import numpy as np
import pytest

from edge_segnet.models import zoo

# The train extra (PyTorch) installs on Python 3.9 and newer; JetPack 4.6's Python 3.6 stack has
# no PyTorch, so the tests of the PyTorch tools run on the workstation interpreters only.
collect_ignore_glob = ["models/test_torch_*.py", "train/*"] if sys.version_info < (3, 9) else []


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
