import numpy as np
import pytest

from edge_segnet.errors import ModelError, UsageError
from edge_segnet.graph import heads
from edge_segnet.models import metadata, zoo
from edge_segnet.runtime import preprocess

from .conftest import copy, session

SIZE = (36, 52)


@pytest.fixture(scope="module")
def model():
    return zoo.create("segnet-basic", input_size=SIZE, class_count=6)


@pytest.fixture
def frame():
    return np.random.RandomState(3).randint(0, 256, SIZE + (3,), dtype=np.uint8)


def _logits(model, feed):
    runner = session(model)
    return runner.run(None, {runner.get_inputs()[0].name: feed})


def _host_tensor(frame):
    return preprocess.Normalizer(metadata.DEFAULT_MEAN, metadata.DEFAULT_STD, "RGB")(frame)


@pytest.mark.parametrize("input_type, feed", [
    ("uint8", lambda frame: frame[None]),
    ("float32", lambda frame: frame.transpose(2, 0, 1)[None].astype(np.float32)),
])
def test_embedded_preprocessing_equals_the_hosts(model, frame, input_type, feed):
    embedded = copy(model)
    fmt = heads.embed_preprocess(embedded, metadata.DEFAULT_MEAN, metadata.DEFAULT_STD, "RGB",
                                 input_type)
    assert fmt == {"uint8": heads.FORMAT_BGR_UINT8, "float32": heads.FORMAT_BGR_FLOAT}[
        input_type]
    (expected,) = _logits(model, _host_tensor(frame))
    (result,) = _logits(embedded, feed(frame))
    assert np.abs(result - expected).max() <= 1e-5


def test_local_contrast_normalisation_matches_caffes_within_channel_lrn(model, frame):
    embedded = copy(model)
    heads.embed_preprocess(embedded, None, None, "BGR", "float32", normalization="lcn")
    x = frame.transpose(2, 0, 1)[None].astype(np.float64)
    padded = np.pad(x * x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    local = sum(padded[:, :, i:i + SIZE[0], j:j + SIZE[1]] for i in range(5)
                for j in range(5)) / 25.0
    normalised = (x * (1 + heads.LCN_ALPHA * local) ** -heads.LCN_BETA).astype(np.float32)
    (expected,) = _logits(model, normalised)
    (result,) = _logits(embedded, frame.transpose(2, 0, 1)[None].astype(np.float32))
    assert np.abs(result - expected).max() <= 1e-4


def test_argmax_head_gives_int32_labels_and_keeps_logits_when_asked(model, frame):
    tensor = _host_tensor(frame)
    (logits,) = _logits(model, tensor)
    headed = copy(model)
    heads.add_argmax(headed, keep_logits=True)
    labels, kept = _logits(headed, tensor)
    assert labels.dtype == np.int32 and labels.shape == (1,) + SIZE
    assert np.array_equal(labels[0], logits[0].argmax(0))
    assert np.array_equal(kept, logits)
    only = copy(model)
    heads.add_argmax(only)
    assert [value.name for value in only.graph.output] == ["labels"]


def test_bad_options_and_graphs_are_explained(model):
    with pytest.raises(UsageError, match="--input-type must be one of uint8, float32"):
        heads.embed_preprocess(copy(model), (0, 0, 0), (1, 1, 1), input_type="int8")
    with pytest.raises(UsageError, match="--normalize must be one of meanstd, lcn"):
        heads.embed_preprocess(copy(model), (0, 0, 0), (1, 1, 1), normalization="zca")
    headed = copy(model)
    heads.add_argmax(headed, keep_logits=True)
    with pytest.raises(ModelError, match="--argmax needs a model with one output"):
        heads.add_argmax(headed)
