import os

import numpy as np
import onnx
import onnxruntime
import pytest

from edge_segnet.graph.executor import ReferenceSession, has_unpool_op

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "pytorch")
ONNX_KNOWS_OPSET_20 = onnx.defs.onnx_opset_version() >= 20


def session(model):
    """ONNX Runtime for standard graphs; ONNX Runtime + the numpy reference for ours."""
    def make(proto):
        return onnxruntime.InferenceSession(proto.SerializeToString(),
                                            providers=["CPUExecutionProvider"])
    return ReferenceSession(model, make) if has_unpool_op(model) else make(model)


def run(model, array):
    runner = session(model)
    return runner.run(None, {runner.get_inputs()[0].name: array})[0]


def copy(model):
    duplicate = onnx.ModelProto()
    duplicate.CopyFrom(model)
    return duplicate


def tie_heavy_inputs(size, seed=0):
    """Random, all-zero, constant and negative images: the last three make all-equal windows
    after ReLU (zeros) or everywhere (constants)."""
    rng = np.random.RandomState(seed)
    shape = (1, 3) + tuple(size)
    return {
        "random": rng.standard_normal(shape).astype(np.float32),
        "zeros": np.zeros(shape, np.float32),
        "constant": np.full(shape, 0.5, np.float32),
        "negative": -np.abs(rng.standard_normal(shape)).astype(np.float32),
    }


@pytest.fixture(scope="session")
def pytorch_io():
    return dict(np.load(os.path.join(FIXTURES, "segnet_tiny_io.npz")))


def pytorch_fixture(route):
    return onnx.load(os.path.join(FIXTURES, "segnet_tiny_{}.onnx".format(route)))
