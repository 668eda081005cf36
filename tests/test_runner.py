import numpy as np

from edge_segnet import runner
from edge_segnet.runtime import open_segmenter


class _ListSource(object):
    """Stands for a camera that delivers a few frames and then vanishes."""

    fps = 30.0

    def __init__(self, frames):
        self.frames = list(frames)
        self.closed = False

    def read(self):
        return self.frames.pop(0) if self.frames else None

    def close(self):
        self.closed = True


class _ListSink(object):
    def __init__(self):
        self.frames, self.closed = [], False

    def write(self, frame):
        self.frames.append(frame)

    def close(self):
        self.closed = True


def test_every_frame_goes_through_and_everything_is_closed(small_basic_model_path, frame):
    source, sink = _ListSource([frame] * 3), _ListSink()
    summary = runner.run(open_segmenter(small_basic_model_path), source, [sink])
    assert summary.frames == 3 and len(sink.frames) == 3
    assert sink.frames[0].shape == frame.shape
    assert source.closed and sink.closed
    assert set(summary.medians()) == {"capture", "preprocess", "inference", "postprocess",
                                      "overlay", "output"}
    assert "3 frames" in summary.format_text()


def test_max_frames_stops_early(small_basic_model_path, frame):
    sink = _ListSink()
    summary = runner.run(open_segmenter(small_basic_model_path), _ListSource([frame] * 5),
                         [sink], max_frames=2)
    assert summary.frames == 2 and len(sink.frames) == 2


def test_an_interrupt_still_closes_the_sinks(small_basic_model_path, frame):
    class InterruptedSource(_ListSource):
        def read(self):
            if len(self.frames) == 1:
                raise KeyboardInterrupt
            return _ListSource.read(self)

    sink = _ListSink()
    summary = runner.run(open_segmenter(small_basic_model_path),
                         InterruptedSource([frame] * 3), [sink])
    assert summary.frames == 2 and sink.closed
    assert np.array_equal(sink.frames[0].shape, frame.shape)
