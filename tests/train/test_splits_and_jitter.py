import os

import numpy as np
import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (the train extra)")
import cv2  # noqa: E402

from edge_segnet import labelmaps  # noqa: E402
from edge_segnet.train.data import (  # noqa: E402
    SegmentationData, class_weights, photometric_jitter)
from edge_segnet.train.loop import Session, TrainConfig  # noqa: E402
from tests import tool_scripts  # noqa: E402

from .conftest import tiny  # noqa: E402


def test_training_data_from_a_held_out_split_and_its_cache(two_drives, tmp_path):
    data = SegmentationData(two_drives, "train+val", (8, 8), 12, 11, augment=True,
                            sequences=("-", ["B"]), photometric=True,
                            cache_dir=str(tmp_path / "cache"))
    assert len(data) == 3
    image, labels = data[0]
    assert tuple(image.shape) == (3, 8, 8) and set(labels.unique().tolist()) <= {0, 1}
    assert any("without-B" in name for name in os.listdir(str(tmp_path / "cache")))


def test_photometric_jitter_changes_colours_reproducibly_and_keeps_the_shape():
    image = np.random.default_rng(1).integers(0, 255, (32, 48, 3)).astype(np.uint8)
    first = photometric_jitter(cv2, image, np.random.default_rng([0, 1, 2]))
    again = photometric_jitter(cv2, image, np.random.default_rng([0, 1, 2]))
    other = photometric_jitter(cv2, image, np.random.default_rng([0, 1, 3]))
    assert first.shape == image.shape and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, image) and not np.array_equal(first, other)


def test_square_root_median_weighting_is_the_root_of_median_weighting(two_drives):
    data = SegmentationData(two_drives, "train", (12, 16), 12, 11)
    median, root = class_weights(data, "median"), class_weights(data, "sqrt-median")
    assert np.allclose(root.numpy(), np.sqrt(median.numpy()))
    assert median[2] != median[0]  # not all one: the test would prove nothing


def _label_maps(data, count):
    return [data[index][1].numpy() for index in range(count)]


def test_zoom_out_shrinks_whole_frames_onto_a_void_border_only_where_the_scale_is_below_one(
        larger_synthetic):
    def data(zoom_out):
        return SegmentationData(larger_synthetic, "train", (48, 64), 12, 11, augment=True,
                                scale_range=(0.5, 0.9), zoom_out=zoom_out)
    zoomed, enlarged = data(True), data(False)
    for epoch in range(4):
        zoomed.set_epoch(epoch)
        enlarged.set_epoch(epoch)
        for index in range(len(zoomed)):
            image, labels = zoomed[index]
            assert tuple(image.shape) == (3, 48, 64)
            inside = labels.numpy() != 11
            rows, columns = np.nonzero(inside)
            # The frame at 0.5-0.9 of the canvas: a border of void on at least two sides,
            # and that border is the normalisation mean, zero once normalised.
            assert 0.5 * 48 - 1 <= rows.max() - rows.min() + 1 <= 0.9 * 48 + 1
            assert 0.5 * 64 - 1 <= columns.max() - columns.min() + 1 <= 0.9 * 64 + 1
            border = np.ones_like(inside)
            border[rows.min():rows.max() + 1, columns.min():columns.max() + 1] = False
            assert np.abs(image.numpy()[:, border]).max() < 0.02
            # Without zoom_out the same draws are taken as scale 1: the whole frame, no border.
            whole = labelmaps.resize_labels(enlarged.labels(index), 48, 64)
            taken = enlarged[index][1].numpy()
            assert np.array_equal(taken, whole) or np.array_equal(taken, whole[:, ::-1])


def test_zoom_out_leaves_the_draws_of_scales_of_one_and_above_as_they_were(larger_synthetic):
    def maps(zoom_out):
        return _label_maps(SegmentationData(
            larger_synthetic, "train", (48, 64), 12, 11, augment=True, scale_range=(1.0, 1.25),
            zoom_out=zoom_out), count=4)
    assert all(np.array_equal(a, b) for a, b in zip(maps(True), maps(False)))


def test_zoom_out_reaches_the_training_data_and_not_the_scored_split(synthetic):
    assert tool_scripts.load("train_segnet").parse_args(["--data", "d", "--zoom-out"]).zoom_out
    session = Session(TrainConfig(**tiny(synthetic, zoom_out=True, cache_dir=None)))
    assert session.train_data.zoom_out and session.train_data.augment
    assert not session.val_data.zoom_out
    assert not Session(TrainConfig(**tiny(synthetic, cache_dir=None))).train_data.zoom_out
