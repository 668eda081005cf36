#!/usr/bin/env python3
"""Does ONNX Runtime use the machine? Wall time and CPU time / wall time of the bare session
call with ORT's own default thread count (intra_op_num_threads 0), with ours (every core this
process may use, as every command opens its sessions unless --threads), the same with ORT's
spinning threads, and with one thread.

CPU time / wall time is how many cores the session kept busy on average (ORT's spinning
threads count as busy). Variants run in shuffled rounds; ours is timed twice as the control.

    python3 tools/bench_threads.py [--model segnet-basic-synthetic] [--rounds 9] [--calls 20]
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.models import shipped, zoo  # noqa: E402
from edge_segnet.runtime import onnxruntime_backend  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interleave  # noqa: E402
import tool_main  # noqa: E402


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="segnet-basic-synthetic")
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=9)
    parser.add_argument("--calls", type=tool_main.at_least(1), default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import onnxruntime as ort

    model = zoo.load(shipped.resolve(args.model)).SerializeToString()
    ours = onnxruntime_backend.machine_threads()
    sessions = {}
    for name, threads, spinning in (
            ("ORT default (0)", None, True), ("ours ({})".format(ours), ours, None),
            ("{}, spinning".format(ours), ours, True), ("one thread", 1, None)):
        if spinning is None:  # as every command opens its sessions
            options = onnxruntime_backend.session_options(ort, threads)
        else:
            options = onnxruntime_backend.session_options(ort, threads, spinning=spinning)
        if threads is None:
            options = ort.SessionOptions()  # ORT's own defaults, threads and spinning
        sessions[name] = ort.InferenceSession(model, sess_options=options,
                                              providers=["CPUExecutionProvider"])
    first = next(iter(sessions.values()))
    feed = {first.get_inputs()[0].name: np.random.RandomState(0).rand(
        *[d if isinstance(d, int) else 1 for d in first.get_inputs()[0].shape]).astype(
            np.float32)}
    cpu = {name: [] for name in sessions}
    cpu["ours again"] = []

    def timed(name, session):
        for _ in range(2):
            session.run(None, feed)

        def measure():
            wall, used = time.perf_counter(), time.process_time()
            for _ in range(args.calls):
                session.run(None, feed)
            wall, used = time.perf_counter() - wall, time.process_time() - used
            cpu[name].append(used / wall)
            return wall * 1e3 / args.calls
        return measure

    variants = {name: timed(name, session) for name, session in sessions.items()}
    ours_name = "ours ({})".format(ours)
    variants["ours again"] = timed("ours again", sessions[ours_name])
    values = interleave.rounds(variants, args.rounds, args.seed)
    print("ONNX Runtime {}, Python {}, {} cores this process may use; {}; {} rounds of {} "
          "calls".format(ort.__version__, sys.version.split()[0], ours, args.model, args.rounds,
                         args.calls))
    print(interleave.control_line(values, ours_name, "ours again"))
    for name in variants:
        print("  {:<18} ms per call {}   CPU time / wall time {}".format(
            name, interleave.spread(values[name], 1), interleave.spread(cpu[name], 2)))
    print("ratio ORT default / ours (time per call): {}".format(interleave.spread(
        interleave.ratios(values, "ORT default (0)", ours_name))))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
