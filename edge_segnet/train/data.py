"""A dataset split as PyTorch tensors: resized for evaluation, scaled, cropped and flipped for
training (the paper's augmentation) and, when asked, photometrically jittered (gamma,
brightness/contrast, hue/saturation: CamVid's test holds a dusk drive its train split barely
has), normalised like the exported model expects. A split may join several of the dataset's
splits (``train+val``) and leave out or keep only whole recording sequences, so choices can be
made on a sequence the model never saw.

Optionally from a decoded cache (``cache_dir``): every image and label decoded and resized once,
kept as uint8 ``.npy`` memory maps outside the dataset, so epochs do no PNG decoding."""

import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import time

import numpy as np

from edge_segnet import labelmaps, optional
from edge_segnet.data import datasets
from edge_segnet.errors import DataError
from edge_segnet.models import metadata
from edge_segnet.models.torch_segnet import torch

logger = logging.getLogger(__name__)

# Label values at or above this share the last histogram bin: they are void for any class count
# a uint8 label map can name.
HISTOGRAM_BINS = 257
WEIGHTINGS = ("median", "sqrt-median", "inverse", "none")
CACHE_VERSION = 2  # 2: labels resized centre-aligned (labelmaps), not top-left


def default_cache_dir():
    """``$XDG_CACHE_HOME/edge-segnet/train`` (``~/.cache/...``): outside any repository."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "edge-segnet", "train")


def raw_histogram(labels):
    return np.bincount(np.minimum(labels.ravel().astype(np.int64), HISTOGRAM_BINS - 1),
                       minlength=HISTOGRAM_BINS)


class DecodedCache(object):
    """One split decoded and resized to ``size`` (uint8 BGR images, label maps as read), with
    each label map's histogram at its full resolution (so class weights do not change with the
    cache). Keyed by the dataset folder and every file's name, mtime and size: an edited dataset
    gets a new cache, never a stale one. Built in a temporary folder renamed into place, so a
    killed build leaves nothing that looks complete."""

    FILES = ("images.npy", "labels.npy", "histograms.npy", "pixels.npy")

    def __init__(self, folder):
        self.folder = folder
        with open(os.path.join(folder, "meta.json")) as handle:
            self.meta = json.load(handle)
        self._arrays = None

    def __getstate__(self):
        # DataLoader workers (fork or spawn) reopen the memory maps instead of copying them.
        state = dict(self.__dict__)
        state["_arrays"] = None
        return state

    @property
    def arrays(self):
        if self._arrays is None:
            self._arrays = [np.load(os.path.join(self.folder, name), mmap_mode="r")
                            for name in self.FILES]
        return self._arrays

    def __len__(self):
        return len(self.meta["names"])

    def image(self, index):
        return np.array(self.arrays[0][index])

    def labels(self, index):
        return np.array(self.arrays[1][index])

    def histogram(self, index):
        return np.array(self.arrays[2][index]), int(self.arrays[3][index])

    @staticmethod
    def key(root, split, layout, size, samples):
        files = []
        for sample in samples:
            for path in (sample.image_path, sample.label_path):
                info = os.stat(path)
                files.append([os.path.relpath(path, root), info.st_mtime_ns, info.st_size])
        text = json.dumps({"version": CACHE_VERSION, "root": os.path.abspath(root),
                           "split": split, "layout": layout, "size": list(size),
                           "files": files}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    @classmethod
    def open_or_build(cls, cache_dir, root, split, layout, size, samples):
        key = cls.key(root, split, layout, size, samples)
        name = "{}-{}-{}x{}-{}".format(os.path.basename(os.path.abspath(root)) or "data", split,
                                       size[0], size[1], key)
        folder = os.path.join(cache_dir, name)
        if os.path.exists(os.path.join(folder, "meta.json")):
            return cls(folder)
        os.makedirs(cache_dir, exist_ok=True)
        start = time.perf_counter()
        temp = tempfile.mkdtemp(prefix=".building-" + name + ".", dir=cache_dir)
        try:
            cls._build(temp, root, split, layout, size, samples)
            try:
                os.rename(temp, folder)
            except OSError:
                if not os.path.exists(os.path.join(folder, "meta.json")):
                    raise
                shutil.rmtree(temp, ignore_errors=True)  # another process built it first
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        logger.info("cached {} {} images at {}x{} in {} ({:.1f} s)".format(
            len(samples), split, size[0], size[1], folder, time.perf_counter() - start))
        return cls(folder)

    @staticmethod
    def _build(folder, root, split, layout, size, samples):
        cv2 = optional.require("cv2", "caching training images")
        height, width = size
        count = len(samples)
        images = labels = None
        histograms = np.zeros((count, HISTOGRAM_BINS), np.int64)
        pixels = np.zeros(count, np.int64)
        for index, sample in enumerate(samples):
            image = datasets.read_image(sample.image_path)
            label = datasets.read_labels(sample.label_path, layout)
            histograms[index], pixels[index] = raw_histogram(label), label.size
            if labels is None:
                dtype = np.uint8 if label.dtype == np.uint8 else np.int32
                images = np.lib.format.open_memmap(os.path.join(folder, "images.npy"), "w+",
                                                   np.uint8, (count, height, width, 3))
                labels = np.lib.format.open_memmap(os.path.join(folder, "labels.npy"), "w+",
                                                   dtype, (count, height, width))
            images[index] = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
            resized = labelmaps.resize_labels(label.astype(np.int32), height, width)
            if labels.dtype == np.uint8 and (resized.min() < 0 or resized.max() > 255):
                raise DataError("label image {} mixes 8-bit and wider values".format(
                    sample.label_path))
            labels[index] = resized
        images.flush()
        labels.flush()
        np.save(os.path.join(folder, "histograms.npy"), histograms)
        np.save(os.path.join(folder, "pixels.npy"), pixels)
        # meta.json last: its presence is what marks the folder complete.
        with open(os.path.join(folder, "meta.json"), "w") as handle:
            json.dump({"version": CACHE_VERSION, "root": os.path.abspath(root), "split": split,
                       "layout": layout, "size": [height, width],
                       "names": [sample.name for sample in samples]}, handle)


class SegmentationData(torch.utils.data.Dataset):
    """Augmentation randomness is drawn per (seed, epoch, sample index), not from a stream: the
    same sample gets the same crop whatever the worker, rank or batch that loads it, so a resumed
    run sees the batches an uninterrupted one would, and a DDP run those of one process. Call
    ``set_epoch`` before each epoch (before the DataLoader iterator is made)."""

    def __init__(self, root, split, size, class_count, ignore_index, layout="camvid",
                 augment=False, scale_range=(0.75, 1.25), seed=0, cache_dir=None,
                 sequences=None, photometric=False, zoom_out=False):
        self.samples = datasets.select_samples(root, split, layout, sequences)
        self.photometric = bool(photometric)
        self.zoom_out = bool(zoom_out)
        self.size = tuple(size)
        self.class_count = class_count
        self.ignore_index = ignore_index
        self.layout = layout
        self.augment = augment
        self.scale_range = scale_range
        self.seed = seed
        self.epoch = 0
        self.mean = np.array(metadata.DEFAULT_MEAN, np.float32).reshape(3, 1, 1)
        self.std = np.array(metadata.DEFAULT_STD, np.float32).reshape(3, 1, 1)
        self._cv2 = optional.require("cv2", "reading training images")
        self.cache = None
        if cache_dir:
            self.cache = DecodedCache.open_or_build(
                cache_dir, root, datasets.split_label(split, sequences), layout,
                self.source_size(), self.samples)

    def source_size(self):
        """What the cache holds: the input size for evaluation; for training the largest size
        the scale augmentation resizes to, so cropping from it loses nothing at any scale."""
        height, width = self.size
        if not self.augment:
            return height, width
        top = max(self.scale_range)
        return max(height, int(math.ceil(height * top))), max(width, int(math.ceil(width * top)))

    def set_epoch(self, epoch):
        self.epoch = int(epoch)

    def __len__(self):
        return len(self.samples)

    def _void(self, labels):
        labels = labels.astype(np.int64)
        labels[(labels < 0) | (labels >= self.class_count)] = self.ignore_index
        return labels

    def labels(self, index):
        """The label map of sample ``index`` at its full resolution, out-of-range ids void."""
        return self._void(datasets.read_labels(self.samples[index].label_path, self.layout))

    def label_histogram(self, index):
        """(pixels per class id over the valid pixels of sample ``index``, its pixel count) at
        full resolution; from the cache when there is one (no decoding)."""
        if self.cache is not None and self.class_count < HISTOGRAM_BINS:
            raw, pixels = self.cache.histogram(index)
            histogram = raw[:self.class_count].copy()
            if 0 <= self.ignore_index < self.class_count:
                histogram[self.ignore_index] = 0
            return histogram, pixels
        labels = self.labels(index)
        valid = labels[labels != self.ignore_index]
        return np.bincount(valid, minlength=self.class_count)[:self.class_count], labels.size

    def _resize_pair(self, image, labels, height, width):
        cv2 = self._cv2
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        return image, labelmaps.resize_labels(labels, height, width)

    def _augment(self, image, labels, random):
        height, width = self.size
        scale = random.uniform(*self.scale_range)
        if self.zoom_out and scale < 1:
            image, labels = self._shrunk_onto_canvas(image, labels, scale, random)
        else:
            # Without zoom_out a scale below 1 is taken as 1 (the recipe of the shipped model):
            # half of (0.75, 1.25)'s draws are the frame at exactly the input size.
            scaled_h = max(height, int(round(height * scale)))
            scaled_w = max(width, int(round(width * scale)))
            image, labels = self._resize_pair(image, labels, scaled_h, scaled_w)
            top = random.integers(0, scaled_h - height + 1)
            left = random.integers(0, scaled_w - width + 1)
            image = image[top:top + height, left:left + width]
            labels = labels[top:top + height, left:left + width]
        if random.random() < 0.5:
            image, labels = image[:, ::-1], labels[:, ::-1]
        if self.photometric:
            image = photometric_jitter(self._cv2, image, random)
        return image, labels

    def _shrunk_onto_canvas(self, image, labels, scale, random):
        """The whole frame at ``scale`` (< 1) of the input size, at a random place on a canvas
        of the input size: the border is the normalisation mean (zero once normalised) and void
        (no loss), so the network sees objects smaller than any frame shows them."""
        height, width = self.size
        scaled_h = max(1, int(round(height * scale)))
        scaled_w = max(1, int(round(width * scale)))
        image, labels = self._resize_pair(image, labels, scaled_h, scaled_w)
        top = random.integers(0, height - scaled_h + 1)
        left = random.integers(0, width - scaled_w + 1)
        mean_bgr = np.rint(self.mean.reshape(3)[::-1] * 255.0).astype(np.uint8)
        canvas = np.empty((height, width, 3), np.uint8)
        canvas[:] = mean_bgr
        canvas[top:top + scaled_h, left:left + scaled_w] = image
        label_canvas = np.full((height, width), self.ignore_index, labels.dtype)
        label_canvas[top:top + scaled_h, left:left + scaled_w] = labels
        return canvas, label_canvas

    def __getitem__(self, index):
        if self.cache is not None:
            image, labels = self.cache.image(index), self._void(self.cache.labels(index))
        else:
            image, labels = datasets.read_image(self.samples[index].image_path), self.labels(index)
        if self.augment:
            random = np.random.default_rng([self.seed, self.epoch, int(index)])
            image, labels = self._augment(image, labels, random)
        elif image.shape[:2] != self.size:
            image, labels = self._resize_pair(image, labels, *self.size)
        rgb = image[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0
        tensor = (rgb - self.mean) / self.std
        return torch.from_numpy(np.ascontiguousarray(tensor)), torch.from_numpy(
            np.ascontiguousarray(labels).astype(np.int64))


# Photometric jitter's ranges: wide enough to take a day frame to CamVid's dusk drive (0001TP)
# at 0.7-1.4 gamma; the rest stays within what a camera's auto-exposure does.
GAMMA_RANGE = (0.7, 1.4)
CONTRAST_RANGE = (0.75, 1.25)
BRIGHTNESS_RANGE = (-0.08, 0.08)
SATURATION_RANGE = (0.7, 1.3)
HUE_SHIFT = 6  # OpenCV's 8-bit hue runs 0..179: +-6 is +-12 degrees


def photometric_jitter(cv2, image, random):
    """``image`` (BGR uint8) with a random gamma, contrast, brightness, saturation and hue,
    each drawn from ``random`` (a numpy Generator). Geometry and labels are untouched."""
    gamma = float(np.exp(random.uniform(np.log(GAMMA_RANGE[0]), np.log(GAMMA_RANGE[1]))))
    contrast = random.uniform(*CONTRAST_RANGE)
    brightness = random.uniform(*BRIGHTNESS_RANGE)
    saturation = random.uniform(*SATURATION_RANGE)
    hue = int(random.integers(-HUE_SHIFT, HUE_SHIFT + 1))
    # One lookup table for gamma, contrast (about mid-grey) and brightness: exact and cheap.
    levels = np.arange(256, dtype=np.float64) / 255.0
    levels = (levels ** gamma - 0.5) * contrast + 0.5 + brightness
    table = np.clip(np.rint(levels * 255.0), 0, 255).astype(np.uint8)
    image = cv2.LUT(np.ascontiguousarray(image), table)
    if saturation != 1.0 or hue:
        hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
        hsv[:, :, 0] = ((hsv[:, :, 0].astype(np.int16) + hue) % 180).astype(np.uint8)
        hsv[:, :, 1] = np.clip(hsv[:, :, 1] * saturation, 0, 255).astype(np.uint8)
        image = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)
    return image


def class_weights(data, method="median"):
    """Loss weights per class from the training labels.

    ``median``: the paper's median frequency balancing, w_c = median(f) / f_c with f_c the
    class's pixels over the pixels of the images where it appears; ``sqrt-median``: its square
    root (milder: rare classes less over-predicted); ``inverse``: 1 / f_c normalised to mean 1;
    ``none``: ones. Classes never seen get weight 0.
    """
    count = data.class_count
    if method == "none":
        return torch.ones(count)
    pixels = np.zeros(count, np.float64)
    present_in = np.zeros(count, np.float64)
    for index in range(len(data)):
        if hasattr(data, "label_histogram"):
            histogram, size = data.label_histogram(index)
        else:
            labels = data.labels(index)
            valid = labels[labels != data.ignore_index]
            histogram, size = np.bincount(valid, minlength=count)[:count], labels.size
        pixels += histogram
        present_in += (histogram > 0) * size
    frequency = np.where(present_in > 0, pixels / np.maximum(present_in, 1), 0.0)
    seen = frequency > 0
    weights = np.zeros(count, np.float64)
    if method in ("median", "sqrt-median"):
        weights[seen] = np.median(frequency[seen]) / frequency[seen]
        if method == "sqrt-median":
            weights = np.sqrt(weights)
    elif method == "inverse":
        weights[seen] = 1.0 / frequency[seen]
        weights[seen] /= weights[seen].mean()
    else:
        raise ValueError("weighting must be one of {}".format(", ".join(WEIGHTINGS)))
    if 0 <= data.ignore_index < count:
        weights[data.ignore_index] = 0.0
    return torch.tensor(weights, dtype=torch.float32)
