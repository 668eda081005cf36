"""The engine code against each TensorRT release we claim, through a stand-in ``tensorrt`` that
exposes exactly that release's binding names (tests/engine/fake_tensorrt.py) and a stand-in GPU
(tests/engine/fake_cuda.py): which calls each release gets, what the engine and its description
hold, that the engine computes what ONNX Runtime computes, and each refusal."""

import json
import os

import numpy as np
import pytest

from edge_segnet.engine import builder, cache, plan, plugin_library, sidecar, trt_compat
from edge_segnet.engine.trt_compat import TensorRTError
from edge_segnet.errors import UsageError
from edge_segnet.models import zoo
from edge_segnet.runtime.tensorrt_backend import TensorRTSegmenter
from edge_segnet.trt_facts import calibration_cache
from tests.engine.calibration_caches import write_cache_for
from tests.engine.fake_cuda import FakeCuda
from tests.engine.fake_tensorrt import RELEASES, Scenario, make_fake_tensorrt
from tests.engine.stand_in_plugin import compile_stand_in_plugin

pytest.importorskip("onnxruntime", reason="the fake engine computes with ONNX Runtime")

ORIN = ("Fake Orin (sm_87)", (8, 7))
TX1 = ("Fake TX1 (sm_53)", (5, 3))
PLUGIN = ("EdgeSegnetUnpool", "1", "")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("model") / "segnet.onnx")
    zoo.save(zoo.create("segnet-basic", input_size=(36, 52)), path)
    return path


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    """A real shared library standing in for libedge_segnet_plugins.so (its creator is
    'registered' by the fake registry's scenario)."""
    return compile_stand_in_plugin(tmp_path_factory.mktemp("plugin"))


def _machine(release, gpu=ORIN, **scenario):
    cuda = FakeCuda(gpu)
    fields = {"gpu_name": gpu[0], "memory": cuda}
    fields.update(scenario)
    return make_fake_tensorrt(release, Scenario(**fields)), cuda


def _build(release, model_path, tmp_path, precision="fp32", gpu=ORIN, **options):
    if release == "11.1" and precision == "fp16":
        pytest.importorskip("onnxconverter_common",
                            reason="TensorRT 11 takes FP16 from the model: onnxconverter-common "
                                   "(Python 3.8+) converts it")
    trt, cuda = _machine(release, gpu, **options.pop("scenario", {}))
    output = str(tmp_path / "segnet-{}.engine".format(precision))
    result = builder.build(model_path, plan.BuildOptions(precision=precision, output=output,
                                                         unpool="native", **options),
                           tensorrt=trt, cuda=cuda)
    return trt, cuda, result


# Calls whose presence tells the releases apart.
DISTINGUISHING = ("IBuilderConfig.max_workspace_size=", "IBuilderConfig.set_memory_pool_limit",
                  "IBuilderConfig.set_flag(BuilderFlag.FP16)", "ParserError.node_name",
                  "ICudaEngine.num_bindings", "ICudaEngine.num_io_tensors",
                  "IExecutionContext.execute_async_v2", "IExecutionContext.execute_async_v3",
                  "IExecutionContext.set_tensor_address")
EXPECTED_CALLS = {
    "8.2.1": {"IBuilderConfig.max_workspace_size=", "IBuilderConfig.set_flag(BuilderFlag.FP16)",
              "ICudaEngine.num_bindings", "IExecutionContext.execute_async_v2"},
    "8.5.2": {"IBuilderConfig.set_memory_pool_limit",
              "IBuilderConfig.set_flag(BuilderFlag.FP16)", "ICudaEngine.num_io_tensors",
              "IExecutionContext.execute_async_v3", "IExecutionContext.set_tensor_address"},
}
EXPECTED_CALLS["8.6.1"] = EXPECTED_CALLS["10.3.0"] = EXPECTED_CALLS["10.16"] = \
    EXPECTED_CALLS["8.5.2"]
EXPECTED_CALLS["11.1"] = EXPECTED_CALLS["10.3.0"] - {"IBuilderConfig.set_flag(BuilderFlag.FP16)"}


def _called(trt, name):
    return any(call == name or call.startswith(name + "(") for call in trt._calls)


@pytest.mark.parametrize("release", RELEASES)
def test_fp16_build_and_run_take_each_release_s_own_calls(release, model_path, tmp_path):
    trt, cuda, result = _build(release, model_path, tmp_path, "fp16", workspace_mib=64)
    segmenter = TensorRTSegmenter(result.engine_path, tensorrt=trt, cuda=cuda)
    frame = np.random.RandomState(1).randint(0, 256, (72, 104, 3), np.uint8)
    segmenter.infer(frame)
    seen = {name for name in DISTINGUISHING if _called(trt, name)}
    assert seen == EXPECTED_CALLS[release], sorted(seen)


@pytest.mark.parametrize("release", RELEASES)
def test_the_engine_computes_what_onnx_runtime_computes(release, model_path, tmp_path):
    from edge_segnet.runtime.onnxruntime_backend import OnnxRuntimeSegmenter

    trt, cuda, result = _build(release, model_path, tmp_path)
    engine = TensorRTSegmenter(result.engine_path, tensorrt=trt, cuda=cuda)
    reference = OnnxRuntimeSegmenter(model_path)
    for seed in range(2):
        frame = np.random.RandomState(seed).randint(0, 256, (72, 104, 3), np.uint8)
        ours, theirs = engine.infer(frame, want_logits=True), reference.infer(frame, True)
        assert np.array_equal(ours.labels, theirs.labels)
        assert np.abs(ours.logits - theirs.logits).max() < 1e-3
    assert engine.last_gpu_ms is not None and engine.last_gpu_ms >= 0
    # A uint8 engine input takes the frame's bytes as they are (8.5 and newer).
    expected = np.uint8 if release != "8.2.1" else np.float32
    assert engine._input.dtype == expected
    engine.close()
    assert "free" in cuda.calls


@pytest.mark.parametrize("release", RELEASES)
def test_the_description_says_what_the_engine_is_and_was_built_for(release, model_path,
                                                                    tmp_path):
    trt, cuda, result = _build(release, model_path, tmp_path, "fp16", workspace_mib=64)
    with open(result.engine_path + ".json") as handle:
        data = json.load(handle)
    assert data["tensorrt"]["version"] == trt.__version__
    assert data["gpu"] == {"name": ORIN[0], "compute_capability": [8, 7],
                           "board": "Jetson Orin (Ampere)"}
    assert data["precision"] == "fp16"
    assert data["engine_sha256"] == sidecar.file_sha256(result.engine_path)
    assert data["source_sha256"] == sidecar.file_sha256(model_path)
    assert data["workspace_bytes"] == 64 << 20
    assert [tensor["mode"] for tensor in data["io"]] == ["input", "output", "output"]
    assert data["io"][0]["shape"] == ([1, 36, 52, 3] if release != "8.2.1" else [1, 3, 36, 52])
    assert data["model"]["labels"][0] == "sky" and len(data["model"]["palette"]) == 12
    assert data["input_format"] == ("bgr_float_nchw" if release == "8.2.1" else
                                    "bgr_uint8_nhwc")
    assert "unpool" in data["prepared_passes"] and data["unpool"] == "native"
    assert data["plugin"] is None
    assert data["flags"] == ([] if release == "11.1" else ["FP16"])
    assert data["build_seconds"] >= 0


def test_tensorrt_11_gets_fp16_from_the_model_s_types(model_path, tmp_path):
    pytest.importorskip("onnxconverter_common", reason="onnxconverter-common not installed")
    trt, cuda, result = _build("11.1", model_path, tmp_path, "fp16")
    assert any(step.startswith("fp16") for step in result.description["prepared_passes"])
    assert not any("BuilderFlag" in call for call in trt._calls)


def test_8_2_gets_a_workspace_because_its_default_is_none(model_path, tmp_path):
    trt, cuda, result = _build("8.2.1", model_path, tmp_path)
    assert result.description["workspace_bytes"] == 1 << 30
    trt, cuda, result = _build("10.3.0", model_path, tmp_path)
    assert result.description["workspace_bytes"] is None


def test_options_reach_the_builder_config(model_path, tmp_path):
    timing = str(tmp_path / "timing.cache")
    trt, cuda, result = _build("10.16", model_path, tmp_path, "fp16", opt_level=5,
                               timing_cache=timing, dla_core=1, gpu_fallback=True,
                               scenario={"dla_cores": 2})
    calls = trt._calls
    assert "IBuilderConfig.builder_optimization_level=" in calls
    assert "IBuilderConfig.DLA_core=" in calls and "IBuilderConfig.default_device_type=" in calls
    assert "IBuilderConfig.set_flag(BuilderFlag.GPU_FALLBACK)" in calls
    assert os.path.getsize(timing) > 0 and "IBuilderConfig.set_timing_cache" in " ".join(calls)


def test_opt_level_needs_8_6(model_path, tmp_path):
    with pytest.raises(Exception, match="--opt-level needs TensorRT 8.6"):
        _build("8.5.2", model_path, tmp_path, opt_level=2)


def test_int8_is_refused_on_a_tx1(model_path, tmp_path):
    cache_file = write_cache_for(model_path, tmp_path / "m.calib", "8.2.1")
    with pytest.raises(builder.HardwareRefusal, match="has no fast INT8") as caught:
        _build("8.2.1", model_path, tmp_path, "int8", gpu=TX1, calib_cache=str(cache_file),
               scenario={"fast_int8": False})
    assert "TX1" in str(caught.value) and "--fp16" in str(caught.value)
    assert not os.path.exists(str(tmp_path / "segnet-int8.engine"))


def test_implicit_int8_replays_the_calibration_cache_on_10(model_path, tmp_path):
    # Headed for 8.5.2 (the same graph: uint8 frames): the build re-heads it for 10.3.0.
    cache_file = write_cache_for(model_path, tmp_path / "m.calib", "8.5.2")
    trt, cuda, result = _build("10.3.0", model_path, tmp_path, "int8",
                               calib_cache=str(cache_file))
    assert "IBuilderConfig.int8_calibrator=" in trt._calls
    assert result.description["flags"] == ["INT8", "FP16"]
    assert result.description["quantization"] == "calibration-cache"


def test_a_dla_core_on_a_board_without_dla_is_refused(model_path, tmp_path):
    with pytest.raises(builder.HardwareRefusal, match="no DLA"):
        _build("10.3.0", model_path, tmp_path, dla_core=0)
    with pytest.raises(builder.HardwareRefusal, match="has 2 DLA core"):
        _build("10.3.0", model_path, tmp_path, dla_core=2, scenario={"dla_cores": 2})


@pytest.mark.parametrize("release", ["8.2.1", "10.3.0"])
def test_parser_errors_name_the_node_its_op_and_the_parser_s_text(release, model_path,
                                                                   tmp_path):
    with pytest.raises(TensorRTError) as caught:
        _build(release, model_path, tmp_path, scenario={"unsupported_ops": {"Conv"}})
    message = str(caught.value)
    # The first Conv is the normalisation prepare embedded in the graph.
    assert "'preprocess' (Conv)" in message and "Plugin not found" in message


def test_a_failed_build_writes_nothing(model_path, tmp_path):
    with pytest.raises(TensorRTError, match="could not build"):
        _build("8.6.1", model_path, tmp_path, scenario={"build_fails": True})
    assert sorted(os.listdir(str(tmp_path))) == []


def test_the_plugin_form_loads_the_plugin_and_records_its_build(model_path, plugin_path,
                                                                tmp_path):
    trt, cuda = _machine("10.3.0", registered_plugins=[PLUGIN])
    output = str(tmp_path / "segnet.engine")
    result = builder.build(model_path, plan.BuildOptions(output=output, plugin=plugin_path),
                           tensorrt=trt, cuda=cuda)
    assert result.description["plugin"] == {"path": plugin_path,
                                            "sha256": sidecar.file_sha256(plugin_path)}
    environ = {plugin_library.PATH_VARIABLE: plugin_path}
    engine = TensorRTSegmenter(output, tensorrt=trt, cuda=cuda, environ=environ)
    labels = engine.infer(np.zeros((36, 52, 3), np.uint8)).labels
    assert labels.shape == (36, 52)


def test_a_plugin_that_does_not_register_names_the_native_way_out(model_path, plugin_path,
                                                                  tmp_path):
    trt, cuda = _machine("8.2.1")  # the library loads, its creator is not there
    with pytest.raises(plugin_library.PluginError, match="--unpool native"):
        builder.build(model_path, plan.BuildOptions(output=str(tmp_path / "m.engine"),
                                                    plugin=plugin_path),
                      tensorrt=trt, cuda=cuda)
    with pytest.raises(plugin_library.PluginError, match="--unpool native"):
        builder.build(model_path, plan.BuildOptions(output=str(tmp_path / "m.engine"),
                                                    plugin=str(tmp_path / "absent.so")),
                      tensorrt=trt, cuda=cuda)


def test_an_engine_from_another_release_or_gpu_says_rebuild(model_path, tmp_path):
    trt, cuda, result = _build("8.6.1", model_path, tmp_path)
    other_release, other_cuda = _machine("10.3.0")
    with pytest.raises(sidecar.EngineMismatch, match="rebuild it with `edge-segnet build`"):
        TensorRTSegmenter(result.engine_path, tensorrt=other_release, cuda=other_cuda)
    tx2 = ("Fake TX2", (6, 2))
    other_gpu, tx2_cuda = _machine("8.6.1", gpu=tx2)
    with pytest.raises(sidecar.EngineMismatch, match="this GPU is Fake TX2"):
        TensorRTSegmenter(result.engine_path, tensorrt=other_gpu, cuda=tx2_cuda)
    # Without its description TensorRT itself refuses, and we still say rebuild.
    os.unlink(result.engine_path + ".json")
    with pytest.raises(sidecar.EngineMismatch, match="cannot deserialise"):
        TensorRTSegmenter(result.engine_path, tensorrt=other_release, cuda=other_cuda)


def test_an_up_to_date_engine_is_not_rebuilt_unless_forced(model_path, tmp_path):
    trt, cuda, first = _build("10.16", model_path, tmp_path)
    output = first.engine_path
    again = builder.build(model_path, plan.BuildOptions(output=output, unpool="native"),
                          tensorrt=trt, cuda=cuda)
    assert again.plan is None
    forced = builder.build(model_path, plan.BuildOptions(output=output, unpool="native",
                                                         force=True), tensorrt=trt, cuda=cuda)
    assert forced.plan is not None


def test_the_cache_builds_once_and_rebuilds_a_stale_entry(model_path, tmp_path, monkeypatch):
    trt, cuda = _machine("10.3.0")
    environ = {cache.CACHE_VARIABLE: str(tmp_path / "cache")}
    builds = []
    real_build = builder.build

    class CountingBuilder(object):
        @staticmethod
        def build(*args, **kwargs):
            builds.append(args[0])
            return real_build(*args, **kwargs)

    first = cache.cached_engine(model_path, "fp16", unpool="native", tensorrt=trt, cuda=cuda,
                                environ=environ, builder=CountingBuilder)
    second = cache.cached_engine(model_path, "fp16", unpool="native", tensorrt=trt, cuda=cuda,
                                 environ=environ, builder=CountingBuilder)
    assert first == second and len(builds) == 1
    with open(first, "ab") as handle:
        handle.write(b"torn")
    third = cache.cached_engine(model_path, "fp16", unpool="native", tensorrt=trt, cuda=cuda,
                                environ=environ, builder=CountingBuilder)
    assert third == first and len(builds) == 2
    other = cache.cached_engine(model_path, "fp32", unpool="native", tensorrt=trt, cuda=cuda,
                                environ=environ, builder=CountingBuilder)
    assert other != first and len(builds) == 3


def test_profile_and_verify_take_an_engine(model_path, tmp_path, monkeypatch):
    import sys

    from edge_segnet.checks import verify
    from edge_segnet.data.synthetic import synthetic_frames
    from edge_segnet.engine import cuda_memory
    from edge_segnet.profile import profiler

    trt, cuda, result = _build("10.3.0", model_path, tmp_path, "fp16")
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    monkeypatch.setattr(cuda_memory, "open_cuda", lambda prefer=None: cuda)
    report = profiler.profile(result.engine_path, profiler.ProfileOptions(
        iterations=5, warmup=1, per_layer=True))
    assert report["conditions"]["backend"] == "tensorrt"
    assert report["gpu_compute_ms"]["count"] == 5
    assert report["layers"] and all(layer["op_type"] == "tensorrt" for layer in report["layers"])
    report = profiler.profile(result.engine_path, profiler.ProfileOptions(
        iterations=3, warmup=1, cuda_graph=True))
    assert report["gpu_compute_ms"]["count"] == 3 and "launch_graph" in cuda.calls
    with pytest.raises(UsageError, match="do not mix"):
        profiler.profile(result.engine_path, profiler.ProfileOptions(
            iterations=3, per_layer=True, cuda_graph=True))
    comparison = verify.compare(model_path, result.engine_path, synthetic_frames(2))
    assert comparison.agreement == 1.0 and comparison.max_abs < 1e-3


def test_an_8_2_engine_without_its_description_still_takes_frame_values(model_path, tmp_path):
    from edge_segnet.runtime.onnxruntime_backend import OnnxRuntimeSegmenter

    trt, cuda, result = _build("8.2.1", model_path, tmp_path)
    os.unlink(result.engine_path + ".json")  # as from trtexec
    engine = TensorRTSegmenter(result.engine_path, tensorrt=trt, cuda=cuda)
    frame = np.random.RandomState(3).randint(0, 256, (72, 104, 3), np.uint8)
    assert np.array_equal(engine.infer(frame).labels,
                          OnnxRuntimeSegmenter(model_path).infer(frame).labels)


def test_a_timing_cache_from_another_release_is_replaced_not_a_crash(model_path, tmp_path,
                                                                      logged):
    timing = str(tmp_path / "shared.cache")
    _build("8.6.1", model_path, tmp_path, timing_cache=timing)
    trt, cuda = _machine("10.3.0")
    builder.build(model_path, plan.BuildOptions(output=str(tmp_path / "b.engine"),
                                                unpool="native", timing_cache=timing),
                  tensorrt=trt, cuda=cuda)
    assert any("from another TensorRT release or GPU" in line for line in logged)
    assert os.path.getsize(timing) > 0


def test_up_to_date_means_the_same_plugin_build_and_calibration_cache(model_path, plugin_path,
                                                                      tmp_path):
    import shutil

    trt, cuda = _machine("10.3.0", registered_plugins=[PLUGIN])
    output = str(tmp_path / "p.engine")
    other_plugin = str(tmp_path / "other" / plugin_library.LIBRARY_NAME)
    os.makedirs(os.path.dirname(other_plugin))
    shutil.copy(plugin_path, other_plugin)
    with open(other_plugin, "ab") as handle:
        handle.write(b"\0rebuilt")

    def build(**options):
        return builder.build(model_path, plan.BuildOptions(output=output, **options),
                             tensorrt=trt, cuda=cuda)

    assert build(plugin=plugin_path).plan is not None
    assert build(plugin=plugin_path).plan is None
    assert build(plugin=other_plugin).plan is not None  # another plugin build: rebuilt
    calib = tmp_path / "c.calib"
    write_cache_for(model_path, calib, "10.3.0", amax=4.0)
    int8 = dict(precision="int8", calib_cache=str(calib), unpool="native")
    assert build(**int8).plan is not None and build(**int8).plan is None
    write_cache_for(model_path, calib, "10.3.0", amax=5.0)  # recalibrated
    assert build(**int8).plan is not None


@pytest.mark.parametrize("paths, message", [
    ({"calib_cache": "c.calib", "timing_cache": "c.calib"}, "another file of this build"),
    ({"calib_cache": "x.engine", "output": "x.engine"}, "would overwrite --calib-cache"),
    ({"timing_cache": "folder"}, "not a regular file"),
    ({"timing_cache": "no/such/dir/t.cache"}, "does not exist"),
])
def test_outputs_overwrite_no_input_and_are_checked_before_the_build(model_path, tmp_path,
                                                                     paths, message):
    os.mkdir(str(tmp_path / "folder"))
    (tmp_path / "c.calib").write_text("cache")
    (tmp_path / "x.engine").write_text("cache")
    options = {key: str(tmp_path / value) for key, value in paths.items()}
    options.setdefault("output", str(tmp_path / "m.engine"))
    trt, cuda = _machine("10.3.0")
    precision = "int8" if "calib_cache" in options else "fp32"
    with pytest.raises(Exception, match=message):
        builder.build(model_path, plan.BuildOptions(precision=precision, unpool="native",
                                                    **options), tensorrt=trt, cuda=cuda)
    assert "Builder.build_serialized_network" not in trt._calls
    assert (tmp_path / "c.calib").read_text() == "cache"


@pytest.mark.parametrize("text, message", [
    ('{"schema_version": 1, "tensorrt": "x"}', "tensorrt is not a dict"),
    ('{"schema_version": 1, "tensorrt": {"version": "1"}, "gpu": {"name": "g", '
     '"compute_capability": [8, 7]}, "model": {}, "io": [], "engine_sha256": "0"}',
     "model lacks labels"),
])
def test_a_description_of_the_wrong_shape_is_one_line(model_path, tmp_path, text, message):
    trt, cuda, result = _build("10.3.0", model_path, tmp_path)
    with open(result.engine_path + ".json", "w") as handle:
        handle.write(text)
    with pytest.raises(Exception, match=message) as caught:
        TensorRTSegmenter(result.engine_path, tensorrt=trt, cuda=cuda)
    assert "edge-segnet build" in str(caught.value)
    rebuilt = builder.build(model_path, plan.BuildOptions(output=result.engine_path,
                                                          unpool="native"),
                            tensorrt=trt, cuda=cuda)
    assert rebuilt.plan is not None  # a broken description is rebuilt, not trusted


def test_the_trtexec_line_refuses_what_the_target_s_trtexec_lacks(model_path, tmp_path):
    with pytest.raises(UsageError, match="--opt-level needs TensorRT 8.6"):
        builder.print_trtexec(model_path, plan.BuildOptions(
            output=str(tmp_path / "m.engine"), opt_level=3, trt_version="8.2"))


@pytest.mark.parametrize("release, header", [("8.5.2", "TRT-8502-MinMaxCalibration"),
                                             ("10.3.0", "TRT-100300-MinMaxCalibration")])
def test_a_cache_is_replayed_under_the_installed_release_s_header_by_its_own_calibrator(
        model_path, tmp_path, release, header):
    """TensorRT ignores a cache headed for another release or another calibrator: the build
    re-heads ours (the scales are ours, not TensorRT's) and replays it with the calibrator
    class its algorithm names."""
    cache_path = write_cache_for(model_path, tmp_path / "m.calib", "8.5.2")
    cache = calibration_cache.read_cache(cache_path)
    with open(cache_path, "w") as handle:
        handle.write(calibration_cache.format_cache(cache.amax(), (8, 2, 1),
                                                    "MinMaxCalibration"))
    trt, _ = _machine(release)
    data, algorithm = builder._cache_for_this_release(
        trt, calibration_cache.read_cache(cache_path))
    assert algorithm == "MinMaxCalibration"
    replayed = calibration_cache.parse_cache(data.decode("ascii"))
    assert data.decode("ascii").splitlines()[0] == header
    assert replayed.scales == cache.scales
    calibrator = trt_compat.implicit_int8_calibrator(trt, data, algorithm)
    assert isinstance(calibrator, trt.IInt8MinMaxCalibrator)
    assert calibrator.read_calibration_cache() == data


@pytest.mark.parametrize("release", ["8.2.1", "8.5.2"])
def test_8_2_and_8_5_build_and_load_under_numpy_1_24(release, model_path, tmp_path,
                                                      monkeypatch):
    """Their tensorrt.nptype raises AttributeError there (np.bool); JetPack 5.1's Python 3.8
    gets numpy 1.24 from pip."""
    from tests.engine import fake_tensorrt

    monkeypatch.setattr(fake_tensorrt, "np", fake_tensorrt.NumpyWithoutBoolAlias())
    trt, cuda, result = _build(release, model_path, tmp_path)
    engine = TensorRTSegmenter(result.engine_path, tensorrt=trt, cuda=cuda)
    assert engine.infer(np.zeros((36, 52, 3), np.uint8)).labels.shape == (36, 52)
    engine.close()


@pytest.mark.parametrize("content", [b"\x00\x01 truncated by a full disk", b"FAKE-TRT-TIMING\x00{"])
def test_a_corrupt_timing_cache_starts_a_new_one_and_says_so_in_one_line(model_path, tmp_path,
                                                                         content, logged):
    """create_timing_cache gives None for bytes TensorRT cannot read."""
    timing = tmp_path / "stale.cache"
    timing.write_bytes(content)
    trt, cuda = _machine("10.3.0")
    builder.build(model_path, plan.BuildOptions(output=str(tmp_path / "m.engine"),
                                                unpool="native", timing_cache=str(timing)),
                  tensorrt=trt, cuda=cuda)
    said = [line for line in logged if "stale or corrupt" in line]
    assert len(said) == 1 and str(timing) in said[0] and "\n" not in said[0]
    assert timing.read_bytes().startswith(b"FAKE-TRT-TIMING\x00{\"entries\"")  # a new cache


@pytest.mark.parametrize("release", ["8.2.1", "10.3.0"])
def test_a_legacy_calibration_cache_is_refused_in_one_line_before_tensorrt(model_path,
                                                                           tmp_path, release):
    """The legacy calibrator needs four more overrides (get_quantile ...) than a cache can
    answer; without them 8.2 terminates the process and later releases build with zeros."""
    cache_file = write_cache_for(model_path, tmp_path / "m.calib", release)
    scales = calibration_cache.read_cache(cache_file).amax()
    with open(cache_file, "w") as handle:
        handle.write(calibration_cache.format_cache(
            scales, calibration_cache.parse_full_version(release), "LegacyCalibration"))
    with pytest.raises(UsageError, match="headed LegacyCalibration") as caught:
        _build(release, model_path, tmp_path, "int8", calib_cache=cache_file)
    assert "\n" not in str(caught.value) and "edge-segnet calibrate" in caught.value.hint


@pytest.mark.parametrize("release", ["8.2.1", "8.6.1", "10.3.0"])
def test_a_dla_build_is_fp16_with_trtexec_s_flags_and_says_where_layers_run(release,
                                                                          model_path,
                                                                          tmp_path, logged):
    """--dla-core alone (FP32 by default) would send FP32 layers to a DLA, which runs FP16 and
    INT8 only: as trtexec, it builds FP16, with DIRECT_IO where there is no GPU fallback."""
    trt, cuda = _machine(release, dla_cores=2)
    output = str(tmp_path / "dla.engine")
    result = builder.build(model_path, plan.BuildOptions(output=output, unpool="native",
                                                         dla_core=1),
                           tensorrt=trt, cuda=cuda)
    description = result.description
    assert description["precision"] == "fp16" and description["dla_core"] == 1
    assert set(description["flags"]) >= {"FP16", "PREFER_PRECISION_CONSTRAINTS", "DIRECT_IO"}
    assert "GPU_FALLBACK" not in description["flags"]
    assert description["dla"]["layers_on_gpu"] == [] and description["dla"]["layers_on_dla"] > 0
    assert any(line.startswith("DLA core 1: ") for line in logged)
    assert any("building FP16" in line for line in logged)
    assert "DLA core 1:" in result.format_text()


def test_the_plugin_form_on_a_dla_needs_gpu_fallback_and_says_why(model_path, plugin_path,
                                                                   tmp_path, logged):
    trt, cuda = _machine("10.3.0", dla_cores=2, registered_plugins=[PLUGIN])
    with pytest.raises(UsageError, match="plugin runs only on the GPU") as caught:
        builder.build(model_path, plan.BuildOptions(output=str(tmp_path / "p.engine"),
                                                    plugin=plugin_path, dla_core=0),
                      tensorrt=trt, cuda=cuda)
    assert "--gpu-fallback" in caught.value.hint
    assert "Builder.build_serialized_network" not in trt._calls
    result = builder.build(model_path, plan.BuildOptions(
        output=str(tmp_path / "p.engine"), plugin=plugin_path, dla_core=0, gpu_fallback=True),
        tensorrt=trt, cuda=cuda)
    on_gpu = result.description["dla"]["layers_on_gpu"]
    assert on_gpu and all("npool" in name for name in on_gpu)  # the unpooling layers
    assert "GPU_FALLBACK" in result.description["flags"]
    assert any("on the GPU: " + on_gpu[0] in line for line in logged)


def test_an_engine_built_for_a_dla_core_is_deserialised_on_that_core(model_path, tmp_path):
    trt, cuda, result = _build("10.3.0", model_path, tmp_path, "fp16", dla_core=1,
                               scenario={"dla_cores": 2})
    with open(result.engine_path + ".json") as handle:
        assert json.load(handle)["dla_core"] == 1
    engine = TensorRTSegmenter(result.engine_path, tensorrt=trt, cuda=cuda)
    assert engine.engine._f_runtime_dla_core == 1
    set_at = trt._calls.index("Runtime.DLA_core=")
    assert set_at < len(trt._calls) - 1 - trt._calls[::-1].index("Runtime.deserialize_cuda_engine")
    engine.close()


def test_dla_on_tensorrt_11_is_refused(model_path, tmp_path):
    with pytest.raises(UsageError, match="does not support DLA"):
        _build("11.1", model_path, tmp_path, dla_core=0, scenario={"dla_cores": 2})
