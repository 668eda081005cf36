#!/usr/bin/env python3
"""The run's FPS with `--serve` and N viewers against none: a 720p video through `edge-segnet
run`, rounds of each condition interleaved in random order; the viewers (one process, a
thread each, reading the MJPEG stream as fast as it comes) connect once the page answers.

The viewers stand for browsers on other machines; here they share the run's two cores, and
their own reading (50 sockets at 30 frames a second) would be counted against the server. They
run at ``--viewer-niceness`` (default 19: they take the cores only when the run leaves them
idle); 0 measures them competing as equals.

    python3 tools/bench_serve_run.py --clients 50 --rounds 3 [--viewer-niceness 0]
"""

import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet.errors import EdgeSegnetError  # noqa: E402
from edge_segnet.models import shipped, zoo  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_main  # noqa: E402

VIEWERS = r"""
import socket, sys, threading, time
port, count, stop_after = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
def view():
    deadline = time.time() + stop_after
    while time.time() < deadline:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            break
        except OSError:
            time.sleep(0.05)
    else:
        return
    sock.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.settimeout(2)
    while time.time() < deadline:
        try:
            if not sock.recv(65536):
                break
        except OSError:
            break
threads = [threading.Thread(target=view, daemon=True) for _ in range(count)]
for t in threads: t.start()
for t in threads: t.join()
"""


def make_video(path, frames):
    import cv2

    from edge_segnet.data.synthetic import StreetScene

    scene = StreetScene((720, 1280), seed=3)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), 30, (1280, 720))
    for index in range(frames):
        writer.write(scene.render(index)[0])
    writer.release()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_run(video, clients, model, threads, viewer_niceness):
    port = free_port()
    viewers = None
    if clients:
        viewers = subprocess.Popen([sys.executable, "-c", VIEWERS, str(port), str(clients),
                                    "120"], preexec_fn=lambda: os.nice(viewer_niceness))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "edge_segnet", "run", "--source", video, "--model", model,
             "--serve", "127.0.0.1:{}".format(port), "--headless"] +
            (["--threads", str(threads)] if threads else []),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    finally:
        if viewers is not None:
            viewers.kill()
            viewers.wait()
    match = re.search(r"(\d+) frames in ([\d.]+) s \(([\d.]+) FPS\)", result.stdout)
    if result.returncode != 0 or match is None:
        said = (result.stderr.strip().splitlines() or ["exit code {}".format(result.returncode)])
        raise EdgeSegnetError("edge-segnet run with {} viewers failed: {}".format(
            clients, said[-1]))
    return float(match.group(3))


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=tool_main.at_least(1), default=50)
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=3)
    parser.add_argument("--frames", type=tool_main.at_least(1), default=120)
    parser.add_argument("--model", default="segnet-basic-synthetic")
    parser.add_argument("--threads", type=tool_main.at_least(1))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--viewer-niceness", type=int, default=19)
    args = parser.parse_args(argv)
    zoo.load(shipped.resolve(args.model))  # a bad model: before the video
    folder = tempfile.mkdtemp(prefix="bench-serve-")
    try:
        measure(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(args, folder):
    video = os.path.join(folder, "drive720p.mp4")
    make_video(video, args.frames)
    order = random.Random(args.seed)
    # "0 again": the control, no viewer twice; its ratio is the machine's noise (+-3 %).
    fps = {0: [], "0 again": [], args.clients: []}
    for round_index in range(args.rounds):
        conditions = list(fps)
        order.shuffle(conditions)
        for condition in conditions:
            clients = 0 if condition == "0 again" else condition
            fps[condition].append(one_run(video, clients, args.model, args.threads,
                                          args.viewer_niceness))
            print("round {} clients {:>7}: {:.2f} FPS".format(round_index + 1, condition,
                                                            fps[condition][-1]), flush=True)
    ratios = [many / none for many, none in zip(fps[args.clients], fps[0])]
    control = [again / none for again, none in zip(fps["0 again"], fps[0])]
    print("median FPS: no viewer {:.2f}, {} viewers {:.2f}; ratio {:.3f} [{:.3f}, {:.3f}]; "
          "control (no viewer twice) {:.3f} [{:.3f}, {:.3f}]".format(
              statistics.median(fps[0]), args.clients, statistics.median(fps[args.clients]),
              statistics.median(ratios), min(ratios), max(ratios), statistics.median(control),
              min(control), max(control)))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
