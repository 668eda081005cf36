import os

import numpy as np
import pytest

from edge_segnet.errors import DataError
from edge_segnet.train.data import (SegmentationData, class_weights, photometric_jitter,
                                    split_label, split_samples)

cv2 = pytest.importorskip("cv2")


@pytest.fixture
def two_drives(tmp_path):
    """A CamVid-layout set: train has drives A and B, val has more frames of A."""
    rng = np.random.default_rng(0)
    for split, names in (("train", ["A_001", "A_002", "B_001", "B_002", "B_003"]),
                         ("val", ["A_003"])):
        for folder in (split, split + "annot"):
            os.makedirs(str(tmp_path / folder))
        for name in names:
            cv2.imwrite(str(tmp_path / split / (name + ".png")),
                        rng.integers(0, 255, (12, 16, 3)).astype(np.uint8))
            label = np.full((12, 16), 1 if name.startswith("A") else 2, np.uint8)
            label[:, :4] = 0
            cv2.imwrite(str(tmp_path / (split + "annot") / (name + ".png")), label)
    return str(tmp_path)


def test_splits_join_with_plus_and_a_held_out_sequence_is_left_out_of_training(two_drives):
    training = split_samples(two_drives, "train+val", sequences=("-", ["B"]))
    held_out = split_samples(two_drives, "train+val", sequences=("+", ["B"]))
    assert [s.name for s in training] == ["A_001", "A_002", "A_003"]
    assert [s.name for s in held_out] == ["B_001", "B_002", "B_003"]


def test_an_unknown_sequence_is_refused_naming_the_ones_there(two_drives):
    with pytest.raises(DataError, match="sequence C not in split train.*A, B"):
        split_samples(two_drives, "train", sequences=("+", ["C"]))


def test_split_label_names_the_filter_so_caches_do_not_mix():
    assert split_label("train") == "train"
    assert split_label("train+val", ("-", ["0006R0"])) == "train+val-without-0006R0"
    assert split_label("train", ("+", ["0006R0"])) != split_label("train", ("-", ["0006R0"]))


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
