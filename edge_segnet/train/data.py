"""A dataset split as PyTorch tensors: resized for evaluation, scaled, cropped and flipped for
training (the paper's augmentation), normalised like the exported model expects."""

import numpy as np

from edge_segnet import optional
from edge_segnet.data import datasets
from edge_segnet.models import metadata
from edge_segnet.models.torch_segnet import torch


class SegmentationData(torch.utils.data.Dataset):
    def __init__(self, root, split, size, class_count, ignore_index, layout="camvid",
                 augment=False, scale_range=(0.75, 1.25), seed=0):
        self.samples = datasets.list_samples(root, split, layout)
        self.size = tuple(size)
        self.class_count = class_count
        self.ignore_index = ignore_index
        self.layout = layout
        self.augment = augment
        self.scale_range = scale_range
        self.random = np.random.RandomState(seed)
        self.mean = np.array(metadata.DEFAULT_MEAN, np.float32).reshape(3, 1, 1)
        self.std = np.array(metadata.DEFAULT_STD, np.float32).reshape(3, 1, 1)
        self._cv2 = optional.require("cv2", "reading training images")

    def __len__(self):
        return len(self.samples)

    def labels(self, index):
        """The label map of sample ``index``, out-of-range ids made void."""
        labels = datasets.read_labels(self.samples[index].label_path, self.layout).astype(
            np.int64)
        labels[(labels < 0) | (labels >= self.class_count)] = self.ignore_index
        return labels

    def _resize_pair(self, image, labels, height, width):
        cv2 = self._cv2
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        labels = cv2.resize(labels.astype(np.int32), (width, height),
                            interpolation=cv2.INTER_NEAREST)
        return image, labels

    def _augment(self, image, labels):
        height, width = self.size
        scale = self.random.uniform(*self.scale_range)
        scaled_h = max(height, int(round(height * scale)))
        scaled_w = max(width, int(round(width * scale)))
        image, labels = self._resize_pair(image, labels, scaled_h, scaled_w)
        top = self.random.randint(0, scaled_h - height + 1)
        left = self.random.randint(0, scaled_w - width + 1)
        image = image[top:top + height, left:left + width]
        labels = labels[top:top + height, left:left + width]
        if self.random.rand() < 0.5:
            image, labels = image[:, ::-1], labels[:, ::-1]
        return image, labels

    def __getitem__(self, index):
        image = datasets.read_image(self.samples[index].image_path)
        labels = self.labels(index)
        if self.augment:
            image, labels = self._augment(image, labels)
        else:
            image, labels = self._resize_pair(image, labels, *self.size)
        rgb = image[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / 255.0
        tensor = (rgb - self.mean) / self.std
        return torch.from_numpy(np.ascontiguousarray(tensor)), torch.from_numpy(
            np.ascontiguousarray(labels).astype(np.int64))


def class_weights(data, method="median"):
    """Loss weights per class from the training labels.

    ``median``: the paper's median frequency balancing, w_c = median(f) / f_c with f_c the
    class's pixels over the pixels of the images where it appears; ``inverse``: 1 / f_c
    normalised to mean 1; ``none``: ones. Classes never seen get weight 0.
    """
    count = data.class_count
    if method == "none":
        return torch.ones(count)
    pixels = np.zeros(count, np.float64)
    present_in = np.zeros(count, np.float64)
    for index in range(len(data)):
        labels = data.labels(index)
        valid = labels[labels != data.ignore_index]
        histogram = np.bincount(valid, minlength=count)[:count]
        pixels += histogram
        present_in += (histogram > 0) * labels.size
    frequency = np.where(present_in > 0, pixels / np.maximum(present_in, 1), 0.0)
    seen = frequency > 0
    weights = np.zeros(count, np.float64)
    if method == "median":
        weights[seen] = np.median(frequency[seen]) / frequency[seen]
    elif method == "inverse":
        weights[seen] = 1.0 / frequency[seen]
        weights[seen] /= weights[seen].mean()
    else:
        raise ValueError("weighting must be median, inverse or none")
    if 0 <= data.ignore_index < count:
        weights[data.ignore_index] = 0.0
    return torch.tensor(weights, dtype=torch.float32)
