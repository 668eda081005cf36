"""Where frames go. A file sink writes under a temporary name and moves it into place when
closed, so an interrupted run never leaves a half-written file under the final name."""

import abc
import contextlib
import logging
import os
import re

import numpy as np

from edge_segnet import fileio, optional
from edge_segnet.errors import EdgeSegnetError, OutputError
from edge_segnet.video import mp4_repair
from edge_segnet.viz.overlay import colorize

_log = logging.getLogger(__name__)

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
    """How many frames of the killed writer's MP4 at ``temp_path`` were made playable, or None
    where it could not be read (its name lacks the frame size, or it is no MP4 we wrote)."""
    tag = _MP4_TAG.search(temp_path)
    if tag is None:
        return None
    try:
        return mp4_repair.repair(temp_path, int(tag.group(1)), int(tag.group(2)),
                                 float(tag.group(3)))
    except (EdgeSegnetError, OSError, ValueError):
        return None


def keep_killed_recordings(path):
    """Recordings of ``path`` that a killed run left under their temporary names: the playable
    ones become ``NAME.interrupted-PID.EXT`` beside it, ones that could not be read are kept as
    ``NAME.interrupted-PID.damaged.EXT``, and only ones without a frame on disk are removed,
    with a warning (nothing is dropped unsaid). Returns the kept paths."""
    extension = os.path.splitext(path)[1].lower()
    kept = []
    for temp_path, pid in fileio.stale_temporaries(path):
        if not os.path.isfile(temp_path):
            continue  # a folder under a video's temporary name is not a recording
        size = os.path.getsize(temp_path)
        frames = _repaired_mp4(temp_path) if extension == ".mp4" and size else None
        root = "{}.interrupted-{}".format(os.path.splitext(os.path.realpath(path))[0], pid)
        if (extension in SURVIVES_KILL and size) or frames:
            kept_path = _free_name(root, extension)
        elif size and extension == ".mp4" and frames is None:
            kept_path = _free_name(root + ".damaged", extension)
        else:
            # FFmpeg holds the start of a recording in memory (about 256 KiB) before it writes
            # a frame: a run killed in its first second or so leaves a header only.
            _log.warning("removed %s: a killed run's recording that holds no frame (it was "
                         "killed before FFmpeg wrote one)", temp_path)
            os.unlink(temp_path)
            continue
        os.rename(temp_path, kept_path)
        kept.append(kept_path)
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

    def write_labels(self, labels, name=None):
        """Take the frame's label map (HxW class ids); only where ``wants_labels``. ``name``:
        the file the frame came from, where it came from one."""

    def close(self):
        pass

    def kept(self):
        """After ``close``: what this sink left on disk ("PATH (N frames)"), or None."""
        return None


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
        self.messages = ["kept {}: the recording of a run that was killed{}".format(
            kept, " (it could not be made playable)" if ".damaged." in kept else "")
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
            raise OutputError(
                "cannot write video {}: this frame is {}x{} (HEIGHTxWIDTH) and the video's "
                "frames are {}x{}".format(self.path, frame.shape[0], frame.shape[1],
                                          *self.frame_size),
                hint="a video takes frames of one size: write --images or --labels instead")
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

    def kept(self):
        return _frames_kept(self.path, self.frames)


def _frames_kept(path, frames):
    if not frames:
        return None
    return "{} ({} frame{})".format(path, frames, "" if frames == 1 else "s")


class _FolderSink(Sink):
    """A file per frame in a folder: ``frame_000000`` and on, or, for a source of named
    images, the image's own name (so that class-id masks match their files). A folder that
    already holds files is refused unless ``overwrite`` (an earlier run's frames would mix
    with this one's); a folder it created and wrote nothing into is removed on close."""

    def __init__(self, folder, option, overwrite=False):
        self.folder, self.frames = folder, 0
        self._created = make_frame_folder(folder, option, overwrite)
        self._names = set()

    def _base(self, name):
        if name:
            base = os.path.splitext(os.path.basename(name))[0]
            if base not in self._names:  # two a.png/a.jpg: the second is numbered
                self._names.add(base)
                return os.path.join(self.folder, base)
        return os.path.join(self.folder, "frame_{:06d}".format(self.frames))

    def close(self):
        if not self.frames:
            for created in self._created:  # deepest first: only folders it made, if empty
                with contextlib.suppress(OSError):
                    os.rmdir(created)
        self._created = []

    def kept(self):
        return _frames_kept(self.folder, self.frames)


class ImageSequenceSink(_FolderSink):
    """Every drawn frame as an image (.jpg or .png) in a folder."""

    wants_labels = True  # for the frame's name; the label map itself is not used

    def __init__(self, folder, extension=".jpg", overwrite=False):
        super().__init__(folder, "--images", overwrite)
        self.extension = extension
        self._cv2 = optional.require("cv2", "writing images")
        self._name = None

    def write_labels(self, labels, name=None):
        self._name = name

    def write(self, frame):
        _write_image(self._cv2, self._base(self._name) + self.extension, frame)
        self._name = None
        self.frames += 1


class LabelSink(_FolderSink):
    """The label maps as PNGs of class ids (model resolution), and the colored masks beside
    them (``NAME_color.png``) when asked: for downstream use."""

    wants_labels = True

    def __init__(self, folder, palette_bgr=None, overwrite=False):
        super().__init__(folder, "--labels", overwrite)
        self.palette = palette_bgr
        self._cv2 = optional.require("cv2", "writing label images")

    def write_labels(self, labels, name=None):
        ids = labels.astype(np.uint8 if labels.max(initial=0) < 256 else np.uint16)
        base = self._base(name)
        _write_image(self._cv2, base + ".png", ids)
        if self.palette is not None:
            _write_image(self._cv2, base + "_color.png", colorize(labels, self.palette))
        self.frames += 1

    def write(self, frame):
        pass


def make_frame_folder(folder, option, overwrite=False, create=True):
    """Checks (and with ``create`` makes) a folder for a file per frame; returns the folders
    it created, deepest first (to remove again when no frame is written). Half-written frames
    that killed runs left there are removed first; a folder holding anything else is refused
    unless ``overwrite``."""
    what = "{} folder".format(option)
    kind = fileio.special_kind(folder)
    if kind and kind != "folder":
        raise OutputError("cannot write {} {}: it is a {}, not a folder".format(
            option, folder, kind), hint="choose a folder path")
    if kind == "folder":
        fileio.remove_stale_temporaries_in(folder)
        try:
            held = sorted(os.listdir(folder))
        except OSError as exc:
            raise OutputError("cannot read {} {}: {}".format(what, folder,
                                                             exc.strerror or exc))
        if held and not overwrite:
            raise OutputError(
                "{} {} already holds {} entr{} ({}{}): this run's frames would mix with "
                "them".format(option, folder, len(held), "y" if len(held) == 1 else "ies",
                              ", ".join(held[:3]), ", ..." if len(held) > 3 else ""),
                hint="choose a new or empty folder, or add --overwrite to write into it")
        fileio.check_writable_dir(folder, what)
        return []
    missing, existing = [], os.path.abspath(folder)
    while not os.path.isdir(existing):
        if os.path.lexists(existing):  # a file where a parent folder should be
            raise OutputError("cannot create {} {}: {} is not a folder".format(
                what, folder, existing), hint="choose another path")
        missing.append(existing)
        existing = os.path.dirname(existing)
    fileio.check_writable_dir(existing, what)
    if not create:
        return []
    try:
        os.makedirs(folder)
    except OSError as exc:
        raise OutputError("cannot create {} {}: {}".format(what, folder, exc.strerror or exc))
    return missing


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
