#!/usr/bin/env python3
"""Train SegNet on a GPU lent for minutes, from a CamVid pack (tools/pack_camvid.py), and
turn what comes back into loop.py's checkpoint format.

    # on the GPU machine (tools/train_gpu.sh wraps this): the pack's folder in, $OUT out
    python3 tools/train_gpu.py train --in gpu-in --out "$OUT"
    # here: the parts that came back -> a checkpoint ship_camvid_model.py reads
    python3 tools/train_gpu.py convert gpu-out/segnet-basic-128x256.ckpt.json -o basic.ckpt

``train`` keeps the decoded frames on the device, augments there (scale / crop / flip /
photometric, as tools/train_segnet.py), holds out 0006R0 unless --final, trains with bf16
autocast on CUDA, stops itself before --budget-minutes with a checkpoint written (FP32
weights when they fit a 15 MiB part, else FP16; parts of at most 15 MiB), and resumes from a
checkpoint found in --in (or --resume).
"""

import argparse
import os
import sys
import time

STARTED = time.time()

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import fileio, progress  # noqa: E402
from edge_segnet.errors import EdgeSegnetError  # noqa: E402
from edge_segnet.models import zoo  # noqa: E402
from edge_segnet.sizes import parse_size  # noqa: E402
from edge_segnet.train import gpu_kit  # noqa: E402
from edge_segnet.train.data import WEIGHTINGS  # noqa: E402


def _scale_range(text):
    low, _, high = text.partition(",")
    return float(low), float(high)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("train", help="Train from a pack.")
    run.add_argument("--in", dest="in_dir", help="Folder with one pack (and optionally one "
                     "checkpoint to resume from).")
    run.add_argument("--pack", help="The pack's manifest (instead of --in).")
    run.add_argument("--resume", help="A checkpoint manifest (NAME.ckpt.json) to resume from.")
    run.add_argument("--out", default=os.environ.get("OUT") or "gpu-out",
                     help="Output folder (default $OUT, else gpu-out).")
    run.add_argument("--arch", default="segnet-basic", choices=sorted(zoo.SPECS))
    run.add_argument("--width", type=int)
    run.add_argument("--kernel", type=int)
    run.add_argument("--classes", type=int, default=12)
    run.add_argument("--ignore-index", type=int, default=11)
    run.add_argument("--input-size", default="128x256")
    run.add_argument("--epochs", type=int, default=400)
    run.add_argument("--batch-size", type=int, default=8)
    run.add_argument("--lr", type=float, default=2e-3)
    run.add_argument("--weight-decay", type=float, default=1e-4)
    run.add_argument("--weighting", default="median", choices=WEIGHTINGS)
    run.add_argument("--holdout-sequence", action="append", metavar="SEQ",
                     help="Scored, never trained on (default 0006R0). Repeatable.")
    run.add_argument("--final", action="store_true",
                     help="Train on all of train+val: nothing held out (the ship run).")
    run.add_argument("--no-photometric", action="store_true")
    run.add_argument("--dropout", type=float, default=0.0, metavar="P",
                     help="Bayesian SegNet's central dropout while training (as train_segnet).")
    run.add_argument("--scale-range", type=_scale_range, default=(0.75, 1.25),
                     metavar="LOW,HIGH")
    run.add_argument("--zoom-out", action="store_true",
                     help="Scales below 1 shrink the whole frame onto a void-bordered canvas "
                     "(as train_segnet's --zoom-out; without it they are taken as 1).")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--device", default="cuda")
    run.add_argument("--amp", default="auto", choices=gpu_kit.AMP_MODES,
                     help="auto: bf16 on CUDA, off on the CPU.")
    run.add_argument("--threads", type=int)
    run.add_argument("--budget-minutes", type=float, default=9.0,
                     help="Wall clock from start to the last checkpoint written.")
    run.add_argument("--no-fit-budget", action="store_true",
                     help="Keep --epochs even when the budget cannot hold them (the schedule "
                     "is then cut, and a later run resumes it).")
    run.add_argument("--save-every", type=int, default=50, help="Epochs between checkpoints.")
    run.add_argument("--weights-dtype", default="auto", choices=("auto", "float32", "float16"))
    run.add_argument("--part-mb", type=float, default=gpu_kit.PART_BYTES / 2.0 ** 20)
    run.add_argument("--name", help="Output file stem (default ARCH-HxW).")
    run.add_argument("--max-steps", type=int, help="Stop after this many steps (tests).")
    convert = commands.add_parser("convert", help="A checkpoint manifest -> loop.py's format.")
    convert.add_argument("manifest")
    convert.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    if args.command == "train" and not 0 <= args.dropout < 1:
        parser.error("--dropout must be at least 0 and below 1 (Bayesian SegNet: 0.5)")
    return args


def _train(args):
    pack, resume = args.pack, args.resume
    if args.in_dir:
        found_pack, found_resume = gpu_kit.find_manifests(args.in_dir)
        pack, resume = pack or found_pack, resume or found_resume
    if not pack:
        raise SystemExit("train_gpu: give --in or --pack")
    holdout = () if args.final else tuple(args.holdout_sequence or ("0006R0",))
    manifest, history = gpu_kit.train(gpu_kit.KitConfig(
        pack=pack, out_dir=args.out, arch=args.arch, width=args.width, kernel=args.kernel,
        class_count=args.classes, ignore_index=args.ignore_index,
        input_size=parse_size(args.input_size), epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
        weighting=args.weighting, seed=args.seed, holdout_sequences=holdout,
        photometric=not args.no_photometric, scale_range=args.scale_range,
        dropout=args.dropout, zoom_out=args.zoom_out,
        device=args.device, amp=args.amp, threads=args.threads,
        budget_seconds=args.budget_minutes * 60.0, fit_budget=not args.no_fit_budget,
        save_every=args.save_every, max_steps=args.max_steps, resume=resume,
        name=args.name, weights_dtype=args.weights_dtype,
        part_bytes=int(args.part_mb * 2 ** 20)), started=STARTED)
    print("checkpoint: {}".format(manifest), flush=True)


def main(argv=None):
    with progress.log_lines_to():  # the package's progress lines on stdout
        return _main(argv)


def _main(argv=None):
    args = parse_args(argv)
    try:
        if args.command == "train":
            _train(args)
        else:
            fileio.check_outputs_apart([("-o", args.output)], [("MANIFEST", args.manifest)])
            gpu_kit.to_loop_checkpoint(args.manifest, args.output)
            print("wrote {}".format(args.output))
    except EdgeSegnetError as error:
        print("train_gpu: error: {}".format(error), file=sys.stderr, flush=True)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
