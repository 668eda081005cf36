"""tools/train_segnet.py's defaults (what tools/bench_train.py measured best) and the benchmark
itself, on a tiny dataset."""

import importlib.util
import os

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet.train.data import default_cache_dir

TOOLS = os.path.join(os.path.dirname(__file__), "..", "..", "tools")


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(TOOLS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_training_tool_defaults_to_what_measured_best():
    args = _tool("train_segnet").parse_args(["--data", "CamVid"])
    # The decoded cache (loader 5x faster, never slower); no workers, channels_last or
    # torch.compile (no gain or slower on the CPU); one process on the CPU.
    assert args.cache_dir == default_cache_dir() and not args.no_cache
    assert (args.workers, args.channels_last, args.compile, args.device) == (0, False, False,
                                                                            "cpu")
    assert not default_cache_dir().startswith(os.path.abspath(os.path.join(TOOLS, "..")))


def test_the_benchmark_interleaves_variants_and_compares_them_with_the_baseline(
        synthetic, capsys):
    bench = _tool("bench_train")
    common = ["--data", synthetic, "--width", "4", "--kernel", "3", "--input-size", "48x64",
              "--batch-size", "2", "--repeats", "2", "--variants", "baseline,cache"]
    assert bench.main(common + ["--steps", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 thread(s)" in out and out.count("repeat 2 ") == 2
    summary = out.split("vs baseline")[1].splitlines()
    assert summary[1].startswith("baseline") and summary[2].startswith("cache")
    assert "x (" in summary[2]
    assert bench.main(common + ["--steps", "3", "--loader-only"]) == 0
    assert "loader only" in capsys.readouterr().out
