"""A profile report as a human table, JSON, CSV of per-iteration times, and a PNG."""

import csv
import io
import json

from edge_segnet import fileio, optional
from edge_segnet.profile import layers as layers_module

_CONDITION_KEYS = ("board", "jetpack", "l4t", "nvpmodel", "jetson_clocks", "gpu_clock_mhz",
                   "emc_clock_mhz", "backend", "threads", "spinning", "precision", "input_size",
                   "frame_size", "tensorrt", "onnxruntime", "cuda_driver", "cuda_runtime",
                   "model_sha256")


def format_text(report):
    conditions = report["conditions"]
    lines = ["model      {}".format(conditions["model"])]
    shown = ["{} {}".format(key, conditions[key]) for key in _CONDITION_KEYS[1:]
             if conditions.get(key) is not None]
    lines.append("conditions " + conditions["board"] + "; " + "; ".join(shown))
    latency = report["latency_ms"]
    lines.append("latency    {count} runs after {warmup} warm-up: median {median:.2f} ms, mean "
                 "{mean:.2f}, min {min:.2f}, p90 {p90:.2f}, p95 {p95:.2f}, p99 {p99:.2f}, max "
                 "{max:.2f}, std {std:.2f} (cv {cv:.1%}), {throughput:.1f} frames/s".format(
                     warmup=report["warmup"], **latency))
    total = report.get("total_ms")
    stages = report.get("stages_ms", {})
    if total:
        lines.append("per frame  mean {:.2f} ms, median {:.2f}, p90 {:.2f}: pre-processing of a "
                     "{} frame, the model, post-processing, in the same runs; the stages' means "
                     "sum to {:.1%} of it".format(
                         total["mean"], total["median"], total["p90"], "x".join(
                             str(side) for side in report["conditions"].get("frame_size", ())),
                         stages_share(report)))
    for stage, stats in stages.items():
        lines.append("  {:<11} mean {:.2f} ms, median {:.2f}, p90 {:.2f}".format(
            stage, stats["mean"], stats["median"], stats["p90"]))
    power = report.get("tegrastats")
    if power:
        parts = []
        if "gpu_load" in power:
            parts.append("GPU load mean {:.0f}% max {:.0f}%".format(power["gpu_load"]["mean"],
                                                                    power["gpu_load"]["max"]))
        if "emc_load" in power:
            parts.append("EMC load mean {:.0f}%".format(power["emc_load"]["mean"]))
        if "power_mw" in power:
            parts.append("power {:.0f} mW".format(power["power_mw"]))
        if "energy_per_frame_mj" in power:
            parts.append("{:.1f} mJ/frame".format(power["energy_per_frame_mj"]))
        lines.append("tegrastats " + ", ".join(parts))
    comparison = report.get("comparison")
    if comparison:
        lines.append("vs {}: ".format(comparison["baseline"]) + ", ".join(
            "{} x{:.3f}".format(key, value) for key, value in comparison["ratios"].items()))
    if report.get("layers"):
        layers = [layers_module.LayerTime(**layer) for layer in report["layers"]]
        lines.append(layers_module.format_table(layers))
    for warning in report["warnings"]:
        lines.append("warning: " + warning)
    return "\n".join(lines)


def stages_share(report):
    """The stages' mean times over the mean time per frame: means add up, medians need not
    (a stage's slow runs are not the other stages' slow runs)."""
    total = report["total_ms"]["mean"]
    return sum(stats["mean"] for stats in report["stages_ms"].values()) / total \
        if total > 0 else 1.0


def write_json(report, path):
    fileio.write_bytes_atomic(path, (json.dumps(report, indent=2) + "\n").encode(),
                              what="report")


def write_csv(report, path):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["iteration", "latency_ms"])
    for index, value in enumerate(report["samples_ms"]):
        writer.writerow([index, value])
    fileio.write_bytes_atomic(path, buffer.getvalue().encode(), what="CSV")


def require_plotting():
    return optional.require("matplotlib", "--plot")


def write_plot(report, path):
    """A latency histogram and timeline (needs matplotlib)."""
    matplotlib = require_plotting()
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = report["samples_ms"]
    figure, (histogram, timeline) = plt.subplots(1, 2, figsize=(10, 3.5))
    histogram.hist(samples, bins=min(50, max(5, len(samples) // 5)), color="#4c72b0")
    histogram.axvline(report["latency_ms"]["median"], color="k", linestyle="--",
                      label="median")
    histogram.set_xlabel("latency (ms)")
    histogram.set_ylabel("runs")
    histogram.legend()
    timeline.plot(samples, linewidth=0.8)
    timeline.set_xlabel("iteration")
    timeline.set_ylabel("latency (ms)")
    figure.suptitle("{} ({}, {})".format(report["conditions"]["model"].split("/")[-1],
                                         report["conditions"]["backend"],
                                         report["conditions"]["precision"]))
    figure.tight_layout()
    with fileio.atomic_path(path, what="plot") as temp_path:
        figure.savefig(temp_path, format="png", dpi=100)
    plt.close(figure)
