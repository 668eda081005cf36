"""The frame loop: source -> segmenter -> overlay -> sinks, every stage timed."""

import time

from edge_segnet.profile.stats import LatencyStats
from edge_segnet.viz import overlay as overlay_module


class RunSummary(object):
    def __init__(self, frames, seconds, stage_ms):
        self.frames = frames
        self.seconds = seconds
        self.stage_ms = stage_ms  # stage name -> list of per-frame milliseconds

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
        lines = ["{} frames in {:.1f} s ({:.1f} FPS); ms per frame:".format(
            self.frames, self.seconds, self.fps)]
        for stage, stats in self.stats().items():
            lines.append("  {:<11} p50 {:7.2f}  p90 {:7.2f}  p99 {:7.2f}  max {:7.2f}".format(
                stage, stats.median, stats.p90, stats.p99, stats.max))
        return "\n".join(lines)


def run(segmenter, source, sinks, max_frames=None, alpha=0.5, label_filter="nearest"):
    """Process frames until the source ends or ``max_frames``; sinks are closed on every path
    (Ctrl-C included) so files hold what was processed."""
    palette = segmenter.info.labels.colors_bgr
    stage_ms = {"capture": [], "preprocess": [], "inference": [], "postprocess": [],
                "overlay": [], "output": []}
    frames = 0
    started = time.perf_counter()
    try:
        while max_frames is None or frames < max_frames:
            t0 = time.perf_counter()
            frame = source.read()
            if frame is None:
                break
            t1 = time.perf_counter()
            result = segmenter.infer(frame)
            t2 = time.perf_counter()
            drawn = overlay_module.overlay(frame, result.labels, palette, alpha, label_filter)
            t3 = time.perf_counter()
            for sink in sinks:
                sink.write(drawn)
            t4 = time.perf_counter()
            stage_ms["capture"].append((t1 - t0) * 1e3)
            for stage, value in segmenter.last_timings_ms.items():
                stage_ms[stage].append(value)
            stage_ms["overlay"].append((t3 - t2) * 1e3)
            stage_ms["output"].append((t4 - t3) * 1e3)
            frames += 1
    except KeyboardInterrupt:
        pass
    finally:
        source.close()
        for sink in sinks:
            sink.close()
    return RunSummary(frames, time.perf_counter() - started, stage_ms)
