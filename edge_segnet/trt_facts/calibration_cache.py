"""The text format of TensorRT's INT8 calibration cache (implicit INT8, releases 8.x-10.x), as
read from the public TensorRT sources and samples (8.2.1 sampleINT8's README, the version macros
of NvInferRuntimeCommon.h at 8.2.1 and NvInferRuntimeBase.h at 10.3.0):

    TRT-<version number>-<algorithm>
    <tensor name>: <scale as the big-endian bits of an IEEE-754 float32, 8 hex digits>
    ...

The scale is the tensor's dynamic range over 127. TensorRT re-calibrates (or, given only a
cache, refuses it: "Calibration table does not match calibrator algorithm type") when the header
names another release or another calibrator, so the header must be the exact release's."""

import re

from edge_segnet.errors import UsageError

# Header names of the calibrator kinds (CalibrationAlgoType in the bindings of 8.2.1-10.x).
ALGORITHMS = {
    "entropy2": "EntropyCalibration2",
    "entropy": "EntropyCalibration",
    "minmax": "MinMaxCalibration",
    "legacy": "LegacyCalibration",
}
# The Python calibrator class that reads each header kind.
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
