"""Class colors over frames: a palette lookup at model resolution, one resize, one blend.

Modes: ``overlay`` (colors blended over the frame), ``mask`` (the colors alone),
``side-by-side`` (frame and mask next to each other). Ignored classes keep the frame's pixels.
"""

import time

import numpy as np

from edge_segnet import optional
from edge_segnet.errors import UsageError

FILTERS = ("nearest", "linear")
MODES = ("overlay", "mask", "side-by-side")
# Two ways to find the sentinel's pixels, same result: one cv2.compare over all three channels
# (a three-channel mask), or the first channel extracted and compared (a one-channel mask).
# Which is faster depends on the OpenCV build (720p, one thread, both side by side: with 4.6
# the --ignore-class overlay costs 1.10-1.13x the plain one with one channel, 1.17-1.20x with
# three; with 5.1 1.21-1.24x against 1.12-1.15x), so the painter times each on its first
# frames and keeps the faster (tools/bench_overlay.py prints the pick).
KEEP_METHODS = ("three channels", "one channel")
KEEP_TRIALS = 10  # frames each way, interleaved; the fastest of each counts (noise only adds)


def colorize(labels, palette_bgr):
    """HxW class ids -> HxWx3 BGR colors. Ids beyond the palette are drawn black."""
    palette = np.asarray(palette_bgr, dtype=np.uint8)
    if labels.max(initial=0) >= len(palette):
        palette = np.concatenate([palette, np.zeros((int(labels.max()) + 1 - len(palette), 3),
                                                    dtype=np.uint8)])
    return palette[labels]


def _table(values, dtype):
    """A cv2.LUT table of 256 entries: ``values`` first, zeros (black) after them."""
    values = np.asarray(values, dtype=dtype)[:256]
    table = np.zeros((256,) + values.shape[1:], dtype)
    table[:len(values)] = values
    return table.reshape((1, 256) + values.shape[1:])


class Painter(object):
    """Draws one frame's labels in the chosen mode. Validates its options once.

    Each draw is what a plain OpenCV version would do, and costs what it costs: cv2.LUT from
    class ids to colors at model resolution, one cv2.resize to the frame, one cv2.addWeighted.
    Ignored classes (``nearest``) are drawn in a sentinel color, a byte value no drawn class
    has in any channel, so that one cv2.compare of the resized colors finds their pixels and
    one masked copy puts the frame's back: no second resize (KEEP_METHODS: how the compare
    runs). With ``linear`` (soft edges) they fade in per-pixel weights resized like the colors.
    """

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
        self.palette = np.asarray(palette_bgr, dtype=np.uint8).reshape(-1, 3)
        self.mode, self.alpha, self.label_filter = mode, alpha, label_filter
        # Centre-aligned nearest where this OpenCV has it (4.5+), as eval and training resize
        # labels (edge_segnet.labelmaps); plain INTER_NEAREST shifts classes by up to a model
        # pixel towards the top left. Older OpenCV (JetPack 4.6's 4.1) draws that way still.
        nearest = getattr(self.cv2, "INTER_NEAREST_EXACT", self.cv2.INTER_NEAREST)
        self._interpolation = nearest if label_filter == "nearest" else self.cv2.INTER_LINEAR
        self._colors = _table(self.palette, np.uint8)
        ignore = sorted({int(i) for i in ignore if 0 <= int(i) < max(len(self.palette), 1)})
        self.ignore = ignore
        keep = np.zeros(256, np.uint8)
        keep[[i for i in ignore if i < 256]] = 255
        self._keep = keep.reshape(1, 256)
        weights = np.full(256, alpha, np.float32)
        weights[[i for i in ignore if i < 256]] = 0.0
        self._weights = weights.reshape(1, 256)
        self._frame_weights = (1.0 - weights).reshape(1, 256)
        self._scratch = {}  # reused images that never leave draw(): no fresh pages per frame
        self._sentinel, self._blend_colors = None, self._colors
        self._keep_times = {method: [] for method in KEEP_METHODS}
        self.keep_method = None  # chosen after KEEP_TRIALS frames each way
        if ignore and label_filter == "nearest":
            drawn = [i for i in range(len(self.palette)) if i not in ignore]
            used = set(self.palette[drawn].ravel().tolist()) | {0}  # 0: ids beyond the palette
            free = [value for value in range(256) if value not in used]
            if free:  # more than 85 drawn classes may use every byte value: then _keep
                self._sentinel = free[0]
                self._blend_colors = self._colors.copy()
                self._blend_colors[0, [i for i in ignore if i < 256]] = self._sentinel

    def _resize(self, image, width, height, scratch=None):
        if image.shape[:2] == (height, width):
            return image
        return self.cv2.resize(image, (width, height), dst=self._buffer(
            scratch, (height, width) + image.shape[2:], image.dtype),
            interpolation=self._interpolation)

    def _buffer(self, name, shape, dtype):
        """A scratch image kept between draws (None: let OpenCV allocate one)."""
        if name is None:
            return None
        buffer = self._scratch.get(name)
        if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
            buffer = self._scratch[name] = np.empty(shape, dtype)
        return buffer

    def _ids(self, labels):
        """The label map as uint8 for cv2.LUT, or None when an id does not fit in a byte."""
        if labels.dtype == np.uint8:
            return labels
        if labels.dtype.kind in "iu" and labels.dtype.itemsize in (4, 8):
            # One pass: negative ids wrap to huge unsigned ones.
            if (labels.view("u{}".format(labels.dtype.itemsize)) > 255).any():
                return None
        elif labels.size and (labels.min() < 0 or labels.max() > 255):
            return None
        return labels.astype(np.uint8)

    def draw(self, frame_bgr, labels):
        cv2 = self.cv2
        height, width = frame_bgr.shape[:2]
        ids = self._ids(labels)
        if ids is None:
            return self._draw_many(frame_bgr, labels)
        overlay_mode = self.mode == "overlay"
        colors = self._blend_colors if overlay_mode else self._colors
        # The colors are returned in the other modes, so only the overlay's are scratch.
        mask = self._resize(cv2.LUT(cv2.merge((ids, ids, ids)), colors), width, height,
                            "colors" if overlay_mode else None)
        if self.mode == "mask":
            return mask
        if self.mode == "side-by-side":
            return cv2.hconcat((frame_bgr, mask))
        if not self.ignore:
            return cv2.addWeighted(frame_bgr, 1.0 - self.alpha, mask, self.alpha, 0.0)
        if self.label_filter == "linear":
            return self._weighted(frame_bgr, mask, ids, width, height)
        blended = cv2.addWeighted(frame_bgr, 1.0 - self.alpha, mask, self.alpha, 0.0)
        if self._sentinel is None:
            cv2.copyTo(frame_bgr, self._resize(cv2.LUT(ids, self._keep), width, height, "keep"),
                       blended)
            return blended
        method = self.keep_method or min(KEEP_METHODS, key=lambda m: len(self._keep_times[m]))
        start = time.perf_counter()
        cv2.copyTo(frame_bgr, self._sentinel_pixels(mask, height, width, method), blended)
        if self.keep_method is None:
            self._keep_times[method].append(time.perf_counter() - start)
            if all(len(times) >= KEEP_TRIALS for times in self._keep_times.values()):
                self.keep_method = min(KEEP_METHODS,
                                       key=lambda m: min(self._keep_times[m]))
        return blended

    def _sentinel_pixels(self, mask, height, width, method):
        """255 where the resized colors hold the sentinel (no drawn class has its value in any
        channel), 0 elsewhere: over the three channels, or the first one alone."""
        cv2 = self.cv2
        if method == "three channels":
            return cv2.compare(mask.reshape(height, -1), self._sentinel, cv2.CMP_EQ,
                               dst=self._buffer("keep3", (height, width * 3), np.uint8)).reshape(
                height, width, 3)
        first = cv2.extractChannel(mask, 0, dst=self._buffer("first", (height, width),
                                                              np.uint8))
        return cv2.compare(first, self._sentinel, cv2.CMP_EQ,
                           dst=self._buffer("keep1", (height, width), np.uint8))

    def _weighted(self, frame_bgr, mask, ids, width, height):
        """Per-pixel weights resized like the colors: soft edges around ignored classes."""
        cv2 = self.cv2
        weights = self._resize(cv2.LUT(ids, self._weights), width, height)
        frame_weights = self._resize(cv2.LUT(ids, self._frame_weights), width, height)
        return cv2.blendLinear(frame_bgr, mask, frame_weights, weights)

    def _draw_many(self, frame_bgr, labels):
        """Ids that do not fit cv2.LUT's byte (over 256 classes, or negative): numpy's
        lookup, slower, same colors; ids beyond the palette are black."""
        height, width = frame_bgr.shape[:2]
        labels = np.where(labels < 0, len(self.palette), labels)
        mask = self._resize(colorize(labels, self.palette), width, height)
        if self.mode == "mask":
            return mask
        if self.mode == "side-by-side":
            return self.cv2.hconcat((frame_bgr, mask))
        alpha = np.full(int(labels.max(initial=0)) + 1, self.alpha, np.float32)
        alpha[[i for i in self.ignore if i < len(alpha)]] = 0.0
        weights = self._resize(alpha[labels], width, height)
        return self.cv2.blendLinear(frame_bgr, mask, 1.0 - weights, weights)


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
