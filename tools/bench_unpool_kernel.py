#!/usr/bin/env python3
"""Bandwidth of the unpooling kernel on a GPU against a device-to-device copy of the same
bytes, measured in one run (CUDA events, median of repeated launches).

The kernel reads the values (N*C*H*W/4 elements) and the pooled tensor (N*C*H*W) and writes
the output (N*C*H*W): 2.25 tensor-sizes of traffic. The copy baseline moves the same number
of bytes (read + write) with cudaMemcpyDeviceToDevice; the goal is >= 80% of its rate on
large tensors. For each shape, ``--rounds`` rounds time the kernel, the copy and the copy again
(the control: within +-3 % of the copy) in a random order, each the median of ``--repeats``
launches; the ratio is per round, printed as median [min, max].

    python3 tools/bench_unpool_kernel.py [--build-dir /tmp/edge-segnet-kernels] [--archs 90]

The kernel is built for this GPU (or the newest architecture below it that nvcc builds).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge_segnet import optional  # noqa: E402
from edge_segnet.engine import unpool_kernels  # noqa: E402
from edge_segnet.errors import MissingDependencyError  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interleave  # noqa: E402
import tool_main  # noqa: E402

SHAPES = [(1, 64, 128, 256), (1, 64, 360, 480), (8, 64, 360, 480), (16, 64, 512, 1024)]


def _median_ms(cp, launch, repeats):
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    launch()
    times = []
    for _ in range(repeats):
        start.record()
        launch()
        stop.record()
        stop.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, stop))
    return float(np.median(times))


def main(argv=None):
    parser = tool_main.Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="/tmp/edge-segnet-kernels")
    parser.add_argument("--archs", default=None, help="CUDA architectures (default: the GPU's)")
    parser.add_argument("--repeats", type=tool_main.at_least(1), default=50)
    parser.add_argument("--rounds", type=tool_main.at_least(1), default=7)
    args = parser.parse_args(argv)
    cp = optional.require("cupy", "timing the unpool kernel")
    try:
        capability = cp.cuda.Device().compute_capability  # "90" (a string in CuPy)
    except cp.cuda.runtime.CUDARuntimeError as exc:
        raise MissingDependencyError("timing the unpool kernel needs a CUDA GPU: {}".format(
            exc), hint="run it on a machine with an NVIDIA GPU and its driver")
    # This GPU's architecture, or the newest below it that this nvcc builds (run through the
    # PTX the library embeds).
    archs = args.archs or unpool_kernels.default_archs(gpus=[int(capability)])
    kernels = unpool_kernels.UnpoolKernels(unpool_kernels.build(args.build_dir, archs=archs))
    print("GPU {} (sm_{}), kernel built for {}, median of {} launches".format(
        cp.cuda.runtime.getDeviceProperties(0)["name"].decode(), capability, archs, args.repeats))
    print("{:<22} {:<8} {:>10} {:>12} {:>12} {:>22} {:>22}".format(
        "shape", "type", "kernel ms", "kernel GB/s", "copy GB/s", "ratio med [min, max]",
        "control med [min, max]"))
    for shape in SHAPES:
        for dtype in (np.float32, np.float16, np.int8):
            n, c, height, width = shape
            pooled = cp.random.standard_normal(shape, dtype=np.float32).astype(dtype)
            values = cp.random.standard_normal((n, c, height // 2, width // 2),
                                               dtype=np.float32).astype(dtype)
            output = cp.empty(shape, dtype=dtype)
            moved = (values.nbytes + pooled.nbytes + output.nbytes)
            source = cp.empty(moved // 2, dtype=np.uint8)
            target = cp.empty_like(source)
            def kernel():
                return moved / _median_ms(cp, lambda: kernels.launch(
                    values.data.ptr, pooled.data.ptr, output.data.ptr, shape, dtype),
                    args.repeats) / 1e6

            def copy():
                return 2 * source.nbytes / _median_ms(cp, lambda: target.data.copy_from_device(
                    source.data, source.nbytes), args.repeats) / 1e6

            rates = interleave.rounds({"kernel": kernel, "copy": copy, "copy again": copy},
                                      args.rounds)
            kernel_rate = float(np.median(rates["kernel"]))
            print("{:<22} {:<8} {:>10.4f} {:>12.1f} {:>12.1f} {:>22} {:>22}".format(
                "x".join(str(s) for s in shape), np.dtype(dtype).name, moved / kernel_rate / 1e6,
                kernel_rate, float(np.median(rates["copy"])),
                interleave.spread(interleave.ratios(rates, "kernel", "copy")),
                interleave.spread(interleave.ratios(rates, "copy again", "copy"))))


if __name__ == "__main__":
    sys.exit(tool_main.run(main))
