import os

import cv2
import numpy as np
import pytest

from edge_segnet.errors import DataError, UsageError
from edge_segnet.graph import heads
from edge_segnet.models import metadata
from edge_segnet.quant import frames


def test_spread_takes_frames_from_the_whole_set():
    picked = frames.spread(list(range(100)), 5)
    assert picked == [0, 25, 50, 74, 99]
    assert frames.spread([1, 2], 10) == [1, 2]


def _images(folder, count, corrupt=()):
    os.makedirs(folder)
    for index in range(count):
        path = os.path.join(folder, "f{:02d}.png".format(index))
        if index in corrupt:
            with open(path, "wb") as handle:
                handle.write(b"not a png")
        else:
            cv2.imwrite(path, np.full((20, 30, 3), index, np.uint8))


def test_unreadable_images_are_skipped_and_counted(tmp_path):
    folder = str(tmp_path / "calib")
    _images(folder, 5, corrupt=(1, 3))
    _images(os.path.join(folder, "nested"), 2)
    chosen = frames.CalibrationSet(images=folder)
    assert chosen.total == 7
    read = list(chosen.frames())
    assert len(read) == 5 and chosen.skipped == 2
    assert chosen.first_skipped == os.path.join(folder, "f01.png") + \
        ": not an image OpenCV can decode"
    names = chosen.names()
    assert len(names) == 5 and "f01.png" not in names and os.path.join("nested", "f00.png") \
        in names


def test_a_truncated_jpeg_is_skipped_with_its_codecs_reason(tmp_path):
    # It decodes (gray where data is missing): its gray would widen the ranges as scene.
    folder = tmp_path / "calib"
    folder.mkdir()
    ok, data = cv2.imencode(".jpg", np.random.RandomState(0).randint(0, 255, (64, 64, 3),
                                                                      np.uint8))
    (folder / "a.jpg").write_bytes(data.tobytes()[:len(data) // 2])
    cv2.imwrite(str(folder / "b.png"), np.zeros((20, 30, 3), np.uint8))
    chosen = frames.CalibrationSet(images=str(folder))
    assert len(list(chosen.frames())) == 1
    assert chosen.first_skipped == "{}: Premature end of JPEG file".format(folder / "a.jpg")


@pytest.mark.parametrize("kwargs, error, message", [
    ({}, UsageError, "give one of --images DIR, --data DIR or --synthetic N"),
    ({"images": "x", "synthetic": 3}, UsageError, "--images and --synthetic"),
    ({"synthetic": 3, "count": 0}, UsageError, "--count must be 1 to"),
    ({"synthetic": 0}, UsageError, "--synthetic must be 1 to"),
    ({"images": "/nonexistent/calib"}, DataError, "no such folder"),
])
def test_what_cannot_be_a_calibration_set_is_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        frames.CalibrationSet(**kwargs)


def test_a_folder_without_images_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(DataError, match="no images found in"):
        frames.CalibrationSet(images=str(tmp_path))


def test_the_test_split_gets_a_warning(tmp_path, logged):
    from edge_segnet.data import camvid

    camvid.make_synthetic(str(tmp_path / "data"), 3, size=(24, 32), seed=1)
    chosen = frames.CalibrationSet(data=str(tmp_path / "data"), split="test")
    assert chosen.total >= 1 and "optimistic" in logged[0]


def test_input_tensors_match_what_the_segmenter_feeds(basic_model_path):
    from edge_segnet.runtime.onnxruntime_backend import OnnxRuntimeSegmenter

    pytest.importorskip("onnxruntime", reason="compares with the ONNX Runtime segmenter")
    segmenter = OnnxRuntimeSegmenter(basic_model_path)
    frame = np.random.RandomState(0).randint(0, 256, (90, 120, 3), np.uint8)
    tensors = frames.InputTensors(segmenter.info, heads.FORMAT_NORMALIZED,
                                  segmenter.input_size)
    np.testing.assert_array_equal(tensors(frame), segmenter.prepare_input(frame))
    for input_format in (heads.FORMAT_BGR_UINT8, heads.FORMAT_BGR_FLOAT):
        segmenter.input_format = input_format
        np.testing.assert_array_equal(
            frames.InputTensors(metadata.ModelInfo(), input_format, segmenter.input_size)(frame),
            segmenter.prepare_input(frame))
