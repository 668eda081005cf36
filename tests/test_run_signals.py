"""``run -o`` stopped by real signals, in a real process: SIGINT and SIGTERM leave a playable
video of the frames written so far and no temporary file; SIGKILL leaves nothing under the final
name, and the recording it cut short (Matroska, or MP4 with its index rebuilt) is kept, playable,
by the next run."""

import glob
import os
import signal
import subprocess
import sys
import time

import cv2
import pytest

from edge_segnet.video import mp4_repair



def _start(tmp_path, output, *extra):
    command = [sys.executable, "-m", "edge_segnet", "run", "--source", "synthetic",
               "--duration", "120", "--headless", "--threads", "1", "-o", output] + list(extra)
    return subprocess.Popen(command, cwd=str(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True)


def _wait_for_recording(tmp_path, process, min_bytes=20000, timeout=60.0):
    """Until the recording's temporary file holds some frames (the run is well under way)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert process.poll() is None, process.communicate()
        parts = glob.glob(str(tmp_path / ".*.part.*"))
        if parts and os.path.getsize(parts[0]) >= min_bytes:
            return parts[0]
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the run wrote no frames within {} s".format(timeout))


def _readable_frames(path):
    capture = cv2.VideoCapture(path)
    count = 0
    while capture.read()[0]:
        count += 1
    return count


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_leaves_a_playable_video_of_what_was_written_and_no_temporary(
        tmp_path, signum):
    process = _start(tmp_path, "out.mp4")
    _wait_for_recording(tmp_path, process)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "wrote out.mp4" in stdout
    frames = _readable_frames(str(tmp_path / "out.mp4"))
    assert frames > 0
    assert "{} frames".format(frames) in stdout
    assert sorted(os.listdir(str(tmp_path))) == ["out.mp4"]


def test_a_second_interrupt_while_the_video_is_finished_does_not_lose_it(tmp_path):
    process = _start(tmp_path, "out.mp4")
    _wait_for_recording(tmp_path, process)
    process.send_signal(signal.SIGINT)
    time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr
    assert _readable_frames(str(tmp_path / "out.mp4")) > 0
    assert sorted(os.listdir(str(tmp_path))) == ["out.mp4"]


@pytest.mark.parametrize("extension", [".mkv", ".mp4"])
def test_sigkill_leaves_no_video_under_its_name_and_the_next_run_keeps_the_recording(
        tmp_path, extension):
    # Matroska keeps its frames as they come; an MP4's index is rebuilt (video.mp4_repair).
    output = "out" + extension
    process = _start(tmp_path, output)
    part = _wait_for_recording(tmp_path, process, min_bytes=200000)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert not (tmp_path / output).exists()
    with open(part, "rb") as handle:
        cut = handle.read()
    rerun = subprocess.run(
        [sys.executable, "-m", "edge_segnet", "run", "--source", "synthetic", "--max-frames",
         "2", "--headless", "--threads", "1", "-o", output], cwd=str(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    kept = glob.glob(str(tmp_path / ("out.interrupted-*" + extension)))
    assert len(kept) == 1, os.listdir(str(tmp_path))
    assert "kept" in rerun.stdout + rerun.stderr
    if extension == ".mp4":  # every whole frame the killed run had written, in order
        whole = mp4_repair.frames_in(cut, cut.index(b"mdat") + 4)
        assert len(whole) > 2 and _readable_frames(kept[0]) == len(whole)
    assert _readable_frames(kept[0]) > 0
    assert _readable_frames(str(tmp_path / output)) == 2
    assert not glob.glob(str(tmp_path / ".*.part.*"))
