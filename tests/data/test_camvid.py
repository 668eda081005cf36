import json
import os

import numpy as np
import pytest

from edge_segnet.data import camvid, synthetic
from edge_segnet.errors import OutputError, UsageError


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("camvid") / "synthetic"
    counts = camvid.make_synthetic(str(out), 12, size=(48, 64), seed=4)
    return out, counts


def test_splits_follow_camvid_layout_and_shares(dataset):
    out, counts = dataset
    assert counts == {"train": 8, "val": 2, "test": 2}
    for split in camvid.SPLITS:
        images = sorted(path.name for path in (out / split).iterdir())
        labels = sorted(path.name for path in (out / (split + "annot")).iterdir())
        assert images == labels and len(images) == counts[split]
        listed = (out / (split + ".txt")).read_text().splitlines()
        assert listed[0] == "{0}/{1} {0}annot/{1}".format(split, images[0])
    assert (out / "labels.txt").read_text().splitlines()[11] == "void"
    assert (out / "colors.txt").read_text().splitlines()[3] == "128 64 128"
    assert json.loads((out / "dataset.json").read_text())["void_class"] == 11


def test_label_pngs_hold_the_scenes_class_ids(dataset):
    import cv2

    out, _ = dataset
    name = sorted(path.name for path in (out / "train").iterdir())[1]
    image = cv2.imread(str(out / "train" / name), cv2.IMREAD_UNCHANGED)
    labels = cv2.imread(str(out / "trainannot" / name), cv2.IMREAD_UNCHANGED)
    scene = synthetic.StreetScene((48, 64), seed=(4 * 7 + 0) * 100003 + 0)
    expected_image, expected_labels = scene.render(camvid.FRAME_STEP)
    assert labels.dtype == np.uint8 and labels.ndim == 2
    assert np.array_equal(labels, expected_labels)
    assert np.array_equal(image, expected_image)


def test_splits_come_from_different_drives(dataset):
    import cv2

    out, _ = dataset
    first = {split: cv2.imread(str(sorted((out / split).iterdir())[0])) for split in
             camvid.SPLITS}
    assert not np.array_equal(first["train"], first["val"])
    assert not np.array_equal(first["val"], first["test"])


def test_a_folder_holding_a_dataset_is_not_overwritten(dataset):
    out, _ = dataset
    with pytest.raises(OutputError, match="already holds a dataset"):
        camvid.make_synthetic(str(out), 3, size=(48, 64))


def test_counts_below_one_per_split_are_refused(tmp_path):
    with pytest.raises(UsageError, match="at least 3"):
        camvid.make_synthetic(str(tmp_path / "d"), 2)


def test_a_file_in_the_way_is_refused(tmp_path):
    blocker = tmp_path / "d"
    blocker.write_text("")
    with pytest.raises(OutputError, match="is a file"):
        camvid.make_synthetic(str(blocker), 3)


def test_absurd_counts_are_refused_before_any_work(tmp_path):
    with pytest.raises(UsageError, match="--count 100000000 is more than 100000"):
        camvid.make_synthetic(str(tmp_path / "d"), 100000000)
    assert os.listdir(str(tmp_path)) == []


def test_a_dataset_the_disk_cannot_hold_is_refused(tmp_path, monkeypatch):
    import collections
    import shutil

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 ** 9, 10 ** 9, 10 ** 6))
    with pytest.raises(OutputError, match=r"needs about \d+\.\d MB and .* has 1\.0 MB free"):
        camvid.make_synthetic(str(tmp_path / "d"), 1000)
    assert os.listdir(str(tmp_path)) == []


def test_a_failure_midway_leaves_no_partial_dataset(tmp_path, monkeypatch):
    real = camvid._encode_png
    calls = []

    def failing(cv2, array, path):
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt()
        real(cv2, array, path)

    monkeypatch.setattr(camvid, "_encode_png", failing)
    with pytest.raises(KeyboardInterrupt):
        camvid.make_synthetic(str(tmp_path / "d"), 6, size=(24, 32))
    assert os.listdir(str(tmp_path)) == []


def test_a_killed_run_leaves_nothing_under_the_name_and_the_next_cleans_up(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    process = subprocess.Popen([sys.executable, "-m", "edge_segnet", "make-dataset", "--out",
                                "d", "--count", "3000", "--size", "90x120"], cwd=str(tmp_path),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not any(
            name.startswith(".d.") for name in os.listdir(str(tmp_path))):
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    left = os.listdir(str(tmp_path))
    assert "d" not in left and len(left) == 1 and left[0].endswith(".part"), left
    camvid.make_synthetic(str(tmp_path / "d"), 3, size=(24, 32))
    assert os.listdir(str(tmp_path)) == ["d"]
