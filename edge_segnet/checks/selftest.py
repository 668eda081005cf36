"""``edge-segnet selftest``: build the shipped SegNet-Basic per precision, verify each engine
against ONNX Runtime, time it, and say on one screen what passed, what failed and what could not
be checked here."""

import os
import shutil
import tempfile

import numpy as np

from edge_segnet import fileio, inputs, optional, prepare
from edge_segnet.checks import verify
from edge_segnet.data.synthetic import synthetic_frames
from edge_segnet.engine import builder, cuda_memory, plan
from edge_segnet.errors import EdgeSegnetError, ModelError, UsageError
from edge_segnet.models import metadata, shipped, zoo
from edge_segnet.platform import installed, jetson
from edge_segnet.profile import stats
from edge_segnet.profile.profiler import time_loop
from edge_segnet.runtime.tensorrt_backend import TensorRTSegmenter

# Arg-max agreement with ONNX Runtime (FP32) that each precision must reach.
MIN_AGREEMENT = {"fp32": 99.9, "fp16": 99.5}
PRECISIONS = ("fp32", "fp16")
VERIFY_FRAMES = 4


class Check(object):
    PASS, FAIL, SKIP = "pass", "FAIL", "not checked"

    def __init__(self, name, status, detail):
        self.name, self.status, self.detail = name, status, detail

    def line(self):
        return "{:<24} {:<12} {}".format(self.name, self.status, self.detail)


class SelftestReport(object):
    def __init__(self):
        self.facts = []
        self.checks = []

    def add(self, name, status, detail):
        self.checks.append(Check(name, status, detail))

    @property
    def passed(self):
        return all(check.status != Check.FAIL for check in self.checks)

    def format_text(self):
        lines = ["{:<24} {}".format(name, value) for name, value in self.facts]
        lines.append("")
        lines.extend(check.line() for check in self.checks)
        failed = sum(check.status == Check.FAIL for check in self.checks)
        skipped = sum(check.status == Check.SKIP for check in self.checks)
        lines.append("")
        lines.append("selftest {}: {} passed, {} failed, {} not checked".format(
            "FAILED" if failed else "passed",
            sum(check.status == Check.PASS for check in self.checks), failed, skipped))
        return "\n".join(lines)


def _facts(report, tensorrt, cuda):
    report.facts.append(("board", jetson.board_model() or "not a Jetson"))
    l4t = jetson.l4t_release()
    if l4t:
        report.facts.append(("L4T / JetPack", "{} / {}".format(l4t, jetson.jetpack_for(l4t)
                                                               or "?")))
    report.facts.append(("TensorRT", tensorrt.__version__ if tensorrt else "not installed"))
    report.facts.append(("ONNX Runtime", installed.onnxruntime_version() or "not installed"))
    if cuda is not None:
        name, capability = cuda.device()
        report.facts.append(("GPU", "{} (compute {}.{}), memory through {}".format(
            name, capability[0], capability[1], cuda.name)))


def _check_onnxruntime(report, model_path):
    workdir = tempfile.mkdtemp(prefix="edge-segnet-selftest-")
    try:
        prepared = os.path.join(workdir, "prepared.onnx")
        size = metadata.ModelInfo.from_model(zoo.load(model_path)).input_size
        prepare.prepare_file(model_path, prepared, prepare.PrepareOptions(
            input_size=size or zoo.DEFAULT_INPUT_SIZE, unpool_form="plugin", argmax=True,
            keep_logits=True))
        comparison = verify.compare(model_path, prepared, synthetic_frames(
            VERIFY_FRAMES))
        failures = comparison.failures(1e-4, 100.0)
        report.add("prepare + verify (CPU)", Check.FAIL if failures else Check.PASS,
                   "; ".join(failures) or "prepared graph equals the model on ONNX Runtime "
                   "({:.2f}% agreement)".format(100 * comparison.agreement))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_engine(report, precision, model_path, workdir, iterations, tensorrt, cuda):
    engine_path = os.path.join(workdir, "segnet-{}.engine".format(precision))
    options = plan.BuildOptions(precision=precision, output=engine_path, force=True)
    try:
        result = builder.build(model_path, options, tensorrt=tensorrt, cuda=cuda)
        report.add("build " + precision, Check.PASS, "{:.1f} s".format(result.seconds))
    except EdgeSegnetError as exc:
        report.add("build " + precision, Check.FAIL, str(exc))
        return
    try:
        segmenter = TensorRTSegmenter(engine_path, tensorrt=tensorrt, cuda=cuda)
    except EdgeSegnetError as exc:
        report.add("load " + precision, Check.FAIL, str(exc))
        return
    try:
        if optional.try_import("onnxruntime") is None:
            report.add("verify " + precision, Check.SKIP,
                       "ONNX Runtime is not installed: " + optional.install_hint("onnxruntime"))
        else:
            comparison = verify.compare_segmenters(model_path, segmenter,
                                                   synthetic_frames(VERIFY_FRAMES))
            agreement = 100 * comparison.agreement
            minimum = MIN_AGREEMENT[precision]
            report.add("verify " + precision, Check.PASS if agreement >= minimum else
                       Check.FAIL, "{:.2f}% arg-max agreement with ONNX Runtime (needs {}%); "
                       "max logit difference {}".format(
                           agreement, minimum, "{:.3g}".format(comparison.max_abs)
                           if comparison.max_abs is not None else "n/a"))
        frame = segmenter.prepare_input(_gray_frame(segmenter.input_size))
        for _ in range(10):
            segmenter.run_tensor(frame)
        gpu = []

        def timed_run():
            segmenter.run_tensor(frame)
            gpu.append(segmenter.last_gpu_ms)

        totals = time_loop(timed_run, iterations)
        total, compute = stats.LatencyStats(totals), stats.LatencyStats(gpu)
        report.add("profile " + precision, Check.PASS,
                   "median {:.2f} ms with copies, GPU {:.2f} ms (p99 {:.2f}), {} runs".format(
                       total.median, compute.median, compute.p99, iterations))
    except EdgeSegnetError as exc:
        report.add("run " + precision, Check.FAIL, str(exc))
    finally:
        segmenter.close()


def _gray_frame(size):
    return np.full(tuple(size) + (3,), 128, np.uint8)


def run(model=None, iterations=50, keep=None, tensorrt=None, cuda=None):
    """Run every check that this machine allows; returns a SelftestReport. Without ``cuda`` the
    checks share the process's CudaMemory, given back at the end."""
    with cuda_memory.Borrowed(cuda) as borrowed:
        return _run(model, iterations, keep, tensorrt, borrowed)


def _run(model, iterations, keep, tensorrt, borrowed):
    if iterations < 1:
        raise UsageError("--iterations must be at least 1; got {}".format(iterations))
    if keep and os.path.exists(keep) and not os.path.isdir(keep):
        raise UsageError("--keep {} exists and is not a folder".format(keep))
    if keep:
        # Before minutes of building, not when the first engine is written (and also where
        # no TensorRT is installed: the command was asked to keep engines there).
        folder = keep if os.path.isdir(keep) else os.path.dirname(os.path.abspath(keep))
        fileio.check_writable_path(os.path.join(folder, "selftest.engine"), "--keep engines")
    model_path = shipped.resolve(model)
    inputs.check_regular_file(model_path, "model", ModelError, hint="give an .onnx model file")
    if not os.path.isfile(model_path):
        raise ModelError("model file not found: {}".format(model_path))
    report = SelftestReport()
    tensorrt = tensorrt or optional.try_import("tensorrt")
    cuda = None
    if tensorrt is not None or borrowed.given is not None:
        try:
            cuda = borrowed.get()
        except EdgeSegnetError as exc:
            report.add("CUDA", Check.FAIL, str(exc))
    _facts(report, tensorrt, cuda)
    report.facts.append(("model", model_path))
    if optional.try_import("onnxruntime") is not None:
        _check_onnxruntime(report, model_path)
    else:
        report.add("prepare + verify (CPU)", Check.SKIP,
                   "ONNX Runtime is not installed: " + optional.install_hint("onnxruntime"))
    if tensorrt is None:
        report.add("TensorRT engines", Check.SKIP,
                   "TensorRT is not installed: " + optional.install_hint("tensorrt") +
                   "; build, GPU verification and profiling need it")
        return report
    if cuda is None:
        return report
    workdir = keep or tempfile.mkdtemp(prefix="edge-segnet-selftest-")
    if keep:
        os.makedirs(keep, exist_ok=True)
    try:
        # INT8 needs a Q/DQ model from calibration (edge-segnet calibrate, then build --int8):
        # the float model selftest builds has none.
        for precision in PRECISIONS:
            _check_engine(report, precision, model_path, workdir, iterations, tensorrt, cuda)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return report
