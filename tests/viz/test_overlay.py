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


def _plain(frame, labels, palette, mode, alpha=0.5, interpolation=None):
    """What a plain OpenCV overlay gives: numpy's palette lookup, one resize, one blend."""
    import cv2

    colors = np.asarray(palette, np.uint8)[labels]
    mask = cv2.resize(colors, (frame.shape[1], frame.shape[0]),
                      interpolation=interpolation or getattr(
                          cv2, "INTER_NEAREST_EXACT", cv2.INTER_NEAREST))
    if mode == "mask":
        return mask
    if mode == "side-by-side":
        return np.concatenate([frame, mask], axis=1)
    return cv2.addWeighted(frame, 1.0 - alpha, mask, alpha, 0.0)


@pytest.fixture
def scene():
    rng = np.random.RandomState(0)
    frame = rng.randint(0, 256, (72, 128, 3)).astype(np.uint8)
    labels = rng.randint(0, 12, (16, 32)).astype(np.int32)
    return frame, labels


@pytest.mark.parametrize("mode", overlay.MODES)
@pytest.mark.parametrize("label_filter", overlay.FILTERS)
def test_every_mode_draws_what_the_plain_opencv_version_draws(scene, mode, label_filter):
    import cv2

    frame, labels = scene
    palette = camvid().colors_bgr
    drawn = overlay.Painter(palette, mode, 0.4, label_filter).draw(frame, labels)
    nearest = getattr(cv2, "INTER_NEAREST_EXACT", cv2.INTER_NEAREST)  # centre-aligned if any
    flag = nearest if label_filter == "nearest" else cv2.INTER_LINEAR
    assert np.array_equal(drawn, _plain(frame, labels, palette, mode, 0.4, flag))


def test_ignored_classes_keep_the_frames_pixels_and_the_others_blend_as_usual(scene):
    frame, labels = scene
    palette = camvid().colors_bgr
    drawn = overlay.Painter(palette, "overlay", 0.5, ignore=(3, 7)).draw(frame, labels)
    ignored = np.isin(_plain(frame, labels, palette, "mask") @ [1, 1000, 1000000],
                      [palette[i] @ np.array([1, 1000, 1000000]) for i in (3, 7)])
    assert ignored.any() and not ignored.all()
    assert np.array_equal(drawn[ignored], frame[ignored])
    plain = _plain(frame, labels, palette, "overlay")
    assert np.array_equal(drawn[~ignored], plain[~ignored])


def test_both_ways_of_finding_ignored_pixels_draw_the_same_and_one_is_chosen(scene):
    # A palette whose first channel shares values with the other channels' (CamVid's does):
    # the one-channel compare must still find only the sentinel's pixels.
    frame, labels = scene
    palette = camvid().colors_bgr
    painter = overlay.Painter(palette, "overlay", 0.5, ignore=(3, 7))
    expected = overlay.Painter(palette, "overlay", 0.5, ignore=(3, 7)).draw(frame, labels)
    used = []
    for _ in range(2 * overlay.KEEP_TRIALS + 2):
        used.append(painter.keep_method)
        assert np.array_equal(painter.draw(frame, labels), expected)
    assert used[:2 * overlay.KEEP_TRIALS] == [None] * (2 * overlay.KEEP_TRIALS)
    assert painter.keep_method in overlay.KEEP_METHODS
    assert all(len(t) == overlay.KEEP_TRIALS for t in painter._keep_times.values())
    for method in overlay.KEEP_METHODS:
        painter.keep_method = method
        assert np.array_equal(painter.draw(frame, labels), expected), method


@pytest.mark.parametrize("slow", overlay.KEEP_METHODS)
def test_the_way_that_timed_faster_is_the_one_kept(scene, monkeypatch, slow):
    # A clock that makes one way take 5 ms and the other 1 ms, whatever the machine does.
    frame, labels = scene
    painter = overlay.Painter(camvid().colors_bgr, "overlay", 0.5, ignore=(3,))
    used = []
    real = painter._sentinel_pixels

    def spy(mask, height, width, method):
        used.append(method)
        return real(mask, height, width, method)

    clock = [0.0]

    def perf_counter():  # each reading advances by what the way just used costs
        clock[0] += 0.005 if used and used[-1] == slow else 0.001
        return clock[0]

    monkeypatch.setattr(painter, "_sentinel_pixels", spy)
    monkeypatch.setattr(overlay.time, "perf_counter", perf_counter)
    for _ in range(2 * overlay.KEEP_TRIALS):
        painter.draw(frame, labels)
    assert painter.keep_method == [m for m in overlay.KEEP_METHODS if m != slow][0]


def test_ignored_classes_are_found_without_a_sentinel_when_every_byte_is_a_color():
    # 86 drawn classes whose colors use all 256 byte values: no sentinel, the mask is resized.
    palette = np.vstack([np.arange(258).reshape(86, 3) % 256, [[1, 2, 3]]])
    rng = np.random.RandomState(1)
    frame = rng.randint(0, 256, (40, 60, 3)).astype(np.uint8)
    labels = rng.randint(0, 87, (10, 15)).astype(np.int32)
    painter = overlay.Painter(palette, "overlay", 0.5, ignore=(86,))
    assert painter._sentinel is None
    drawn = painter.draw(frame, labels)
    ignored = np.all(_plain(frame, labels, palette, "mask") == palette[86], axis=2)
    assert ignored.any()
    assert np.array_equal(drawn[ignored], frame[ignored])
    plain = _plain(frame, labels, palette, "overlay")
    assert np.array_equal(drawn[~ignored], plain[~ignored])


def test_with_the_linear_filter_ignored_classes_fade_in_per_pixel_weights(scene):
    import cv2

    frame, labels = scene
    palette = camvid().colors_bgr
    drawn = overlay.Painter(palette, "overlay", 0.5, "linear", ignore=(3,)).draw(frame, labels)
    weights = cv2.resize(np.where(labels == 3, 0.0, 0.5).astype(np.float32), (128, 72),
                         interpolation=cv2.INTER_LINEAR)[:, :, None]
    mask = _plain(frame, labels, palette, "mask", interpolation=cv2.INTER_LINEAR)
    expected = frame * (1.0 - weights) + mask * weights
    assert np.abs(drawn.astype(float) - expected).max() <= 1.0


def test_ids_that_do_not_fit_a_byte_are_drawn_by_numpy_ids_beyond_the_palette_black():
    frame = np.full((8, 8, 3), 100, np.uint8)
    labels = np.array([[0, 300], [2, -1]], np.int32)
    palette = camvid().colors_bgr
    drawn = overlay.Painter(palette, "mask").draw(frame, labels)
    assert drawn[0, 0].tolist() == list(palette[0]) and drawn[0, 7].tolist() == [0, 0, 0]
    assert drawn[7, 7].tolist() == [0, 0, 0]
    ignored = overlay.Painter(palette, "overlay", 0.5, ignore=(2,)).draw(frame, labels)
    assert ignored[7, 0].tolist() == [100, 100, 100]
