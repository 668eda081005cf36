"""Checks on input paths before they are opened: a FIFO would block ``open()`` (and OpenCV's
and ONNX's readers) forever and a device would be read without end, so models, weights, label
files and images must be regular files. Cameras (``/dev/video*``) are opened as devices by
``video.sources`` and never pass through here."""

import hashlib
import os

from edge_segnet import fileio, optional
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


# FFmpeg's log level under OpenCV (AV_LOG_QUIET): read from the environment when OpenCV first
# uses FFmpeg, so it takes effect when set before the first file or stream is opened.
_FFMPEG_QUIET = "-8"


def opencv_reader(why):
    """OpenCV for reading user files, with its own and FFmpeg's log lines ("moov atom not
    found", "IHDR chunk shall be first", "Connection refused") off: a file that cannot be read
    is said in our one line, which names it, and theirs would come before it unasked.
    OPENCV_FFMPEG_LOGLEVEL / OPENCV_LOG_LEVEL set by the user are kept (for debugging)."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", _FFMPEG_QUIET)
    cv2 = optional.require("cv2", why)
    logging_module = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging_module is not None and "OPENCV_LOG_LEVEL" not in os.environ:
        logging_module.setLogLevel(logging_module.LOG_LEVEL_SILENT)
    return cv2


def file_sha256(path, what="file"):
    """The sha256 of the file ``path`` as hex, read in 1 MiB blocks (archives, engines and
    model files can be large); a DataError in one line when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise DataError("cannot read {} {}: {}".format(what, path, exc.strerror or exc))
    return digest.hexdigest()
