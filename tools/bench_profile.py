#!/usr/bin/env python3
"""Does ``profile`` report what the model costs? Its median on ONNX Runtime beside a bare
``InferenceSession.run`` loop over the same model and input, measured in one run.

Rounds of a bare loop then a profile, one session alive at a time (two sessions' spinning
thread pools would slow each other on a small CPU); this machine's speed drifts by several
percent over a minute, so the rounds interleave the two and the medians of all samples of each
are compared. Goal: within 3%.

    python3 tools/bench_profile.py [--model M.onnx] [--rounds 6] [--iterations 30]
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.profile import profiler  # noqa: E402
from edge_segnet.runtime import open_segmenter  # noqa: E402
from edge_segnet.runtime.onnxruntime_backend import providers, session_options  # noqa: E402


def bare_samples(path, tensor, iterations, warmup):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, sess_options=session_options(onnxruntime),
                                           providers=providers(onnxruntime))
    feed = {session.get_inputs()[0].name: tensor}
    for _ in range(warmup):
        session.run(None, feed)
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        session.run(None, feed)
        samples.append((time.perf_counter() - start) * 1e3)
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="default: SegNet-Basic at 128x256")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    import onnxruntime

    path = args.model
    if path is None:
        path = os.path.join(tempfile.mkdtemp(), "segnet-basic.onnx")
        zoo.save(zoo.create("segnet-basic"), path)
    segmenter = open_segmenter(path)
    tensor = segmenter.prepare_input(np.full(tuple(segmenter.input_size) + (3,), 128, np.uint8))
    del segmenter
    bare, ours = [], []
    for _ in range(args.rounds):
        bare.extend(bare_samples(path, tensor, args.iterations, args.warmup))
        report = profiler.profile(path, profiler.ProfileOptions(iterations=args.iterations,
                                                                warmup=args.warmup))
        ours.extend(report["samples_ms"])
    bare_median, ours_median = float(np.median(bare)), float(np.median(ours))
    print("ONNX Runtime {} on {} cores, {} ({} rounds of {} runs each)".format(
        onnxruntime.__version__, os.cpu_count(), os.path.basename(path), args.rounds,
        args.iterations))
    print("bare InferenceSession.run median: {:.2f} ms".format(bare_median))
    print("edge-segnet profile median:       {:.2f} ms".format(ours_median))
    print("ratio profile/bare: {:.4f} ({:+.1f}%; goal within 3%)".format(
        ours_median / bare_median, 100 * (ours_median / bare_median - 1)))


if __name__ == "__main__":
    main()
