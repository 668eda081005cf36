import numpy as np
import pytest

from edge_segnet.data import synthetic
from edge_segnet.data.canvas import Canvas
from edge_segnet.models.labels import camvid


def test_the_same_seed_gives_the_same_pixels_and_another_seed_others():
    first = synthetic.StreetScene((90, 120), seed=5).render(7)
    again = synthetic.StreetScene((90, 120), seed=5).render(7)
    other = synthetic.StreetScene((90, 120), seed=6).render(7)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize("size", [(360, 480), (101, 157), (40, 40)])
def test_frames_have_the_asked_size_and_only_camvid_ids(size):
    image, labels = synthetic.StreetScene(size, seed=1).render(3)
    assert image.shape == size + (3,) and image.dtype == np.uint8
    assert labels.shape == size and labels.dtype == np.uint8
    assert labels.max() < len(camvid())


def test_a_drive_shows_every_camvid_class():
    seen = np.zeros(12, dtype=np.int64)
    for seed in range(4):
        for image, labels in synthetic.frames((120, 160), seed=seed, count=8, step=10):
            seen += np.bincount(labels.ravel(), minlength=12)
    assert (seen > 0).all(), dict(zip(camvid().names, seen.tolist()))
    # Road and sky dominate a street view, as in CamVid.
    assert seen[synthetic.ROAD] > seen[synthetic.PEDESTRIAN]
    assert seen[synthetic.SKY] > seen[synthetic.SIGN]


def test_the_camera_moves_between_frames_like_video():
    scene = synthetic.StreetScene((120, 160), seed=2, noise=0)
    frames = [scene.render(t)[1] for t in (0, 1, 30)]
    step_change = (frames[0] != frames[1]).mean()
    far_change = (frames[0] != frames[2]).mean()
    assert 0 < step_change < far_change


def test_labels_match_what_is_painted():
    """Without noise every pixel of a class carries that class's paint, so each class's
    colors are far from another class's: sky is blue-ish, road a gray."""
    image, labels = synthetic.StreetScene((180, 240), seed=3, noise=0).render(0)
    sky = image[labels == synthetic.SKY].astype(int)
    road = image[(labels == synthetic.ROAD)].astype(int)
    assert (sky[:, 0] > sky[:, 2]).all(), "sky pixels are blue-ish (B > R)"
    gray = np.abs(road[:, 0] - road[:, 2]) < 12
    assert gray.all(), "road pixels, lane marks included, are gray or white"


def test_canvas_shapes_paint_image_and_labels_together():
    canvas = Canvas(10, 10)
    canvas.rect(2, 2, 5, 4, 3, (1, 2, 3))
    canvas.ellipse(7.5, 7.5, 2, 2, 4, (9, 9, 9))
    canvas.polygon([(0, 10), (0, 8), (2, 10)], 5, (7, 7, 7))
    assert (canvas.labels[2:4, 2:5] == 3).all() and canvas.labels[2:4, 2:5].size == 6
    assert (canvas.labels == 3).sum() == 6
    assert canvas.image[3, 3].tolist() == [1, 2, 3]
    assert canvas.labels[7, 7] == 4 and canvas.labels[5, 5] == 0
    assert canvas.labels[9, 0] == 5 and canvas.labels[8, 1] == 0
    painted = canvas.labels > 0
    assert (canvas.image[painted].sum(axis=1) > 0).all()
    assert (canvas.image[~painted] == 0).all()
