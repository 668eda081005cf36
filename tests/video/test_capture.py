import threading
import time

import numpy as np

from edge_segnet.video.capture import CaptureThread, Outcome


class _CameraStandIn(object):
    """Stands for a live camera: a new frame every ``period`` seconds, ``count`` in all, then
    it vanishes (read raises, as a camera that is unplugged does) or ends (None)."""

    def __init__(self, count, period=0.0, vanish=False):
        self.count, self.period, self.vanish = count, period, vanish
        self.sent = 0
        self.closed = False

    def read(self):
        if self.sent >= self.count:
            if self.vanish:
                raise OSError("device disconnected")
            return None
        time.sleep(self.period)
        self.sent += 1
        return np.full((2, 2, 3), self.sent, np.uint8)

    def close(self):
        self.closed = True


def test_a_slow_consumer_of_a_live_source_gets_the_newest_frame_and_drops_are_counted():
    capture = CaptureThread(_CameraStandIn(40, period=0.005), newest_only=True).start()
    seen = []
    while True:
        outcome, frame = capture.get(timeout=2)
        if outcome == Outcome.END:
            break
        seen.append(int(frame.image[0, 0, 0]))
        time.sleep(0.03)  # a model six times slower than the camera
    capture.stop()
    assert seen == sorted(seen) and len(seen) < 20
    assert capture.dropped + len(seen) == capture.captured == 40
    assert capture.dropped > 20


def test_a_file_source_hands_over_every_frame_in_order():
    capture = CaptureThread(_CameraStandIn(25), newest_only=False, depth=3).start()
    seen = []
    while True:
        outcome, frame = capture.get(timeout=2)
        if outcome == Outcome.END:
            break
        seen.append(frame.index)
        time.sleep(0.002)
    capture.stop()
    assert seen == list(range(25)) and capture.dropped == 0


def test_frames_carry_their_capture_time():
    before = time.perf_counter()
    capture = CaptureThread(_CameraStandIn(1), newest_only=True).start()
    outcome, frame = capture.get(timeout=2)
    capture.stop()
    assert outcome == Outcome.FRAME and before <= frame.captured_at <= time.perf_counter()


def test_a_vanishing_camera_ends_the_capture_and_keeps_its_error():
    camera = _CameraStandIn(3, vanish=True)
    capture = CaptureThread(camera, newest_only=False).start()
    frames = [capture.get(timeout=2) for _ in range(4)]
    capture.stop()
    assert [outcome for outcome, _ in frames] == [Outcome.FRAME] * 3 + [Outcome.END]
    assert isinstance(capture.error, OSError) and camera.closed


def test_no_frame_in_time_is_a_timeout_not_an_end():
    class Stalled(object):
        def __init__(self):
            self.release = threading.Event()

        def read(self):
            self.release.wait(5)
            return None

        def close(self):
            self.release.set()

    capture = CaptureThread(Stalled(), newest_only=True).start()
    assert capture.get(timeout=0.05) == (Outcome.TIMEOUT, None)
    capture.stop()
