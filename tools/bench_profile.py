#!/usr/bin/env python3
"""Does ``profile`` report what the model costs, and do its stages add up to its total? Its
median inference time on ONNX Runtime beside a bare ``InferenceSession.run`` loop over the
same model, measured in the same rounds.

Each round runs, in a random order: the bare loop, the bare loop again (the control: the
ratio of the two is the machine's noise, which should be within +-3 %), and a ``profile``
(its own session, on a frame of --frame-size). Ratios are per round, printed as median [min,
max]. Goals: profile / bare within 3 %; every profile's stage means summing to its per-frame
total within 3 %.

    python3 tools/bench_profile.py [--model segnet-basic-synthetic] [--rounds 7]
        [--iterations 20] [--frame-size 720x1280]
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.models import shipped  # noqa: E402
from edge_segnet.profile import profiler, report as report_module  # noqa: E402
from edge_segnet.runtime import open_segmenter  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interleave  # noqa: E402
import tool_main  # noqa: E402


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="segnet-basic-synthetic",
                        help="an .onnx or a shipped model's name")
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=7)
    parser.add_argument("--iterations", type=tool_main.at_least(1), default=20)
    parser.add_argument("--warmup", type=tool_main.at_least(0), default=3)
    parser.add_argument("--frame-size", type=tool_main.frame_size, default="720x1280")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import onnxruntime

    path = shipped.resolve(args.model)
    frame_size = args.frame_size
    segmenter = open_segmenter(path)
    frame = np.random.RandomState(0).randint(0, 256, frame_size + (3,)).astype(np.uint8)
    tensor = segmenter.prepare_input(frame)
    for _ in range(args.warmup):
        segmenter.run_tensor(tensor)
    shares = []

    def bare():
        samples = []
        for _ in range(args.iterations):
            start = time.perf_counter()
            segmenter.run_tensor(tensor)
            samples.append((time.perf_counter() - start) * 1e3)
        return float(np.median(samples))

    def profiled():
        report = profiler.profile(path, profiler.ProfileOptions(
            iterations=args.iterations, warmup=args.warmup, frame_size=frame_size))
        shares.append(report_module.stages_share(report))
        return report["latency_ms"]["median"]

    values = interleave.rounds({"bare": bare, "bare again": bare, "profile": profiled},
                               args.rounds, args.seed)
    print("ONNX Runtime {} on {} cores, {} threads, {}; {} rounds of {} runs each, frames "
          "{}x{}".format(onnxruntime.__version__, os.cpu_count(), segmenter.threads,
                         os.path.basename(path), args.rounds, args.iterations, *frame_size))
    print(interleave.control_line(values, "bare", "bare again"))
    print("median ms: bare InferenceSession.run {}, profile's inference {}".format(
        interleave.spread(values["bare"], 2), interleave.spread(values["profile"], 2)))
    print("ratio profile / bare per round: {} (goal within 3%)".format(
        interleave.spread(interleave.ratios(values, "profile", "bare"))))
    print("profile's stage means / its per-frame mean, every run: {} (goal within 3%)".format(
        ", ".join("{:.4f}".format(share) for share in shares)))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
