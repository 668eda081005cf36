import json
import os

import pytest

from edge_segnet.engine import cache, sidecar
from edge_segnet.errors import ModelError
from edge_segnet.models import labels, metadata

GPU = ("Orin (stand-in)", (8, 7))


def _write(tmp_path, **overrides):
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"engine bytes")
    plugin = tmp_path / "libedge_segnet_plugins.so"
    plugin.write_bytes(b"plugin build 1")
    info = {"tensorrt": {"version": "10.3.0.26"},
            "gpu": {"name": GPU[0], "compute_capability": list(GPU[1])},
            "plugin": {"path": str(plugin), "sha256": sidecar.file_sha256(str(plugin))},
            "engine_sha256": sidecar.file_sha256(str(engine)), "io": [],
            "model": sidecar.model_section(metadata.ModelInfo(input_size=(128, 256)))}
    info.update(overrides)
    (tmp_path / "m.engine.json").write_text(sidecar.describe(info))
    return str(engine), str(plugin)


def test_the_description_round_trips_labels_palette_and_normalisation(tmp_path):
    engine, _ = _write(tmp_path)
    data = sidecar.read(engine)
    info = sidecar.model_info(data)
    assert list(info.labels.names) == list(labels.camvid().names)
    assert info.mean == metadata.DEFAULT_MEAN and info.input_size == (128, 256)
    assert data["schema_version"] == sidecar.SCHEMA_VERSION


def test_an_engine_for_this_release_gpu_and_plugin_runs(tmp_path):
    engine, plugin = _write(tmp_path)
    sidecar.check_runs_here(engine, sidecar.read(engine), "10.3.0.26", GPU, plugin)


@pytest.mark.parametrize("change, message", [
    ("release", "built with TensorRT 10.3.0.26; this is TensorRT 8.6.1.6"),
    ("gpu", "was built for Orin"),
    ("plugin", "another build of the unpooling plugin"),
    ("engine", "is not the engine"),
    ("no-plugin", "needs the unpooling plugin, which is not found"),
])
def test_an_engine_from_elsewhere_says_rebuild(tmp_path, change, message):
    engine, plugin = _write(tmp_path)
    release, gpu = "10.3.0.26", GPU
    if change == "release":
        release = "8.6.1.6"
    elif change == "gpu":
        gpu = ("Jetson TX2", (6, 2))
    elif change == "plugin":
        with open(plugin, "ab") as handle:
            handle.write(b" rebuilt")
    elif change == "engine":
        with open(engine, "ab") as handle:
            handle.write(b" replaced")
    elif change == "no-plugin":
        os.unlink(plugin)
    with pytest.raises(sidecar.EngineMismatch, match=message) as caught:
        sidecar.check_runs_here(engine, sidecar.read(engine), release, gpu, plugin)
    assert "edge-segnet build" in str(caught.value)


def test_a_description_that_is_not_ours_is_an_error_not_a_default(tmp_path):
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"x")
    (tmp_path / "m.engine.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(ModelError, match="not an edge-segnet engine description"):
        sidecar.read(str(engine))
    (tmp_path / "m.engine.json").write_text("{truncated")
    with pytest.raises(ModelError, match="not a readable engine description"):
        sidecar.read(str(engine))
    os.unlink(str(tmp_path / "m.engine.json"))
    assert sidecar.read(str(engine)) is None  # an engine from trtexec has none


def test_the_cache_key_changes_with_everything_an_engine_depends_on():
    base = dict(model_sha256="a" * 64, tensorrt_version="10.3.0", gpu=GPU, precision="fp16",
                input_size=(128, 256), unpool="plugin", plugin_sha256="b" * 64)
    key = cache.cache_key(**base)
    for field, other in (("model_sha256", "c" * 64), ("tensorrt_version", "10.16.0"),
                         ("gpu", ("H200", (9, 0))), ("precision", "fp32"),
                         ("input_size", (256, 512)), ("unpool", "native"),
                         ("plugin_sha256", "d" * 64)):
        changed = dict(base)
        changed[field] = other
        assert cache.cache_key(**changed) != key, field
    assert cache.cache_key(**base) == key


def test_the_cache_lives_under_xdg_cache_home_unless_told(tmp_path):
    assert cache.cache_root({"XDG_CACHE_HOME": "/c"}) == "/c/edge-segnet/engines"
    assert cache.cache_root({cache.CACHE_VARIABLE: "/mine", "XDG_CACHE_HOME": "/c"}) == "/mine"


def test_a_cache_entry_is_valid_only_complete_and_for_its_key(tmp_path):
    engine, _ = _write(tmp_path, cache_key="k1")
    assert cache.is_valid(engine, "k1")
    assert not cache.is_valid(engine, "k2")
    with open(engine, "ab") as handle:
        handle.write(b"half-written")
    assert not cache.is_valid(engine, "k1")
    assert not cache.is_valid(str(tmp_path / "absent.engine"), "k1")
