#!/usr/bin/env python3
"""Two ways to bring a 128x256 segmentation up to the frame: arg-max at the model's size, then
each output pixel takes the class under its centre (``labelmaps.resize_labels``, what eval and
run do), against bilinear upsampling of the class scores, then arg-max at the frame's size.

Accuracy: every image of the split, scored at its own size (360x480 for CamVid) as eval scores,
overall and per recording sequence. Cost: the logits of ``--timed`` frames, each way timed in
rounds in a random order (tools/interleave.py) at the eval size and at 720p (what a camera
frame is upsampled to for the overlay); the control is the nearest way timed twice.

    python3 tools/bench_label_upsampling.py --data /tmp/CamVid [--model segnet-basic-camvid]
        [--split test] [--rounds 9] [--timed 20] [--threads N]
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import inputs, labelmaps  # noqa: E402
from edge_segnet.data import datasets  # noqa: E402
from edge_segnet.errors import ModelError  # noqa: E402
from edge_segnet.eval.metrics import ConfusionMatrix  # noqa: E402
from edge_segnet.models import shipped  # noqa: E402
from edge_segnet.runtime import open_segmenter  # noqa: E402
from edge_segnet.runtime.segmenter import labels_from_logits  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interleave  # noqa: E402
import tool_main  # noqa: E402

SIZES = {"eval": None, "720p": (720, 1280)}  # None: the image's own size


def nearest(logits, height, width):
    return labelmaps.resize_labels(labels_from_logits(logits), height, width)


def bilinear(cv2, logits, height, width):
    # cv2.resize is centre-aligned (half-pixel) like the image's own resize; HxWxC planes.
    planes = cv2.resize(np.ascontiguousarray(logits[0].transpose(1, 2, 0)), (width, height),
                        interpolation=cv2.INTER_LINEAR)
    if planes.ndim == 2:  # one class: OpenCV drops the channel axis
        planes = planes[:, :, None]
    return labels_from_logits(planes.transpose(2, 0, 1)[None])


def _figures(matrix):
    return "global {:.1f}  class avg {:.1f}  mIoU {:.1f}".format(
        100 * matrix.global_accuracy(), 100 * matrix.class_average_accuracy(),
        100 * matrix.mean_iou())


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a CamVid folder (test/, testannot/)")
    parser.add_argument("--model", default=shipped.DEFAULT)
    parser.add_argument("--split", default="test")
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=9)
    parser.add_argument("--timed", type=tool_main.at_least(1), default=20,
                        help="frames whose logits are timed")
    parser.add_argument("--threads", type=tool_main.at_least(1), default=None)
    args = parser.parse_args(argv)
    cv2 = inputs.opencv_reader("resizing class scores")
    cv2.setNumThreads(1)  # the output thread resizes one frame at a time
    segmenter = open_segmenter(shipped.resolve(args.model), threads=args.threads)
    if not segmenter.logits_output:
        raise ModelError("{} gives labels, not class scores: nothing to upsample".format(
            args.model), hint="give a model with a class-score output")
    names = list(segmenter.info.labels.names)
    void = names.index("void") if "void" in [n.lower() for n in names] else None
    samples = datasets.select_samples(args.data, args.split, "camvid")
    ways = ("nearest", "bilinear")
    matrices = {way: ConfusionMatrix(len(names), void) for way in ways}
    per_sequence = {}
    kept = []
    for sample in samples:
        image = datasets.read_image(sample.image_path)
        truth = datasets.read_labels(sample.label_path)
        logits = segmenter.infer(image, want_logits=True).logits
        if len(kept) < args.timed:
            kept.append(logits)
        sequence = datasets.sequence_name(sample.name)
        for way, labels in (("nearest", nearest(logits, *truth.shape)),
                            ("bilinear", bilinear(cv2, logits, *truth.shape))):
            matrices[way].update(truth, labels)
            per_sequence.setdefault((sequence, way), ConfusionMatrix(len(names), void)).update(
                truth, labels)
    segmenter.close()
    print("{} on {} {} images ({}), scored at each image's size:".format(
        args.model, len(samples), args.split, args.data))
    for way in ways:
        print("  {:9s} all       {}".format(way, _figures(matrices[way])))
        for sequence in sorted(set(key[0] for key in per_sequence)):
            print("  {:9s} {:9s} {}".format(way, sequence, _figures(
                per_sequence[(sequence, way)])))
    eval_size = truth.shape
    for size_name, size in SIZES.items():
        height, width = size or eval_size

        def timed(function):
            def measure():
                start = time.perf_counter()
                for logits in kept:
                    function(logits, height, width)
                return 1000.0 * (time.perf_counter() - start) / len(kept)
            return measure

        values = interleave.rounds({
            "nearest": timed(nearest), "nearest_again": timed(nearest),
            "bilinear": timed(lambda logits, h, w: bilinear(cv2, logits, h, w))}, args.rounds)
        print("ms per frame to {}x{} ({} frames, {} rounds, median [min, max]): nearest {}, "
              "bilinear {}".format(height, width, len(kept), args.rounds,
                                   interleave.spread(values["nearest"], 2),
                                   interleave.spread(values["bilinear"], 2)))
        print("  bilinear / nearest: {}; {}".format(
            interleave.spread(interleave.ratios(values, "bilinear", "nearest")),
            interleave.control_line(values, "nearest", "nearest_again")))
    return 0


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
