"""Where frames go. A file sink writes under a temporary name and moves it into place when
closed, so an interrupted run never leaves a half-written file under the final name."""

import abc
import os
import re

import numpy as np

from edge_segnet import fileio, optional
from edge_segnet.errors import EdgeSegnetError, OutputError
from edge_segnet.video import mp4_repair
from edge_segnet.viz.overlay import colorize

_FOURCC = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}
MIN_VIDEO_SIDE = 16  # pixels: one macroblock
# Room a recording leaves free on its disk. OpenCV reports no write error: on a full disk the
# frames are lost without a word, and an MP4 loses its index, so all of it. The recording is
# finished while finishing still fits: the index (about 16 bytes a frame), the frames still in
# FFmpeg's buffers, and a margin for whatever else writes to the disk meanwhile.
RESERVE_BYTES = 4 * 1024 * 1024
RESERVE_FRAMES = 16


def _free_bytes(directory):
    """Bytes this process can still write in ``directory`` (root may use the reserve), or
    None when unknown."""
    try:
        info = os.statvfs(directory or ".")
    except (OSError, AttributeError):
        return None
    blocks = info.f_bfree if hasattr(os, "geteuid") and os.geteuid() == 0 else info.f_bavail
    return blocks * info.f_frsize


# Containers whose frames stay readable when the writer is killed (SIGKILL, power loss) before
# it finishes: AVI and Matroska store frames as they come. Measured at 720p, killed right after
# the last write: .avi (MJPG) kept 30 of 30 and 150 of 150 frames, .mkv (MJPG) 0 of 30 and 148
# of 150 (a cluster, about a second, is lost). MP4 writes its index at the end, so a cut MP4
# plays nothing until mp4_repair rebuilds the index; its temporary name carries the frame size
# and rate that needs.
SURVIVES_KILL = (".mkv", ".avi")
_MP4_TAG = re.compile(r"\.(\d+)x(\d+)-([0-9.]+)fps\.part\.mp4$", re.IGNORECASE)


def _repaired_mp4(temp_path):
    """Whether the killed writer's MP4 at ``temp_path`` was made playable."""
    tag = _MP4_TAG.search(temp_path)
    if tag is None:
        return False
    try:
        return mp4_repair.repair(temp_path, int(tag.group(1)), int(tag.group(2)),
                                 float(tag.group(3))) > 0
    except (EdgeSegnetError, OSError, ValueError):
        return False


def keep_killed_recordings(path):
    """Recordings of ``path`` that a killed run left under their temporary names: the playable
    ones become ``NAME.interrupted-PID.EXT`` beside it, the others are removed. Returns the
    kept paths."""
    extension = os.path.splitext(path)[1].lower()
    kept = []
    for temp_path, pid in fileio.stale_temporaries(path):
        if not os.path.isfile(temp_path):
            continue  # a folder under a video's temporary name is not a recording
        if (extension in SURVIVES_KILL and os.path.getsize(temp_path) > 0) or (
                extension == ".mp4" and _repaired_mp4(temp_path)):
            kept_path = _free_name("{}.interrupted-{}".format(
                os.path.splitext(os.path.realpath(path))[0], pid), extension)
            os.rename(temp_path, kept_path)
            kept.append(kept_path)
            continue
        os.unlink(temp_path)
    return kept


def _free_name(root, extension):
    """``root + extension``, or ``root-2 + extension`` and so on when taken: process ids come
    round again (in a container often the same one every run)."""
    candidate, number = root + extension, 1
    while os.path.lexists(candidate):
        number += 1
        candidate = "{}-{}{}".format(root, number, extension)
    return candidate


class Sink(abc.ABC):
    """Where the run loop hands each drawn frame (``write``). A sink that also takes the label
    map says so with ``wants_labels`` and gets ``write_labels`` before ``write``; one that sets
    ``stop_requested`` ends the run ('q' in a window). ``close`` is called on every path."""

    wants_labels = False
    stop_requested = False

    @abc.abstractmethod
    def write(self, frame):
        """Take one drawn BGR frame."""

    def write_labels(self, labels):
        """Take the frame's label map (HxW class ids); only where ``wants_labels``."""

    def close(self):
        pass


class VideoFileSink(Sink):
    """A video file; its frame size is the first frame's."""

    def __init__(self, path, fps):
        extension = os.path.splitext(path)[1].lower()
        kind = fileio.special_kind(os.path.realpath(path))
        if kind:  # /dev/full, a FIFO: say what it is before talking of extensions
            raise OutputError("cannot write video: {} is a {}, not a regular file".format(
                path, kind), hint="choose a file path")
        if extension not in _FOURCC:
            raise OutputError("cannot write video {}: use .mp4, .avi or .mkv".format(path))
        self._cv2 = optional.require("cv2", "writing video files")
        self.path = os.path.abspath(path)
        self.fps = float(fps)
        self._fourcc = _FOURCC[extension]
        self.messages = ["kept {}: the recording of a run that was killed".format(kept)
                         for kept in keep_killed_recordings(self.path)]
        # Created now so that an unwritable path fails before any work is done.
        self._file = fileio.AtomicFile(self.path, what="video")
        self.writer = None
        self.frame_size = None
        self.frames = 0

    def _open(self, frame_size):
        height, width = frame_size
        cv2 = self._cv2
        if min(height, width) < MIN_VIDEO_SIDE:
            # mp4v refuses frames under 2 pixels; OpenCV's MJPG writer can corrupt memory on
            # frames of a few pixels (seen on 4x4 and 5x5): such frames are refused first.
            raise OutputError(
                "cannot write video {}: the frames are {}x{} (HEIGHTxWIDTH), too small for the "
                "{} codec (at least {}x{})".format(self.path, height, width, self._fourcc,
                                                   MIN_VIDEO_SIDE, MIN_VIDEO_SIDE),
                hint="write --images instead, or use a larger source")
        if self._fourcc == "mp4v" and not _MP4_TAG.search(self._file.temp_path):
            self._file.tag("{}x{}-{:g}fps".format(width, height, self.fps))
        self.writer = cv2.VideoWriter(self._file.temp_path, cv2.VideoWriter_fourcc(
            *self._fourcc), self.fps, (width, height))
        if not self.writer.isOpened():
            self.writer = None
            if _free_bytes(os.path.dirname(self._file.temp_path)) == 0:
                raise OutputError("cannot write video {}: no space left on the device".format(
                    self.path), hint="free some space or write to another disk")
            raise OutputError("OpenCV cannot write {} video of {}x{} frames to {}".format(
                self._fourcc, height, width, self.path),
                hint="try another extension (.avi writes MJPG)")
        self.frame_size = (height, width)

    def write(self, frame):
        if self._file is None:
            raise OutputError("the video {} is finished: no more frames can be written".format(
                self.path))
        if self.writer is None:
            self._open(frame.shape[:2])
        elif frame.shape[:2] != self.frame_size:
            raise OutputError("frame size {} differs from the video's {}".format(
                frame.shape[:2], self.frame_size))
        self._check_room()
        self.writer.write(frame)
        self.frames += 1

    def _check_room(self):
        """Finishes the video and stops the run while the disk still has room to finish it."""
        # The disk the file is on: through a link, that may not be the link's.
        free = _free_bytes(os.path.dirname(self._file.temp_path))
        if free is None or not self.frames:
            return
        try:
            per_frame = os.path.getsize(self._file.temp_path) / self.frames
        except OSError:
            return
        needed = RESERVE_BYTES + 16 * self.frames + RESERVE_FRAMES * per_frame
        if free >= needed:
            return
        frames = self.frames
        self.close()
        raise OutputError(
            "the disk holding {} is nearly full ({:.1f} MB left): the video was finished after "
            "{} frame{}".format(self.path, free / 1e6, frames, "" if frames == 1 else "s"),
            hint="free some space or write to another disk")

    def close(self):
        """Finish the file and move it into place: it holds every frame written so far.
        With no frame written, no file is left behind."""
        if self._file is None:
            return
        if self.writer is not None:
            self.writer.release()
            self.writer = None
        if self.frames:
            self._file.commit()
        else:
            self._file.discard()
        self._file = None


class ImageSequenceSink(Sink):
    """Every frame as ``frame_000000.jpg`` (or .png) in a folder."""

    def __init__(self, folder, extension=".jpg"):
        _make_folder(folder)
        self.folder, self.extension = folder, extension
        self._cv2 = optional.require("cv2", "writing images")
        self.frames = 0

    def write(self, frame):
        _write_image(self._cv2, os.path.join(self.folder, "frame_{:06d}{}".format(
            self.frames, self.extension)), frame)
        self.frames += 1

    def close(self):
        pass


class LabelSink(Sink):
    """The label maps as PNGs of class ids (``frame_000000.png``, model resolution), and the
    colored masks beside them (``frame_000000_color.png``) when asked: for downstream use."""

    wants_labels = True

    def __init__(self, folder, palette_bgr=None):
        _make_folder(folder)
        self.folder, self.palette = folder, palette_bgr
        self._cv2 = optional.require("cv2", "writing label images")
        self.frames = 0

    def write_labels(self, labels):
        ids = labels.astype(np.uint8 if labels.max(initial=0) < 256 else np.uint16)
        base = os.path.join(self.folder, "frame_{:06d}".format(self.frames))
        _write_image(self._cv2, base + ".png", ids)
        if self.palette is not None:
            _write_image(self._cv2, base + "_color.png", colorize(labels, self.palette))
        self.frames += 1

    def write(self, frame):
        pass

    def close(self):
        pass


def _make_folder(folder):
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OutputError("cannot create folder {}: {}".format(folder, exc.strerror or exc))
    fileio.check_writable_dir(folder, "images")


def _write_image(cv2, path, image):
    ok, encoded = cv2.imencode(os.path.splitext(path)[1], image)
    if not ok:
        raise OutputError("OpenCV could not encode {}".format(path))
    fileio.write_bytes_atomic(path, encoded.tobytes(), what="image")


class WindowSink(Sink):
    """A window on the board's display; 'q' or Esc asks the run to stop."""

    def __init__(self, title="edge-segnet"):
        self._cv2 = optional.require("cv2", "showing a window")
        self.title = title
        self.stop_requested = False

    @staticmethod
    def display_available(environ=None):
        environ = os.environ if environ is None else environ
        return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))

    def write(self, frame):
        try:
            self._cv2.imshow(self.title, frame)
            key = self._cv2.waitKey(1) & 0xFF
        except self._cv2.error as exc:
            raise OutputError("cannot show a window ({}): this OpenCV has no GUI".format(
                str(exc).splitlines()[0][:80]), hint="use --headless or JetPack's OpenCV")
        if key in (ord("q"), 27):
            self.stop_requested = True

    def close(self):
        try:
            self._cv2.destroyWindow(self.title)
        except self._cv2.error:
            pass
