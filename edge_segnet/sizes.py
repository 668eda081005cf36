"""Image sizes as users type them: ``HEIGHTxWIDTH``, e.g. ``128x256``."""

import re

from edge_segnet.errors import UsageError

_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")

# SegNet pools four or five times; below this a feature map vanishes.
MIN_SIDE = 32
MAX_SIDE = 8192


def parse_size(text, what="--input-size"):
    """``"128x256"`` -> ``(128, 256)`` as (height, width)."""
    match = _SIZE.match(text or "")
    if not match:
        raise UsageError(
            "{} must be HEIGHTxWIDTH, e.g. 128x256; got {!r}".format(what, text)
        )
    height, width = int(match.group(1)), int(match.group(2))
    for side in (height, width):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise UsageError(
                "{} sides must be between {} and {} pixels; got {}x{}".format(
                    what, MIN_SIDE, MAX_SIDE, height, width
                )
            )
    return height, width


def format_size(size):
    return "{}x{}".format(size[0], size[1])
