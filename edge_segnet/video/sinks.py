"""Where frames go. A file sink writes under a temporary name and moves it into place when
closed, so an interrupted run never leaves a half-written file under the final name."""

import os

from edge_segnet import fileio, optional
from edge_segnet.errors import OutputError

_FOURCC = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}


class VideoFileSink(object):
    """A video file; its frame size is the first frame's."""

    def __init__(self, path, fps):
        extension = os.path.splitext(path)[1].lower()
        if extension not in _FOURCC:
            raise OutputError("cannot write video {}: use .mp4, .avi or .mkv".format(path))
        self._cv2 = optional.require("cv2", "writing video files")
        self.path = os.path.abspath(path)
        self.fps = float(fps)
        self._fourcc = _FOURCC[extension]
        # Created now so that an unwritable path fails before any work is done.
        self._file = fileio.AtomicFile(self.path, what="video")
        self.writer = None
        self.frame_size = None
        self.frames = 0

    def _open(self, frame_size):
        height, width = frame_size
        cv2 = self._cv2
        self.writer = cv2.VideoWriter(self._file.temp_path, cv2.VideoWriter_fourcc(
            *self._fourcc), self.fps, (width, height))
        if not self.writer.isOpened():
            self.writer = None
            raise OutputError("OpenCV cannot write {} video to {}".format(self._fourcc,
                                                                          self.path))
        self.frame_size = (height, width)

    def write(self, frame):
        if self.writer is None:
            self._open(frame.shape[:2])
        elif frame.shape[:2] != self.frame_size:
            raise OutputError("frame size {} differs from the video's {}".format(
                frame.shape[:2], self.frame_size))
        self.writer.write(frame)
        self.frames += 1

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
