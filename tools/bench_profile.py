#!/usr/bin/env python3
"""Does ``profile`` report what the model costs? Its median on ONNX Runtime beside a bare
``InferenceSession.run`` loop over the same model and input, measured in one run.

Bare loop, then profile, then the bare loop again, one session alive at a time (two sessions'
spinning thread pools would slow each other on a small CPU); the profile median is compared with
the mean of the two bare medians. Goal: within 3%.

    python3 tools/bench_profile.py [--model M.onnx] [--iterations 100]
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


def bare_median(path, tensor, iterations, warmup):
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
    return float(np.median(samples))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="default: SegNet-Basic at 128x256")
    parser.add_argument("--iterations", type=int, default=100)
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
    before = bare_median(path, tensor, args.iterations, args.warmup)
    report = profiler.profile(path, profiler.ProfileOptions(iterations=args.iterations,
                                                            warmup=args.warmup))
    after = bare_median(path, tensor, args.iterations, args.warmup)
    bare = (before + after) / 2
    ours = report["latency_ms"]["median"]
    print("ONNX Runtime {} on {} cores, {} ({} runs each)".format(
        onnxruntime.__version__, os.cpu_count(), os.path.basename(path), args.iterations))
    print("bare InferenceSession.run median: {:.2f} ms (before {:.2f}, after {:.2f})".format(
        bare, before, after))
    print("edge-segnet profile median:       {:.2f} ms".format(ours))
    print("ratio profile/bare: {:.4f} ({:+.1f}%; goal within 3%)".format(
        ours / bare, 100 * (ours / bare - 1)))


if __name__ == "__main__":
    main()
