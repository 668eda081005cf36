import re
import threading
import time

import numpy as np
import pytest

from edge_segnet.errors import DataError, OutOfMemoryError
from edge_segnet.live import loop as runner
from edge_segnet.models.labels import camvid
from edge_segnet.platform import threads as thread_priorities
from edge_segnet.runtime import open_segmenter
from edge_segnet.video.sinks import Sink
from edge_segnet.viz.overlay import Painter


class _ListSource(object):
    """Stands for a source that delivers a few frames and then ends."""

    fps = 30.0
    live = False

    def __init__(self, frames):
        self.frames = list(frames)
        self.closed = False

    def read(self):
        return self.frames.pop(0) if self.frames else None

    def close(self):
        self.closed = True


class _ListSink(Sink):
    def __init__(self):
        self.frames, self.closed = [], False

    def write(self, frame):
        self.frames.append(frame)

    def close(self):
        self.closed = True


@pytest.fixture
def painter():
    return Painter(camvid().colors_bgr)


def test_every_file_frame_goes_through_and_everything_is_closed(small_basic_model_path, frame,
                                                                 painter):
    source, sink = _ListSource([frame] * 5), _ListSink()
    summary = runner.run(open_segmenter(small_basic_model_path), source, [sink], painter)
    assert summary.frames == 5 and len(sink.frames) == 5 and summary.dropped == 0
    assert sink.frames[0].shape == frame.shape
    assert source.closed and sink.closed
    assert set(summary.medians()) == set(runner.STAGES)
    assert summary.stats()["glass_to_glass"].median >= summary.stats()["inference"].median
    assert "5 frames" in summary.format_text() and summary.ended_by == "end of source"


def test_the_main_thread_runs_only_the_network(small_basic_model_path, frame, painter,
                                               monkeypatch):
    # Pre-processing on the capture thread, arg-max on the output thread: between two
    # inferences the loop does nothing else, so the model keeps its rate.
    segmenter = open_segmenter(small_basic_model_path)
    threads = {}
    for name in ("prepare_input", "run_prepared", "segmentation"):
        def spy(*args, _name=name, _call=getattr(segmenter, name)):
            threads.setdefault(_name, set()).add(threading.current_thread().name)
            return _call(*args)
        monkeypatch.setattr(segmenter, name, spy)
    summary = runner.run(segmenter, _ListSource([frame] * 3), [_ListSink()], painter)
    assert summary.frames == 3
    assert threads == {"prepare_input": {"capture"}, "run_prepared": {"MainThread"},
                       "segmentation": {"output"}}
    assert len(summary.stage_ms["preprocess"]) == len(summary.stage_ms["postprocess"]) == 3


def test_a_live_sources_frames_are_prepared_only_when_taken(small_basic_model_path, frame,
                                                           painter, monkeypatch):
    # A camera faster than the model replaces most frames: preparing each would be wasted.
    class Camera(_ListSource):
        live = True

        def read(self):
            time.sleep(0.002)
            return _ListSource.read(self)

    segmenter = open_segmenter(small_basic_model_path)
    calls = {"prepare": 0, "run": 0}
    prepare, run_prepared = segmenter.prepare_input, segmenter.run_prepared

    def counting_prepare(image):
        calls["prepare"] += 1
        return prepare(image)

    def slow_run(tensor, want_logits=False):
        calls["run"] += 1
        time.sleep(0.03)
        return run_prepared(tensor, want_logits)

    monkeypatch.setattr(segmenter, "prepare_input", counting_prepare)
    monkeypatch.setattr(segmenter, "run_prepared", slow_run)
    summary = runner.run(segmenter, Camera([frame] * 40), [_ListSink()], painter)
    assert summary.dropped > 10
    assert calls["prepare"] == calls["run"] == summary.frames


def test_a_bad_frame_fails_the_run_with_its_error(small_basic_model_path, frame, painter):
    source, sink = _ListSource([frame, frame[:, :, 0].astype(np.float32)]), _ListSink()
    with pytest.raises(DataError, match="uint8"):
        runner.run(open_segmenter(small_basic_model_path), source, [sink], painter)
    assert source.closed and sink.closed


def test_max_frames_stops_early(small_basic_model_path, frame, painter):
    sink = _ListSink()
    summary = runner.run(open_segmenter(small_basic_model_path), _ListSource([frame] * 5),
                         [sink], painter, runner.RunOptions(max_frames=2))
    assert summary.frames == 2 and len(sink.frames) == 2 and summary.ended_by == "max frames"


def test_an_interrupt_still_closes_the_sinks(small_basic_model_path, frame, painter,
                                            monkeypatch):
    segmenter = open_segmenter(small_basic_model_path)
    calls = {"count": 0}
    run_prepared = segmenter.run_prepared

    def interrupted(tensor, want_logits=False):
        calls["count"] += 1
        if calls["count"] == 3:
            raise KeyboardInterrupt
        return run_prepared(tensor, want_logits)

    monkeypatch.setattr(segmenter, "run_prepared", interrupted)
    sink = _ListSink()
    summary = runner.run(segmenter, _ListSource([frame] * 5), [sink], painter)
    assert summary.frames == 2 and sink.closed and summary.ended_by == "interrupt"


def test_a_live_source_with_a_slow_model_drops_stale_frames(small_basic_model_path, frame,
                                                             painter, monkeypatch):
    class Camera(_ListSource):
        """Stands for a 200 FPS camera."""
        live = True

        def read(self):
            time.sleep(0.005)
            return _ListSource.read(self)

    segmenter = open_segmenter(small_basic_model_path)
    run_prepared = segmenter.run_prepared

    def slow(tensor, want_logits=False):
        time.sleep(0.03)
        return run_prepared(tensor, want_logits)

    monkeypatch.setattr(segmenter, "run_prepared", slow)
    sink = _ListSink()
    summary = runner.run(segmenter, Camera([frame] * 40), [sink], painter)
    assert summary.captured == 40 and summary.dropped > 10
    assert summary.frames + summary.dropped <= 40


def test_a_camera_that_vanishes_ends_the_run_with_its_frames_written(
        small_basic_model_path, frame, painter, tmp_path):
    import cv2

    from edge_segnet.video.sinks import VideoFileSink

    class Vanishing(_ListSource):
        def read(self):
            if not self.frames:
                raise OSError("VIDIOC_DQBUF: No such device")
            return _ListSource.read(self)

    path = str(tmp_path / "out.avi")
    summary = runner.run(open_segmenter(small_basic_model_path), Vanishing([frame] * 3),
                         [VideoFileSink(path, 10)], painter)
    assert summary.frames == 3 and "No such device" in str(summary.error)
    assert int(cv2.VideoCapture(path).get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    assert "source stopped: VIDIOC_DQBUF" in summary.format_text()


def test_a_failing_sink_stops_the_run_and_is_reported(small_basic_model_path, frame, painter):
    class Broken(_ListSink):
        def write(self, frame):
            self.frames.append(frame)
            raise IOError("disk full")

    from edge_segnet.errors import OutputError

    broken = Broken()
    with pytest.raises(OutputError, match="writing the output failed after 0 frames: disk full"):
        runner.run(open_segmenter(small_basic_model_path), _ListSource([frame] * 6),
                   [broken], painter)
    assert len(broken.frames) == 1  # frames already queued are not written after the failure
    assert broken.closed


def test_no_memory_in_the_output_stage_is_out_of_memory_not_an_output_failure(
        small_basic_model_path, frame, painter):
    class Starved(_ListSink):
        def write(self, frame):
            raise MemoryError("Unable to allocate 506. KiB for an array")

    with pytest.raises(OutOfMemoryError, match="^out of memory after 0 frames: Unable to "
                                               "allocate 506. KiB for an array \\(close"):
        runner.run(open_segmenter(small_basic_model_path), _ListSource([frame] * 3),
                   [Starved()], painter)


def test_a_corrupt_image_in_a_folder_is_skipped_and_the_images_after_it_are_processed(
        small_basic_model_path, tmp_path):
    import cv2
    from typer.testing import CliRunner

    from edge_segnet.cli import app

    folder = tmp_path / "frames"
    folder.mkdir()
    for name in ("a.png", "c.png", "d.png"):
        cv2.imwrite(str(folder / name), np.full((40, 56, 3), 90, np.uint8))
    (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    labels = tmp_path / "labels"
    result = CliRunner().invoke(app, ["run", "--model", small_basic_model_path, "--source",
                                      str(folder), "--labels", str(labels), "--headless"])
    assert result.exit_code == 0, result.output
    assert "3 frames" in result.output and "source stopped" not in result.output
    # OpenCV's libpng says why on some builds (JetPack's stack among them), nothing on others
    why = "(not an image OpenCV can decode|libpng error: Read Error)"
    assert re.search(r"skipped 1 unreadable frame \(first: {}: {}\)".format(
        re.escape(str(folder / "b.png")), why), result.output), result.output
    # said when it happened, as calibrate says it, not only in the summary
    assert re.search(r"warning: skipped {}: {}".format(re.escape(str(folder / "b.png")), why),
                     result.output), result.output
    # the class-id masks are named after the images they belong to
    assert sorted(path.name for path in labels.iterdir()) == ["a.png", "c.png", "d.png"]
    for name in ("a.png", "c.png", "d.png"):
        (folder / name).unlink()
    from tests.test_cli import assert_one_line_error

    assert_one_line_error(CliRunner().invoke(app, [
        "run", "--model", small_basic_model_path, "--source", str(folder), "--labels",
        str(tmp_path / "none"), "--headless"]), 1, "error: none of the 1 images at")
    assert not (tmp_path / "none").exists(), "a failed run leaves no empty labels folder"


def test_a_frame_of_another_size_names_its_image_and_what_the_failed_run_kept(
        small_basic_model_path, tmp_path):
    import cv2
    from typer.testing import CliRunner

    from edge_segnet.cli import app
    from tests.test_cli import assert_one_line_error

    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((48, 64, 3), 90, np.uint8))
    cv2.imwrite(str(folder / "b.png"), np.full((40, 56, 3), 90, np.uint8))
    video = tmp_path / "out.avi"
    assert_one_line_error(CliRunner().invoke(app, [
        "run", "--model", small_basic_model_path, "--source", str(folder), "-o", str(video),
        "--headless"]), 1, "error: {}: cannot write video {}: this frame is 40x56".format(
            folder / "b.png", video))
    result = CliRunner().invoke(app, [
        "run", "--model", small_basic_model_path, "--source", str(folder), "-o", str(video),
        "--headless"])
    assert "kept what was written before: {} (1 frame)".format(video) in result.output


def test_the_summary_counts_the_frames_the_source_skipped(small_basic_model_path, frame,
                                                          painter):
    source = _ListSource([frame] * 2)
    source.skipped, source.skip_note = 3, "b.png: not an image OpenCV can decode"
    summary = runner.run(open_segmenter(small_basic_model_path), source, [_ListSink()], painter)
    assert summary.frames == 2 and summary.skipped == 3
    assert "skipped 3 unreadable frames (first: b.png: not an image OpenCV can decode)" in \
        summary.format_text()
    clean = runner.run(open_segmenter(small_basic_model_path), _ListSource([frame]),
                       [_ListSink()], painter)
    assert clean.skipped == 0 and "skipped" not in clean.format_text()


def test_a_source_that_fails_before_its_first_frame_fails_the_run(small_basic_model_path,
                                                                   painter):
    from edge_segnet.errors import DataError

    class Dead(_ListSource):
        def read(self):
            raise OSError("VIDIOC_STREAMON: No such device")

    with pytest.raises(DataError, match="the source failed before its first frame: "
                                        "VIDIOC_STREAMON: No such device"):
        runner.run(open_segmenter(small_basic_model_path), Dead([]), [_ListSink()], painter)


def test_frames_and_the_end_whose_wake_ups_were_lost_are_still_seen(
        small_basic_model_path, frame, painter):
    """A signal landing inside the queue's notify on the main thread can lose the output
    thread's wake-up (a SIGTERM'd run once waited in finish() for ever). Here a frame and the
    end mark go into the queue with no notify at all: the frame must still be written and the
    thread end; and finish() returns even with the queue full."""
    segmenter = open_segmenter(small_basic_model_path)
    sink = _ListSink()
    stage_ms = {stage: [] for stage in runner.STAGES}
    output = runner._Output(segmenter, painter, [sink], stage_ms, threading.Lock(),
                            newest_only=False)
    time.sleep(2 * runner.WAKE_S)  # the thread is waiting on the empty queue
    raw = segmenter.run_prepared(segmenter.prepare_input(frame))

    class _Captured(object):
        image = frame

    with output.queue.mutex:  # as Queue.put does, less the notify
        output.queue.queue.append((_Captured(), raw, time.perf_counter()))
        output.queue.queue.append(None)
    output.thread.join(timeout=10)
    assert not output.thread.is_alive()
    assert len(sink.frames) == 1 and output.written == 1
    full = runner._Output(segmenter, painter, [_ListSink()], stage_ms, threading.Lock(),
                          newest_only=False)
    with full.queue.mutex:
        full.queue.queue.extend([(_Captured(), raw, time.perf_counter())] * 2)
    finishing = threading.Thread(target=full.finish)
    finishing.start()
    finishing.join(timeout=10)
    assert not finishing.is_alive() and full.written == 2


def test_the_loops_threads_give_way_to_the_network(small_basic_model_path, frame, painter,
                                                   monkeypatch):
    # Capture, the source's own decoder threads and output drop to LOOP_NICENESS; the thread
    # running the network keeps the priority the command was started with.
    segmenter = open_segmenter(small_basic_model_path)
    seen = {}
    for name in ("prepare_input", "run_prepared", "segmentation"):
        def spy(*args, _name=name, _call=getattr(segmenter, name)):
            seen.setdefault(_name, set()).add(thread_priorities.priority())
            return _call(*args)
        monkeypatch.setattr(segmenter, name, spy)
    decoder_ready, decoder_done = threading.Event(), threading.Event()
    decoder = {}

    def decode():  # stands for a thread FFmpeg starts when OpenCV opens a video
        decoder["id"] = thread_priorities.current_thread_id()
        decoder_ready.set()
        decoder_done.wait(10)
        decoder["priority"] = thread_priorities.priority()

    threading.Thread(target=decode).start()
    decoder_ready.wait(10)
    source = _ListSource([frame] * 3)
    source.worker_threads = {decoder["id"]}
    main = thread_priorities.priority()
    runner.run(segmenter, source, [_ListSink()], painter)
    decoder_done.set()
    lowered = max(main, thread_priorities.LOOP_NICENESS)
    assert seen == {"prepare_input": {lowered}, "run_prepared": {main}, "segmentation": {lowered}}
    assert thread_priorities.priority() == main
    for _ in range(100):
        if "priority" in decoder:
            break
        time.sleep(0.05)
    assert decoder["priority"] == lowered
    seen.clear()
    runner.run(segmenter, _ListSource([frame] * 2), [_ListSink()], painter,
               runner.RunOptions(loop_niceness=None))
    assert seen == {"prepare_input": {main}, "run_prepared": {main}, "segmentation": {main}}


def test_a_video_decoded_beside_a_network_on_the_cpu_uses_one_decoder_thread(
        small_basic_model_path):
    assert runner.decoder_threads(open_segmenter(small_basic_model_path)) == 1

    class OnTheGpu(object):
        network_on_cpu = False

    assert runner.decoder_threads(OnTheGpu()) is None
