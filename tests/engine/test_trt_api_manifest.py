"""The committed TensorRT API manifests: reproducible from TensorRT's source, and the facts the
engine code depends on."""

import json
import os
import shutil

import pytest

from tests import tool_scripts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANIFEST_DIR = os.path.join(ROOT, "tests", "engine", "trt_manifests")
MIRROR = os.environ.get("TRT_SOURCE_MIRROR", "/work/.mirror/NVIDIA+TensorRT/repo")
TAGS = ("8.2.1", "8.5.2", "v8.6.1", "v10.3.0", "v10.16", "v11.1")
RELEASES = tuple(tag.lstrip("v") for tag in TAGS)


def manifest(release):
    with open(os.path.join(MANIFEST_DIR, "trt-{}.json".format(release))) as handle:
        return json.load(handle)


def names(release, cls):
    data = manifest(release)
    entry = data["classes"].get(cls) or data["parsers"]["classes"].get(cls)
    if entry is None:
        return None
    return set(entry["methods"]) | set(entry["properties"]) | set(entry["static"]) | set(
        entry["attributes"])


def members(release, enum):
    data = manifest(release)
    return set(data["enums"].get(enum) or data["parsers"]["enums"].get(enum) or ())


@pytest.mark.skipif(not os.path.isdir(MIRROR) or shutil.which("git") is None,
                    reason="no TensorRT source mirror at {} (CI has none; set "
                           "TRT_SOURCE_MIRROR to a clone of github.com/NVIDIA/TensorRT)".format(
                               MIRROR))
@pytest.mark.parametrize("tag", TAGS)
def test_the_tool_reproduces_the_committed_manifest(tag):
    tool = tool_scripts.load("trt_api_manifest")
    built, _ = tool.build_manifest(MIRROR, tag)
    with open(tool.manifest_path(MANIFEST_DIR, tag)) as handle:
        assert tool.dumps(built) == handle.read()


def test_every_release_has_a_manifest():
    assert sorted(os.listdir(MANIFEST_DIR)) == sorted("trt-{}.json".format(r) for r in RELEASES)
    for release in RELEASES:
        data = manifest(release)
        assert data["release"] == release
        assert data["version"].startswith(release if release.count(".") == 2 else
                                          release + ".0.")


@pytest.mark.parametrize("release", RELEASES)
def test_manifests_are_sorted_names(release):
    data = manifest(release)
    sections = [data, data["parsers"]]
    for section in sections:
        for entry in section["classes"].values():
            for kind in ("methods", "properties", "static", "attributes", "deprecated"):
                assert entry[kind] == sorted(set(entry[kind]))
        for enum, values in section["enums"].items():
            assert values == sorted(set(values))
            assert set(section["enum_values"][enum]) == set(values)


def test_the_bindings_api_is_8_x_only():
    for release in ("8.2.1", "8.5.2", "8.6.1"):
        engine = names(release, "ICudaEngine")
        assert {"num_bindings", "get_binding_name", "get_binding_index", "binding_is_input",
                "get_binding_shape", "get_binding_dtype", "max_batch_size"} <= engine
        assert "execute_async_v2" in names(release, "IExecutionContext")
        assert "max_workspace_size" in names(release, "IBuilderConfig")
        assert "build_engine" in names(release, "Builder")
    for release in ("10.3.0", "10.16", "11.1"):
        engine = names(release, "ICudaEngine")
        assert not {"num_bindings", "get_binding_name", "binding_is_input"} & engine
        assert "execute_async_v2" not in names(release, "IExecutionContext")
        assert "max_workspace_size" not in names(release, "IBuilderConfig")
        assert "build_engine" not in names(release, "Builder")


def test_the_tensor_api_starts_with_8_5():
    tensor_api = {"num_io_tensors", "get_tensor_name", "get_tensor_mode", "get_tensor_shape",
                  "get_tensor_dtype"}
    assert not tensor_api & names("8.2.1", "ICudaEngine")
    assert "execute_async_v3" not in names("8.2.1", "IExecutionContext")
    assert not members("8.2.1", "TensorIOMode") and "UINT8" not in members("8.2.1", "DataType")
    for release in RELEASES[1:]:
        assert tensor_api <= names(release, "ICudaEngine")
        assert {"set_tensor_address", "execute_async_v3", "set_input_shape"} <= names(
            release, "IExecutionContext")
        assert "UINT8" in members(release, "DataType")
        assert members(release, "TensorIOMode") == {"NONE", "INPUT", "OUTPUT"}
        assert "set_memory_pool_limit" in names(release, "IBuilderConfig")


def test_builder_optimization_level_starts_with_8_6():
    assert "builder_optimization_level" not in names("8.5.2", "IBuilderConfig")
    for release in RELEASES[2:]:
        assert "builder_optimization_level" in names(release, "IBuilderConfig")


def test_int64_and_strong_typing_start_with_10():
    for release in RELEASES[:3]:
        assert "INT64" not in members(release, "DataType")
        assert "STRONGLY_TYPED" not in members(release, "NetworkDefinitionCreationFlag")
    for release in RELEASES[3:]:
        assert "INT64" in members(release, "DataType")
        assert "STRONGLY_TYPED" in members(release, "NetworkDefinitionCreationFlag")


def test_11_drops_weak_typing_and_calibrators():
    for release in RELEASES[:5]:
        assert {"FP16", "INT8"} <= members(release, "BuilderFlag")
        assert names(release, "IInt8EntropyCalibrator2") is not None
        assert "int8_calibrator" in names(release, "IBuilderConfig")
    assert not {"FP16", "INT8"} & members("11.1", "BuilderFlag")
    assert names("11.1", "IInt8EntropyCalibrator2") is None
    assert "int8_calibrator" not in names("11.1", "IBuilderConfig")
    assert "EXPLICIT_BATCH" not in members("11.1", "NetworkDefinitionCreationFlag")
    assert manifest("11.1")["enum_values"]["NetworkDefinitionCreationFlag"][
        "STRONGLY_TYPED"] == 0
    assert manifest("10.3.0")["enum_values"]["NetworkDefinitionCreationFlag"] == {
        "EXPLICIT_BATCH": 0, "STRONGLY_TYPED": 1}


def test_logger_severity_is_nested_and_exported():
    for release in RELEASES:
        data = manifest(release)
        assert data["enums"]["ILogger.Severity"] == ["ERROR", "INFO", "INTERNAL_ERROR",
                                                     "VERBOSE", "WARNING"]
        assert {"Severity", "WARNING", "VERBOSE"} <= names(release, "Logger")
        assert data["classes"]["Logger"]["bases"] == ["ILogger"]
        assert {"init_libnvinfer_plugins", "get_plugin_registry", "nptype", "volume"} <= set(
            data["module"]["functions"])


def test_plugin_registry_and_parser_errors():
    for release in RELEASES:
        registry = names(release, "IPluginRegistry")
        assert ("load_library" in registry) == (release not in ("8.2.1", "8.5.2"))
        assert ({"get_creator", "all_creators"} <= registry) == (release[:2] in ("10", "11"))
        # 11 keeps only the creator-interface API
        assert ({"plugin_creator_list", "get_plugin_creator"} <= registry) == (
            release != "11.1")
    for release in RELEASES[3:]:
        assert {"node_name", "node_operator"} <= names(release, "ParserError")
    for release in RELEASES:
        assert {"parse", "parse_from_file", "num_errors", "get_error", "clear_errors",
                "supports_operator"} <= names(release, "OnnxParser")
        assert {"code", "desc", "node"} <= names(release, "ParserError")
    assert "node_name" not in names("8.2.1", "ParserError")
