"""Class colors over frames: a palette lookup at model resolution, one resize, one blend.

Modes: ``overlay`` (colors blended over the frame), ``mask`` (the colors alone),
``side-by-side`` (frame and mask next to each other). Ignored classes keep the frame's pixels.
"""

import numpy as np

from edge_segnet import optional
from edge_segnet.errors import UsageError

FILTERS = ("nearest", "linear")
MODES = ("overlay", "mask", "side-by-side")


def colorize(labels, palette_bgr):
    """HxW class ids -> HxWx3 BGR colors. Ids beyond the palette are drawn black."""
    palette = np.asarray(palette_bgr, dtype=np.uint8)
    if labels.max(initial=0) >= len(palette):
        palette = np.concatenate([palette, np.zeros((int(labels.max()) + 1 - len(palette), 3),
                                                    dtype=np.uint8)])
    return palette[labels]


class Painter(object):
    """Draws one frame's labels in the chosen mode. Validates its options once."""

    def __init__(self, palette_bgr, mode="overlay", alpha=0.5, label_filter="nearest",
                 ignore=()):
        if mode not in MODES:
            raise UsageError("--visualize must be one of {}; got {!r}".format(", ".join(MODES),
                                                                             mode))
        if not 0.0 <= alpha <= 1.0:
            raise UsageError("--alpha must be between 0 and 1; got {}".format(alpha))
        if label_filter not in FILTERS:
            raise UsageError("--filter must be one of {}; got {!r}".format(", ".join(FILTERS),
                                                                           label_filter))
        self.cv2 = optional.require("cv2", "drawing overlays")
        self.palette = np.asarray(palette_bgr, dtype=np.uint8)
        self.mode, self.alpha, self.label_filter = mode, alpha, label_filter
        # Ignored classes are drawn with weight 0: a per-class alpha looked up like the colors.
        self.class_alpha = np.full(max(len(self.palette), 1), alpha, np.float32)
        for class_id in ignore:
            if 0 <= class_id < len(self.class_alpha):
                self.class_alpha[class_id] = 0.0

    def _resize(self, image, width, height):
        if image.shape[:2] == (height, width):
            return image
        flag = self.cv2.INTER_NEAREST if self.label_filter == "nearest" else \
            self.cv2.INTER_LINEAR
        return self.cv2.resize(image, (width, height), interpolation=flag)

    def draw(self, frame_bgr, labels):
        height, width = frame_bgr.shape[:2]
        mask = self._resize(colorize(labels, self.palette), width, height)
        if self.mode == "mask":
            return mask
        if self.mode == "side-by-side":
            return np.concatenate([frame_bgr, mask], axis=1)
        if not (self.class_alpha != self.alpha).any():
            return self.cv2.addWeighted(frame_bgr, 1.0 - self.alpha, mask, self.alpha, 0.0)
        weights = self._resize(self.class_alpha[np.clip(labels, 0, len(self.class_alpha) - 1)],
                               width, height)[:, :, None]
        blended = frame_bgr * (1.0 - weights) + mask * weights
        return blended.astype(np.uint8)


def overlay(frame_bgr, labels, palette_bgr, alpha=0.5, label_filter="nearest"):
    """A new frame: ``frame_bgr`` blended with the class colors of ``labels`` (any size)."""
    return Painter(palette_bgr, "overlay", alpha, label_filter).draw(frame_bgr, labels)


def draw_legend(image, names, palette_bgr, ignore=()):
    """Class names with their colors in a box at the top left (drawn in place)."""
    cv2 = optional.require("cv2", "drawing the legend")
    entries = [(name, color) for index, (name, color) in enumerate(zip(names, palette_bgr))
               if index not in ignore]
    line = 16
    width = 12 + 8 * max((len(name) for name, _ in entries), default=4) + 20
    height = 8 + line * len(entries)
    box = image[0:min(height, image.shape[0]), 0:min(width, image.shape[1])]
    box[:] = (box * 0.4).astype(np.uint8)
    for row, (name, color) in enumerate(entries):
        top = 4 + row * line
        cv2.rectangle(image, (6, top + 2), (18, top + 12), tuple(int(c) for c in color), -1)
        cv2.putText(image, name, (24, top + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return image


def draw_hud(image, text):
    """One status line (FPS, latency, backend, precision, size) at the bottom (in place)."""
    cv2 = optional.require("cv2", "drawing the status line")
    height = image.shape[0]
    image[height - 20:height] = (image[height - 20:height] * 0.4).astype(np.uint8)
    cv2.putText(image, text, (6, height - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255),
                1, cv2.LINE_AA)
    return image
