"""``profile``: time a model's inference, with its conditions, spread, layers and power."""

import json
import logging
import math
import os
import time

import numpy as np

from edge_segnet import inputs
from edge_segnet.errors import DataError, ModelError, UsageError
from edge_segnet.graph.executor import has_unpool_op
from edge_segnet.models import shipped, zoo
from edge_segnet.profile import conditions as conditions_module
from edge_segnet.profile import layers as layers_module
from edge_segnet.profile import tegrastats
from edge_segnet.profile.stats import LatencyStats
from edge_segnet.runtime import BACKENDS, open_segmenter
from edge_segnet.runtime.onnxruntime_backend import (providers, require_onnxruntime,
                                                     session_options)

_log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
DEFAULT_FRAME_SIZE = (720, 1280)  # a 720p camera: what pre-processing resizes from
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.json")


class ProfileOptions(object):
    def __init__(self, backend="auto", iterations=None, duration=None, warmup=10,
                 per_layer=False, tegrastats_on=False, cuda_graph=False, threads=None,
                 baseline_ms=None, compare=None, frame_size=DEFAULT_FRAME_SIZE):
        if backend not in BACKENDS:
            raise UsageError("--backend must be one of {}; got {!r}".format(
                ", ".join(BACKENDS), backend))
        if iterations is not None and duration is not None:
            raise UsageError("give --iterations or --duration, not both")
        if iterations is not None and iterations < 1:
            raise UsageError("--iterations must be at least 1; got {}".format(iterations))
        if duration is not None and not duration > 0:
            raise UsageError("--duration must be more than 0 seconds; got {}".format(duration))
        if warmup < 0:
            raise UsageError("--warmup must be 0 or more; got {}".format(warmup))
        if threads is not None and threads < 1:
            raise UsageError("--threads must be at least 1; got {}".format(threads))
        if baseline_ms is not None and compare is not None:
            raise UsageError("give --baseline-ms or --compare, not both")
        if baseline_ms is not None and not baseline_ms > 0:
            raise UsageError("--baseline-ms must be more than 0; got {}".format(baseline_ms))
        self.backend = backend
        self.iterations = iterations if iterations is not None or duration else 200
        self.duration = duration
        self.warmup = warmup
        self.per_layer = per_layer
        self.tegrastats = tegrastats_on
        self.cuda_graph = cuda_graph
        self.threads = threads
        self.baseline_ms = baseline_ms
        self.compare = compare
        self.frame_size = tuple(frame_size)


def time_loop(call, iterations, duration=None):
    """Milliseconds of each ``call()``: ``iterations`` of them, or as many as ``duration``
    seconds hold."""
    samples = []
    deadline = time.perf_counter() + duration if duration else None
    while True:
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e3)
        if deadline is not None:
            if time.perf_counter() >= deadline:
                return samples
        elif len(samples) >= iterations:
            return samples


def _read_baseline(options):
    """The latency figures of the --compare report: read before minutes of timing, not after."""
    if options.compare is None:
        return None
    inputs.check_regular_file(options.compare, "report to compare with")
    try:
        with open(options.compare) as handle:
            other = json.load(handle)["latency_ms"]
        if not isinstance(other, dict):
            raise TypeError(other)
    except FileNotFoundError:
        raise DataError("report to compare with not found: {}".format(options.compare))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise DataError("{} is not an edge-segnet profile report".format(options.compare))
    for key in ("min", "mean", "median", "p90", "p99"):
        value = other.get(key)
        # json reads NaN and Infinity: a ratio against them would be dropped or meaningless.
        if value is not None and not (isinstance(value, (int, float)) and
                                      not isinstance(value, bool) and
                                      math.isfinite(value) and value > 0):
            raise DataError("{}: latency_ms.{} is {!r}, not a latency in milliseconds".format(
                options.compare, key, value),
                hint="compare with a report that profile --json wrote")
    if not isinstance(other.get("median"), (int, float)):
        raise DataError("{}: latency_ms has no median to compare with".format(options.compare),
                        hint="compare with a report that profile --json wrote")
    return other


def _expected(options, warmup_ms):
    """What the timing will take, said before it starts: on a board it is minutes. The last
    warm-up runs (the first ones are slower) give the time of a run."""
    if options.duration:
        return "{:g} s".format(options.duration)
    text = "{} runs".format(options.iterations)
    recent = sorted(warmup_ms[len(warmup_ms) // 2:])
    if recent:
        per_run = recent[len(recent) // 2]
        text += " (about {:.0f} s at {:.1f} ms a run)".format(
            options.iterations * per_run / 1e3, per_run) if options.iterations * per_run >= 1e3 \
            else " (under a second at {:.1f} ms a run)".format(per_run)
    return text


def _comparison(stats, options, other):
    if options.baseline_ms is not None:
        return {"baseline": "{} ms".format(options.baseline_ms),
                "ratios": {"median": stats.median / options.baseline_ms}}
    if other is None:
        return None
    ours = stats.to_json()
    return {"baseline": options.compare, "ratios": {
        key: ours[key] / other[key] for key in ("min", "mean", "median", "p90", "p99")
        if isinstance(other.get(key), (int, float)) and other[key] > 0}}


def profile(model_path, options):
    """Measure; returns the report as a dict (schema in profile/schema.json). ``model_path``
    None or a shipped model's name is that shipped model."""
    model_path = shipped.resolve(model_path)
    inputs.check_regular_file(model_path, "model", ModelError,
                              hint="give an .onnx model or a TensorRT engine file")
    if not os.path.isfile(model_path):
        raise DataError("model file not found: {}".format(model_path))
    warnings = []
    baseline = _read_baseline(options)
    segmenter = open_segmenter(model_path, backend=options.backend, threads=options.threads)
    try:
        return _measure(model_path, segmenter, options, warnings, baseline)
    finally:
        segmenter.close()


def _measure(model_path, segmenter, options, warnings, baseline):
    on_gpu = hasattr(segmenter, "last_gpu_ms")
    if options.cuda_graph and options.per_layer:
        raise UsageError("--per-layer and --cuda-graph do not mix: a replayed CUDA graph "
                         "reports no layers", hint="profile the layers without --cuda-graph")
    if options.cuda_graph:
        if not on_gpu:
            raise UsageError("--cuda-graph needs the TensorRT backend (CUDA graphs of an "
                             "engine)")
        segmenter.enable_cuda_graph()
    # A camera's frame, so pre-processing resizes as in a run; noise, so that nothing in the
    # pipeline takes a shortcut on a flat picture.
    frame = np.random.RandomState(0).randint(0, 256, options.frame_size + (3,)).astype(np.uint8)
    tensor = segmenter.prepare_input(frame)
    reader = None
    if options.tegrastats:
        if tegrastats.TegrastatsReader.available():
            reader = tegrastats.TegrastatsReader().start()
        else:
            warnings.append("tegrastats not found (it exists on Jetson boards only): no power or "
                            "load figures")
    stages = {"preprocess": [], "inference": [], "postprocess": []}
    totals = []
    try:
        # Warm-up and timing can each take minutes on a board: say which is under way.
        _log.info("warming up: {} runs on {}".format(options.warmup, segmenter.describe()))
        warmup_ms = []
        for _ in range(options.warmup):
            start = time.perf_counter()
            segmenter.infer(frame)
            warmup_ms.append((time.perf_counter() - start) * 1e3)
        gpu_samples = []

        def timed_run():
            # The stages and the total of the same call: they add up by construction.
            start = time.perf_counter()
            segmenter.infer(frame)
            totals.append((time.perf_counter() - start) * 1e3)
            for stage in stages:
                stages[stage].append(segmenter.last_timings_ms[stage])
            if on_gpu:
                gpu_samples.append(segmenter.last_gpu_ms)

        _log.info("timing: {}".format(_expected(options, warmup_ms)))
        time_loop(timed_run, options.iterations, options.duration)
        samples = stages["inference"]
    finally:
        power_samples = reader.stop() if reader else None
    stats = LatencyStats(samples)
    conditions, condition_warnings = conditions_module.collect(
        model_path, "tensorrt" if on_gpu else "onnxruntime", segmenter.precision,
        segmenter.input_size)
    conditions["frame_size"] = list(options.frame_size)
    threads = getattr(segmenter, "threads", None)
    if threads is not None:
        conditions["threads"] = threads
        conditions["spinning"] = segmenter.spinning
    for message in condition_warnings:
        warnings.append(message)
    if stats.unstable:
        warnings.append("latency is unstable (coefficient of variation {:.1%}): close other "
                        "programs, lock clocks, or profile longer".format(stats.cv))
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": "edge-segnet profile",
        "conditions": conditions,
        "iterations": len(samples),
        "warmup": options.warmup,
        "latency_ms": stats.to_json(),
        "total_ms": LatencyStats(totals).to_json(),
        "stages_ms": {stage: LatencyStats(values).to_json() for stage, values in
                      stages.items()},
        "samples_ms": [round(value, 4) for value in samples],
        "warnings": warnings,
    }
    if gpu_samples:
        # CUDA events around the engine's execution alone: the copies are outside.
        report["gpu_compute_ms"] = LatencyStats(gpu_samples).to_json()
    if options.per_layer:
        _log.info("per-layer times: 20 more runs")
        layers = (_tensorrt_layers(segmenter, tensor) if on_gpu else
                  _layers(segmenter, tensor))
        report["layers"] = [layer.to_json() for layer in layers]
    if power_samples is not None:
        report["tegrastats"] = tegrastats.summarize(power_samples, stats.mean)
    comparison = _comparison(stats, options, baseline)
    if comparison:
        report["comparison"] = comparison
    return report


def _tensorrt_layers(segmenter, tensor, runs=20):
    """TensorRT's own per-layer times (IProfiler), averaged over ``runs``."""
    profiler = segmenter.enable_layer_profiler()
    for _ in range(runs):
        segmenter.run_tensor(tensor)
    return layers_module.from_totals(profiler.milliseconds, profiler.counts)


def _layers(segmenter, tensor):
    ort = require_onnxruntime("per-layer profiling")
    model = zoo.load(segmenter.model_path)
    if has_unpool_op(model):
        raise UsageError("--per-layer on ONNX Runtime needs standard ops: our unpooling op runs "
                         "outside ONNX Runtime; profile the model prepared with --unpool native")
    return layers_module.profile_onnxruntime(
        model.SerializeToString(), {segmenter.input_name: tensor}, 20,
        lambda: session_options(ort, segmenter.threads), providers(ort))
