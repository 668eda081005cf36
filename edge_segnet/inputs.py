"""Checks on input paths before they are opened: a FIFO would block ``open()`` (and OpenCV's
and ONNX's readers) forever and a device would be read without end, so models, weights, label
files and images must be regular files. Cameras (``/dev/video*``) are opened as devices by
``video.sources`` and never pass through here. Images are decoded here too, with what their
codec prints caught and said in our line (``decode_image``)."""

import atexit
import hashlib
import logging
import os
import sys
import tempfile
import threading

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


# One decode at a time holds fd 2 (it is the process's, not the thread's).
_decode_lock = threading.Lock()
_capture_file = []


def _capture():
    """A temporary file (unnamed, reused) that fd 2 points at while a codec runs."""
    if not _capture_file:
        _capture_file.append(tempfile.TemporaryFile())
        # Kept for the process's life; closed at exit so Python does not warn of it.
        atexit.register(_capture_file[0].close)
    handle = _capture_file[0]
    handle.seek(0)
    handle.truncate()
    return handle


def _log_handlers():
    seen = []
    for logger in (logging.getLogger(), logging.getLogger("edge_segnet")):
        seen.extend(handler for handler in logger.handlers if handler not in seen)
    return seen


def _decode_capturing_stderr(decode):
    """(decode(), what the codec printed to fd 2 meanwhile). libpng and libjpeg print their
    complaints ("libpng error: Read Error", "Premature end of JPEG file") straight to fd 2,
    past OpenCV's log level; caught here they become part of our one line. The logging
    handlers are held meanwhile, so a line another thread logs waits instead of being taken
    for the codec's; where fd 2 cannot be redirected, the codec prints as it would."""
    with _decode_lock:
        handlers = _log_handlers()
        for handler in handlers:
            handler.acquire()
        try:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError, AttributeError):
                return decode(), ""
            capture = _capture()
            try:
                os.dup2(capture.fileno(), 2)
                result = decode()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            capture.seek(0)
            said = capture.read().decode("utf-8", "replace")
        finally:
            for handler in reversed(handlers):
                handler.release()
    return result, " ".join(line.strip() for line in said.splitlines() if line.strip())


def decode_image(path, what="image", unchanged=False):
    """``(array, damage)`` for the image file ``path``: the decoded array (None when OpenCV
    cannot decode it) and what its codec said about the file ("" when nothing; a truncated
    JPEG decodes, gray where data is missing, and says "Premature end of JPEG file" — read
    from the file, as ``imdecode`` of the same bytes stays silent). DataError in one line for
    a missing path, a folder, a FIFO or a device (never opened)."""
    cv2 = opencv_reader("reading images")
    check_regular_file(path, what)
    if os.path.isdir(path):
        raise DataError("{} {} is a folder".format(what, path))
    try:
        size = os.path.getsize(path)
    except OSError:
        raise DataError("{} not found: {}".format(what, path))
    if not size:
        return None, "the file is empty"
    flags = cv2.IMREAD_UNCHANGED if unchanged else cv2.IMREAD_COLOR
    image, damage = _decode_capturing_stderr(lambda: cv2.imread(path, flags))
    if image is not None and image.size == 0:
        image = None
    if image is not None and damage == JPEG_EOF and _only_the_end_marker_is_missing(
            path, lambda copy: cv2.imread(copy, flags)):
        damage = ""
    return image, damage


JPEG_EOF = "Premature end of JPEG file"


def _only_the_end_marker_is_missing(path, read):
    """Whether the JPEG ``path`` is whole but for its end-of-image marker (some cameras and
    MJPEG grabbers write them so): libjpeg says JPEG_EOF for it as for a cut file, though every
    pixel decodes. A copy with the marker appended decodes silently if so; a cut one then says
    "Corrupt JPEG data: premature end of data segment"."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return False
    if not data.startswith(b"\xff\xd8") or data.endswith(b"\xff\xd9"):
        return False
    try:
        with tempfile.NamedTemporaryFile(suffix=".jpg") as copy:
            copy.write(data + b"\xff\xd9")
            copy.flush()
            again, damage = _decode_capturing_stderr(lambda: read(copy.name))
    except OSError:  # no room for the copy: the codec's word stands
        return False
    return again is not None and not damage


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
