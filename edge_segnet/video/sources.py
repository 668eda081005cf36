"""Where frames come from. Each source yields BGR uint8 frames and closes cleanly."""

import os

from edge_segnet import optional
from edge_segnet.data import synthetic
from edge_segnet.errors import DataError

SYNTHETIC = "synthetic"


class SyntheticSource(object):
    """The built-in drive through synthetic streets (endless; deterministic per seed)."""

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


class VideoFileSource(object):
    """Every frame of a video file, in order."""

    def __init__(self, path):
        if not os.path.isfile(path):
            raise DataError("video file not found: {}".format(path))
        cv2 = optional.require("cv2", "reading video files")
        self.capture = cv2.VideoCapture(path)
        if not self.capture.isOpened():
            raise DataError("OpenCV cannot open {} as a video".format(path))
        self.fps = self.capture.get(cv2.CAP_PROP_FPS) or 30.0

    def read(self):
        """The next frame, or None at the end."""
        ok, frame = self.capture.read()
        return frame if ok else None

    def close(self):
        self.capture.release()


def open_source(uri, size=(360, 480), seed=0):
    if uri == SYNTHETIC:
        return SyntheticSource(size=size, seed=seed)
    return VideoFileSource(uri)
