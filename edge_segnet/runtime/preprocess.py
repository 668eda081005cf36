"""Camera frame (BGR uint8, any size) to the network's input tensor."""

import numpy as np

from edge_segnet import optional
from edge_segnet.errors import DataError
from edge_segnet.graph import heads


def as_bgr(frame):
    """Check a frame and return it as an HxWx3 uint8 array (gray and BGRA accepted)."""
    if not isinstance(frame, np.ndarray):
        raise DataError("a frame must be a numpy array, got {}".format(type(frame).__name__))
    if frame.dtype != np.uint8:
        raise DataError("a frame must be uint8 BGR, got dtype {}".format(frame.dtype))
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 4:
        return frame[:, :, :3]
    raise DataError("a frame must be HxWx3 BGR, got shape {}".format(frame.shape))


def resize(frame, size, interpolation="linear"):
    """``frame`` resized to (height, width); unchanged when it already has that size."""
    height, width = size
    if frame.shape[0] == height and frame.shape[1] == width:
        return frame
    cv2 = optional.require("cv2", "resizing frames")
    flag = {"linear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST, "area": cv2.INTER_AREA}[
        interpolation]
    return cv2.resize(frame, (width, height), interpolation=flag)


def to_tensor(frame, size, input_format, normalizer=None):
    """The network's input for a BGR frame of any size, in the graph's input format
    (``heads.FORMAT_*``): the frame's bytes, its values as float planes, or normalised on the
    host by ``normalizer``."""
    resized = resize(as_bgr(frame), size)
    if input_format == heads.FORMAT_BGR_UINT8:
        return np.ascontiguousarray(resized[None])
    if input_format == heads.FORMAT_BGR_FLOAT:
        return resized.transpose(2, 0, 1)[None].astype(np.float32)
    return normalizer(resized)


class Normalizer(object):
    """uint8 HxWx3 BGR -> float32 1x3xHxW in the model's color order and normalisation.

    ``(x / 255 - mean) / std`` is folded into one multiply and one add per channel.
    """

    def __init__(self, mean, std, color_order="RGB"):
        mean = np.asarray(mean, dtype=np.float32)
        std = np.asarray(std, dtype=np.float32)
        if color_order.upper() not in ("RGB", "BGR"):
            raise DataError("color order must be RGB or BGR, got {!r}".format(color_order))
        # mean and std are in the model's color order; the planes are put in that order too.
        self.reverse = color_order.upper() == "RGB"
        self.scale = (1.0 / (255.0 * std)).astype(np.float32).reshape(3, 1, 1)
        self.offset = (-mean / std).astype(np.float32).reshape(3, 1, 1)
        cv2 = optional.try_import("cv2")
        # cv2.dnn.blobFromImage turns HxWx3 uint8 into 1x3xHxW float32 planes (swapping to RGB
        # when asked) in one pass: 0.06 against 0.42 ms for numpy's strided transpose and cast
        # at 128x256, the same values (the multiply and add below are the same either way).
        self._blob = getattr(getattr(cv2, "dnn", None), "blobFromImage", None)

    def __call__(self, frame_bgr):
        if self._blob is not None and frame_bgr.flags.c_contiguous:
            tensor = self._blob(frame_bgr, 1.0, swapRB=self.reverse)
        else:
            planes = frame_bgr.transpose(2, 0, 1)
            if self.reverse:
                planes = planes[::-1]
            tensor = planes.astype(np.float32)[None]
        tensor *= self.scale
        tensor += self.offset
        return tensor
