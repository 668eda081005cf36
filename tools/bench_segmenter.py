#!/usr/bin/env python3
"""ONNX Runtime latency of the zoo models through the Segmenter beside a bare
``InferenceSession.run`` loop on the same model and input, measured in one run.

The two are timed in alternation (one call of each per round) so that clock drift and other
load hit both alike, on the same InferenceSession: two sessions would each keep a spinning
thread pool and slow each other down on a small CPU. Percentiles are numpy's default (linear
interpolation).

    python3 tools/bench_segmenter.py [--iterations 40] [--models segnet-basic segnet-vgg16]
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.data.synthetic import StreetScene  # noqa: E402
from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.runtime import open_segmenter  # noqa: E402


def _stats(samples_ms):
    samples = np.asarray(samples_ms)
    return np.median(samples), np.percentile(samples, 90)


def bench(name, iterations, warmup, frame_size, threads):
    folder = tempfile.mkdtemp(prefix="bench-")
    path = os.path.join(folder, name + ".onnx")
    zoo.save(zoo.create(name, input_size=zoo.DEFAULT_INPUT_SIZE), path)
    segmenter = open_segmenter(path, threads=threads)
    bare = segmenter.session
    frame, _ = StreetScene(frame_size, seed=0).render(0)
    tensor = segmenter.prepare_input(frame)
    feed = {bare.get_inputs()[0].name: tensor}
    segmenter_ms, bare_ms = [], []
    for index in range(warmup + iterations):
        start = time.perf_counter()
        segmenter.infer(frame)
        middle = time.perf_counter()
        bare.run(None, feed)
        end = time.perf_counter()
        if index >= warmup:
            segmenter_ms.append((middle - start) * 1e3)
            bare_ms.append((end - middle) * 1e3)
    return _stats(segmenter_ms), _stats(bare_ms)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=sorted(zoo.SPECS))
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    import onnxruntime

    print("ONNX Runtime {} on {} cores; input 1x3x128x256; {} iterations after {} warm-up".format(
        onnxruntime.__version__, os.cpu_count(), args.iterations, args.warmup))
    print("{:<14} {:>9} {:>22} {:>22} {:>16}".format(
        "model", "frame", "Segmenter med/p90 ms", "bare run med/p90 ms", "overhead ratio"))
    for name in args.models:
        for frame_size in ((128, 256), (720, 1280)):
            (seg_med, seg_p90), (bare_med, bare_p90) = bench(
                name, args.iterations, args.warmup, frame_size, args.threads)
            print("{:<14} {:>9} {:>10.1f} / {:<9.1f} {:>10.1f} / {:<9.1f} {:>16.3f}".format(
                name, "{}x{}".format(*frame_size), seg_med, seg_p90, bare_med, bare_p90,
                seg_med / bare_med))


if __name__ == "__main__":
    main()
