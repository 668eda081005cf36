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
    with pytest.raises(OutputError, match=r"out\.mp4: this frame is 49x64 .* are 48x64"):
        sink.write(np.zeros((49, 64, 3), np.uint8))
    sink.close()


@pytest.mark.parametrize("extension, codec", [(".mp4", "mp4v"), (".avi", "MJPG")])
@pytest.mark.parametrize("size", [(1, 1), (4, 4), (1, 640)])
def test_frames_too_small_for_the_codec_are_refused_saying_so(tmp_path, extension, codec, size):
    sink = VideoFileSink(str(tmp_path / ("out" + extension)), fps=30)
    with pytest.raises(OutputError) as info:
        sink.write(np.zeros(size + (3,), np.uint8))
    assert "the frames are {}x{} (HEIGHTxWIDTH), too small for the {} codec (at least " \
        "16x16)".format(size[0], size[1], codec) in str(info.value)
    sink.close()
    assert os.listdir(str(tmp_path)) == []


def test_a_writer_that_cannot_open_on_a_full_disk_says_no_space_left(tmp_path, monkeypatch):
    import cv2

    from edge_segnet.video import sinks

    class Refusing(object):
        def __init__(self, *args):
            pass

        def isOpened(self):
            return False

    sink = VideoFileSink(str(tmp_path / "out.mp4"), fps=30)
    monkeypatch.setattr(cv2, "VideoWriter", Refusing)
    monkeypatch.setattr(sinks, "_free_bytes", lambda directory: 0)
    with pytest.raises(OutputError, match="cannot write video .*out.mp4: no space left on the "
                                          "device"):
        sink.write(np.zeros((48, 64, 3), np.uint8))
    monkeypatch.setattr(sinks, "_free_bytes", lambda directory: 10 ** 9)
    with pytest.raises(OutputError, match="OpenCV cannot write mp4v video of 48x64 frames"):
        sink.write(np.zeros((48, 64, 3), np.uint8))
    sink.close()
    assert sinks._free_bytes(str(tmp_path)) > 0


def test_a_device_as_the_video_is_named_before_its_extension(tmp_path):
    with pytest.raises(OutputError, match="cannot write video: /dev/full is a character device, "
                                          "not a regular file"):
        VideoFileSink("/dev/full", fps=30)
    with pytest.raises(OutputError, match="is a folder, not a regular file"):
        VideoFileSink(str(tmp_path), fps=30)


def test_a_video_is_finished_while_its_disk_still_has_room_for_the_index(tmp_path, monkeypatch):
    # OpenCV reports no write error: on a full disk an MP4 would silently lose its index, so
    # every frame. _free_bytes here stands for a disk that fills up after the fifth frame.
    import cv2

    from edge_segnet.video import sinks

    sink = VideoFileSink(str(tmp_path / "out.mp4"), fps=30)
    frames = []
    monkeypatch.setattr(sinks, "_free_bytes", lambda directory: 10 ** 9 if len(frames) < 5
                        else sinks.RESERVE_BYTES)
    with pytest.raises(OutputError, match=r"the disk holding .*out.mp4 is nearly full \(4.2 MB "
                                          r"left\): the video was finished after 5 frames"):
        for value in range(20):
            frame = np.full((48, 64, 3), 10 * value, np.uint8)
            sink.write(frame)
            frames.append(frame)
    sink.close()  # as the run does on every path: nothing more happens
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]
    capture = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) == 5


def test_the_room_checked_is_on_the_disk_the_video_is_written_to(tmp_path, monkeypatch):
    # -o through a link to another disk: the free space that counts is the file's disk.
    from edge_segnet.video import sinks

    disk = tmp_path / "other-disk"
    disk.mkdir()
    (tmp_path / "videos").symlink_to(disk)
    asked = set()
    monkeypatch.setattr(sinks, "_free_bytes", lambda directory: asked.add(directory) or 10 ** 9)
    sink = VideoFileSink(str(tmp_path / "videos" / "out.mp4"), fps=30)
    for value in range(3):
        sink.write(np.full((48, 64, 3), value, np.uint8))
    sink.close()
    assert asked == {str(disk)}
    assert (disk / "out.mp4").is_file()


def test_no_frame_is_taken_once_the_video_is_finished(tmp_path):
    sink = VideoFileSink(str(tmp_path / "out.avi"), fps=30)
    sink.write(np.zeros((48, 64, 3), np.uint8))
    sink.close()
    with pytest.raises(OutputError, match="the video .*out.avi is finished"):
        sink.write(np.zeros((48, 64, 3), np.uint8))


def test_a_kept_recording_never_replaces_an_earlier_one_of_the_same_process_id(tmp_path):
    import subprocess
    import sys

    from edge_segnet.video import sinks

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    earlier = tmp_path / "out.interrupted-{}.avi".format(dead.pid)
    earlier.write_bytes(b"an earlier run's recording")
    (tmp_path / ".out.{}.abcdefgh.part.avi".format(dead.pid)).write_bytes(b"frames")
    kept = sinks.keep_killed_recordings(str(tmp_path / "out.avi"))
    assert kept == [str(tmp_path / "out.interrupted-{}-2.avi".format(dead.pid))]
    assert earlier.read_bytes() == b"an earlier run's recording"
    assert (tmp_path / "out.interrupted-{}-2.avi".format(dead.pid)).read_bytes() == b"frames"


def _dead_pid():
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def test_a_killed_mp4_without_a_frame_on_disk_is_removed_saying_so(tmp_path, caplog):
    """Killed in its first second, an MP4 holds FFmpeg's header only: the next run removes it,
    and says so (nothing is dropped unsaid)."""
    import subprocess
    import sys

    path = str(tmp_path / "out.mp4")
    subprocess.call([sys.executable, "-c", (
        "import os, signal, numpy as np\n"
        "from edge_segnet.video.sinks import VideoFileSink\n"
        "sink = VideoFileSink({!r}, fps=30)\n"
        "sink.write(np.zeros((48, 64, 3), np.uint8))\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n").format(path)])
    assert len(os.listdir(str(tmp_path))) == 1  # its temporary
    with caplog.at_level("WARNING", logger="edge_segnet"):
        sink = VideoFileSink(path, fps=30)
    sink.close()
    assert os.listdir(str(tmp_path)) == []
    assert "a killed run's recording that holds no frame" in caplog.text


def test_a_killed_mp4_that_cannot_be_repaired_is_kept_as_damaged(tmp_path):
    pid = _dead_pid()
    (tmp_path / ".out.{}.abcdefgh.part.mp4".format(pid)).write_bytes(b"frames, no size tag")
    sink = VideoFileSink(str(tmp_path / "out.mp4"), fps=30)
    sink.close()
    damaged = "out.interrupted-{}.damaged.mp4".format(pid)
    assert os.listdir(str(tmp_path)) == [damaged]
    assert sink.messages == ["kept {}: the recording of a run that was killed (it could not "
                             "be made playable)".format(tmp_path / damaged)]


def test_a_frame_folder_that_holds_files_is_refused_unless_overwriting(tmp_path):
    from edge_segnet.video.sinks import LabelSink

    folder = tmp_path / "labels"
    folder.mkdir()
    (folder / "frame_000000.png").write_bytes(b"an earlier run's")
    with pytest.raises(OutputError, match=r"--labels .*labels already holds 1 entry "
                                          r"\(frame_000000.png\).*--overwrite"):
        LabelSink(str(folder))
    sink = LabelSink(str(folder), overwrite=True)
    sink.write_labels(np.zeros((4, 6), np.int32))
    sink.close()
    assert os.listdir(str(folder)) == ["frame_000000.png"]
    assert sink.kept() == "{} (1 frame)".format(folder)


def test_a_frame_folder_keeps_no_half_written_frame_of_a_killed_run(tmp_path):
    """A killed run's temporary of frame 123 is not the name the next run writes first: it is
    removed when the folder is opened, and counts as nothing in it."""
    from edge_segnet.video.sinks import ImageSequenceSink

    folder = tmp_path / "images"
    folder.mkdir()
    stale = folder / ".frame_000123.{}.abcdefgh.part.jpg".format(_dead_pid())
    stale.write_bytes(b"half")
    sink = ImageSequenceSink(str(folder))
    assert not stale.exists()
    sink.close()


def test_a_frame_folder_it_created_is_removed_when_nothing_was_written(tmp_path):
    from edge_segnet.video.sinks import ImageSequenceSink, LabelSink

    for sink in (LabelSink(str(tmp_path / "labels")), ImageSequenceSink(str(tmp_path / "im"))):
        assert os.listdir(str(tmp_path))
        sink.close()
        assert sink.kept() is None
    assert os.listdir(str(tmp_path)) == []


def test_frames_of_named_images_are_named_after_them(tmp_path):
    from edge_segnet.video.sinks import LabelSink

    sink = LabelSink(str(tmp_path / "labels"), palette_bgr=np.zeros((12, 3), np.uint8))
    for name in ("/data/seq/0001TP_006690.png", "/data/other/0001TP_006690.jpg", None):
        sink.write_labels(np.zeros((4, 6), np.int32), name)
    sink.close()
    assert sorted(os.listdir(str(tmp_path / "labels"))) == [
        "0001TP_006690.png", "0001TP_006690_color.png", "frame_000001.png",
        "frame_000001_color.png", "frame_000002.png", "frame_000002_color.png"]


def test_a_frame_folder_is_made_with_its_parents_and_they_go_when_nothing_was_written(tmp_path):
    from edge_segnet.video.sinks import LabelSink

    sink = LabelSink(str(tmp_path / "out" / "run1" / "labels"))
    assert (tmp_path / "out" / "run1" / "labels").is_dir()
    sink.close()
    assert os.listdir(str(tmp_path)) == []
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OutputError, match=r"cannot create --labels folder .* is not a folder"):
        LabelSink(str(tmp_path / "file" / "labels"))
