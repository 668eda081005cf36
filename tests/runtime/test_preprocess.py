import numpy as np
import pytest

from edge_segnet.errors import DataError
from edge_segnet.runtime import preprocess


def test_normalizer_equals_the_textbook_formula_in_rgb_order(frame):
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    tensor = preprocess.Normalizer(mean, std, "RGB")(frame)
    rgb = frame[:, :, ::-1].astype(np.float64) / 255.0
    expected = ((rgb - mean) / std).transpose(2, 0, 1)[None]
    assert tensor.dtype == np.float32 and tensor.shape == (1, 3) + frame.shape[:2]
    np.testing.assert_allclose(tensor, expected, rtol=0, atol=1e-5)


def test_normalizer_in_bgr_order_keeps_channels(frame):
    tensor = preprocess.Normalizer((0, 0, 0), (1, 1, 1), "BGR")(frame)
    np.testing.assert_allclose(tensor[0, 0], frame[:, :, 0] / 255.0, atol=1e-6)


def test_as_bgr_accepts_gray_and_bgra_and_refuses_the_rest():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert preprocess.as_bgr(gray).shape == (3, 4, 3)
    assert preprocess.as_bgr(np.zeros((3, 4, 4), np.uint8)).shape == (3, 4, 3)
    with pytest.raises(DataError, match="uint8 BGR, got dtype float32"):
        preprocess.as_bgr(np.zeros((3, 4, 3), np.float32))
    with pytest.raises(DataError, match="HxWx3 BGR, got shape"):
        preprocess.as_bgr(np.zeros((3, 4, 2), np.uint8))
    with pytest.raises(DataError, match="numpy array"):
        preprocess.as_bgr([[1, 2]])


def test_resize_returns_the_frame_itself_when_sizes_match(frame):
    assert preprocess.resize(frame, frame.shape[:2]) is frame
    assert preprocess.resize(frame, (36, 52)).shape == (36, 52, 3)


@pytest.mark.parametrize("order", ["RGB", "BGR"])
def test_normalizer_gives_the_same_bits_through_opencv_numpy_and_a_strided_frame(frame, order):
    normalizer = preprocess.Normalizer((0.41, 0.45, 0.48), (0.23, 0.22, 0.27), order)
    assert normalizer._blob is not None  # OpenCV's one-pass conversion is used here
    through_opencv = normalizer(frame)
    strided = np.concatenate([frame, frame[:, :, :1]], axis=2)[:, :, :3]  # BGRA's view
    assert not strided.flags.c_contiguous
    numpy_only = preprocess.Normalizer((0.41, 0.45, 0.48), (0.23, 0.22, 0.27), order)
    numpy_only._blob = None
    assert through_opencv.dtype == np.float32 and through_opencv.shape == (1, 3) + frame.shape[:2]
    assert np.array_equal(through_opencv, numpy_only(frame))
    assert np.array_equal(normalizer(strided), through_opencv)
