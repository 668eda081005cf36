"""Checks on input paths before they are opened: a FIFO would block ``open()`` (and OpenCV's
and ONNX's readers) forever and a device would be read without end, so models, weights, label
files and images must be regular files. Cameras (``/dev/video*``) are opened as devices by
``video.sources`` and never pass through here."""

import os

from edge_segnet import fileio
from edge_segnet.errors import DataError


def special_kind(path):
    """What ``path`` is when it exists and is neither a regular file nor a folder ("FIFO",
    "character device", ...); None otherwise (a missing path or a folder is left to the
    caller's own message)."""
    try:
        kind = fileio.special_kind(path)
    except ValueError:  # a NUL in the path: nothing to stat, the open that follows says so
        return None
    return None if kind == "folder" else kind


def is_regular_file(path):
    """True when ``path`` (after symbolic links) is a regular file; never opens it."""
    return os.path.isfile(path)


def check_regular_file(path, what, error=DataError, hint=None):
    """Raise ``error`` (one line: "WHAT PATH is not a regular file: it is a FIFO") when
    ``path`` exists and is a FIFO, a device or a socket; do nothing otherwise."""
    kind = special_kind(path)
    if kind:
        raise error("{} {} is not a regular file: it is a {}".format(what, path, kind),
                    hint=hint)


def read_bytes(path, what, error=DataError, hint=None):
    """The bytes of the regular file ``path``, or ``error`` in one line: "WHAT not found:
    PATH", "WHAT PATH is a folder (HINT)", "... is not a regular file" (never opened)."""
    check_regular_file(path, what, error, hint=hint)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise error("{} not found: {}".format(what, path), hint=hint)
    except IsADirectoryError:
        raise error("{} {} is a folder".format(what, path), hint=hint)
