#!/usr/bin/env python3
"""What streaming to viewers costs the run: frames/s of a ``write`` loop into the ``--serve``
sink with 0, 1 and N connected clients (default 50).

Two loops run flat out: ``write`` alone (the sink's own cost per frame: with nobody watching
it keeps nothing, with viewers it copies the frame and wakes the encoder) and a run-like loop
that first blends the frame as the painter does (what the output thread does per frame before
it calls the sinks); a third calls ``write`` at a run's pace (``--paced-fps``) and times each
call. Flat out, the encoder (one JPEG per frame, as fast as frames come) and the fan-out
thread take CPU the loop would otherwise have: on a machine with few free cores that, not
the number of viewers, is most of the 0-vs-1 client gap. The clients are in a separate
process that reads every stream as fast as it can, so the sink's threads are the only extra
load in this process, as in a run. The conditions are timed in a random order in every round
so that other load on the machine hits them alike; the ratios (frames/s with 0 clients / with
N: how many times slower the loop gets) are per round, printed as median [min, max].

    python3 tools/bench_mjpeg.py [--rounds 5] [--seconds 1.0] [--clients 50] [--size 480x640]
"""

import argparse
import os
import random
import selectors
import socket
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.data.synthetic import StreetScene  # noqa: E402
from edge_segnet.video.mjpeg_server import MjpegServerSink  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_main  # noqa: E402


def readers(port, count):
    """The clients' process: ``count`` streams read and thrown away until it is killed."""
    selector = selectors.DefaultSelector()
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        client.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")
        client.setblocking(False)
        selector.register(client, selectors.EVENT_READ)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while selector.get_map():
        for key, _ in selector.select(1.0):
            try:
                data = key.fileobj.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                selector.unregister(key.fileobj)
                key.fileobj.close()


def _wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("bench_mjpeg: {} did not happen within {} s".format(what, seconds))
        time.sleep(0.01)


def _connect(server, count):
    if not count:
        return None
    process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--readers",
                                str(server.port), str(count)], stdout=subprocess.PIPE)
    if process.stdout.readline().strip() != b"ready":
        raise SystemExit("bench_mjpeg: the clients' process failed")
    _wait_for(lambda: server.status()["clients"] == count, 20, "{} clients".format(count))
    return process


def _disconnect(server, process):
    if process is not None:
        process.kill()
        process.wait()
        process.stdout.close()
    _wait_for(lambda: server.status()["clients"] == 0, 20, "the clients leaving")


def _loop(server, frames, mask, seconds, run_like, cv2):
    count = 0
    start = time.perf_counter()
    end = start + seconds
    now = start
    while now < end:
        frame = frames[count % len(frames)]
        if run_like:
            frame = cv2.addWeighted(frame, 0.5, mask, 0.5, 0.0)
        server.write(frame)
        count += 1
        now = time.perf_counter()
    return count / (now - start)


def _paced(server, frames, seconds, fps):
    """``write`` at ``fps`` as a run would call it: the microseconds of each call."""
    times = []
    start = time.perf_counter()
    while True:
        due = start + len(times) / fps
        now = time.perf_counter()
        if due - start >= seconds:
            return times
        if due > now:
            time.sleep(due - now)
        before = time.perf_counter()
        server.write(frames[len(times) % len(frames)])
        times.append((time.perf_counter() - before) * 1e6)


def _summary(values):
    values = sorted(values)
    return "{:.2f} [{:.2f}, {:.2f}]".format(float(np.median(values)), values[0], values[-1])


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=5)
    parser.add_argument("--seconds", type=tool_main.positive_number, default=1.0,
                        help="per loop and condition")
    parser.add_argument("--clients", type=tool_main.at_least(1), default=50)
    parser.add_argument("--size", type=tool_main.frame_size, default="480x640",
                        help="HEIGHTxWIDTH of the frames")
    parser.add_argument("--paced-fps", type=float, default=30.0,
                        help="also time each write() of a loop at this rate (0: not)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--readers", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.readers:
        readers(*args.readers)
        return
    import cv2

    height, width = args.size
    scene = StreetScene((height, width), seed=args.seed)
    frames = [np.ascontiguousarray(scene.render(t)[0]) for t in range(8)]
    mask = np.ascontiguousarray(frames[0][:, ::-1])
    server = MjpegServerSink("127.0.0.1:0", max_clients=max(args.clients, 1) + 2)
    rng = random.Random(args.seed)
    counts = sorted({0, 1, args.clients})
    loops = (("write", False), ("blend+write", True))
    fps = {(loop, count): [] for loop, _ in loops for count in counts}
    fps[("write", "0 again")] = []  # the control: no client twice, its ratio is the noise
    encoded = {count: [] for count in counts}
    if args.paced_fps > 0:
        loops += (("paced", None),)
    paced_us = {count: [] for count in counts}
    print("frames {}x{}, {} rounds of {:.1f} s per loop and condition, clients in {}".format(
        height, width, args.rounds, args.seconds, counts))
    try:
        for round_index in range(args.rounds):
            order = [(loop, run_like, count, count) for loop, run_like in loops
                     for count in counts] + [("write", False, 0, "0 again")]
            rng.shuffle(order)
            for loop, run_like, count, key in order:
                process = _connect(server, count)
                try:
                    if run_like is None:
                        times = _paced(server, frames, args.seconds, args.paced_fps)
                        paced_us[count].append(float(np.median(times)))
                        continue
                    jpegs_before = server._jpeg_sequence
                    value = _loop(server, frames, mask, args.seconds, run_like, cv2)
                    if count:
                        encoded[count].append((server._jpeg_sequence - jpegs_before) /
                                              args.seconds)
                finally:
                    _disconnect(server, process)
                fps[(loop, key)].append(value)
            print("round {}: ".format(round_index + 1) + ", ".join(
                "{} {}c {:.0f}/s".format(loop, count, fps[(loop, count)][-1])
                for loop, run_like in loops if run_like is not None for count in counts))
    finally:
        server.close()
    print()
    print("frames/s, median [min, max] over {} rounds:".format(args.rounds))
    loops = loops[:2]
    for loop, _ in loops:
        for count in counts:
            print("  {:<12} {:>3} clients: {}".format(loop, count, _summary(fps[(loop, count)])))
    for count in counts:
        if count:
            print("  JPEGs encoded (once each, whatever the clients) with {:>3} clients: {} /s"
                  .format(count, _summary(encoded[count])))
    control = [a / b for a, b in zip(fps[("write", "0 again")], fps[("write", 0)])]
    print("control: write with 0 clients twice, ratio per round {} (noise; goal within "
          "+-3%)".format(_summary(control)))
    print("slowdown ratio per round (frames/s with 0 clients / with N), median [min, max]:")
    for loop, _ in loops:
        for count in counts:
            if count:
                ratios = [a / b for a, b in zip(fps[(loop, 0)], fps[(loop, count)])]
                print("  {:<12} 0/{:<3}: {}".format(loop, count, _summary(ratios)))
        if 1 in counts and args.clients > 1:
            ratios = [a / b for a, b in zip(fps[(loop, 1)], fps[(loop, args.clients)])]
            print("  {:<12} 1/{:<3}: {}".format(loop, args.clients, _summary(ratios)))
    if args.paced_fps > 0:
        print("one write() in a loop paced at {:g} FPS, median microseconds per round, "
              "median [min, max]:".format(args.paced_fps))
        for count in counts:
            print("  {:>3} clients: {}".format(count, _summary(paced_us[count])))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
