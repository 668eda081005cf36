"""The scripts under tools/ that end through tools/tool_main.py (the benchmarks, the TensorRT
source readers) meet bad input as the commands do: one line, a non-zero exit, no traceback,
nothing left in the temporary folder (tools/bench_train.py, which needs PyTorch: in
tests/train/test_tools.py)."""

import os
import subprocess
import sys

import pytest

from edge_segnet import signals
from edge_segnet.errors import DataError
from tests import tool_scripts

BAD_INPUT = [
    ("bench_int8", ["--int8", "{missing}"], 1, "bench_int8.py: error: model file not found: "),
    ("bench_int8", ["--int8", "{text}"], 1, "is not a readable ONNX model"),
    ("bench_int8", ["--int8", "{text}", "--rounds", "0"], 2,
     "argument --rounds: must be at least 1; got 0"),
    ("bench_label_upsampling", ["--data", "{missing}"], 1, "dataset folder not found"),
    ("bench_label_upsampling", ["--data", "{missing}", "--timed", "x"], 2,
     "argument --timed: 'x' is not a whole number"),
    ("bench_mjpeg", ["--size", "abc"], 2, "argument --size: the size must be HEIGHTxWIDTH"),
    ("bench_mjpeg", ["--seconds", "nan"], 2, "argument --seconds: must be a number above 0"),
    ("bench_overlay", ["--draws", "0"], 2, "argument --draws: must be at least 1"),
    ("bench_prepare", ["--models", "nosuch"], 2, "argument --models: invalid choice: 'nosuch'"),
    ("bench_profile", ["--frame-size", "0x0"], 2, "sides must be between"),
    ("bench_profile", ["--model", "{missing}.onnx"], 1, "model file not found"),
    ("bench_run", ["--frames", "0"], 2, "argument --frames: must be at least 1"),
    ("bench_run", ["--model", "{missing}"], 2, "cannot tell the backend"),
    ("bench_run", ["--model", "{text}"], 1, "is not a readable ONNX model"),
    ("bench_segmenter", ["--models", "nosuch"], 2, "invalid choice: 'nosuch'"),
    ("bench_serve_run", ["--clients", "-1"], 2, "argument --clients: must be at least 1; got -1"),
    ("bench_serve_run", ["--model", "{missing}"], 1, "model file not found"),
    ("bench_threads", ["--model", "{text}"], 1, "is not a readable ONNX model"),
    ("bench_unpool_kernel", ["--rounds", "0"], 2, "argument --rounds: must be at least 1"),
    ("trt_api_manifest", ["--repo", "{missing}", "--out", "{missing}"], 2,
     "has no tag 8.2.1 (give a git directory of NVIDIA/TensorRT"),
    ("trt_parser_ops", ["--repo", "{missing}"], 2, "no git directory at"),
]


def _left_in_tmp(tmp_path):
    # Importing onnxruntime (1.32 here) leaves a .ses file of its own in TMPDIR.
    return sorted(set(os.listdir(str(tmp_path / "tmp"))) - {".ses"})


def _run(name, args, tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"))
    os.makedirs(env["TMPDIR"], exist_ok=True)
    return subprocess.run([sys.executable, os.path.join(tool_scripts.TOOLS, name + ".py")] + args,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, timeout=300)


@pytest.mark.parametrize("name, args, code, words", BAD_INPUT)
def test_bad_input_gets_one_line_and_leaves_nothing(name, args, code, words, tmp_path):
    text = tmp_path / "notes.onnx"
    text.write_text("not a model\n")
    paths = {"missing": str(tmp_path / "missing"), "text": str(text)}
    result = _run(name, [arg.format(**paths) for arg in args], tmp_path)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert lines[0].startswith(name + ".py: error: ")
    assert _left_in_tmp(tmp_path) == []


def test_a_benchmark_that_ran_leaves_no_temporary_folder(tmp_path):
    result = _run("bench_run", ["--frames", "2", "--rounds", "1", "--threads", "1"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ratio run / model per round" in result.stdout
    assert _left_in_tmp(tmp_path) == []


@pytest.fixture(scope="module")
def tool_main():
    return tool_scripts.load("tool_main")


def test_a_problem_is_one_line_with_its_exit_code(tool_main, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["bench_x.py"])

    def fails(argv):
        raise DataError("no frames in {}".format(argv[0]), hint="give a folder of images")

    assert tool_main.run(fails, ["F"]) == 1
    assert capsys.readouterr().err == \
        "bench_x.py: error: no frames in F (give a folder of images)\n"
    assert tool_main.run(lambda argv: None, []) == 0


@pytest.mark.parametrize("interrupt, code, word", [
    (KeyboardInterrupt, 130, "interrupted"), (signals.Terminated, 143, "terminated")])
def test_an_interrupt_is_a_short_line_and_the_shell_s_code(tool_main, capsys, monkeypatch,
                                                           interrupt, code, word):
    monkeypatch.setattr(sys, "argv", ["bench_x.py"])
    monkeypatch.setattr(signals, "terminate_like_interrupt", lambda: None)

    def interrupted(argv):
        raise interrupt()

    assert tool_main.run(interrupted) == code
    assert capsys.readouterr().err == "bench_x.py: {}\n".format(word)
