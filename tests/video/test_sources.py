import numpy as np
import pytest

from edge_segnet.errors import DataError
from edge_segnet.video import sources


def test_synthetic_source_is_an_endless_moving_drive():
    source = sources.open_source("synthetic", size=(60, 80), seed=1)
    first, second = source.read(), source.read()
    assert first.shape == (60, 80, 3)
    assert not np.array_equal(first, second)


def test_video_file_source_reads_every_frame_then_ends(tmp_path):
    import cv2

    path = str(tmp_path / "in.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for index in range(6):
        writer.write(np.full((48, 64, 3), 30 * index, np.uint8))
    writer.release()
    source = sources.open_source(path)
    frames = []
    while True:
        frame = source.read()
        if frame is None:
            break
        frames.append(frame)
    source.close()
    assert len(frames) == 6 and source.fps == pytest.approx(10.0)


def test_missing_and_unreadable_videos_are_explained(tmp_path):
    with pytest.raises(DataError, match="video file not found"):
        sources.open_source(str(tmp_path / "none.mp4"))
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"not a video")
    with pytest.raises(DataError, match="cannot open"):
        sources.open_source(str(bogus))
