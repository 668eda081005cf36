"""The decoded-dataset cache and the per-sample augmentation randomness."""

import os

import numpy as np
import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet.models.torch_segnet import torch
from edge_segnet.train.data import SegmentationData, class_weights

from .conftest import SIZE


def _data(root, split="train", augment=True, **options):
    return SegmentationData(root, split, SIZE, 12, 11, augment=augment, **options)


def test_the_cache_gives_evaluation_samples_exactly(larger_synthetic, tmp_path):
    plain = _data(larger_synthetic, "val", augment=False)
    cached = _data(larger_synthetic, "val", augment=False, cache_dir=str(tmp_path))
    assert cached.source_size() == SIZE
    for index in range(len(plain)):
        for a, b in zip(plain[index], cached[index]):
            assert torch.equal(a, b)


def test_cached_crops_are_the_decoded_ones_up_to_resampling(larger_synthetic, tmp_path):
    plain = _data(larger_synthetic)
    cached = _data(larger_synthetic, cache_dir=str(tmp_path))
    # The largest scale (1.25) of 48x64, so no crop needs more than the cache holds.
    assert cached.source_size() == (60, 80)
    for epoch in range(3):
        plain.set_epoch(epoch)
        cached.set_epoch(epoch)
        for index in range(len(plain)):
            (image, labels), (cached_image, cached_labels) = plain[index], cached[index]
            # Same crop and flip; resized twice (source, cache, scale) instead of once.
            assert (labels == cached_labels).float().mean() >= 0.9  # measured >= 0.95
            assert (image - cached_image).abs().mean() <= 0.2  # measured <= 0.14 (std units)


def test_class_weights_do_not_change_with_the_cache(larger_synthetic, tmp_path):
    plain = _data(larger_synthetic)
    cached = _data(larger_synthetic, cache_dir=str(tmp_path))
    for index in range(len(plain)):
        a, b = plain.label_histogram(index), cached.label_histogram(index)
        assert np.array_equal(a[0], b[0]) and a[1] == b[1]
    for method in ("median", "inverse"):
        assert torch.equal(class_weights(plain, method), class_weights(cached, method))


def test_the_cache_is_built_once_and_again_when_a_file_changes(synthetic, tmp_path, logged):
    built = logged  # the package's log lines
    _data(synthetic, cache_dir=str(tmp_path))
    _data(synthetic, cache_dir=str(tmp_path))
    assert len(built) == 1 and built[0].startswith("cached 8 train images at 60x80")
    assert len(os.listdir(str(tmp_path))) == 1
    image = _data(synthetic).samples[0].image_path
    info = os.stat(image)
    try:
        os.utime(image, ns=(info.st_atime_ns, info.st_mtime_ns + 10 ** 9))
        _data(synthetic, cache_dir=str(tmp_path))
    finally:
        os.utime(image, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert len(built) == 2 and len(os.listdir(str(tmp_path))) == 2


def test_augmentation_depends_on_seed_epoch_and_sample_only(synthetic, tmp_path):
    data = _data(synthetic, cache_dir=str(tmp_path))
    forward = [data[index][1] for index in range(len(data))]
    backward = [data[index][1] for index in reversed(range(len(data)))][::-1]
    assert all(torch.equal(a, b) for a, b in zip(forward, backward))
    data.set_epoch(1)
    assert not all(torch.equal(a, data[index][1]) for index, a in enumerate(forward))
    # DataLoader workers draw the same crops as the main process (each used to get a copy of
    # one RandomState, so workers repeated each other's crops); the cache reopens in them.
    data.set_epoch(0)
    loaded = torch.utils.data.DataLoader(data, batch_size=4, num_workers=2)
    labels = torch.cat([batch[1] for batch in loaded])
    assert torch.equal(labels, torch.stack(forward))
