"""The text format of TensorRT's INT8 calibration cache (implicit INT8, releases 8.x-10.x), as
read from the public TensorRT sources and samples (8.2.1 sampleINT8's README, the version macros
of NvInferRuntimeCommon.h at 8.2.1 and NvInferRuntimeBase.h at 10.3.0):

    TRT-<version number>-<algorithm>
    <tensor name>: <scale as the big-endian bits of an IEEE-754 float32, 8 hex digits>
    ...

The scale is the tensor's dynamic range over 127. TensorRT re-calibrates (or, given only a
cache, refuses it: "Calibration table does not match calibrator algorithm type") when the header
names another release or another calibrator, so the header must be the exact release's.

Written here from our own scales (``format_cache``) and read back (``read_cache``)."""

import math
import re
import struct

from edge_segnet import inputs
from edge_segnet.errors import ModelError, UsageError

INT8_MAX = 127.0
# The Python calibrator class that reads each header kind (the header names of the calibrator
# kinds, CalibrationAlgoType in the bindings of 8.2.1-10.x).
CALIBRATOR_CLASSES = {
    "EntropyCalibration2": "IInt8EntropyCalibrator2",
    "EntropyCalibration": "IInt8EntropyCalibrator",
    "MinMaxCalibration": "IInt8MinMaxCalibrator",
    "LegacyCalibration": "IInt8LegacyCalibrator",
}
HEADER = re.compile(r"^TRT-(\d+)-(\w+)$")
# Headers a build does not replay. The legacy calibrator must also answer get_quantile,
# get_regression_cutoff and read/write_histogram_cache (pure overrides in the bindings,
# python/src/infer/pyInt8.cpp, pyIInt8LegacyCalibrator, 8.2.1-10.x: a missing one terminates
# 8.2 and is answered with zero on later releases); a cache holds no histogram or quantile to
# answer them with.
NOT_REPLAYED = ("LegacyCalibration",)


def check_replayable(algorithm, cache_path=None):
    """Refuse, in one line, a cache whose header names a calibrator a build cannot replay."""
    if algorithm in NOT_REPLAYED:
        raise UsageError("{}is headed {}: TensorRT's legacy calibrator also needs a histogram "
                         "cache and quantile settings that a calibration cache does not hold, "
                         "so edge-segnet does not replay it".format(
                             "calibration cache {} ".format(cache_path) if cache_path else
                             "the calibration cache ", algorithm),
                         hint="calibrate again with edge-segnet calibrate (EntropyCalibration2)")


def parse_full_version(text, option="--trt-version"):
    """(major, minor, patch) of "8.2.1", "10.3" (patch 0) or "8.2.1.8" (build dropped)."""
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?(?:\.\d+)?\s*$", str(text or ""))
    if not match:
        raise UsageError("{}: a TensorRT release looks like 8.2.1 or 10.3.0; got {!r}".format(
            option, text))
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def version_number(version):
    """The number in the header: NV_TENSORRT_VERSION of that release. Up to 9.x it is
    major*1000 + minor*100 + patch (8.2.1 -> 8201); from 10.0 major*10000 + minor*100 + patch
    (10.3.0 -> 100300)."""
    major, minor, patch = version
    if major >= 10:
        return major * 10000 + minor * 100 + patch
    return major * 1000 + minor * 100 + patch


def version_from_number(number):
    if number >= 100000:
        return number // 10000, number // 100 % 100, number % 100
    return number // 1000, number // 100 % 10, number % 100


def header(version, algorithm="EntropyCalibration2"):
    if algorithm not in CALIBRATOR_CLASSES:
        raise UsageError("unknown TensorRT calibration algorithm {!r}".format(algorithm))
    if version[0] >= 11:
        raise UsageError("TensorRT {}.{} has no calibrators (implicit INT8 is gone from 11)"
                         .format(*version[:2]), hint="build the Q/DQ model instead")
    return "TRT-{}-{}".format(version_number(version), algorithm)


def scale_hex(amax):
    """8 hex digits: the big-endian float32 bits of amax / 127."""
    return struct.pack(">f", float(amax) / INT8_MAX).hex()


def format_cache(amax_by_tensor, version, algorithm="EntropyCalibration2"):
    """The cache text for ``amax_by_tensor`` (name -> largest absolute value kept)."""
    lines = [header(version, algorithm)]
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
    match = HEADER.match(lines[0].strip())
    if not match or match.group(2) not in CALIBRATOR_CLASSES:
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
    return Cache(version_from_number(int(match.group(1))), match.group(2), scales)


def read_cache(path):
    data = inputs.read_bytes(path, "calibration cache", ModelError,
                             hint="give the cache file edge-segnet calibrate --cache wrote")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ModelError("calibration cache {} is not a text cache of TensorRT 8.x-10.x"
                         .format(path), hint="give the cache edge-segnet calibrate --cache wrote")
    return parse_cache(text, "calibration cache {}".format(path))
