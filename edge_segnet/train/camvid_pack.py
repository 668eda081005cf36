"""CamVid's training splits packed small enough to travel to a machine without the dataset (a
GPU lent for minutes, files of at most 16 MB in and out): every image and label decoded and
resized once, as the CPU trainer's cache does, then stored as JPEG (or PNG) images and PNG
labels in self-contained tar parts, with a manifest naming each part's sha256.

A pack holds, per frame: the image and labels at ``size`` (what training crops from: the scale
augmentation's largest size), and again at ``eval_size`` (the network's input, for scoring a
held-out sequence as the CPU loop does), and the label histogram at full resolution (so class
weights are those the CPU loop computes). Labels are resized centre-aligned (labelmaps). The
test split is never packed: it stays where the model is scored."""

import contextlib
import io
import json
import logging
import os
import tarfile

import numpy as np

from edge_segnet import fileio, inputs, labelmaps, optional
from edge_segnet.data import datasets
from edge_segnet.errors import DataError, UsageError

logger = logging.getLogger(__name__)

FORMAT = "edge-segnet-camvid-pack"
VERSION = 1
# 15 MiB: a part stays under a 16 MB limit (10^6 or 2^20) with room for tar headers.
PART_BYTES = 15 * 1024 * 1024
IMAGE_FORMATS = ("jpg", "png")
FORBIDDEN_SPLITS = ("test",)


def _encode(cv2, suffix, array, quality=None):
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if suffix == ".jpg" else []
    ok, buffer = cv2.imencode(suffix, array, params)
    if not ok:
        raise DataError("cannot encode an image as {}".format(suffix))
    return buffer.tobytes()


def _decode(cv2, data, flags):
    array = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if array is None:
        raise DataError("a packed image cannot be decoded")
    return array


def _frame_members(cv2, number, sample, size, eval_size, image_format, quality, class_count):
    """{member name: bytes} of frame ``number``, and its full-resolution histogram. Members
    are named by number: two splits may hold frames of the same name."""
    image = datasets.read_image(sample.image_path)
    labels = datasets.read_labels(sample.label_path, "camvid")
    if labels.dtype != np.uint8:
        raise DataError("label image {} is not 8-bit: a CamVid pack holds 8-bit labels".format(
            sample.label_path))
    histogram = np.bincount(np.minimum(labels.ravel(), class_count), minlength=class_count + 1)
    suffix = "." + image_format
    members = {}
    for kind, (height, width) in (("train", size), ("eval", eval_size)):
        if (height, width) == image.shape[:2]:
            resized = image
        else:
            resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        members["{}/{:05d}{}".format(kind, number, suffix)] = _encode(cv2, suffix, resized,
                                                                     quality)
        members["{}annot/{:05d}.png".format(kind, number)] = _encode(
            cv2, ".png", labelmaps.resize_labels(labels, height, width))
    return members, histogram[:class_count + 1].tolist(), int(labels.size)


def _tar_bytes(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(members):
            data = members[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0  # the same frames give the same bytes
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def pack(root, out_dir, size, eval_size, splits="train+val", image_format="jpg", quality=95,
         part_bytes=PART_BYTES, class_count=12, name=None):
    """Pack ``splits`` of the CamVid-layout dataset at ``root`` into ``out_dir``; returns the
    manifest's path. Parts are filled frame by frame up to ``part_bytes``."""
    cv2 = optional.require("cv2", "packing CamVid")
    parts = splits.split("+")
    if any(part in FORBIDDEN_SPLITS for part in parts):
        raise UsageError("the test split is never packed: it stays where models are scored")
    if image_format not in IMAGE_FORMATS:
        raise UsageError("image format must be one of {}".format(", ".join(IMAGE_FORMATS)))
    if image_format == "jpg" and not 1 <= quality <= 100:
        raise UsageError("JPEG quality must be 1 to 100 (OpenCV's scale); got {}".format(
            quality))
    # Nothing is written inside the dataset, and a file is never taken for the folder.
    fileio.check_outputs_apart([("the pack folder", out_dir)], datasets=[("--data", root)])
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise UsageError("the pack folder {} is a file; give a folder".format(out_dir))
    samples = []
    for part in parts:
        samples.extend((part, sample) for sample in datasets.list_samples(root, part, "camvid"))
    samples.sort(key=lambda item: item[1].name)
    size, eval_size = tuple(int(v) for v in size), tuple(int(v) for v in eval_size)
    name = name or "camvid-{}x{}".format(*size)
    created = not os.path.isdir(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    frames, part_files, current, current_bytes, written = [], [], {}, 0, []

    def flush():
        if not current:
            return
        part_name = "{}.part{:03d}.tar".format(name, len(part_files))
        path = os.path.join(out_dir, part_name)
        fileio.write_bytes_atomic(path, _tar_bytes(current), what="pack part")
        written.append(path)
        part_files.append({"file": part_name, "bytes": os.path.getsize(path),
                           "sha256": inputs.file_sha256(path, "pack part")})
        logger.info("wrote {} ({:.1f} MB, {} files)".format(
            path, part_files[-1]["bytes"] / 1e6, len(current)))

    try:
        for split, sample in samples:
            members, histogram, pixels = _frame_members(
                cv2, len(frames), sample, size, eval_size, image_format, quality, class_count)
            frame_bytes = sum(len(data) + 1024 for data in members.values())
            if frame_bytes + 2048 > part_bytes:
                raise UsageError("one frame takes {} bytes, more than a part ({})".format(
                    frame_bytes, part_bytes))
            if current and current_bytes + frame_bytes + 2048 > part_bytes:
                flush()
                current, current_bytes = {}, 0
            current.update(members)
            current_bytes += frame_bytes
            frames.append({"name": sample.name, "split": split,
                           "sequence": datasets.sequence_name(sample.name),
                           "part": len(part_files), "histogram": histogram, "pixels": pixels})
        flush()
        manifest = {"format": FORMAT, "version": VERSION, "source": os.path.abspath(root),
                    "splits": splits, "size": list(size), "eval_size": list(eval_size),
                    "image_format": image_format, "quality": quality if image_format == "jpg"
                    else None, "class_count": class_count,
                    "label_resize": labelmaps.METHOD, "image_resize": "OpenCV INTER_LINEAR",
                    "histogram": "pixels per class id at full resolution; the last bin counts "
                                 "ids >= class_count",
                    "parts": part_files, "frames": frames}
        path = os.path.join(out_dir, name + ".json")
        fileio.write_bytes_atomic(path, json.dumps(manifest, indent=1).encode(),
                                  what="manifest")
    except BaseException:
        # A failed or interrupted pack leaves no parts without their manifest.
        for part_path in written:
            with contextlib.suppress(OSError):
                os.remove(part_path)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(out_dir)
        raise
    logger.info("wrote {} ({} frames in {} parts, {:.1f} MB)".format(
        path, len(frames), len(part_files), sum(p["bytes"] for p in part_files) / 1e6))
    return path


class Pack(object):
    """A decoded pack: ``images[kind]`` (N x H x W x 3 uint8 BGR) and ``labels[kind]``
    (N x H x W uint8) for kind ``train`` and ``eval``, frames in manifest order."""

    def __init__(self, manifest, images, labels):
        self.manifest = manifest
        self.images = images
        self.labels = labels

    @property
    def frames(self):
        return self.manifest["frames"]

    @property
    def names(self):
        return [frame["name"] for frame in self.frames]

    def histogram(self, index, class_count, ignore_index):
        """(pixels per class id of frame ``index`` at full resolution, its pixel count): what
        SegmentationData.label_histogram returns."""
        frame = self.frames[index]
        histogram = np.array(frame["histogram"][:class_count], np.int64)
        if 0 <= ignore_index < class_count:
            histogram[ignore_index] = 0
        return histogram, int(frame["pixels"])


def read(manifest_path):
    """The pack whose manifest is ``manifest_path``, every part's sha256 checked first."""
    cv2 = optional.require("cv2", "reading a CamVid pack")
    inputs.check_regular_file(manifest_path, "pack manifest")  # a FIFO: never opened
    try:
        with open(manifest_path) as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as exc:
        raise DataError("cannot read pack manifest {}: {}".format(manifest_path, exc))
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise DataError("{} is not a version-{} CamVid pack manifest".format(manifest_path,
                                                                             VERSION))
    folder = os.path.dirname(os.path.abspath(manifest_path))
    suffix = "." + manifest["image_format"]
    count = len(manifest["frames"])
    images, labels = {}, {}
    for kind, key in (("train", "size"), ("eval", "eval_size")):
        height, width = manifest[key]
        images[kind] = np.zeros((count, height, width, 3), np.uint8)
        labels[kind] = np.zeros((count, height, width), np.uint8)
    seen = set()
    for part in manifest["parts"]:
        path = os.path.join(folder, part["file"])
        if not os.path.exists(path):
            raise DataError("pack part {} is missing".format(path),
                            hint="copy every part named in {}".format(manifest_path))
        inputs.check_regular_file(path, "pack part")
        if inputs.file_sha256(path, "pack part") != part["sha256"]:
            raise DataError("pack part {} does not match its sha256 in {}".format(
                path, manifest_path), hint="the copy is damaged: copy it again")
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                kind_dir, _, file_name = member.name.partition("/")
                annot = kind_dir.endswith("annot")
                kind = kind_dir[:-len("annot")] if annot else kind_dir
                stem = file_name[:-len(".png")] if annot else file_name[:-len(suffix)]
                number = int(stem) if stem.isdigit() else -1
                if kind not in images or not 0 <= number < count or not file_name.endswith(
                        ".png" if annot else suffix):
                    raise DataError("pack part {} holds {}, which its manifest does not "
                                    "name".format(path, member.name))
                data = tar.extractfile(member).read()
                target = labels if annot else images
                array = _decode(cv2, data, cv2.IMREAD_UNCHANGED if annot else cv2.IMREAD_COLOR)
                if array.shape != target[kind].shape[1:]:
                    raise DataError("{} in {} is {}, the manifest says {}".format(
                        member.name, path, array.shape, target[kind].shape[1:]))
                target[kind][number] = array
                seen.add(member.name)
    expected = 4 * count
    if len(seen) != expected:
        raise DataError("pack {} holds {} of its {} files".format(manifest_path, len(seen),
                                                                  expected))
    logger.info("read {} frames from {} ({} parts)".format(count, manifest_path,
                                                          len(manifest["parts"])))
    return Pack(manifest, images, labels)
