"""Per-layer times: ONNX Runtime's profiler output, aggregated per node."""

import json
import os

import numpy as np

from edge_segnet.runtime.onnxruntime_backend import require_onnxruntime


class LayerTime(object):
    __slots__ = ("name", "op_type", "mean_ms", "share")

    def __init__(self, name, op_type, mean_ms, share):
        self.name, self.op_type, self.mean_ms, self.share = name, op_type, mean_ms, share

    def to_json(self):
        return {"name": self.name, "op_type": self.op_type, "mean_ms": self.mean_ms,
                "share": self.share}


def from_onnxruntime_profile(path, runs):
    """Node kernel times from an ORT profile JSON (``SessionOptions.enable_profiling``),
    averaged over ``runs`` and sorted, longest first."""
    with open(path) as handle:
        events = json.load(handle)
    totals, op_types = {}, {}
    for event in events:
        if event.get("cat") != "Node" or not event.get("name", "").endswith("_kernel_time"):
            continue
        name = event["name"][:-len("_kernel_time")]
        totals[name] = totals.get(name, 0.0) + event.get("dur", 0) / 1000.0
        op_types[name] = event.get("args", {}).get("op_name", "?")
    whole = sum(totals.values()) or 1.0
    layers = [LayerTime(name, op_types[name], total / runs, total / whole)
              for name, total in totals.items()]
    layers.sort(key=lambda layer: -layer.mean_ms)
    return layers


def from_totals(milliseconds, counts):
    """Layer times summed per layer name (TensorRT's IProfiler reports) as mean per run,
    sorted, longest first. TensorRT fuses layers, so a name may stand for several nodes."""
    whole = sum(milliseconds.values()) or 1.0
    layers = [LayerTime(name, "tensorrt", total / max(1, counts.get(name, 1)), total / whole)
              for name, total in milliseconds.items()]
    layers.sort(key=lambda layer: -layer.mean_ms)
    return layers


def profile_onnxruntime(model_bytes, feed, runs, make_options, providers):
    """Run a profiling session ``runs`` times; the per-layer table (the profile file is
    removed afterwards)."""
    onnxruntime = require_onnxruntime("per-layer profiling")
    options = make_options()
    options.enable_profiling = True
    session = onnxruntime.InferenceSession(model_bytes, sess_options=options, providers=providers)
    for _ in range(runs):
        session.run(None, feed)
    path = session.end_profiling()
    try:
        return from_onnxruntime_profile(path, runs)
    finally:
        os.unlink(path)


def format_table(layers, limit=25):
    lines = ["{:<40} {:<20} {:>9} {:>7}".format("layer", "op", "mean ms", "share")]
    for layer in layers[:limit]:
        lines.append("{:<40} {:<20} {:>9.3f} {:>6.1f}%".format(
            layer.name[:40], layer.op_type[:20], layer.mean_ms, 100 * layer.share))
    if len(layers) > limit:
        rest = layers[limit:]
        lines.append("{:<40} {:<20} {:>9.3f} {:>6.1f}%".format(
            "({} more)".format(len(rest)), "", sum(l.mean_ms for l in rest),
            100 * float(np.sum([l.share for l in rest]))))
    return "\n".join(lines)
