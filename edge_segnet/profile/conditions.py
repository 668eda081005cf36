"""The conditions a latency figure was measured under: board, power mode, clocks, versions."""

import platform

from edge_segnet import optional
from edge_segnet.inputs import file_sha256
from edge_segnet.platform import cuda, jetson


def collect(model_path, backend, precision, input_size, root="/", run=jetson.run_quiet):
    """A dict of the conditions, with a list of warnings about those that make timings drift."""
    warnings = []
    board = jetson.board_model(root)
    conditions = {
        "board": board or "{} {}".format(platform.system(), platform.machine()),
        "python": platform.python_version(),
        "backend": backend,
        "precision": precision,
        "input_size": list(input_size),
        "model": model_path,
        "model_sha256": file_sha256(model_path),
    }
    release = jetson.l4t_release(root)
    if release:
        conditions["l4t"] = ".".join(str(part) for part in release)
        conditions["jetpack"] = jetson.jetpack_for(release)
    if board:
        mode = jetson.nvpmodel_mode(run)
        conditions["nvpmodel"] = mode
        clocks = jetson.gpu_devfreq(root)
        if clocks:
            conditions["gpu_clock_mhz"] = clocks["cur"] // 1000000
            conditions["jetson_clocks"] = clocks["min"] == clocks["max"]
            if not conditions["jetson_clocks"]:
                warnings.append("jetson_clocks is off: GPU clocks follow the load and timings "
                                "drift; run sudo jetson_clocks first")
        emc = _read_int(root, "sys/kernel/debug/bpmp/debug/clk/emc/rate") or _read_int(
            root, "sys/kernel/debug/clk/emc/clk_rate")
        if emc:
            conditions["emc_clock_mhz"] = emc // 1000000
        if mode and mode.upper() not in ("MAXN", "MAXN_SUPER"):
            warnings.append("power mode {} is not maximum performance (sudo nvpmodel -m 0)".format(
                mode))
    for name, module in (("tensorrt", "tensorrt"), ("onnxruntime", "onnxruntime")):
        imported = optional.try_import(module)
        if imported is not None:
            conditions[name] = imported.__version__
    # CUDA's versions where a GPU ran the model: elsewhere a libcudart that some package
    # brought (torch's wheels do) says nothing about the timings, and reads as if it did.
    driver = cuda.driver_version()
    if backend == "tensorrt" or driver is not None:
        conditions["cuda_driver"] = driver
        conditions["cuda_runtime"] = cuda.runtime_version()
    return conditions, warnings


def _read_int(root, path):
    import os

    try:
        with open(os.path.join(root, path)) as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None
