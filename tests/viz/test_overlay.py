import numpy as np
import pytest

from edge_segnet.errors import UsageError
from edge_segnet.models.labels import camvid
from edge_segnet.viz import overlay


@pytest.fixture
def labels():
    grid = np.zeros((4, 8), np.int32)
    grid[:, 4:] = 3
    grid[2:, :2] = 8
    return grid


def test_colorize_looks_up_the_palette(labels):
    palette = camvid().colors_bgr
    colors = overlay.colorize(labels, palette)
    assert colors.shape == (4, 8, 3)
    assert colors[0, 5].tolist() == palette[3].tolist()
    assert colors[3, 0].tolist() == palette[8].tolist()


def test_ids_beyond_the_palette_are_black():
    assert overlay.colorize(np.array([[0, 40]]), camvid().colors_bgr)[0, 1].tolist() == [0, 0, 0]


def test_full_alpha_shows_palette_colors_where_the_labels_are_at_frame_size(labels):
    frame = np.full((40, 80, 3), 200, np.uint8)
    palette = camvid().colors_bgr
    drawn = overlay.overlay(frame, labels, palette, alpha=1.0)
    assert drawn.shape == frame.shape
    assert drawn[5, 60].tolist() == palette[3].tolist()   # label 3 region, scaled by 10
    assert drawn[35, 5].tolist() == palette[8].tolist()
    assert drawn[5, 5].tolist() == palette[0].tolist()


def test_zero_alpha_leaves_the_frame_and_half_alpha_blends(labels):
    frame = np.full((4, 8, 3), 100, np.uint8)
    palette = camvid().colors_bgr
    assert np.array_equal(overlay.overlay(frame, labels, palette, alpha=0.0), frame)
    half = overlay.overlay(frame, labels, palette, alpha=0.5)
    expected = (100 + palette[3].astype(int)) / 2.0
    assert np.abs(half[0, 5].astype(int) - expected).max() <= 1


def test_bad_alpha_and_filter_are_usage_errors(labels):
    frame = np.zeros((4, 8, 3), np.uint8)
    with pytest.raises(UsageError, match="--alpha must be between 0 and 1"):
        overlay.overlay(frame, labels, camvid().colors_bgr, alpha=1.5)
    with pytest.raises(UsageError, match="--filter must be one of"):
        overlay.overlay(frame, labels, camvid().colors_bgr, label_filter="cubic")
