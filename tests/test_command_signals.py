"""``prepare`` and ``profile`` stopped by real signals at several points, in real processes:
the output is complete or absent, never half-written under its name; SIGINT and SIGTERM leave
no temporary file and answer in one line with their exit codes (130, 143); after SIGKILL the
next run that writes the same file removes what the killed one left."""

import glob
import os
import signal
import subprocess
import sys
import time

import onnx
import pytest

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@pytest.fixture(scope="module")
def vgg_model(tmp_path_factory):
    """A model whose prepare takes a few seconds, so that signals land inside it."""
    path = str(tmp_path_factory.mktemp("signals") / "vgg.onnx")
    subprocess.run([sys.executable, "-m", "edge_segnet", "export-model", "segnet-vgg16", "-o",
                    path], check=True, stdout=subprocess.DEVNULL)
    return path


def _command(name, model, output):
    if name == "prepare":
        return ["prepare", model, "-o", output, "--argmax"]
    return ["profile", model, "--duration", "30", "--warmup", "1", "--json", output]


def _stop(tmp_path, name, model, signum, delay):
    output = str(tmp_path / ("out.onnx" if name == "prepare" else "out.json"))
    process = subprocess.Popen([sys.executable, "-m", "edge_segnet"] +
                               _command(name, model, output), cwd=str(tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True)
    time.sleep(delay)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr, output


def _complete(name, output):
    if name == "prepare":
        onnx.checker.check_model(onnx.load(output))
    else:
        import json

        with open(output) as handle:
            assert json.load(handle)["iterations"] >= 1


@pytest.mark.parametrize("name", ["prepare", "profile"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("delay", [0.3, 2.0])
def test_a_signal_leaves_the_output_complete_or_absent_and_no_temporary(
        tmp_path, vgg_model, name, signum, delay):
    code, stderr, output = _stop(tmp_path, name, vgg_model, signum, delay)
    assert "Traceback" not in stderr
    if code == 0:  # it finished before the signal came
        _complete(name, output)
    else:
        assert code == EXIT[signum], stderr
        assert stderr.strip().splitlines()[-1] in ("interrupted", "terminated")
        assert not os.path.exists(output)
    assert not glob.glob(str(tmp_path / ".*.part*"))


@pytest.mark.parametrize("name", ["prepare", "profile"])
def test_after_sigkill_nothing_is_under_the_name_and_the_next_run_cleans_up(
        tmp_path, vgg_model, name):
    delay = 2.0
    if name == "prepare":
        # Half of a whole run on this machine now: a fixed delay let a fast run finish first.
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "edge_segnet"] + _command(
            name, vgg_model, str(tmp_path / "timed.onnx")), cwd=str(tmp_path), check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = min(delay, (time.perf_counter() - start) / 2)
        os.remove(str(tmp_path / "timed.onnx"))
    code, _, output = _stop(tmp_path, name, vgg_model, signal.SIGKILL, delay)
    assert code == -signal.SIGKILL
    assert not os.path.exists(output)
    # What a kill inside the final write leaves, made certain here: a temporary of a dead pid.
    prefix = ".out.{}.".format(999999)
    left = tmp_path / (prefix + "x1y2z3w4.part" + os.path.splitext(output)[1])  # as mkstemp
    left.write_bytes(b"half")
    subprocess.run([sys.executable, "-m", "edge_segnet"] + (
        ["prepare", vgg_model, "-o", output] if name == "prepare" else
        ["profile", vgg_model, "--iterations", "1", "--warmup", "0", "--json", output]),
        cwd=str(tmp_path), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _complete(name, output)
    assert not left.exists()
