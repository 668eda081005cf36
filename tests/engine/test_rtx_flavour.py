"""TensorRT for RTX beside TensorRT, without either installed: which flavour a module is, the
choice when only one is installed, what a flavour's engine description allows, the cache key,
and the refusals made before TensorRT for RTX is imported. The stand-in keeps being TensorRT."""

import sys
import types

import pytest

from edge_segnet.engine import cache, plan, sidecar, trt_compat
from edge_segnet.errors import MissingDependencyError, UsageError
from edge_segnet.models import metadata
from edge_segnet.platform import installed
from edge_segnet.trt_facts import releases, rtx
from tests.engine.fake_tensorrt import make_fake_tensorrt


def _module(name, version):
    module = types.ModuleType(name, "Stands for a TensorRT module: its name and version only.")
    module.__version__ = version
    return module


def test_the_flavour_is_told_by_the_module_name():
    assert trt_compat.flavour(_module("tensorrt_rtx_bindings", "1.7.1.116")) == releases.RTX
    assert trt_compat.flavour(_module("tensorrt_rtx", "1.7.1.116")) == releases.RTX
    assert trt_compat.flavour(_module("tensorrt", "10.3.0.26")) == releases.TENSORRT
    assert trt_compat.flavour(make_fake_tensorrt("10.3")) == releases.TENSORRT


def test_rtx_is_planned_as_the_strongly_typed_line():
    rtx_module = _module("tensorrt_rtx_bindings", "1.7.1.116")
    assert trt_compat.version(rtx_module) == rtx.PLANNED_AS
    assert trt_compat.release_version(rtx_module) == (1, 7)
    assert releases.is_strongly_typed_only(rtx.PLANNED_AS)
    assert not releases.has_dla(rtx.PLANNED_AS) and not releases.has_calibrators(rtx.PLANNED_AS)
    assert trt_compat.describe_release(rtx_module) == "TensorRT for RTX 1.7.1.116"


@pytest.mark.parametrize("present, expected", [
    ((), releases.TENSORRT), (("tensorrt",), releases.TENSORRT),
    (("tensorrt_rtx_bindings",), releases.RTX), (("tensorrt", "tensorrt_rtx_bindings"),
                                                  releases.TENSORRT)])
def test_a_build_targets_rtx_only_where_it_is_installed_alone(monkeypatch, present, expected):
    for name in ("tensorrt", "tensorrt_rtx_bindings", "tensorrt_rtx"):
        monkeypatch.setitem(sys.modules, name, _module(name, "1.7.1.116" if "rtx" in name else
                                                       "10.3.0.26") if name in present else None)
    assert installed.default_target() == expected
    assert plan.BuildOptions().flavour() == expected
    # Options only TensorRT has choose it (the build then says what is missing).
    assert plan.BuildOptions(trt_version="10.3").flavour() == releases.TENSORRT
    assert plan.BuildOptions(precision="int8", calib_cache="c.calib").flavour() == \
        releases.TENSORRT
    assert plan.BuildOptions(dla_core=0).flavour() == releases.TENSORRT
    assert plan.BuildOptions(target="rtx").flavour() == releases.RTX


@pytest.mark.parametrize("present, expected", [
    (("tensorrt",), "tensorrt"), (("tensorrt_rtx_bindings",), "tensorrt_rtx_bindings"),
    (("tensorrt", "tensorrt_rtx_bindings"), "tensorrt"), ((), None)])
def test_the_engine_cache_runs_an_onnx_on_whichever_tensorrt_is_installed(
        monkeypatch, present, expected):
    # `--backend tensorrt` on an .onnx: with only TensorRT for RTX installed it builds with
    # that (the same backend runs its engines), instead of asking for TensorRT.
    for name in ("tensorrt", "tensorrt_rtx_bindings", "tensorrt_rtx"):
        monkeypatch.setitem(sys.modules, name, _module(name, "1.7.1.116" if "rtx" in name else
                                                       "10.3.0.26") if name in present else None)
    if expected is None:
        with pytest.raises(MissingDependencyError, match="the TensorRT backend needs the "
                                                         "Python package 'tensorrt'"):
            trt_compat.import_either("the TensorRT backend")
    else:
        assert trt_compat.import_either("the TensorRT backend").__name__ == expected


@pytest.mark.parametrize("keywords, text", [
    (dict(precision="int8", calib_cache="x.calib"), "--calib-cache with --target rtx: "
                                                    "TensorRT for RTX has no calibrators"),
    (dict(dla_core=0), "--dla-core with --target rtx"),
    (dict(dla_core=0, gpu_fallback=True), "--dla-core with --target rtx"),
    (dict(trt_version="11.1"), "--trt-version with --target rtx"),
])
def test_options_rtx_lacks_are_refused_before_the_model_is_read(keywords, text):
    options = plan.BuildOptions(target="rtx", **keywords)
    with pytest.raises(UsageError) as caught:
        plan.plan("never-read.onnx", options, flavour=releases.RTX)
    assert text in caught.value.message


def test_compute_capabilities_go_with_rtx_only():
    with pytest.raises(UsageError) as caught:
        plan.BuildOptions(target="tensorrt", compute_capabilities="86")
    assert "--compute-capability goes with --target rtx" in caught.value.message
    with pytest.raises(UsageError):
        plan.plan("never-read.onnx", plan.BuildOptions(compute_capabilities="86"),
                  flavour=releases.TENSORRT)
    assert plan.BuildOptions(target="rtx", compute_capabilities="75,86") \
        .compute_capabilities == ((7, 5), (8, 6))


def test_the_cache_key_differs_by_flavour():
    fields = ("0" * 64, "1.7.1.116", ("RTX 4090", (8, 9)), "fp16", (128, 256), "native", None)
    assert cache.cache_key(*fields) == cache.cache_key(*fields, flavour=releases.TENSORRT)
    assert cache.cache_key(*fields) != cache.cache_key(*fields, flavour=releases.RTX)


def _described(tmp_path, flavour, targets=None):
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"engine bytes")
    info = {"tensorrt": {"version": "1.7.1.116", "flavour": flavour},
            "gpu": {"name": None, "compute_capability": None},
            "targets": {"compute_capabilities": targets or [[8, 6], [8, 9]]},
            "plugin": None, "engine_sha256": sidecar.file_sha256(str(engine)), "io": [],
            "model": sidecar.model_section(metadata.ModelInfo(input_size=(128, 256)))}
    (tmp_path / "m.engine.json").write_text(sidecar.describe(info))
    return str(engine)


def test_an_rtx_engine_runs_on_its_targets_in_tensorrt_for_rtx_only(tmp_path):
    engine = _described(tmp_path, releases.RTX)
    data = sidecar.read(engine)
    assert sidecar.flavour(data) == releases.RTX and sidecar.targets(data) == [(8, 6), (8, 9)]
    sidecar.check_runs_here(engine, data, "1.7.1.116", ("RTX 4090", (8, 9)), None,
                            flavour_here=releases.RTX)
    sidecar.check_runs_here(engine, data, "1.7.1.116", None, None, flavour_here=releases.RTX)
    with pytest.raises(sidecar.EngineMismatch) as caught:
        sidecar.check_runs_here(engine, data, "1.7.1.116", ("RTX 2080", (7, 5)), None,
                                flavour_here=releases.RTX)
    assert "built for compute capability 8.6, 8.9; this GPU is RTX 2080 (compute 7.5)" in \
        caught.value.message and "--compute-capability 75" in caught.value.hint
    with pytest.raises(sidecar.EngineMismatch) as caught:
        sidecar.check_runs_here(engine, data, "1.7.1.116", ("Orin", (8, 7)), None)
    assert "built with TensorRT for RTX 1.7.1.116; this is TensorRT 1.7.1.116" in \
        caught.value.message


def test_a_description_without_a_flavour_is_tensorrts():
    assert sidecar.flavour({"tensorrt": {"version": "8.2.1.8"}}) == releases.TENSORRT
    assert sidecar.flavour(None) == releases.TENSORRT


def test_the_cache_builds_rtx_entries_for_this_gpu_alone():
    assert cache._rtx_targets(("RTX 4090", (8, 9))) == ((8, 9),)
    with pytest.raises(UsageError) as caught:
        cache._rtx_targets(("H100", (9, 0)))
    assert "this GPU is H100 (compute 9.0)" in caught.value.message
