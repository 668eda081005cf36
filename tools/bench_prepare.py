#!/usr/bin/env python3
"""ONNX Runtime latency of the original zoo models vs their native-rewritten form vs the
native form with pre-processing and arg-max in the graph, and how long ``prepare`` takes, in
one run.

The variants are timed in rounds, each round running every variant (``--iterations`` calls,
median milliseconds) in a random order, with the original timed twice as the control: timed
in blocks of their own, the variants once compared the machine's drift more than the graphs
(the prepared graph read 0.52x the original's time; interleaved it was 1.10-1.16x). Ratios are
per round, printed as median [min, max]. All sessions are open at once; their idle threads
sleep (as every session edge-segnet opens), so they do not take the cores from the one
running. Latency is ``session.run`` only: the embed-preprocess+argmax variant takes the
frame's bytes (float32 planes for TensorRT 8.2) and returns the label map, the others take
the normalised tensor and return logits.

    python3 tools/bench_prepare.py [--iterations 10] [--rounds 9]
        [--models segnet-basic segnet-vgg16]
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.data.synthetic import StreetScene  # noqa: E402
from edge_segnet import prepare as prepare_module  # noqa: E402
from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.runtime import preprocess  # noqa: E402
from edge_segnet.runtime.onnxruntime_backend import providers, session_options  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interleave  # noqa: E402
import tool_main  # noqa: E402


def _timer(session, feed, iterations, warmup):
    for _ in range(warmup):
        session.run(None, feed)

    def measure():
        samples = []
        for _ in range(iterations):
            start = time.perf_counter()
            session.run(None, feed)
            samples.append((time.perf_counter() - start) * 1e3)
        return float(np.median(samples))
    return measure


def bench(name, iterations, warmup, rounds, seed):
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
    timers = {}
    for label, (model, seconds) in variants.items():
        session = onnxruntime.InferenceSession(model.SerializeToString(),
                                               sess_options=session_options(onnxruntime),
                                               providers=providers(onnxruntime))
        feed = {session.get_inputs()[0].name: raw if "embed" in label else normalised}
        timers[label] = _timer(session, feed, iterations, warmup)
    timers["original again"] = timers["original"]
    values = interleave.rounds(timers, rounds, seed)
    return values, {label: seconds for label, (_, seconds) in variants.items()}


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=sorted(zoo.SPECS), default=sorted(zoo.SPECS))
    parser.add_argument("--iterations", type=tool_main.at_least(1), default=10)
    parser.add_argument("--warmup", type=tool_main.at_least(0), default=3)
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import onnxruntime

    print("ONNX Runtime {} on {} cores; 1x3x128x256; {} rounds, each variant {} calls per round "
          "(median) after {} warm-up, in a random order".format(
              onnxruntime.__version__, os.cpu_count(), args.rounds, args.iterations,
              args.warmup))
    print("{:<14} {:<22} {:>26} {:>26} {:>10}".format(
        "model", "graph", "ms per call, med [min,max]", "vs original, med [min,max]",
        "prepare s"))
    for name in args.models:
        values, seconds = bench(name, args.iterations, args.warmup, args.rounds, args.seed)
        for label in values:
            print("{:<14} {:<22} {:>26} {:>26} {:>10}".format(
                name, label, interleave.spread(values[label], 1),
                interleave.spread(interleave.ratios(values, label, "original")),
                "{:.2f}".format(seconds[label]) if seconds.get(label) else "-"))
        print(interleave.control_line(values, "original", "original again"))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
