"""Where frames come from, chosen by URI as a Jetson user writes it.

- ``synthetic``: the built-in drive through synthetic streets (endless);
- ``/dev/video0``, ``v4l2:///dev/video0`` or ``0``: a V4L2 camera (USB webcams: MJPG);
- ``csi://0``: a Jetson CSI camera through GStreamer's nvarguscamerasrc;
- ``rtsp://…``, ``http(s)://…``, ``rtmp://…``: a network stream;
- a video file; an image file, a folder of images or a glob (``frames/*.png``).

Every source has ``read()`` (a BGR frame, or None at the end), ``close()``, ``fps`` and
``live`` (live sources hand over only their newest frame).
"""

import glob
import logging
import os
import re

from edge_segnet import inputs
from edge_segnet.data import synthetic
from edge_segnet.data.datasets import IMAGE_EXTENSIONS
from edge_segnet.errors import DataError, UsageError
from edge_segnet.platform import threads
from edge_segnet.platform.jetson import video_devices

_log = logging.getLogger(__name__)

SYNTHETIC = "synthetic"
STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://")
DEFAULT_CAMERA_SIZE = (720, 1280)
# Undecodable frames of a video file skipped in a row before the file counts as ended.
MAX_FAILED_READS = 25


class SourceSpec(object):
    """A parsed source URI: ``kind`` in synthetic, v4l2, csi, stream, video, images."""

    def __init__(self, kind, target, live):
        self.kind, self.target, self.live = kind, target, live

    def __repr__(self):
        return "SourceSpec({!r}, {!r}, live={})".format(self.kind, self.target, self.live)


def parse_source(uri):
    text = (uri or "").strip()
    if not text:
        raise UsageError("--source is empty; give synthetic, a camera, a stream or a file")
    if "\x00" in text:  # no path holds one (os.path raises ValueError on Python 3.6)
        raise UsageError("--source {!r} holds a NUL character".format(text))
    if text == SYNTHETIC:
        return SourceSpec("synthetic", None, live=False)
    csi = re.match(r"^csi://(\d+)$", text)
    if csi:
        return SourceSpec("csi", int(csi.group(1)), live=True)
    if text.startswith("csi://"):
        raise UsageError("csi:// takes a sensor number, e.g. csi://0; got {!r}".format(text))
    if text.startswith("v4l2://"):
        text = text[len("v4l2://"):]
    if text.isdigit():
        return SourceSpec("v4l2", "/dev/video" + text, live=True)
    if re.match(r"^/dev/video\d+$", text):
        return SourceSpec("v4l2", text, live=True)
    if text.lower().startswith(STREAM_SCHEMES):
        return SourceSpec("stream", text, live=True)
    if os.path.isdir(text) or any(char in text for char in "*?["):
        return SourceSpec("images", text, live=False)
    if text.lower().endswith(IMAGE_EXTENSIONS):
        return SourceSpec("images", text, live=False)
    return SourceSpec("video", text, live=False)


def gstreamer_csi_pipeline(sensor, size=DEFAULT_CAMERA_SIZE, fps=30):
    """The nvarguscamerasrc pipeline OpenCV opens for a CSI camera; appsink keeps one buffer
    and drops the rest, so the frame read is always the newest."""
    height, width = size
    return ("nvarguscamerasrc sensor-id={sensor} ! "
            "video/x-raw(memory:NVMM), width=(int){w}, height=(int){h}, "
            "framerate=(fraction){fps}/1, format=(string)NV12 ! "
            "nvvidconv ! video/x-raw, format=(string)BGRx ! "
            "videoconvert ! video/x-raw, format=(string)BGR ! "
            "appsink drop=true max-buffers=1 sync=false").format(
                sensor=sensor, w=width, h=height, fps=int(fps))


class SyntheticSource(object):
    """The built-in drive through synthetic streets (endless; deterministic per seed)."""

    live = False

    def __init__(self, size=(360, 480), seed=0):
        self.scene = synthetic.StreetScene(size=size, seed=seed)
        self.fps = 30.0
        self._t = 0

    def read(self):
        image, _ = self.scene.render(self._t)
        self._t += 1
        return image

    def close(self):
        pass


class CaptureSource(object):
    """Anything OpenCV's VideoCapture opens: files, V4L2 devices, streams, GStreamer.

    ``frame_count`` (video files): a frame that cannot be decoded before the count the file
    declares is skipped and counted in ``skipped``, as a camera drops frames, instead of
    ending the video; a truncated file ends after its last readable frame.

    ``worker_threads``: the thread ids OpenCV started while opening a file or a stream
    (FFmpeg's decoders), which the run loop lowers with its own threads (platform.threads).
    None for cameras: their drivers' threads (GStreamer, Argus) keep their priority, so that a
    busy network cannot make them drop buffers."""

    def __init__(self, capture, description, live, fps=None, frame_count=None,
                 worker_threads=()):
        self.capture = capture
        self.worker_threads = set(worker_threads)
        self.description = description
        self.live = live
        reported = capture.get(inputs.opencv_reader("video capture").CAP_PROP_FPS)
        self.fps = fps or (reported if reported and reported > 0 else 30.0)
        self.frame_count = int(frame_count) if frame_count and frame_count > 0 else None
        self.skipped = 0
        self.skip_note = None
        self._attempts = 0

    def read(self):
        failures = 0
        while True:
            ok, frame = self.capture.read()
            self._attempts += 1
            if ok and frame is not None:
                return frame
            if self.frame_count is None or self._attempts > self.frame_count:
                return None  # the end (or a live source that stopped)
            self.skipped += 1
            if self.skip_note is None:
                self.skip_note = "frame {} of {}, which declares {} frames".format(
                    self._attempts, self.description, self.frame_count)
            failures += 1
            if failures >= MAX_FAILED_READS:
                return None

    def close(self):
        self.capture.release()


class ImageSource(object):
    """Images from a file, a folder or a glob, in name order. An image that cannot be read (not
    a regular file, or not decodable) is skipped and counted in ``skipped``; a source whose
    every image is unreadable fails at its end."""

    live = False

    def __init__(self, pattern, fps=30.0):
        if os.path.isdir(pattern):
            paths = [os.path.join(pattern, name) for name in os.listdir(pattern)]
        else:
            inputs.check_regular_file(pattern, "image")
            paths = glob.glob(pattern)
        self.paths = sorted(path for path in paths if path.lower().endswith(IMAGE_EXTENSIONS))
        if not self.paths:
            raise DataError("no images found at {}".format(pattern))
        self.pattern = pattern
        self.fps = fps
        self.skipped = 0
        self.skip_note = None
        self.last_path = None  # the file of the frame read last: label maps are named by it
        self._unsaid = []
        self._read = 0
        self._next = 0
        inputs.opencv_reader("reading images")  # a missing OpenCV is said before any frame

    def _skip(self, path, why):
        self.skipped += 1
        if self.skip_note is None:
            self.skip_note = "{}: {}".format(path, why)
        # Said as it happens (a summary at the end is easy to miss), once an image after it
        # was read: a source of only unreadable images is one error line, not a warning each.
        self._unsaid.append("skipped {}: {}".format(path, why))

    def _say_skipped(self):
        for line in self._unsaid:
            _log.warning(line)
        self._unsaid = []

    def read(self):
        while self._next < len(self.paths):
            path = self.paths[self._next]
            self._next += 1
            kind = inputs.special_kind(path)
            if kind or not inputs.is_regular_file(path):
                # Never opened: a FIFO would block the reader forever.
                self._skip(path, "not a regular file ({})".format(kind or "folder or gone"))
                continue
            frame, damage = inputs.decode_image(path)
            if frame is None:
                self._skip(path, damage or "not an image OpenCV can decode")
                continue
            self._read += 1
            self.last_path = path
            self._say_skipped()
            if damage:
                _log.warning("image %s is damaged (%s): running on the part that decoded",
                             path, damage)
            return frame
        if self._read:
            self._say_skipped()
        if not self._read and self.skipped:
            raise DataError("none of the {} images at {} could be read (first: {})".format(
                len(self.paths), self.pattern, self.skip_note))
        return None

    def close(self):
        pass


def available_cameras(root="/"):
    return [path[len(root.rstrip("/")):] if root != "/" else path
            for path in video_devices(root)]


def _check_camera(device, root="/", access=os.access):
    path = os.path.join(root, device.lstrip("/")) if root != "/" else device
    if not os.path.exists(path):
        cameras = available_cameras(root)
        raise DataError("camera not found: {} (available: {})".format(
            device, ", ".join(cameras) if cameras else "none"),
            hint="plug a camera in, or use --source synthetic or a video file")
    if not access(path, os.R_OK | os.W_OK):
        raise DataError("no permission to open {}".format(device),
                        hint="sudo usermod -aG video $USER, then log in again")


def _open_decoding(cv2, target, decoder_threads):
    """A file or stream opened with ``decoder_threads`` of FFmpeg's where this OpenCV takes
    the count (4.7 and later: CAP_PROP_N_THREADS); older ones decide themselves."""
    if decoder_threads and hasattr(cv2, "CAP_PROP_N_THREADS"):
        capture = cv2.VideoCapture(target, cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS,
                                                         int(decoder_threads)])
        if capture.isOpened():
            return capture
        # A backend that takes no thread count (GStreamer) refuses the parameter itself.
    return cv2.VideoCapture(target)


def open_source(uri, size=None, fps=None, seed=0, root="/", decoder_threads=None):
    """The source for ``uri``; ``size`` (height, width) and ``fps`` ask cameras for a mode.
    ``decoder_threads``: how many threads decode a file or stream (None: OpenCV's choice)."""
    spec = parse_source(uri)
    if spec.kind == "synthetic":
        return SyntheticSource(size=size or (360, 480), seed=seed)
    if spec.kind == "images":
        return ImageSource(spec.target, fps=fps or 30.0)
    cv2 = inputs.opencv_reader("capturing video")
    frame_count = None
    before = threads.thread_ids()
    if spec.kind == "video":
        inputs.check_regular_file(spec.target, "video file",
                                  hint="give a video file; cameras are /dev/video*")
        if not os.path.isfile(spec.target):
            raise DataError("video file not found: {}".format(spec.target))
        capture = _open_decoding(cv2, spec.target, decoder_threads)
        frame_count = capture.get(cv2.CAP_PROP_FRAME_COUNT) if capture.isOpened() else None
    elif spec.kind == "v4l2":
        _check_camera(spec.target, root)
        capture = cv2.VideoCapture(int(spec.target[len("/dev/video"):]), cv2.CAP_V4L2)
        if capture.isOpened():
            # USB webcams deliver full frame rates at HD only as MJPG.
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            height, width = size or DEFAULT_CAMERA_SIZE
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            if fps:
                capture.set(cv2.CAP_PROP_FPS, fps)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    elif spec.kind == "csi":
        if not re.search(r"GStreamer:\s+YES", cv2.getBuildInformation()):
            raise DataError("{} needs OpenCV built with GStreamer; this OpenCV {} has none".format(
                uri, cv2.__version__),
                hint="use JetPack's python3-opencv (pip uninstall opencv-python "
                     "opencv-python-headless)")
        capture = cv2.VideoCapture(gstreamer_csi_pipeline(
            spec.target, size or DEFAULT_CAMERA_SIZE, fps or 30), cv2.CAP_GSTREAMER)
    else:
        capture = _open_decoding(cv2, spec.target, decoder_threads)
    if not capture.isOpened():
        raise DataError("OpenCV cannot open {}".format(uri),
                        hint="check the URI, the device or the file's codec")
    return CaptureSource(capture, uri, spec.live, fps=fps if spec.kind != "video" else None,
                         frame_count=frame_count,
                         worker_threads=threads.thread_ids() - before
                         if spec.kind in ("video", "stream") else ())
