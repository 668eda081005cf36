#!/usr/bin/env python3
"""The overlay at 720p against a plain OpenCV version with the same output, in every mode, and
``--ignore-class`` against the plain overlay.

The plain version is what anyone would write: cv2.LUT from class ids to colors on the 128x256
label map, one cv2.resize to the frame, one cv2.addWeighted (or cv2.hconcat beside the frame).
Every round times each variant (``--draws`` draws of one frame, milliseconds per draw) in a
random order; ratios are per round, printed as median [min, max]. The control is the plain
overlay timed twice. Goals: each mode within 1.1x of its plain version, --ignore-class within
1.2x of the plain overlay.

    python3 tools/bench_overlay.py [--rounds 15] [--draws 30] [--cv2-threads N (default 1)]
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.data.synthetic import StreetScene  # noqa: E402
from edge_segnet.models.labels import camvid  # noqa: E402
from edge_segnet.viz.overlay import Painter  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interleave  # noqa: E402
import tool_main  # noqa: E402


def plain(cv2, palette, mode, alpha):
    table = np.zeros((1, 256, 3), np.uint8)
    table[0, :len(palette)] = palette

    def draw(frame, labels):
        ids = labels.astype(np.uint8)
        colors = cv2.LUT(cv2.merge((ids, ids, ids)), table)
        mask = cv2.resize(colors, (frame.shape[1], frame.shape[0]),
                          interpolation=getattr(cv2, "INTER_NEAREST_EXACT",
                                                cv2.INTER_NEAREST))
        if mode == "mask":
            return mask
        if mode == "side-by-side":
            return cv2.hconcat((frame, mask))
        return cv2.addWeighted(frame, 1.0 - alpha, mask, alpha, 0.0)
    return draw


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=15)
    parser.add_argument("--draws", type=tool_main.at_least(1), default=30)
    parser.add_argument("--cv2-threads", type=tool_main.at_least(0), default=1,
                        help="cv2.setNumThreads: 1 as in the run loop (runner.RunOptions); 0 "
                             "for OpenCV's own pool")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import cv2

    if args.cv2_threads:
        cv2.setNumThreads(args.cv2_threads)
    scene = StreetScene((720, 1280), seed=3)
    frame, _ = scene.render(0)
    frame = np.ascontiguousarray(frame)
    _, labels = StreetScene((128, 256), seed=3).render(0)
    labels = labels.astype(np.int32)
    palette = np.asarray(camvid().colors_bgr, np.uint8)
    alpha = 0.5
    draws = {}
    for mode in ("overlay", "mask", "side-by-side"):
        draws["plain " + mode] = plain(cv2, palette, mode, alpha)
        draws["ours " + mode] = Painter(palette, mode, alpha).draw
    draws["plain overlay again"] = draws["plain overlay"]
    ignoring = Painter(palette, "overlay", alpha, ignore=(0, 3))
    draws["ours --ignore-class"] = ignoring.draw
    draws["ours --ignore-class linear"] = Painter(palette, "overlay", alpha, "linear",
                                                  ignore=(0, 3)).draw
    for name, draw in draws.items():
        if name.startswith("ours ") and "ignore" not in name:
            reference = draws["plain " + name[5:]](frame, labels)
            assert np.array_equal(draw(frame, labels), reference), name

    def timed(draw):
        def measure():
            start = time.perf_counter()
            for _ in range(args.draws):
                draw(frame, labels)
            return (time.perf_counter() - start) * 1e3 / args.draws
        return measure

    values = interleave.rounds({name: timed(draw) for name, draw in draws.items()}, args.rounds,
                               args.seed)
    print("OpenCV {} with {} threads; 1280x720 frame, 128x256 labels; {} rounds of {} draws "
          "per variant".format(cv2.__version__, cv2.getNumThreads(), args.rounds, args.draws))
    print(interleave.control_line(values, "plain overlay", "plain overlay again"))
    print("ms per draw, median [min, max]:")
    for name in draws:
        print("  {:<28} {}".format(name, interleave.spread(values[name], 2)))
    print("ratios per round, median [min, max]:")
    for mode in ("overlay", "mask", "side-by-side"):
        print("  ours / plain {:<20} {} (goal <= 1.1)".format(mode, interleave.spread(
            interleave.ratios(values, "ours " + mode, "plain " + mode))))
    print("  (--ignore-class found its pixels with: {}, the faster on this OpenCV)".format(
        ignoring.keep_method))
    for name in ("ours --ignore-class", "ours --ignore-class linear"):
        print("  {} / plain overlay {}{}".format(name[5:], interleave.spread(
            interleave.ratios(values, name, "plain overlay")),
            " (goal <= 1.2)" if "linear" not in name else ""))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
