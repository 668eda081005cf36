import os

import numpy as np
import pytest

from edge_segnet.errors import OutputError
from edge_segnet.video.sinks import VideoFileSink


def _frames(count, size=(48, 64)):
    for index in range(count):
        yield np.full(size + (3,), 20 * index, np.uint8)


@pytest.mark.parametrize("extension", [".mp4", ".avi"])
def test_a_video_file_holds_every_frame_written(tmp_path, extension):
    import cv2

    path = str(tmp_path / ("out" + extension))
    sink = VideoFileSink(path, fps=15)
    for frame in _frames(5):
        sink.write(frame)
    assert not os.path.exists(path), "nothing under the final name before close"
    sink.close()
    capture = cv2.VideoCapture(path)
    read = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        read.append(frame)
    assert len(read) == 5 and read[0].shape == (48, 64, 3)
    assert abs(int(read[3].mean()) - 60) <= 3
    assert os.listdir(str(tmp_path)) == ["out" + extension]


def test_no_frame_leaves_no_file(tmp_path):
    sink = VideoFileSink(str(tmp_path / "out.mp4"), fps=30)
    sink.close()
    assert os.listdir(str(tmp_path)) == []


def test_bad_paths_and_sizes_are_refused(tmp_path, unwritable_dir):
    with pytest.raises(OutputError, match="use .mp4, .avi or .mkv"):
        VideoFileSink(str(tmp_path / "out.gif"), fps=30)
    with pytest.raises(OutputError, match="cannot write video"):
        VideoFileSink(os.path.join(unwritable_dir, "out.mp4"), fps=30)
    sink = VideoFileSink(str(tmp_path / "out.mp4"), fps=30)
    sink.write(np.zeros((48, 64, 3), np.uint8))
    with pytest.raises(OutputError, match="differs"):
        sink.write(np.zeros((49, 64, 3), np.uint8))
    sink.close()
