import os

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


@pytest.mark.parametrize("uri, kind, target, live", [
    ("synthetic", "synthetic", None, False),
    ("/dev/video1", "v4l2", "/dev/video1", True),
    ("v4l2:///dev/video2", "v4l2", "/dev/video2", True),
    ("0", "v4l2", "/dev/video0", True),
    ("csi://1", "csi", 1, True),
    ("rtsp://192.0.2.1:8554/cam", "stream", "rtsp://192.0.2.1:8554/cam", True),
    ("http://cam.local/video.mjpg", "stream", "http://cam.local/video.mjpg", True),
    ("drive.mp4", "video", "drive.mp4", False),
    ("frame.png", "images", "frame.png", False),
    ("frames/*.jpg", "images", "frames/*.jpg", False),
])
def test_uris_are_parsed_as_jetson_users_write_them(uri, kind, target, live):
    spec = sources.parse_source(uri)
    assert (spec.kind, spec.target, spec.live) == (kind, target, live)


def test_bad_uris_are_usage_errors():
    from edge_segnet.errors import UsageError

    with pytest.raises(UsageError, match="csi:// takes a sensor number"):
        sources.parse_source("csi://front")
    with pytest.raises(UsageError, match="--source is empty"):
        sources.parse_source("  ")
    with pytest.raises(UsageError, match="holds a NUL character"):
        sources.parse_source("clip\x00.mp4")


def test_csi_pipeline_string_is_pinned():
    assert sources.gstreamer_csi_pipeline(0, (720, 1280), 30) == (
        "nvarguscamerasrc sensor-id=0 ! video/x-raw(memory:NVMM), width=(int)1280, "
        "height=(int)720, framerate=(fraction)30/1, format=(string)NV12 ! nvvidconv ! "
        "video/x-raw, format=(string)BGRx ! videoconvert ! video/x-raw, format=(string)BGR ! "
        "appsink drop=true max-buffers=1 sync=false")


def test_a_missing_camera_lists_the_ones_there(tmp_path):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "video0").write_text("")
    (tmp_path / "dev" / "video2").write_text("")
    with pytest.raises(DataError, match=r"camera not found: /dev/video9 \(available: "
                                        r"/dev/video0, /dev/video2\)"):
        sources._check_camera("/dev/video9", root=str(tmp_path))


def test_a_camera_without_permission_hints_at_the_video_group(tmp_path):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "video0").write_text("")
    # Stands for a device node owned by root:video with mode 660, seen by a user outside it.
    with pytest.raises(DataError, match="no permission to open /dev/video0.*usermod -aG video"):
        sources._check_camera("/dev/video0", root=str(tmp_path), access=lambda path, mode: False)


def test_this_machine_has_no_camera_and_says_so():
    with pytest.raises(DataError, match="camera not found: /dev/video9"):
        sources.open_source("/dev/video9")


def test_images_from_a_folder_in_name_order(tmp_path):
    import cv2

    for index in (2, 0, 1):
        cv2.imwrite(str(tmp_path / "f{}.png".format(index)), np.full((4, 6, 3), index, np.uint8))
    source = sources.open_source(str(tmp_path))
    values = []
    while True:
        frame = source.read()
        if frame is None:
            break
        values.append(int(frame[0, 0, 0]))
    assert values == [0, 1, 2] and not source.live
    with pytest.raises(DataError, match="no images found"):
        sources.open_source(str(tmp_path / "*.jpg"))


def _read_all(source):
    frames = []
    while True:
        frame = source.read()
        if frame is None:
            return frames
        frames.append(frame)


def test_unreadable_images_and_fifos_in_a_folder_are_skipped_and_counted(tmp_path, fifo):
    import cv2

    cv2.imwrite(str(tmp_path / "a.png"), np.full((4, 6, 3), 1, np.uint8))
    (tmp_path / "b.png").write_bytes(b"\x89PNG truncated")
    fifo(tmp_path / "c.png")
    cv2.imwrite(str(tmp_path / "d.png"), np.full((4, 6, 3), 4, np.uint8))
    source = sources.open_source(str(tmp_path))
    assert [int(frame[0, 0, 0]) for frame in _read_all(source)] == [1, 4]
    assert source.skipped == 2
    assert source.skip_note == "{}: not an image OpenCV can decode".format(tmp_path / "b.png")


def test_a_folder_of_nothing_but_unreadable_images_fails_at_its_end(tmp_path):
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "b.jpg").write_bytes(b"not a jpeg")
    source = sources.open_source(str(tmp_path))
    with pytest.raises(DataError, match="none of the 2 images at .* could be read \\(first: "
                                        ".*a.png: the file is empty\\)"):
        source.read()


def test_a_fifo_given_as_the_image_or_the_video_is_refused_without_opening_it(tmp_path, fifo):
    with pytest.raises(DataError, match="image .*frame.png is not a regular file: it is a FIFO"):
        sources.open_source(fifo(tmp_path / "frame.png"))
    with pytest.raises(DataError, match="video file .*clip.mp4 is not a regular file: it is a "
                                        "FIFO"):
        sources.open_source(fifo(tmp_path / "clip.mp4"))


def _mjpg_video(path, count=10):
    """An MJPG .avi of ``count`` distinct frames, and where each frame's JPEG starts."""
    import cv2

    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for index in range(count):
        writer.write(np.random.RandomState(index).randint(0, 255, (48, 64, 3)).astype(np.uint8))
    writer.release()
    data = open(path, "rb").read()
    starts = [i for i in range(len(data) - 2) if data[i:i + 3] == b"\xff\xd8\xff"]
    assert len(starts) == count
    return bytearray(data), starts


def test_a_corrupt_frame_of_a_video_file_is_skipped_and_counted(tmp_path):
    path = str(tmp_path / "in.avi")
    data, starts = _mjpg_video(path)
    data[starts[5]:starts[5] + 600] = bytes(600)  # frame 6 can no longer be decoded
    open(path, "wb").write(bytes(data))
    source = sources.open_source(path)
    frames = _read_all(source)
    assert len(frames) == 9 and source.skipped == 1
    assert source.skip_note == "frame 6 of {}, which declares 10 frames".format(path)


def test_a_truncated_video_file_ends_after_its_last_readable_frame(tmp_path):
    path = str(tmp_path / "in.avi")
    data, starts = _mjpg_video(path)
    open(path, "wb").write(bytes(data[:starts[6] + 100]))
    source = sources.open_source(path)
    assert len(_read_all(source)) == 6
    assert source.skipped == 4  # the frames the file declares but does not hold


def test_a_whole_video_file_skips_nothing(tmp_path):
    path = str(tmp_path / "in.avi")
    _mjpg_video(path)
    source = sources.open_source(path)
    assert len(_read_all(source)) == 10 and source.skipped == 0


def _mp4(path, frames=4):
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (320, 240))
    for index in range(frames):
        writer.write(np.full((240, 320, 3), 40 * index, np.uint8))
    writer.release()
    return str(path)


def test_a_videos_decoder_threads_are_recorded_for_the_run_to_lower(tmp_path):
    import cv2

    from edge_segnet.platform import threads

    path = _mp4(tmp_path / "clip.mp4")
    own = sources.open_source(path)
    if len(os.sched_getaffinity(0)) > 1:  # on one core FFmpeg starts no decoder threads
        assert own.worker_threads
    assert own.worker_threads <= threads.thread_ids()
    assert threads.current_thread_id() not in own.worker_threads
    one = sources.open_source(path, decoder_threads=1)
    if hasattr(cv2, "CAP_PROP_N_THREADS"):  # OpenCV >= 4.7 takes the count: none started
        assert one.worker_threads == set()
    else:  # older ones choose for themselves, and the run lowers what they started
        assert one.worker_threads == own.worker_threads or len(own.worker_threads) == len(
            one.worker_threads)
    assert one.read() is not None and own.read() is not None
    own.close()
    one.close()


def test_a_cameras_own_threads_are_not_recorded_for_lowering(monkeypatch):
    # GStreamer's or Argus's threads must keep their priority: a busy network would make the
    # camera drop buffers. Stands for a camera: a capture object that starts a thread.
    import threading

    import cv2

    from edge_segnet.platform import threads

    class Camera(object):
        def __init__(self, *args):
            self.stop = threading.Event()
            threading.Thread(target=self.stop.wait, daemon=True).start()

        def isOpened(self):
            return True

        def set(self, *args):
            return True

        def get(self, *args):
            return 30.0

    monkeypatch.setattr(cv2, "VideoCapture", Camera)
    monkeypatch.setattr(sources, "_check_camera", lambda device, root: None)
    before = threads.thread_ids()
    camera = sources.open_source("/dev/video0")
    assert threads.thread_ids() - before and camera.worker_threads == set()
    camera.capture.stop.set()


def test_ffmpeg_and_opencv_say_nothing_of_their_own_before_our_one_line(tmp_path):
    """FFmpeg's "moov atom not found" and OpenCV's "IHDR chunk shall be first" go straight to
    file descriptor 2, ahead of the one line naming the file: only a real process shows them."""
    import subprocess
    import sys

    (tmp_path / "notes.mp4").write_bytes(b"not a video at all\n")
    env = dict(os.environ)
    env.pop("OPENCV_FFMPEG_LOGLEVEL", None)
    env.pop("OPENCV_LOG_LEVEL", None)
    process = subprocess.run(
        [sys.executable, "-m", "edge_segnet", "run", "--source", str(tmp_path / "notes.mp4"),
         "--headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        cwd=str(tmp_path))
    lines = [line for line in process.stderr.decode().splitlines() if line.strip()]
    assert process.returncode == 1
    assert lines == ["error: OpenCV cannot open {} (check the URI, the device or the file's "
                     "codec)".format(tmp_path / "notes.mp4")], lines


def _truncated(path, suffix, size=128):
    """A noisy image encoded as ``suffix`` and cut in half: libpng refuses it, libjpeg decodes
    the half it has and fills the rest with gray."""
    import cv2

    image = np.random.RandomState(0).randint(0, 255, (size, size, 3)).astype(np.uint8)
    data = cv2.imencode(suffix, image)[1].tobytes()
    path.write_bytes(data[:len(data) // 2])


def test_a_damaged_image_is_said_in_our_lines_not_by_its_codec(tmp_path):
    """libpng's "Read Error" and libjpeg's "Premature end of JPEG file" go straight to file
    descriptor 2, past OpenCV's log level: only a real process shows where they land."""
    import subprocess
    import sys

    import cv2

    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((48, 64, 3), 1, np.uint8))
    _truncated(folder / "b.png", ".png")
    _truncated(folder / "c.jpg", ".jpg")
    process = subprocess.run(
        [sys.executable, "-m", "edge_segnet", "--quiet", "run", "--source", str(folder),
         "--headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(tmp_path))
    lines = [line for line in process.stderr.decode().splitlines() if line.strip()]
    assert process.returncode == 0, lines
    assert lines == [
        "warning: skipped {}: libpng error: Read Error".format(folder / "b.png"),
        "warning: image {} is damaged (Premature end of JPEG file): running on the part that "
        "decoded".format(folder / "c.jpg")], lines
