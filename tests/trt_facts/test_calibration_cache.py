"""The calibration cache in TensorRT's text format, checked against what the public TensorRT
sources show of it (8.2.1 sampleINT8's README: its example cache and the scale's definition)."""

import struct

import pytest

from edge_segnet.errors import ModelError, UsageError
from edge_segnet.trt_facts import calibration_cache


@pytest.mark.parametrize("release, header", [
    ("8.2.1", "TRT-8201-EntropyCalibration2"),
    ("8.5.2", "TRT-8502-EntropyCalibration2"),
    ("8.6.1", "TRT-8601-EntropyCalibration2"),
    ("10.3.0", "TRT-100300-EntropyCalibration2"),
    ("10.16", "TRT-101600-EntropyCalibration2"),
])
def test_the_header_carries_the_release_number_as_tensorrt_forms_it(release, header):
    version = calibration_cache.parse_full_version(release)
    assert calibration_cache.header(version) == header
    assert calibration_cache.version_from_number(int(header.split("-")[1])) == version


def test_tensorrt_11_has_no_cache_to_write():
    with pytest.raises(UsageError, match="no calibrators"):
        calibration_cache.header((11, 1, 0))


def test_a_scale_is_amax_over_127_as_big_endian_float32_bits():
    assert calibration_cache.scale_hex(1.0) == struct.pack(">f", 1 / 127.0).hex() == "3c010204"
    # sampleINT8's example line "data: 3c008912": a scale of 0.0078452 (amax ~0.9963).
    cache = calibration_cache.parse_cache("TRT-7000-EntropyCalibration2\ndata: 3c008912\n")
    assert cache.scales["data"] == pytest.approx(0.0078452, rel=1e-4)
    assert cache.version == (7, 0, 0)


def test_the_cache_parses_back_to_the_same_scales_under_any_header():
    amax = {"input": 2.5, "/enc1/Relu_output_0": 13.75, "(Unnamed Layer* 8) [Constant]_output":
            0.031, "/dec4/conv/Conv_output_0": 7e-5}
    text = calibration_cache.format_cache(amax, (8, 2, 1))
    cache = calibration_cache.parse_cache(text)
    assert cache.algorithm == "EntropyCalibration2" and cache.version == (8, 2, 1)
    for name, value in amax.items():
        assert cache.scales[name] == struct.unpack(">f", struct.pack(">f", value / 127.0))[0]
    moved = calibration_cache.parse_cache(cache.with_header((10, 3, 0)))
    assert moved.version == (10, 3, 0) and moved.scales == cache.scales
    assert moved.with_header((10, 3, 0)).splitlines()[0] == "TRT-100300-EntropyCalibration2"


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("TRT-8201-Entropy\nx: 3c010204\n", "does not start with a TensorRT header"),
    ("TRT-8201-EntropyCalibration2\nx 3c010204\n", "line 2"),
    ("TRT-8201-EntropyCalibration2\nx: 3c01\n", "line 2"),
    ("TRT-8201-EntropyCalibration2\nx: 3c0102040a\n", "line 2"),
    ("TRT-8201-EntropyCalibration2\nx: 7fc00000\n", "line 2"),  # NaN
    ("TRT-8201-EntropyCalibration2\n: 3c010204\n", "line 2"),
])
def test_a_malformed_cache_names_what_is_wrong(text, message):
    with pytest.raises(ModelError, match=message):
        calibration_cache.parse_cache(text)


def test_a_binary_file_is_not_taken_for_a_cache(tmp_path):
    path = tmp_path / "engine.calib"
    path.write_bytes(b"\x00\xff\xfe binary")
    with pytest.raises(ModelError, match="not a text cache"):
        calibration_cache.read_cache(str(path))
