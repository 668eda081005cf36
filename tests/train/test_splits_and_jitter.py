import os

import numpy as np
import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (the train extra)")
import cv2  # noqa: E402

from edge_segnet.train.data import (  # noqa: E402
    SegmentationData, class_weights, photometric_jitter)


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
