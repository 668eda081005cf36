#!/usr/bin/env python3
"""ONNX Runtime latency of a float SegNet against its INT8 (Q/DQ) models, in one run, on this
CPU: rounds in random order, every variant once per round, the same input; a control (a second
session of the float model) shows the noise floor. Then, with --profile, where the time goes
(ONNX Runtime's profiler, by op type).

    python3 tools/bench_int8.py --int8 M.cpu.int8.onnx [--int8 M.int8.onnx ...] \
        [--model segnet-basic-camvid] [--rounds 40] [--threads 2] [--profile]

Sessions are made with spinning off: an idle session's spinning thread pool would otherwise
steal the cores from the one being timed. Graphs with our unpooling op (TensorRT's placement)
run with that op spelled in standard ops (as calibration runs them), not through the numpy
reference, so their time is ONNX Runtime's.
"""

import collections
import json
import os
import random
import sys
import tempfile
import time

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.data.synthetic import StreetScene  # noqa: E402
from edge_segnet.graph import unpool  # noqa: E402
from edge_segnet.graph.executor import has_unpool_op  # noqa: E402
from edge_segnet.models import shipped, zoo  # noqa: E402
from edge_segnet.quant.calibrate import _input_tensors  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_main  # noqa: E402


def make_session(ort, model, threads, profile_prefix=None):
    if has_unpool_op(model):
        model = onnx.ModelProto.FromString(model.SerializeToString())
        unpool.expand_plugin_nodes(model)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def feed_for(model, frame):
    name, to_tensor = _input_tensors(model)
    return {name: to_tensor(frame)}


def interleaved(sessions, feeds, rounds, warmup, seed):
    times = collections.defaultdict(list)
    order = list(sessions)
    rng = random.Random(seed)
    for index in range(warmup + rounds):
        rng.shuffle(order)
        for label in order:
            start = time.perf_counter()
            sessions[label].run(None, feeds[label])
            if index >= warmup:
                times[label].append((time.perf_counter() - start) * 1e3)
    return times


def op_profile(ort, model, feed, threads, runs):
    """Milliseconds per run by op type, from ONNX Runtime's own profiler."""
    with tempfile.TemporaryDirectory(prefix="edge-segnet-profile.") as folder:
        session = make_session(ort, model, threads, os.path.join(folder, "p"))
        for _ in range(runs):
            session.run(None, feed)
        with open(session.end_profiling()) as handle:
            events = json.load(handle)
    by_op = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event.get("name", "").endswith("_kernel_time"):
            by_op[event["args"].get("op_name", "?")] += event.get("dur", 0) / 1e3
    return {op: ms / runs for op, ms in by_op.items()}


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="segnet-basic-camvid")
    parser.add_argument("--int8", action="append", required=True,
                        help="A Q/DQ model of --model (repeat for several).")
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=40)
    parser.add_argument("--warmup", type=tool_main.at_least(0), default=5)
    parser.add_argument("--threads", type=tool_main.at_least(1), default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    import onnxruntime as ort

    frame = StreetScene((360, 480), seed=0).render(0)[0]
    models = collections.OrderedDict()
    models["fp32"] = zoo.load(shipped.resolve(args.model))
    models["fp32 (control)"] = models["fp32"]
    for path in args.int8:
        models[os.path.basename(path)] = zoo.load(path)
    sessions = {label: make_session(ort, model, args.threads)
                for label, model in models.items()}
    feeds = {label: feed_for(model, frame) for label, model in models.items()}
    times = interleaved(sessions, feeds, args.rounds, args.warmup, args.seed)
    base = float(np.median(times["fp32"]))
    print("ONNX Runtime {} CPU, {} threads, {} rounds in random order (+{} warm-up), "
          "1 frame to {}x{}".format(ort.__version__, args.threads, args.rounds, args.warmup,
                                    *feeds["fp32"][next(iter(feeds["fp32"]))].shape[2:]))
    print("{:<34} {:>10} {:>16} {:>14}".format("model", "median ms", "p10-p90 ms",
                                               "speed-up"))
    for label in models:
        samples = times[label]
        median = float(np.median(samples))
        print("{:<34} {:>10.1f} {:>16} {:>13.2f}x".format(
            label, median, "{:.1f}-{:.1f}".format(np.percentile(samples, 10),
                                                 np.percentile(samples, 90)),
            base / median))
    if args.profile:
        for label, model in models.items():
            if label == "fp32 (control)":
                continue
            profile = op_profile(ort, model, feeds[label], args.threads, 10)
            total = sum(profile.values())
            top = sorted(profile.items(), key=lambda item: -item[1])[:6]
            print("{}: {:.1f} ms in kernels; {}".format(label, total, ", ".join(
                "{} {:.1f} ms ({:.0f}%)".format(op, ms, 100 * ms / total) for op, ms in top)))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
