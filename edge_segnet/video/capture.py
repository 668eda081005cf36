"""A capture thread between a source and the loop that consumes its frames.

Live sources (cameras, streams) hand over only the newest frame: a slow model never works on a
stale picture, and the frames it could not take are dropped and counted. Files and folders hand
over every frame in order (the reader waits for the consumer) unless told to play in real time.
Each frame carries the time it was captured, for glass-to-glass latency.

Given ``prepare`` (the segmenter's pre-processing), the thread also turns each frame into the
network's input tensor, so that the thread running the network only runs the network.
"""

import collections
import threading
import time

from edge_segnet.platform import threads


class CapturedFrame(object):
    """A frame, its number, when it was captured, how long reading it took (decoding) and,
    with ``prepare``, its input tensor, how long that took, or the error preparing it raised
    (the consumer raises it: a bad frame fails the run as it would on the consumer's thread).
    ``name``: the file it came from, where the source has one per frame (a folder of images)."""

    __slots__ = ("image", "index", "captured_at", "read_ms", "tensor", "prepare_ms", "error",
                 "name")

    def __init__(self, image, index, captured_at, read_ms=0.0, name=None):
        self.image, self.index, self.captured_at = image, index, captured_at
        self.read_ms, self.name = read_ms, name
        self.tensor, self.prepare_ms, self.error = None, None, None


class Outcome(object):
    FRAME, TIMEOUT, END = "frame", "timeout", "end"


class CaptureThread(object):
    """Reads ``source.read()`` (a frame or None at the end) on its own thread.

    ``newest_only``: keep one slot, replaced by each new frame (live sources); otherwise a
    queue of ``depth`` frames that the reader waits on when full (files: nothing lost).
    ``niceness``: the thread lowers itself to it (platform.threads; None: unchanged).
    """

    def __init__(self, source, newest_only, depth=4, clock=time.perf_counter, prepare=None,
                 niceness=None):
        self.source = source
        self.niceness = niceness
        self.prepare = prepare
        self.newest_only = newest_only
        self.depth = 1 if newest_only else max(1, depth)
        self.clock = clock
        self.captured = 0
        self.dropped = 0
        self.error = None
        self._frames = collections.deque()
        self._condition = threading.Condition()
        self._ended = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        threads.lower_priority(self.niceness)
        try:
            while not self._stopping:
                start = self.clock()
                image = self.source.read()
                if image is None:
                    break
                now = self.clock()
                frame = CapturedFrame(image, self.captured, now, (now - start) * 1e3,
                                      getattr(self.source, "last_path", None))
                if self.prepare is not None:
                    try:
                        frame.tensor = self.prepare(image)
                    except Exception as exc:
                        frame.error = exc
                    frame.prepare_ms = (self.clock() - now) * 1e3
                with self._condition:
                    if self.newest_only:
                        if self._frames:
                            self._frames.popleft()
                            self.dropped += 1
                    else:
                        while len(self._frames) >= self.depth and not self._stopping:
                            self._condition.wait(0.1)
                    self._frames.append(frame)
                    self.captured += 1
                    self._condition.notify_all()
        except Exception as exc:  # a vanished camera: end the run, keep what was recorded
            self.error = exc
        finally:
            with self._condition:
                self._ended = True
                self._condition.notify_all()

    def get(self, timeout=1.0):
        """(Outcome.FRAME, frame), (Outcome.TIMEOUT, None) or (Outcome.END, None)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not self._frames:
                if self._ended:
                    return Outcome.END, None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return Outcome.TIMEOUT, None
                self._condition.wait(remaining)
            frame = self._frames.popleft()
            self._condition.notify_all()
            return Outcome.FRAME, frame

    def stop(self):
        """Stop reading and close the source; a read that hangs (a stalled stream) is cut
        short by closing the source after a second."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._thread.join(timeout=1.0)
        self.source.close()
        self._thread.join(timeout=1.0)
