"""Class colors over frames: a palette lookup at model resolution, one resize, one blend."""

import numpy as np

from edge_segnet import optional
from edge_segnet.errors import UsageError

FILTERS = ("nearest", "linear")


def colorize(labels, palette_bgr):
    """HxW class ids -> HxWx3 BGR colors. Ids beyond the palette are drawn black."""
    palette = np.asarray(palette_bgr, dtype=np.uint8)
    if labels.max(initial=0) >= len(palette):
        palette = np.concatenate([palette, np.zeros((int(labels.max()) + 1 - len(palette), 3),
                                                    dtype=np.uint8)])
    return palette[labels]


def overlay(frame_bgr, labels, palette_bgr, alpha=0.5, label_filter="nearest"):
    """A new frame: ``frame_bgr`` blended with the class colors of ``labels`` (any size)."""
    if not 0.0 <= alpha <= 1.0:
        raise UsageError("--alpha must be between 0 and 1; got {}".format(alpha))
    if label_filter not in FILTERS:
        raise UsageError("--filter must be one of {}; got {!r}".format(", ".join(FILTERS),
                                                                       label_filter))
    cv2 = optional.require("cv2", "drawing overlays")
    mask = colorize(labels, palette_bgr)
    height, width = frame_bgr.shape[:2]
    if mask.shape[:2] != (height, width):
        flag = cv2.INTER_NEAREST if label_filter == "nearest" else cv2.INTER_LINEAR
        mask = cv2.resize(mask, (width, height), interpolation=flag)
    return cv2.addWeighted(frame_bgr, 1.0 - alpha, mask, alpha, 0.0)
