"""The fake tensorrt module: each release's names only, recorded calls, and real execution."""

import json
import warnings

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.engine.fake_tensorrt import (RELEASES, FakeDeviceMemory, FakeProcessTerminated,
                                        Scenario, make_fake_tensorrt)

UNPOOL = ("EdgeSegnetUnpool", "1", "")


def tiny_model(labels_type=TensorProto.INT64, input_type=TensorProto.FLOAT):
    """input 1x3x4x6 -> logits = relu(input * scale) -> labels = argmax over channels."""
    scale = numpy_helper.from_array(np.array([1.0, -2.0, 0.5], np.float32).reshape(1, 3, 1, 1),
                                    "scale")
    nodes = [helper.make_node("Mul", ["input", "scale"], ["scaled"], name="mul"),
             helper.make_node("Relu", ["scaled"], ["logits"], name="relu"),
             helper.make_node("ArgMax", ["logits"], ["argmax"], axis=1, keepdims=0,
                              name="argmax")]
    if labels_type != TensorProto.INT64:
        nodes.append(helper.make_node("Cast", ["argmax"], ["labels"], to=labels_type,
                                      name="cast"))
    else:
        nodes[-1].output[0] = "labels"
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("input", input_type, [1, 3, 4, 6])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, 4, 6]),
         helper.make_tensor_value_info("labels", labels_type, [1, 4, 6])],
        initializer=[scale])
    if input_type != TensorProto.FLOAT:
        graph.node.insert(0, helper.make_node("Cast", ["input"], ["input_f"],
                                              to=TensorProto.FLOAT, name="to_float"))
        graph.node[1].input[0] = "input_f"
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return model.SerializeToString()


def unpool_model():
    """input 1x2x4x4 -> MaxPool 2x2 -> Relu -> EdgeSegnetUnpool(values, input) -> output."""
    nodes = [helper.make_node("MaxPool", ["input"], ["pooled"], kernel_shape=[2, 2],
                              strides=[2, 2], name="pool"),
             helper.make_node("Relu", ["pooled"], ["values"], name="relu"),
             helper.make_node("EdgeSegnetUnpool", ["values", "input"], ["output"],
                              name="unpool", domain="edge_segnet", kernel_shape=[2, 2],
                              strides=[2, 2], plugin_version="1", plugin_namespace="")]
    graph = helper.make_graph(
        nodes, "unpool", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                        [1, 2, 4, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 2, 4, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("edge_segnet", 1)])
    model.ir_version = 7
    return model.SerializeToString()


def expected(frame):
    logits = np.maximum(frame * np.array([1.0, -2.0, 0.5], np.float32).reshape(1, 3, 1, 1), 0)
    return logits, np.argmax(logits, axis=1)


def major(release):
    return int(release.split(".")[0])


def build(trt, model_bytes, precision=None):
    """parse -> build_serialized_network, in each release's own words."""
    logger = trt.Logger(trt.Logger.WARNING)
    trt.init_libnvinfer_plugins(logger, "")
    builder = trt.Builder(logger)
    if major(trt.__version__) < 10:
        network = builder.create_network(
            1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH))
    else:
        network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    assert parser.parse(model_bytes), [str(parser.get_error(i))
                                       for i in range(parser.num_errors)]
    config = builder.create_builder_config()
    if hasattr(trt, "MemoryPoolType"):
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1 << 28)
    else:
        config.max_workspace_size = 1 << 28
    if precision:
        config.set_flag(getattr(trt.BuilderFlag, precision))
    return logger, builder, network, config, builder.build_serialized_network(network, config)


def numpy_type(datatype):
    """Not trt.nptype: 8.2.1's and 8.5.2's raise under numpy 1.24-1.26."""
    return {"FLOAT": np.float32, "HALF": np.float16, "INT8": np.int8, "INT32": np.int32,
            "INT64": np.int64, "BOOL": np.bool_, "UINT8": np.uint8}[datatype.name]


def run(trt, engine, frame):
    """Binds device buffers and executes, through the bindings API before 8.5 and the tensor
    API from 8.5; returns {name: host array}."""
    memory = trt._scenario.memory
    context = engine.create_execution_context()
    if hasattr(engine, "num_io_tensors"):
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        shapes = {name: tuple(engine.get_tensor_shape(name)) for name in names}
        dtypes = {name: numpy_type(engine.get_tensor_dtype(name)) for name in names}
        inputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
    else:
        names = [engine.get_binding_name(i) for i in range(engine.num_bindings)]
        shapes = {name: tuple(engine.get_binding_shape(name)) for name in names}
        dtypes = {name: numpy_type(engine.get_binding_dtype(name)) for name in names}
        inputs = [n for n in names if engine.binding_is_input(n)]
    pointers = {}
    for name in names:
        pointers[name] = memory.allocate(int(np.prod(shapes[name])) *
                                         np.dtype(dtypes[name]).itemsize)
    for name in inputs:
        memory.array(pointers[name], shapes[name], dtypes[name])[...] = frame
    if hasattr(context, "execute_async_v3"):
        for name in names:
            assert context.set_tensor_address(name, pointers[name])
        assert context.execute_async_v3(0)
    else:
        assert context.execute_async_v2([pointers[name] for name in names], 0)
    return {name: memory.array(pointers[name], shapes[name], dtypes[name]).copy()
            for name in names if name not in inputs}


@pytest.fixture
def frame():
    return np.random.RandomState(0).uniform(-1, 1, (1, 3, 4, 6)).astype(np.float32)


@pytest.mark.parametrize("release", RELEASES)
def test_round_trip_parse_build_serialize_deserialize_execute(release, frame):
    trt = make_fake_tensorrt(release)
    logger, _, network, _, serialized = build(trt, tiny_model())
    assert network.num_inputs == 1 and network.num_outputs == 2
    assert network.get_input(0).name == "input"
    assert network.get_input(0).shape == (1, 3, 4, 6)
    assert network.get_input(0).dtype == trt.DataType.FLOAT
    labels_type = trt.DataType.INT32 if major(release) < 10 else trt.DataType.INT64
    assert network.get_output(1).dtype == labels_type  # 8.x casts INT64 down to INT32
    blob = bytes(serialized)
    assert len(blob) == serialized.nbytes == memoryview(serialized).nbytes
    engine = trt.Runtime(logger).deserialize_cuda_engine(blob)
    assert engine is not None
    assert engine.num_layers == 3
    outputs = run(trt, engine, frame)
    logits, labels = expected(frame)
    np.testing.assert_allclose(outputs["logits"], logits, rtol=1e-6)
    np.testing.assert_array_equal(outputs["labels"], labels)
    assert outputs["labels"].dtype == numpy_type(labels_type)
    assert bytes(engine.serialize()) == blob


@pytest.mark.parametrize("release", RELEASES)
def test_calls_are_recorded_in_each_releases_words(release):
    trt = make_fake_tensorrt(release)
    build(trt, tiny_model(), precision="FP16" if major(release) < 11 else None)
    calls = trt._calls
    assert "Builder.create_network" in calls and "OnnxParser.parse" in calls
    assert "Builder.build_serialized_network" in calls
    assert "init_libnvinfer_plugins" in calls
    if release == "8.2.1":
        assert "IBuilderConfig.max_workspace_size=" in calls
        assert "IBuilderConfig.set_flag(BuilderFlag.FP16)" in calls
    else:
        assert "IBuilderConfig.set_memory_pool_limit(MemoryPoolType.WORKSPACE)" in calls
    (text, args, _), = [entry for entry in trt._call_args
                        if entry[0].startswith("IBuilderConfig.set_memory_pool_limit")
                        or entry[0] == "IBuilderConfig.max_workspace_size="]
    assert args[-1] == 1 << 28


@pytest.mark.parametrize("release, name", [("10.3.0", "execute_async_v2"),
                                           ("10.16", "execute_async_v2"),
                                           ("11.1", "set_binding_shape")])
def test_a_context_lacks_what_its_release_lacks(release, name, frame):
    trt = make_fake_tensorrt(release)
    logger, _, _, _, serialized = build(trt, tiny_model())
    context = trt.Runtime(logger).deserialize_cuda_engine(serialized).create_execution_context()
    with pytest.raises(AttributeError):
        getattr(context, name)
    assert not hasattr(trt.IExecutionContext, name)


def test_names_a_release_lacks_raise_attribute_error():
    old, new, newest = (make_fake_tensorrt(r) for r in ("8.2.1", "10.3.0", "11.1"))
    assert not hasattr(old.ICudaEngine, "num_io_tensors")
    assert not hasattr(old, "TensorIOMode") and not hasattr(old.DataType, "UINT8")
    assert hasattr(old.IExecutionContext, "execute_async_v2")
    for name in ("num_bindings", "get_binding_name", "binding_is_input"):
        assert not hasattr(new.ICudaEngine, name)
    assert not hasattr(new.IBuilderConfig, "max_workspace_size")
    assert not hasattr(new.Builder, "build_engine")
    assert hasattr(new.BuilderFlag, "FP16") and hasattr(new, "IInt8EntropyCalibrator2")
    assert not hasattr(newest.BuilderFlag, "FP16") and not hasattr(newest.BuilderFlag, "INT8")
    assert not hasattr(newest, "IInt8EntropyCalibrator2")
    assert not hasattr(newest.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH")
    with pytest.raises(AttributeError):
        old.no_such_name
    config = new.Builder(new.Logger()).create_builder_config()
    with pytest.raises(AttributeError):
        config.max_workspace_size = 1 << 20  # pybind11 objects take no new attributes
    with pytest.raises(AttributeError):
        config.max_workspace_size


def test_listed_but_unmodelled_names_raise_not_implemented():
    trt = make_fake_tensorrt("10.3.0")
    builder = trt.Builder(trt.Logger())
    assert hasattr(trt.Builder, "is_network_supported")  # a class-level probe sees it exists
    with pytest.raises(NotImplementedError, match=r"fake tensorrt 10.3.0: Builder.max_threads "
                                                  r"not modelled"):
        builder.max_threads
    with pytest.raises(NotImplementedError, match="Refitter.__init__ not modelled"):
        trt.Refitter(None, None)
    with pytest.raises(NotImplementedError, match="tensorrt.get_nv_onnx_parser_version"):
        trt.get_nv_onnx_parser_version
    with pytest.raises(TypeError, match="No constructor defined"):
        trt.ICudaEngine()


@pytest.mark.parametrize("release", RELEASES)
def test_enums_are_comparable_hashable_ints(release):
    trt = make_fake_tensorrt(release)
    flag = trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED if major(release) >= 10 else \
        trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH
    assert 1 << int(flag) == (2 if major(release) == 10 else 1)
    assert repr(trt.DataType.HALF) == "DataType.HALF" and trt.DataType.HALF.name == "HALF"
    assert trt.DataType(1) is trt.DataType.HALF and trt.float16 == trt.DataType.HALF
    assert {trt.DataType.FLOAT: 1}[trt.float32] == 1
    assert trt.DataType.FLOAT != 0 and trt.DataType.FLOAT != trt.DeviceType.GPU  # both 0
    assert trt.Logger.WARNING == trt.ILogger.Severity.WARNING == trt.ILogger.WARNING
    assert trt.Logger.ERROR < trt.Logger.WARNING  # Severity is an arithmetic enum
    assert trt.DataType.HALF.itemsize == 2
    assert trt.volume((1, 3, 4)) == 12
    if release not in ("8.2.1", "8.5.2") or "bool" in vars(np):  # np.bool in their nptype
        assert trt.nptype(trt.float16) == np.float16


def test_a_cross_release_or_cross_gpu_engine_is_refused():
    _, _, _, _, serialized = build(make_fake_tensorrt("8.5.2"), tiny_model())
    for other in (make_fake_tensorrt("8.6.1"), make_fake_tensorrt("8.5.2", Scenario(
            gpu_name="Fake Xavier (sm_72)"))):
        logger = other.Logger()
        assert other.Runtime(logger).deserialize_cuda_engine(serialized) is None
        assert any(severity == "ERROR" for severity, _ in other._log)
    assert make_fake_tensorrt("8.5.2").Runtime(None).deserialize_cuda_engine(b"junk") is None


def test_the_plugin_op_parses_only_with_its_creator_registered(frame):
    bare = make_fake_tensorrt("10.3.0")
    builder = bare.Builder(bare.Logger())
    parser = bare.OnnxParser(builder.create_network(0), bare.Logger())
    assert not parser.parse(unpool_model())
    error = parser.get_error(0)
    assert error.code() == bare.ErrorCode.INVALID_NODE and error.node() == 2
    assert error.node_name() == "unpool" and error.node_operator() == "EdgeSegnetUnpool"
    assert "Plugin not found" in error.desc() and "with name: unpool" in str(error)

    trt = make_fake_tensorrt("10.3.0", Scenario(registered_plugins=[UNPOOL]))
    logger, _, network, _, serialized = build(trt, unpool_model())
    assert network.get_layer(2).type == trt.LayerType.PLUGIN_V2
    creators = trt.get_plugin_registry().plugin_creator_list
    assert [(c.name, c.plugin_version, c.plugin_namespace) for c in creators] == [UNPOOL]
    engine = trt.Runtime(logger).deserialize_cuda_engine(serialized)
    data = np.random.RandomState(1).uniform(-1, 1, (1, 2, 4, 4)).astype(np.float32)
    memory = trt._scenario.memory
    src, dst = memory.allocate(data.nbytes), memory.allocate(data.nbytes)
    memory.array(src, data.shape, np.float32)[...] = data
    context = engine.create_execution_context()
    context.set_tensor_address("input", src)
    context.set_tensor_address("output", dst)
    assert context.execute_async_v3(0)
    out = memory.array(dst, data.shape, np.float32)
    pooled = data.reshape(1, 2, 2, 2, 2, 2).max(axis=(3, 5))
    assert np.count_nonzero(out) == np.count_nonzero(np.maximum(pooled, 0))
    np.testing.assert_allclose(np.sort(out[out != 0]), np.sort(pooled[pooled > 0]))
    # Without the creator at load time the engine does not deserialize.
    gone = make_fake_tensorrt("10.3.0")
    assert gone.Runtime(gone.Logger()).deserialize_cuda_engine(serialized) is None


def test_8_2_plugin_fallback_error_and_unsupported_ops():
    trt = make_fake_tensorrt("8.2.1", Scenario(unsupported_ops={"ArgMax"}))
    builder = trt.Builder(trt.Logger())
    explicit = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    parser = trt.OnnxParser(builder.create_network(explicit), trt.Logger())
    assert not parser.parse(tiny_model())
    error = parser.get_error(0)
    assert (error.code(), error.node(), error.func()) == (
        trt.ErrorCode.UNSUPPORTED_NODE, 2, "importFallbackPluginImporter")
    assert str(error).startswith("In node 2 (importFallbackPluginImporter): UNSUPPORTED_NODE")
    assert not hasattr(error, "node_name")
    assert not parser.supports_operator("ArgMax") and parser.supports_operator("Relu")
    parser.clear_errors()
    assert parser.num_errors == 0
    implicit = trt.OnnxParser(builder.create_network(0), trt.Logger())
    assert not implicit.parse(tiny_model())
    assert "EXPLICIT_BATCH" in implicit.get_error(0).desc()


def test_uint8_inputs_parse_from_8_5():
    model = tiny_model(input_type=TensorProto.UINT8)
    old = make_fake_tensorrt("8.2.1")
    parser = old.OnnxParser(old.Builder(old.Logger()).create_network(1), old.Logger())
    assert not parser.parse(model) and parser.get_error(0).func() == "importInput"
    new = make_fake_tensorrt("8.5.2")
    network = new.Builder(new.Logger()).create_network(1)
    assert new.OnnxParser(network, new.Logger()).parse(model)
    assert network.get_input(0).dtype == new.DataType.UINT8


def test_build_failures_return_none_and_log():
    trt = make_fake_tensorrt("8.6.1", Scenario(build_fails=True))
    _, _, _, _, serialized = build(trt, tiny_model())
    assert serialized is None
    assert any("Could not find any implementation" in msg for _, msg in trt._log)
    empty = make_fake_tensorrt("10.16")
    builder = empty.Builder(empty.Logger())
    network = builder.create_network(0)
    assert builder.build_serialized_network(network, builder.create_builder_config()) is None


def test_builder_reports_the_scenario_platform():
    trt = make_fake_tensorrt("8.2.1", Scenario(fast_int8=False, dla_cores=0))
    builder = trt.Builder(trt.Logger())
    assert builder.platform_has_fast_fp16 and not builder.platform_has_fast_int8
    assert builder.num_DLA_cores == 0
    xavier = make_fake_tensorrt("8.5.2", Scenario(dla_cores=2, max_dla_batch_size=32))
    builder = xavier.Builder(xavier.Logger())
    assert builder.num_DLA_cores == 2 and builder.max_DLA_batch_size == 32
    config = builder.create_builder_config()
    config.default_device_type = xavier.DeviceType.DLA
    config.DLA_core = 1
    config.set_flag(xavier.BuilderFlag.GPU_FALLBACK)
    assert config.get_flag(xavier.BuilderFlag.GPU_FALLBACK)
    assert config.get_flag(xavier.BuilderFlag.TF32)  # on by default
    assert "IBuilderConfig.DLA_core=" in xavier._calls


def test_loggers_profilers_and_calibrators_subclass(frame):
    trt = make_fake_tensorrt("8.5.2")
    seen = []

    class Logger(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)

        def log(self, severity, msg):
            seen.append((severity, msg))

    class Profiler(trt.IProfiler):
        def __init__(self):
            trt.IProfiler.__init__(self)
            self.times = []

        def report_layer_time(self, layer_name, ms):
            self.times.append((layer_name, ms))

    class Calibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self, memory):
            trt.IInt8EntropyCalibrator2.__init__(self)
            self.ptr, self.batches, self.cache = memory.allocate(frame.nbytes), 2, None

        def get_batch_size(self):
            return 1

        def get_batch(self, names):
            self.batches -= 1
            return [self.ptr] if self.batches >= 0 else None

        def read_calibration_cache(self):
            return None

        def write_calibration_cache(self, cache):
            self.cache = bytes(cache)

    logger = Logger()
    builder = trt.Builder(logger)
    network = builder.create_network(1)
    assert trt.OnnxParser(network, logger).parse(tiny_model())
    config = builder.create_builder_config()
    config.set_flag(trt.BuilderFlag.INT8)
    config.int8_calibrator = calibrator = Calibrator(trt._scenario.memory)
    config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED
    engine = builder.build_engine(network, config)
    assert calibrator.cache and calibrator.batches < 0
    info = json.loads(engine.create_engine_inspector().get_engine_information(
        trt.LayerInformationFormat.JSON))
    assert [layer["Name"] for layer in info["Layers"]] == ["mul", "relu", "argmax"]
    context = engine.create_execution_context()
    context.profiler = profiler = Profiler()
    memory = trt._scenario.memory
    pointers = [memory.allocate(4 * 72), memory.allocate(4 * 72), memory.allocate(4 * 24)]
    assert context.execute_v2(pointers)
    assert [name for name, _ in profiler.times] == ["mul", "relu", "argmax"]
    assert not context.execute_v2([pointers[0], 0, pointers[2]])  # a missing buffer
    assert seen and seen[-1][0] == trt.ILogger.Severity.ERROR


def test_timing_cache_round_trip_and_mismatch():
    trt = make_fake_tensorrt("10.3.0")
    config = trt.Builder(trt.Logger()).create_builder_config()
    cache = config.create_timing_cache(b"")
    assert config.set_timing_cache(cache, ignore_mismatch=False)
    assert config.get_timing_cache() is cache
    blob = bytes(cache.serialize())
    other = make_fake_tensorrt("10.3.0", Scenario(gpu_name="another"))
    other_config = other.Builder(other.Logger()).create_builder_config()
    foreign = other_config.create_timing_cache(blob)
    assert not other_config.set_timing_cache(foreign, False)
    assert other_config.set_timing_cache(foreign, True)


def test_host_memory_is_a_buffer_without_len():
    trt = make_fake_tensorrt("8.2.1")
    _, _, _, _, serialized = build(trt, tiny_model())
    assert isinstance(serialized, trt.IHostMemory)
    assert np.frombuffer(serialized, np.uint8).size == serialized.nbytes
    with pytest.raises(TypeError):
        len(serialized)  # as on TensorRT: IHostMemory has the buffer protocol, not __len__


def test_context_managers_warn_as_tensorrt_does():
    trt = make_fake_tensorrt("8.2.1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with trt.Builder(trt.Logger()) as builder:
            assert isinstance(builder, trt.Builder)
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)


def test_set_tensor_address_and_missing_addresses():
    trt = make_fake_tensorrt("10.16")
    logger, _, _, _, serialized = build(trt, tiny_model())
    context = trt.Runtime(logger).deserialize_cuda_engine(serialized).create_execution_context()
    assert not context.set_tensor_address("nope", 1)
    assert context.set_tensor_address("input", 1234) and context.get_tensor_address(
        "input") == 1234
    assert not context.execute_async_v3(0)
    assert any("Address is not set" in msg for _, msg in trt._log)
    assert context.set_input_shape("input", (1, 3, 4, 6))
    assert not context.set_input_shape("input", (2, 3, 4, 6))


def test_fake_device_memory():
    memory = FakeDeviceMemory()
    ptr = memory.allocate(24)
    view = memory.array(ptr, (2, 3), np.float32)
    view[...] = 1.5
    assert memory.array(ptr, (6,), np.float32).tolist() == [1.5] * 6
    assert memory.array(ptr + 8, (4,), np.float32).shape == (4,)
    with pytest.raises(ValueError):
        memory.array(ptr, (7,), np.float32)
    memory.free(ptr)
    with pytest.raises(ValueError):
        memory.array(ptr, (1,), np.float32)


def test_releases_versions_and_unknown_releases():
    assert make_fake_tensorrt("8.2.1").__version__ == "8.2.1.8"
    assert make_fake_tensorrt("v10.3.0").__version__ == "10.3.0.26"
    assert make_fake_tensorrt("10.3").__version__.startswith("10.3.")
    assert make_fake_tensorrt("8.6.1", Scenario(version="8.6.1")).__version__ == "8.6.1"
    with pytest.raises(ValueError, match="no manifest"):
        make_fake_tensorrt("9.2")


def test_an_unreadable_timing_cache_blob_gives_none():
    trt = make_fake_tensorrt("10.16")
    config = trt.Builder(trt.Logger()).create_builder_config()
    assert config.create_timing_cache(b"not a timing cache") is None
    assert config.create_timing_cache(b"") is not None


def _legacy_calibrator(trt, lacking=()):
    class Legacy(trt.IInt8LegacyCalibrator):
        def __init__(self):
            trt.IInt8LegacyCalibrator.__init__(self)
            self.asked = []

        def get_batch_size(self):
            return 1

        def get_batch(self, names):
            return None

        def read_calibration_cache(self):
            return b"TRT-8201-LegacyCalibration\n"

        def write_calibration_cache(self, cache):
            pass

        def get_quantile(self):
            self.asked.append("get_quantile")
            return 0.9999

        def get_regression_cutoff(self):
            self.asked.append("get_regression_cutoff")
            return 1.0

        def read_histogram_cache(self):
            self.asked.append("read_histogram_cache")
            return None

        def write_histogram_cache(self, data):
            self.asked.append("write_histogram_cache")

    for name in lacking:
        delattr(Legacy, name)
    return Legacy()


@pytest.mark.parametrize("release", ["8.2.1", "8.5.2", "10.3.0"])
def test_a_legacy_calibrator_lacking_a_pure_override_fails_as_the_bindings_do(release, capfd):
    trt = make_fake_tensorrt(release)
    complete = _legacy_calibrator(trt)
    _, _, _, config, _ = build(trt, tiny_model())
    config.set_flag(trt.BuilderFlag.INT8)
    config.int8_calibrator = complete
    builder = trt.Builder(trt.Logger())
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
                                      if major(release) < 10 else 0)
    assert trt.OnnxParser(network, trt.Logger()).parse(tiny_model())
    assert builder.build_serialized_network(network, config) is not None
    assert sorted(complete.asked) == sorted(["get_quantile", "get_regression_cutoff",
                                             "read_histogram_cache", "write_histogram_cache"])
    config.int8_calibrator = _legacy_calibrator(trt, lacking=["get_quantile"])
    if release == "8.2.1":  # no try/catch in the noexcept override: std::terminate
        with pytest.raises(FakeProcessTerminated, match="pure virtual function"):
            builder.build_serialized_network(network, config)
    else:  # caught, printed, answered with 0
        builder.build_serialized_network(network, config)
        assert "[ERROR] Exception caught in get_quantile(): Tried to call pure virtual " \
               "function" in capfd.readouterr().err


@pytest.mark.parametrize("release", ["8.2.1", "10.3.0", "10.16"])
def test_a_plugin_node_s_namespace_is_its_plugin_namespace_attribute_never_its_domain(release):
    """onnx-tensorrt's FallbackPluginImporter reads only the plugin_namespace attribute."""
    in_domain = ("EdgeSegnetUnpool", "1", "edge_segnet")  # registered under the node's domain
    trt = make_fake_tensorrt(release, Scenario(registered_plugins=[in_domain]))
    builder = trt.Builder(trt.Logger())
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
                                      if major(release) < 10 else 0)
    parser = trt.OnnxParser(network, trt.Logger())
    assert not parser.parse(unpool_model())  # its plugin_namespace is ""
    assert "Plugin not found" in parser.get_error(0).desc()


@pytest.mark.parametrize("release", ["8.2.1", "10.3.0"])
def test_a_dla_takes_no_fp32_layer_and_no_plugin_without_gpu_fallback(release):
    trt = make_fake_tensorrt(release, Scenario(dla_cores=1, registered_plugins=[UNPOOL]))
    logger, builder, network, config, _ = build(trt, unpool_model())
    config.default_device_type = trt.DeviceType.DLA
    config.DLA_core = 0
    layers = [network.get_layer(i) for i in range(network.num_layers)]
    assert not any(config.can_run_on_DLA(layer) for layer in layers)  # FP32
    assert builder.build_serialized_network(network, config) is None
    assert "cannot run on DLA" in trt._log[-1][1]
    config.set_flag(trt.BuilderFlag.FP16)
    assert [config.can_run_on_DLA(layer) for layer in layers] == [True, True, False]
    assert builder.build_serialized_network(network, config) is None  # the plugin layer
    config.set_flag(trt.BuilderFlag.GPU_FALLBACK)
    serialized = builder.build_serialized_network(network, config)
    runtime = trt.Runtime(logger)
    runtime.DLA_core = 0
    engine = runtime.deserialize_cuda_engine(serialized)
    assert [layer["device"] for layer in engine._f_header["layers"]] == ["DLA", "DLA", "GPU"]
    assert engine._f_runtime_dla_core == 0
    assert trt.Runtime(logger).DLA_core == -1
