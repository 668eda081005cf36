#!/usr/bin/env python3
"""Training throughput (images/s) of loader and loop variants, measured against each other.

Each variant is a tools/train_segnet.py setting (the decoded cache, DataLoader workers,
channels_last, torch.compile) run through the loop's own ``Session.step`` on the real training
split. Variants are interleaved in a random order in every repeat, so drift (thermal, another
job on the machine) falls on all of them; the summary gives the median and spread of images/s
and the ratio to ``baseline`` (the loader and loop as they were: PNG decoding in the main
process, contiguous tensors, eager) paired within each repeat; ``baseline-again`` is the
control (the same settings twice: its ratio should be within +-3 % of 1).

    python3 tools/bench_train.py --data /tmp/CamVid --threads 1 --steps 2 --repeats 3

``--loader-only`` variants time the DataLoader alone (no model): the share of a step the data
costs, which the full steps on a CPU are too slow and noisy to resolve.
"""

import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import progress  # noqa: E402
from edge_segnet.train.loop import Session, TrainConfig  # noqa: E402
from edge_segnet.models.torch_segnet import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_main  # noqa: E402

VARIANTS = {
    "baseline": {},
    "baseline-again": {},  # the control: the same as baseline, its ratio is the noise (+-3 %)
    "cache": {"cache": True},
    "workers": {"workers": 1},
    "cache+workers": {"cache": True, "workers": 1},
    "channels-last": {"channels_last": True},
    "compile": {"compile": True},
}
DEFAULT_VARIANTS = "baseline,baseline-again,cache,workers,cache+workers,channels-last"


def make_config(args, settings, cache_dir):
    return TrainConfig(
        data=args.data, arch=args.arch, width=args.width, kernel=args.kernel,
        input_size=args.input_size, batch_size=args.batch_size,
        epochs=30, seed=args.seed, threads=args.threads, checkpoint=None, device=args.device,
        cache_dir=cache_dir if settings.get("cache") else None,
        workers=settings.get("workers", 0), channels_last=settings.get("channels_last", False),
        compile=settings.get("compile", False))


def time_steps(session, trial, steps, warmup):
    """images/s over ``steps`` steps, each including the fetch of the next batch; the first
    batch (and with it any worker start-up) is fetched before the clock starts."""
    session.set_epoch(trial)
    batches = iter(session.loader)
    images, labels = next(batches)
    for _ in range(warmup):
        session.step(images, labels)
        images, labels = next(batches)
    count, data_seconds = 0, 0.0
    start = time.perf_counter()
    for _ in range(steps):
        session.step(images, labels)
        count += images.shape[0]
        fetch = time.perf_counter()
        images, labels = next(batches)
        data_seconds += time.perf_counter() - fetch
    seconds = time.perf_counter() - start
    if session.device.type == "cuda":
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    return count / seconds, data_seconds / seconds


def time_loader(session, trial, batches_to_time):
    session.set_epoch(trial)
    batches = iter(session.loader)
    next(batches)
    count, start = 0, time.perf_counter()
    for _ in range(batches_to_time):
        images, _ = next(batches)
        count += images.shape[0]
    return count / (time.perf_counter() - start), 1.0


def summarise(names, rates, shares, unit):
    base = rates.get("baseline")
    print("\n{:<15} {:>12} {:>17} {:>8} {:>22}".format(
        "variant", "median " + unit, "min-max", "data %", "vs baseline (min-max)"))
    for name in names:
        values = rates[name]
        line = "{:<15} {:>12.3f} {:>8.3f}-{:<8.3f} {:>8.1f}".format(
            name, statistics.median(values), min(values), max(values),
            100 * statistics.median(shares[name]))
        if base and name != "baseline":
            ratios = [value / reference for value, reference in zip(values, base)]
            line += " {:>8.3f}x ({:.3f}-{:.3f})".format(statistics.median(ratios), min(ratios),
                                                         max(ratios))
        print(line)


def main(argv=None):
    with progress.log_lines_to(prefix="  "):  # the package's progress lines on stdout
        return _main(argv)


def _main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/tmp/CamVid", help="CamVid-layout dataset.")
    parser.add_argument("--arch", default="segnet-basic")
    parser.add_argument("--width", type=tool_main.at_least(1), default=64)
    parser.add_argument("--kernel", type=tool_main.at_least(1), default=7)
    parser.add_argument("--input-size", type=tool_main.frame_size, default="128x256")
    parser.add_argument("--batch-size", type=tool_main.at_least(1), default=8)
    parser.add_argument("--steps", type=tool_main.at_least(1), default=2,
                        help="Timed steps per trial.")
    parser.add_argument("--warmup", type=tool_main.at_least(0), default=1,
                        help="Untimed steps before the first trial of each variant.")
    parser.add_argument("--repeats", type=tool_main.at_least(1), default=3)
    parser.add_argument("--threads", type=tool_main.at_least(1), default=1,
                        help="torch.set_num_threads.")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--variants", default=DEFAULT_VARIANTS,
                        help="Comma-separated, from: " + ", ".join(VARIANTS))
    parser.add_argument("--loader-only", action="store_true",
                        help="Time the DataLoader alone (model steps skipped).")
    parser.add_argument("--cache-dir", help="Decoded cache (default: a temporary folder, built "
                        "once before timing).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the variant order.")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        parser.error("unknown variants: {}".format(", ".join(unknown)))
    torch.set_num_threads(args.threads)
    print("bench_train: {} {}x{} w{} k{}, batch {}, {} thread(s), {}, {} step(s) x {} "
          "repeats{}".format(args.arch, *args.input_size, args.width, args.kernel,
                             args.batch_size, torch.get_num_threads(), args.device, args.steps,
                             args.repeats, ", loader only" if args.loader_only else ""))
    with tempfile.TemporaryDirectory(prefix="bench-train-cache-") as temp:
        cache_dir = args.cache_dir or temp
        sessions = {}
        for name in names:  # building sessions also builds the cache: outside the clock
            sessions[name] = Session(make_config(args, VARIANTS[name], cache_dir))
        rates = {name: [] for name in names}
        shares = {name: [] for name in names}
        order = random.Random(args.seed)
        warmed = set()
        for repeat in range(args.repeats):
            shuffled = list(names)
            order.shuffle(shuffled)
            for name in shuffled:
                session = sessions[name]
                if args.loader_only:
                    rate, share = time_loader(session, repeat, max(1, args.steps))
                else:
                    rate, share = time_steps(session, repeat, args.steps,
                                             0 if name in warmed else args.warmup)
                warmed.add(name)
                rates[name].append(rate)
                shares[name].append(share)
                print("repeat {} {:<15} {:.3f} images/s (data {:.1f}%)".format(
                    repeat + 1, name, rate, 100 * share), flush=True)
        summarise(names, rates, shares, "images/s")
    return 0


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
