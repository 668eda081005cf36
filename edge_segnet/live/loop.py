"""The frame loop: capture, inference and drawing/output overlap.

The capture thread reads and pre-processes frame t+1 while the main thread runs the model on
frame t, and an output thread post-processes (arg-max), draws and writes frame t-1; nothing
waits on a display, and the main thread runs nothing but the network, so the model gets its
rate. Every stage is timed, and so is glass-to-glass latency: from a frame's capture to its
hand-over to the sinks.

Live sources are the exception for pre-processing: a camera faster than the model replaces
most frames before they are taken, and preparing each would spend a core's time on frames
nobody uses, so the main thread prepares the one it takes.

The loop's threads (capture with the source's decoders, output) run at a lower priority than
the network's (platform.threads): on a board's few cores they take the time the network leaves
idle instead of preempting its workers.
"""

import queue
import threading
import time

from edge_segnet import optional, signals
from edge_segnet.errors import DataError, EdgeSegnetError, OutOfMemoryError, OutputError
from edge_segnet.eval.evaluate import check_finite
from edge_segnet.live.options import RunOptions
from edge_segnet.platform import threads
from edge_segnet.profile.stats import LatencyStats
from edge_segnet.video.capture import CaptureThread, Outcome

STAGES = ("capture", "capture_wait", "preprocess", "inference", "postprocess", "overlay", "output",
          "glass_to_glass")


def decoder_threads(segmenter):
    """How many threads should decode the video for a run of ``segmenter`` (None: OpenCV's
    choice). One when the network runs on the CPU: the capture thread decodes beside the
    network anyway, one frame ahead, and FFmpeg's frame threads spend more CPU time per frame
    (720p mp4: 2.6-3.3 against 2.5-2.7 ms) on the cores the network needs
    (tools/bench_run.py --compare-decoder-threads). OpenCV before 4.7 takes no count."""
    return 1 if getattr(segmenter, "network_on_cpu", False) else None


class _OpenCVThreads(object):
    """OpenCV's thread count for the run, restored afterwards."""

    def __init__(self, count):
        self.count, self.cv2, self.before = count, None, None

    def __enter__(self):
        if self.count is not None:
            self.cv2 = optional.try_import("cv2")
        if self.cv2 is not None:
            self.before = self.cv2.getNumThreads()
            self.cv2.setNumThreads(self.count)
        return self

    def __exit__(self, *exc_info):
        if self.cv2 is not None:
            self.cv2.setNumThreads(self.before)


class RunSummary(object):
    def __init__(self, frames, seconds, stage_ms, captured=0, dropped=0, ended_by="end",
                 error=None, skipped=0, skip_note=None):
        self.frames = frames
        self.skipped = skipped  # frames the source could not read (corrupt images) and skipped
        self.skip_note = skip_note  # the first of them
        self.seconds = seconds
        self.stage_ms = stage_ms  # stage name -> list of per-frame milliseconds
        self.captured = captured
        self.dropped = dropped
        self.ended_by = ended_by
        self.error = error

    @property
    def fps(self):
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def stats(self):
        """{stage: LatencyStats} of the stages that ran (the statistics profile reports)."""
        return {stage: LatencyStats(values) for stage, values in self.stage_ms.items()
                if values}

    def medians(self):
        return {stage: stats.median for stage, stats in self.stats().items()}

    def format_text(self):
        lines = ["{} frames in {:.1f} s ({:.1f} FPS); captured {}, dropped {}; ended by {}"
                 .format(self.frames, self.seconds, self.fps, self.captured, self.dropped,
                         self.ended_by)]
        if self.skipped:
            lines.append("skipped {} unreadable frame{} (first: {})".format(
                self.skipped, "" if self.skipped == 1 else "s", self.skip_note))
        if self.error:
            lines.append("source stopped: {}".format(self.error))
        lines.append("ms per frame:")
        for stage, stats in self.stats().items():
            lines.append("  {:<15} p50 {:7.2f}  p90 {:7.2f}  p99 {:7.2f}  max {:7.2f}".format(
                stage, stats.median, stats.p90, stats.p99, stats.max))
        return "\n".join(lines)


class _Paced(object):
    """A file source played at its frame rate (``--realtime``): frames it is late for are
    skipped by the newest-frame policy, as with a camera."""

    def __init__(self, source):
        self.source, self.live, self.fps = source, True, source.fps
        self._start = None
        self._count = 0

    def read(self):
        if self._start is None:
            self._start = time.perf_counter()
        due = self._start + self._count / float(self.fps or 30.0)
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        self._count += 1
        return self.source.read()

    @property
    def last_path(self):
        return getattr(self.source, "last_path", None)

    def close(self):
        self.source.close()


# How often the output thread looks at its queue without being woken (seconds).
WAKE_S = 0.1


class _Output(object):
    """The output thread: draw, then hand the frame to every sink."""

    def __init__(self, segmenter, painter, sinks, stage_ms, lock, newest_only, decorate=None,
                 niceness=None):
        self.segmenter = segmenter
        self.niceness = niceness
        self.painter, self.sinks, self.stage_ms, self.lock = painter, sinks, stage_ms, lock
        self.decorate = decorate
        self.queue = queue.Queue(maxsize=2)
        self.newest_only = newest_only
        self.written = 0
        self.stop_requested = False
        self.error = None
        self._closing = False
        self.thread = threading.Thread(target=self._run, name="output", daemon=True)
        self.thread.start()

    def put(self, item):
        if self.newest_only:
            try:
                self.queue.put_nowait(item)
            except queue.Full:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    pass
                self.queue.put_nowait(item)
        else:
            while True:  # see _run: a wake-up can be lost, so the wait is never unbounded
                try:
                    self.queue.put(item, timeout=WAKE_S)
                    return
                except queue.Full:
                    continue

    def _run(self):
        threads.lower_priority(self.niceness)
        while True:
            try:
                item = self.queue.get(timeout=WAKE_S)
            except queue.Empty:
                # A signal landing inside the queue's notify on the main thread can lose a
                # wake-up (seen: a SIGTERM'd run waiting forever in finish()); looking again
                # every WAKE_S, and ending once finish() has asked, cannot hang.
                if self._closing and self.queue.empty():
                    return
                continue
            if item is None:
                return
            if self.error is not None:
                continue  # a sink failed: the run is stopping, nothing more is written
            frame, raw, captured_at = item
            try:
                posted = time.perf_counter()
                labels = self.segmenter.segmentation(raw).labels
                start = time.perf_counter()
                drawn = self.painter.draw(frame.image, labels)
                if self.decorate is not None:
                    self.decorate(drawn)
                drawn_at = time.perf_counter()
                for sink in self.sinks:
                    if sink.wants_labels:
                        sink.write_labels(labels, frame.name)
                    sink.write(drawn)
                    if sink.stop_requested:
                        self.stop_requested = True
                done = time.perf_counter()
                with self.lock:
                    self.stage_ms["postprocess"].append((start - posted) * 1e3)
                    self.stage_ms["overlay"].append((drawn_at - start) * 1e3)
                    self.stage_ms["output"].append((done - drawn_at) * 1e3)
                    self.stage_ms["glass_to_glass"].append((drawn_at - captured_at) * 1e3)
                self.written += 1
            except Exception as exc:  # a sink that fails stops the run; the loop reports it
                if isinstance(exc, EdgeSegnetError) and frame.name:
                    _prefix(exc, "{}: ".format(frame.name))  # which of the images it was
                self.error = exc
                self.stop_requested = True

    def finish(self):
        self._closing = True
        try:
            self.queue.put_nowait(None)
        except queue.Full:
            pass  # the thread ends by _closing once it has drained what is queued
        self.thread.join()


def _prefix(error, text):
    error.message = text + error.message
    error.args = (error.message,) + tuple(error.args[1:])


def run(segmenter, source, sinks, painter, options=None, decorate=None):
    """Process frames until the source ends, ``max_frames``, ``duration``, Ctrl-C or a sink
    asks to stop ('q' in the window). Sinks are closed on every path, so the files hold what
    was processed; a source that fails mid-run (a camera unplugged) ends the run cleanly.
    ``decorate(image)`` draws on each overlay before the sinks take it (legend, HUD)."""
    options = options or RunOptions()
    with _OpenCVThreads(options.opencv_threads):
        return _run(segmenter, source, sinks, painter, options, decorate)


def _run(segmenter, source, sinks, painter, options, decorate):
    stage_ms = {stage: [] for stage in STAGES}
    lock = threading.Lock()
    live = getattr(source, "live", False) or options.realtime
    threads.lower_priority(options.loop_niceness, getattr(source, "worker_threads", ()))
    # Files: two frames read ahead are enough to overlap decoding with inference; more would
    # only add queueing to the glass-to-glass latency.
    capture = CaptureThread(_Paced(source) if options.realtime else source,
                            newest_only=live, depth=2,
                            prepare=None if live else segmenter.prepare_input,
                            niceness=options.loop_niceness).start()
    output = _Output(segmenter, painter, sinks, stage_ms, lock, newest_only=live,
                     decorate=decorate, niceness=options.loop_niceness)
    frames, ended_by = 0, "end of source"
    started = time.perf_counter()
    try:
        while options.max_frames is None or frames < options.max_frames:
            if options.duration and time.perf_counter() - started >= options.duration:
                ended_by = "duration"
                break
            if output.stop_requested:
                ended_by = "sink" if output.error is None else "output error"
                break
            wait_start = time.perf_counter()
            outcome, frame = capture.get(timeout=1.0)
            if outcome == Outcome.TIMEOUT:
                continue
            if outcome == Outcome.END:
                break
            waited = (time.perf_counter() - wait_start) * 1e3
            if frame.error is not None:
                raise frame.error
            if frame.prepare_ms is None:  # a live source's frame
                preparing = time.perf_counter()
                frame.tensor = segmenter.prepare_input(frame.image)
                frame.prepare_ms = (time.perf_counter() - preparing) * 1e3
            started_inference = time.perf_counter()
            raw = segmenter.run_prepared(frame.tensor)
            inferred = (time.perf_counter() - started_inference) * 1e3
            if not frames:  # NaN weights: every frame would be drawn as class 0, unsaid
                check_finite(raw[1] if isinstance(raw, tuple) else None,
                             getattr(segmenter, "model_path", "the model"),
                             frame.name or "the first frame")
            with lock:
                stage_ms["capture"].append(frame.read_ms)
                stage_ms["capture_wait"].append(waited)
                stage_ms["preprocess"].append(frame.prepare_ms)
                stage_ms["inference"].append(inferred)
            output.put((frame, raw, frame.captured_at))
            frames += 1
        else:
            ended_by = "max frames"
    except KeyboardInterrupt:
        ended_by = "interrupt"
    finally:
        # A second Ctrl-C (or a SIGTERM) while the files are finished would leave a video
        # without its index: the run has ended by then, so later signals only wait.
        with signals.deferred() as pending:
            capture.stop()
            output.finish()
            for sink in sinks:
                sink.close()
    if pending.signum is not None and ended_by != "interrupt":
        ended_by = "interrupt"
    if output.error is not None:
        error = output.error
        said = " ".join(str(error).split()) or type(error).__name__
        if isinstance(error, MemoryError):  # the machine's, not the output's
            error = OutOfMemoryError("out of memory after {} frames: {}".format(
                output.written, said), hint=OutOfMemoryError.HINT)
        elif not isinstance(error, EdgeSegnetError):
            error = OutputError("writing the output failed after {} frames: {}".format(
                output.written, said))
        kept = [text for text in (getattr(sink, "kept", lambda: None)() for sink in sinks)
                if text]
        if kept:  # a failed run says what it left behind
            error.message += "; kept what was written before: {}".format(", ".join(kept))
        raise error
    if capture.error is not None and not capture.captured:
        # Nothing was processed: the run failed, it did not end.
        if isinstance(capture.error, EdgeSegnetError):
            raise capture.error
        raise DataError("the source failed before its first frame: {}".format(
            " ".join(str(capture.error).split()) or type(capture.error).__name__))
    return RunSummary(output.written, time.perf_counter() - started, stage_ms,
                      captured=capture.captured, dropped=capture.dropped, ended_by=ended_by,
                      error=capture.error, skipped=getattr(source, "skipped", 0),
                      skip_note=getattr(source, "skip_note", None))
