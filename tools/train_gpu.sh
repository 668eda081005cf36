#!/usr/bin/env bash
# One command on a GPU machine: train from the CamVid pack in IN_DIR (tools/pack_camvid.py;
# a checkpoint manifest beside it is resumed), outputs to OUT_DIR (default $OUT, else gpu-out):
# NAME.ckpt.json + its parts (<= 15 MiB each), NAME.log.json, train.log.
#
#   tools/train_gpu.sh gpu-in                       # SegNet-Basic, 128x256, 0006R0 held out
#   tools/train_gpu.sh gpu-in "$OUT" --final        # all of train+val (the ship run)
#   tools/train_gpu.sh gpu-vgg "$OUT" --arch segnet-vgg16 --input-size 256x512 --batch-size 4
#
# Further arguments go to tools/train_gpu.py train (--epochs, --budget-minutes, --device ...).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
in_dir="${1:-gpu-in}"
out_dir="${2:-${OUT:-gpu-out}}"
shift $(( $# > 2 ? 2 : $# ))
mkdir -p "$out_dir"
python="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1
"$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' \
    2>&1 | tee "$out_dir/train.log"
"$python" "$here/train_gpu.py" train --in "$in_dir" --out "$out_dir" "$@" 2>&1 \
    | tee -a "$out_dir/train.log"
ls -l "$out_dir" | tee -a "$out_dir/train.log"
