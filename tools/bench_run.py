#!/usr/bin/env python3
"""The run pipeline on this machine: ONNX Runtime + SegNet-Basic 128x256 + a 1280x720 video.

Prints, in one run: the model's own time (bare session.run on a prepared tensor), the
pipeline's per-stage times, the non-inference work per frame (pre- and post-processing,
overlay, output: everything but the model call; printed again with the source's decoding,
which the capture thread does) against 8 ms, the overlay at
720p against 3 ms, and the pipeline's FPS against 0.9 x 1/(model time).

    python3 tools/bench_run.py [--frames 120] [--output none|mp4]
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import runner  # noqa: E402
from edge_segnet.data.synthetic import StreetScene  # noqa: E402
from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.runtime import open_segmenter  # noqa: E402
from edge_segnet.video import sinks, sources  # noqa: E402
from edge_segnet.viz.overlay import Painter  # noqa: E402


def make_video(path, frames):
    import cv2

    scene = StreetScene((360, 640), seed=5)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (1280, 720))
    for t in range(frames):
        writer.write(cv2.resize(scene.render(t)[0], (1280, 720)))
    writer.release()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--output", default="none", choices=("none", "mp4"))
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-run-")
    model = os.path.join(folder, "segnet-basic.onnx")
    zoo.save(zoo.create("segnet-basic"), model)
    video = os.path.join(folder, "drive720p.avi")
    make_video(video, args.frames)
    segmenter = open_segmenter(model, threads=args.threads)
    frame = sources.open_source(video).read()
    tensor = segmenter.prepare_input(frame)
    for _ in range(5):
        segmenter.run_tensor(tensor)
    bare = []
    for _ in range(30):
        start = time.perf_counter()
        segmenter.run_tensor(tensor)
        bare.append((time.perf_counter() - start) * 1e3)
    model_ms = float(np.median(bare))
    outputs = [sinks.VideoFileSink(os.path.join(folder, "out.mp4"), 30.0)] \
        if args.output == "mp4" else []
    summary = runner.run(segmenter, sources.open_source(video), outputs,
                         Painter(segmenter.info.labels.colors_bgr))
    stats = summary.stats()
    medians = {stage: s.median for stage, s in stats.items()}
    def per_frame(stages):
        return float(np.median(np.sum([summary.stage_ms[stage] for stage in stages], axis=0)))

    ours = per_frame(("preprocess", "postprocess", "overlay", "output"))
    with_decode = per_frame(("capture", "preprocess", "postprocess", "overlay", "output"))
    import onnxruntime

    print("ONNX Runtime {} on {} cores; SegNet-Basic 128x256; {} frames of 1280x720; output: {}"
          .format(onnxruntime.__version__, os.cpu_count(), summary.frames, args.output))
    print(summary.format_text())
    print("model alone (bare session.run):  median {:.1f} ms -> {:.2f} FPS".format(
        model_ms, 1000.0 / model_ms))
    print("non-inference work per frame:    median {:.2f} ms (goal <= 8): pre/post-processing, "
          "overlay, output".format(ours))
    print("  with the video's decoding:     median {:.2f} ms (in the capture thread)".format(
        with_decode))
    print("overlay at 720p:                 median {:.2f} ms (goal <= 3)".format(
        medians["overlay"]))
    print("pipeline: {:.2f} FPS = {:.3f} x 1/(model time) (goal >= 0.9)".format(
        summary.fps, summary.fps * model_ms / 1000.0))


if __name__ == "__main__":
    main()
