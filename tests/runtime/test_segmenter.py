import numpy as np
import pytest

from edge_segnet.runtime.segmenter import labels_from_logits


@pytest.mark.parametrize("classes", [1, 2, 5, 12, 40])
def test_labels_are_numpys_arg_max_over_classes(classes):
    rng = np.random.RandomState(classes)
    logits = rng.standard_normal((1, classes, 16, 24)).astype(np.float32)
    labels = labels_from_logits(logits)
    assert labels.dtype == np.int32 and labels.shape == (16, 24)
    assert np.array_equal(labels, np.argmax(logits[0], axis=0))


def test_the_first_maximum_wins_a_tie():
    logits = np.zeros((1, 4, 2, 3), np.float32)
    logits[0, 1, 0, 0] = logits[0, 3, 0, 0] = 2.0  # classes 1 and 3 tie
    logits[0, 2, 1, 2] = logits[0, 3, 1, 2] = -1.0  # 0 and 1 lead with 0.0
    labels = labels_from_logits(logits)
    assert labels[0, 0] == 1 and labels[1, 2] == 0 and labels[0, 1] == 0
    assert np.array_equal(labels, np.argmax(logits[0], axis=0))


def test_without_opencv_the_labels_are_the_same(monkeypatch):
    from edge_segnet import optional

    rng = np.random.RandomState(5)
    logits = rng.standard_normal((1, 7, 16, 24)).astype(np.float32)
    logits[0, 4, :2] = logits[0, 2, :2]  # ties
    with_opencv = labels_from_logits(logits)
    monkeypatch.setattr(optional, "try_import", lambda name: None)
    assert np.array_equal(labels_from_logits(logits), with_opencv)
    assert np.array_equal(with_opencv, np.argmax(logits[0], axis=0))


def test_fp16_logits_give_the_same_labels():
    rng = np.random.RandomState(7)
    logits = rng.standard_normal((1, 6, 8, 8)).astype(np.float16)
    assert np.array_equal(labels_from_logits(logits), np.argmax(logits[0], axis=0))


def test_a_backend_that_forgets_part_of_the_contract_is_told_what_at_load():
    from edge_segnet.runtime.segmenter import Segmenter

    class Forgetful(Segmenter):
        backend_name = "forgetful"

        def __init__(self):
            super().__init__()
            self.model_path, self.input_size = "m.onnx", (2, 2)
            self._loaded()

        def _run(self, tensor, want_logits):
            return None, None

        def run_tensor(self, tensor):
            pass

    with pytest.raises(TypeError) as caught:
        Forgetful()
    assert str(caught.value) == ("Forgetful did not set info, input_name, labels_output or "
                                 "logits_output")
