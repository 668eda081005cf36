#!/usr/bin/env python3
"""ONNX Runtime latency of the zoo models through the Segmenter beside a bare
``InferenceSession.run`` loop on the same model and input, measured in one run.

Each round makes one call of each, in a random order, so that clock drift and other load hit
both alike, on the same InferenceSession; the bare call is made twice per round as the
control (its two timings should agree within +-3 %). Ratios are per round, printed as median
[min, max].

    python3 tools/bench_segmenter.py [--iterations 40] [--models segnet-basic segnet-vgg16]
"""

import os
import sys
import tempfile
import time


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.data.synthetic import StreetScene  # noqa: E402
from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.runtime import open_segmenter  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interleave  # noqa: E402
import tool_main  # noqa: E402


def _timed(call):
    def measure():
        start = time.perf_counter()
        call()
        return (time.perf_counter() - start) * 1e3
    return measure


def bench(name, iterations, warmup, frame_size, threads):
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        path = os.path.join(folder, name + ".onnx")
        zoo.save(zoo.create(name, input_size=zoo.DEFAULT_INPUT_SIZE), path)
        segmenter = open_segmenter(path, threads=threads)  # holds the model: the file can go
    bare = segmenter.session
    frame, _ = StreetScene(frame_size, seed=0).render(0)
    tensor = segmenter.prepare_input(frame)
    feed = {bare.get_inputs()[0].name: tensor}
    for _ in range(warmup):
        segmenter.infer(frame)
        bare.run(None, feed)
    return interleave.rounds({"Segmenter": _timed(lambda: segmenter.infer(frame)),
                              "bare": _timed(lambda: bare.run(None, feed)),
                              "bare again": _timed(lambda: bare.run(None, feed))}, iterations)


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=sorted(zoo.SPECS), default=sorted(zoo.SPECS))
    parser.add_argument("--iterations", type=tool_main.at_least(1), default=40)
    parser.add_argument("--warmup", type=tool_main.at_least(0), default=5)
    parser.add_argument("--threads", type=tool_main.at_least(1), default=None)
    args = parser.parse_args(argv)
    import onnxruntime

    print("ONNX Runtime {} on {} cores; input 1x3x128x256; {} iterations after {} warm-up".format(
        onnxruntime.__version__, os.cpu_count(), args.iterations, args.warmup))
    print("{:<14} {:>9} {:>22} {:>22} {:>24} {:>24}".format(
        "model", "frame", "Segmenter ms med [range]", "bare run ms med [range]",
        "overhead ratio med [range]", "control ratio med [range]"))
    for name in args.models:
        for frame_size in ((128, 256), (720, 1280)):
            values = bench(name, args.iterations, args.warmup, frame_size, args.threads)
            print("{:<14} {:>9} {:>22} {:>22} {:>24} {:>24}".format(
                name, "{}x{}".format(*frame_size), interleave.spread(values["Segmenter"], 1),
                interleave.spread(values["bare"], 1),
                interleave.spread(interleave.ratios(values, "Segmenter", "bare")),
                interleave.spread(interleave.ratios(values, "bare again", "bare"))))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
