#!/usr/bin/env python3
"""Does ``run`` give the model its whole machine? The run's FPS on a 1280x720 video against the
model's own rate, measured in the same rounds.

Each round, in a random order: the model alone (the bare session call on a prepared tensor,
as many calls as the video has frames: its own rate), the same again (the control: the ratio
of the two shows the machine's noise, which should be within +-3 %), and ``run`` on the video
(decoding, pre-processing, inference, post-processing, overlay, optional mp4 output). One
segmenter serves all three, so the same session and threads run the model in each. Prints the
per-round ratio run / model as median [min, max] (goal >= 0.95), and the run's per-stage
medians.

``--compare-opencv-threads`` adds a run with OpenCV's own thread pool (the loop sets OpenCV to
one thread); ``--compare-ort-threads N`` adds the model alone and the run on a second session
with N intra-op threads; ``--compare-spinning`` the same on a session whose idle threads
busy-wait (ORT's default) instead of sleeping; ``--compare-inline`` a run whose pre-processing
and arg-max run on the inference thread, as the loop did before; ``--compare-equal-priority``
a run whose own threads keep the network's priority instead of giving way to it
(platform.threads); ``--compare-decoder-threads`` a run whose video is decoded by FFmpeg's own
threads (the run decodes on one when the network is on the CPU). Each of these is one more
variant in the same shuffled rounds.

    python3 tools/bench_run.py [--model segnet-basic-synthetic] [--frames 60] [--rounds 5]
        [--output none|mp4] [--threads N] [--compare-opencv-threads] [--compare-ort-threads N]
        [--compare-spinning] [--compare-inline] [--compare-equal-priority]
        [--compare-decoder-threads]
"""

import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.live import loop as runner  # noqa: E402
from edge_segnet.data.synthetic import StreetScene  # noqa: E402
from edge_segnet.runtime import open_segmenter  # noqa: E402
from edge_segnet.video import sinks, sources  # noqa: E402
from edge_segnet.viz.overlay import Painter  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interleave  # noqa: E402
import tool_main  # noqa: E402


class _Inline(object):
    """The segmenter as the loop used it before: pre-processing, network and arg-max in series
    on the thread running the network (the capture and output threads only pass frames)."""

    def __init__(self, segmenter):
        self.segmenter = segmenter

    def prepare_input(self, frame):
        return frame

    def run_prepared(self, frame):
        return self.segmenter.infer(frame).labels, None

    def segmentation(self, raw):
        return self.segmenter.segmentation(raw)


def make_video(path, frames, size=(720, 1280)):
    import cv2

    scene = StreetScene((360, 640), seed=5)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (size[1], size[0]))
    for t in range(frames):
        writer.write(cv2.resize(scene.render(t)[0], (size[1], size[0])))
    writer.release()


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="segnet-basic-synthetic",
                        help="an .onnx or a shipped model's name")
    parser.add_argument("--frames", type=tool_main.at_least(1), default=60)
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=5)
    parser.add_argument("--output", default="none", choices=("none", "mp4"))
    parser.add_argument("--threads", type=tool_main.at_least(1), default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compare-opencv-threads", action="store_true")
    parser.add_argument("--compare-ort-threads", type=tool_main.at_least(1), default=None)
    parser.add_argument("--compare-spinning", action="store_true")
    parser.add_argument("--compare-inline", action="store_true")
    parser.add_argument("--compare-equal-priority", action="store_true")
    parser.add_argument("--compare-decoder-threads", action="store_true")
    args = parser.parse_args(argv)
    segmenter = open_segmenter(args.model, threads=args.threads)  # a bad model: before the video
    folder = tempfile.mkdtemp(prefix="bench-run-")
    try:
        measure(args, segmenter, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(args, segmenter, folder):
    video = os.path.join(folder, "drive720p.mp4")
    make_video(video, args.frames)
    frame = sources.open_source(video).read()
    tensor = segmenter.prepare_input(frame)
    for _ in range(5):
        segmenter.run_tensor(tensor)
    painter = Painter(segmenter.info.labels.colors_bgr)
    summaries = []
    cpu_ms = {"model": [], "run": []}  # this process's CPU time per frame, all threads

    def model_alone(segmenter=segmenter, cpu=None):
        start, used = time.perf_counter(), time.process_time()
        for _ in range(args.frames):
            segmenter.run_tensor(tensor)
        if cpu is not None:
            cpu.append((time.process_time() - used) * 1e3 / args.frames)
        return args.frames / (time.perf_counter() - start)

    def whole_run(segmenter=segmenter, options=None, keep=True,
                  decoder_threads=runner.decoder_threads(segmenter)):
        outputs = [sinks.VideoFileSink(os.path.join(folder, "out.mp4"), 30.0)] \
            if args.output == "mp4" else []
        used = time.process_time()
        source = sources.open_source(video, decoder_threads=decoder_threads)
        summary = runner.run(segmenter, source, outputs, painter, options)
        if keep:
            summaries.append(summary)
            cpu_ms["run"].append((time.process_time() - used) * 1e3 / summary.frames)
        return summary.fps

    variants = {"model": lambda: model_alone(cpu=cpu_ms["model"]), "model-again": model_alone,
                "run": whole_run}
    if args.compare_opencv_threads:
        variants["run, OpenCV's own threads"] = lambda: whole_run(
            options=runner.RunOptions(opencv_threads=None), keep=False)
    if args.compare_ort_threads:
        other = open_segmenter(args.model, threads=args.compare_ort_threads)
        name = "{} ORT threads".format(args.compare_ort_threads)
        variants["model, " + name] = lambda: model_alone(other)
        variants["run, " + name] = lambda: whole_run(other, keep=False)
    if args.compare_equal_priority:
        variants["run, loop at the network's priority"] = lambda: whole_run(
            options=runner.RunOptions(loop_niceness=None), keep=False)
    if args.compare_decoder_threads:
        variants["run, OpenCV's decoder threads"] = lambda: whole_run(
            keep=False, decoder_threads=None)
    if args.compare_inline:
        variants["run, pre/post on the inference thread"] = lambda: whole_run(
            _Inline(segmenter), keep=False)
    if args.compare_spinning:
        from edge_segnet.runtime.onnxruntime_backend import OnnxRuntimeSegmenter

        busy = OnnxRuntimeSegmenter(segmenter.model_path, threads=args.threads, spinning=True)
        variants["model, ORT spinning"] = lambda: model_alone(busy)
        variants["run, ORT spinning"] = lambda: whole_run(busy, keep=False)

    def progress(index, values):
        print("round {}: {}".format(index, ", ".join(
            "{} {:.2f} FPS".format(name, value) for name, value in sorted(values.items()))),
            flush=True)

    import onnxruntime

    print("ONNX Runtime {} on {} cores, {} threads; {} on {} frames of 1280x720 mp4; output: "
          "{}; {} rounds".format(onnxruntime.__version__, os.cpu_count(),
                                 getattr(segmenter, "threads", "ORT's default"),
                                 segmenter.describe(),
                                 args.frames, args.output, args.rounds), flush=True)
    values = interleave.rounds(variants, args.rounds, args.seed, progress)
    print(interleave.control_line(values, "model", "model-again"))
    print("FPS, median [min, max]:")
    for name in variants:
        print("  {:<32} {}".format(name, interleave.spread(values[name], 2)))
    print("ratio run / model per round: {} (goal >= 0.95)".format(
        interleave.spread(interleave.ratios(values, "run", "model"))))
    for name in variants:
        if name.startswith("run, "):
            print("ratio {} / run per round: {}".format(name, interleave.spread(
                interleave.ratios(values, name, "run"))))
        if name.startswith("model, "):
            print("ratio {} / model per round: {}".format(name, interleave.spread(
                interleave.ratios(values, name, "model"))))
    print("CPU time per frame (all threads), median [min, max]: model alone {} ms, run {} ms "
          "(the run's own work: decoding, pre/post-processing, overlay, threads)".format(
              interleave.spread(cpu_ms["model"], 1), interleave.spread(cpu_ms["run"], 1)))
    # The model's time per frame alone, on every core the process may use, against the CPU time
    # a frame of the run takes (network and loop): no run can be faster than the cores allow.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    bounds = [min(1.0, cores * 1e3 / model_fps / run_cpu)
              for model_fps, run_cpu in zip(values["model"], cpu_ms["run"])]
    print("most run / model the {} cores allow, per round (their time per model frame over the "
          "run's CPU time per frame): {}".format(cores, interleave.spread(bounds)))
    print("run's stages, ms per frame (median of the rounds' medians):")
    for stage in runner.STAGES:
        medians = [float(np.median(s.stage_ms[stage])) for s in summaries if s.stage_ms[stage]]
        if medians:
            print("  {:<15} {:7.2f}".format(stage, statistics.median(medians)))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
