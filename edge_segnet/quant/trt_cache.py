"""TensorRT's calibration cache from our scales, and back (format: ``trt_facts``)."""

import math
import struct

from edge_segnet import inputs
from edge_segnet.errors import ModelError
from edge_segnet.trt_facts import calibration_cache as facts

INT8_MAX = 127.0


def scale_hex(amax):
    """8 hex digits: the big-endian float32 bits of amax / 127."""
    return struct.pack(">f", float(amax) / INT8_MAX).hex()


def format_cache(amax_by_tensor, version, algorithm="EntropyCalibration2"):
    """The cache text for ``amax_by_tensor`` (name -> largest absolute value kept)."""
    lines = [facts.header(version, algorithm)]
    for name in sorted(amax_by_tensor):
        if "\n" in name:
            raise ModelError("tensor name {!r} cannot be written into a calibration cache"
                             .format(name))
        lines.append("{}: {}".format(name, scale_hex(amax_by_tensor[name])))
    return "\n".join(lines) + "\n"


class Cache(object):
    """A parsed cache: the release and algorithm of its header, and the scale per tensor."""

    def __init__(self, version, algorithm, scales):
        self.version, self.algorithm, self.scales = version, algorithm, dict(scales)

    def amax(self):
        return {name: scale * INT8_MAX for name, scale in self.scales.items()}

    def with_header(self, version, algorithm=None):
        """The same scales under another release's header: the scales are ours, not the
        result of TensorRT's own calibration, so they hold for every release that reads
        caches."""
        return format_cache(self.amax(), version, algorithm or self.algorithm)


def parse_cache(text, where="calibration cache"):
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        raise ModelError("{} is empty".format(where))
    match = facts.HEADER.match(lines[0].strip())
    if not match or match.group(2) not in facts.CALIBRATOR_CLASSES:
        raise ModelError("{} does not start with a TensorRT header such as "
                         "TRT-8201-EntropyCalibration2 (found {!r})".format(
                             where, lines[0][:60]))
    scales = {}
    for number, line in enumerate(lines[1:], start=2):
        # Names may hold ': ' themselves (TensorRT's "(Unnamed Layer* 8) [Constant]_output").
        name, sep, value = line.rpartition(": ")
        value = value.strip()
        try:
            scale = struct.unpack(">f", bytes.fromhex(value))[0] \
                if sep and len(value) == 8 else None
        except ValueError:
            scale = None
        if scale is None or not name or not math.isfinite(scale) or scale < 0:
            raise ModelError("{} line {}: expected 'tensor: 8 hex digits', got {!r}".format(
                where, number, line[:80]))
        scales[name] = scale
    return Cache(facts.version_from_number(int(match.group(1))), match.group(2), scales)


def read_cache(path):
    data = inputs.read_bytes(path, "calibration cache", ModelError,
                             hint="give the cache file edge-segnet calibrate --cache wrote")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ModelError("calibration cache {} is not a text cache of TensorRT 8.x-10.x"
                         .format(path), hint="give the cache edge-segnet calibrate --cache wrote")
    return parse_cache(text, "calibration cache {}".format(path))
