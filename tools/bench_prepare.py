#!/usr/bin/env python3
"""ONNX Runtime latency of the original zoo models vs their native-rewritten form vs the
native form with pre-processing and arg-max in the graph, and how long ``prepare`` takes, in
one run.

Each variant is timed on the same input in its own block after a warm-up (one session at a
time: idle sessions' spinning thread pools would otherwise steal the two cores). Latency is
``session.run`` only: the embed-preprocess+argmax variant takes the frame's bytes (float32
planes for TensorRT 8.2) and returns the label map, the others take the normalised tensor and
return logits.

    python3 tools/bench_prepare.py [--iterations 30] [--models segnet-basic segnet-vgg16]
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.data.synthetic import StreetScene  # noqa: E402
from edge_segnet.graph import prepare as prepare_module  # noqa: E402
from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.runtime import preprocess  # noqa: E402
from edge_segnet.runtime.onnxruntime_backend import providers, session_options  # noqa: E402


def _time(session, feed, iterations, warmup):
    samples = []
    for index in range(warmup + iterations):
        start = time.perf_counter()
        session.run(None, feed)
        if index >= warmup:
            samples.append((time.perf_counter() - start) * 1e3)
    return np.median(samples), np.percentile(samples, 90)


def bench(name, iterations, warmup):
    import onnxruntime

    size = zoo.DEFAULT_INPUT_SIZE
    original = zoo.create(name, input_size=size)
    variants = {"original": (original, 0.0)}
    for label, options in (
            ("native", prepare_module.PrepareOptions(input_size=size, unpool_form="native")),
            ("native+embed+argmax", prepare_module.PrepareOptions(
                input_size=size, unpool_form="native", embed_preprocess=True, argmax=True,
                trt_version="8.2"))):
        model = original.__deepcopy__()
        start = time.perf_counter()
        prepare_module.prepare(model, options)
        variants[label] = (model, time.perf_counter() - start)
    frame = preprocess.resize(StreetScene((360, 480), seed=0).render(0)[0], size)
    normalised = preprocess.Normalizer((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))(frame)
    raw = frame.transpose(2, 0, 1)[None].astype(np.float32)
    rows = []
    for label, (model, seconds) in variants.items():
        session = onnxruntime.InferenceSession(model.SerializeToString(),
                                               sess_options=session_options(onnxruntime),
                                               providers=providers(onnxruntime))
        feed = {session.get_inputs()[0].name: raw if "embed" in label else normalised}
        median, p90 = _time(session, feed, iterations, warmup)
        rows.append((label, median, p90, seconds))
        del session
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=sorted(zoo.SPECS))
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    import onnxruntime

    print("ONNX Runtime {} on {} cores; 1x3x128x256; {} iterations after {} warm-up".format(
        onnxruntime.__version__, os.cpu_count(), args.iterations, args.warmup))
    print("{:<14} {:<22} {:>10} {:>9} {:>10} {:>12}".format(
        "model", "graph", "median ms", "p90 ms", "vs orig", "prepare s"))
    for name in args.models:
        rows = bench(name, args.iterations, args.warmup)
        base = rows[0][1]
        for label, median, p90, seconds in rows:
            print("{:<14} {:<22} {:>10.1f} {:>9.1f} {:>10.3f} {:>12}".format(
                name, label, median, p90, median / base,
                "-" if label == "original" else "{:.2f}".format(seconds)))


if __name__ == "__main__":
    main()
