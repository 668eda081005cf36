"""The plugin inside real NVIDIA software (tools/check_plugin_builds.sh --rtx; run by hand):

  forms DIR                 write every plugin form of the shipped and zoo models into DIR
  rtx ROUTE LIBRARY DIR     with TensorRT for RTX (tensorrt_rtx_bindings), load LIBRARY by
                            ROUTE (ctypes: libedge_segnet_plugins.so registers itself;
                            load_library: the registry loads libedge_segnet_plugins_dynamic.so),
                            then parse and AOT-build every form in DIR, printing per form the
                            plugin layers' I/O types and the plugin methods the builder called
  registry ROUTE LIBRARY    with TensorRT's lean runtime (tensorrt_lean_bindings, 11.x), load
                            LIBRARY by ROUTE and check the creator is in the real registry and
                            that create_plugin with bad attributes returns None

The libraries must be built with tools/plugin_call_trace.cpp linked in and
-finstrument-functions (the stage does that) for the method list; without it only the types
are printed. Needs Python 3.8+ and the wheels named in edge_segnet/trt_facts/rtx.py."""

import ctypes
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from edge_segnet.trt_facts import rtx as rtx_facts  # noqa: E402

PLUGIN_NAME, PLUGIN_VERSION = "EdgeSegnetUnpool", "1"
SHIPPED = ("segnet-basic-camvid", "segnet-basic-synthetic")
ZOO = ("segnet-basic", "segnet-vgg16")
FORMS = (
    ("fp32", {}),
    ("fp16", dict(fp16=True)),
    ("fp16-io", dict(fp16=True, fp16_io=True)),
    ("uint8-argmax-logits", dict(embed_preprocess=True, input_type="uint8", argmax=True,
                                 keep_logits=True)),
)


def write_forms(directory):
    try:  # the package's layout after prepare left graph/
        from edge_segnet import prepare as prepare_module
    except ImportError:
        from edge_segnet.graph import prepare as prepare_module
    from edge_segnet.models import shipped, zoo
    from edge_segnet.quant import calibrate as calibrate_module, frames

    os.makedirs(directory, exist_ok=True)
    sources = {name: shipped.resolve(name) for name in SHIPPED}
    for name in ZOO:
        sources[name] = os.path.join(directory, name + ".raw.onnx")
        zoo.save(zoo.create(name), sources[name])
    for model, source in sorted(sources.items()):
        for label, keywords in FORMS:
            prepared, _ = prepare_module.prepare(zoo.load(source), prepare_module.PrepareOptions(
                unpool_form="plugin", **keywords))
            zoo.save(prepared, os.path.join(directory, "{}.{}.onnx".format(model, label)))
        qdq = os.path.join(ROOT, "calibration", model, model + ".int8.onnx")
        if os.path.isfile(qdq):
            with open(qdq, "rb") as src, open(os.path.join(directory, model + ".int8.onnx"),
                                              "wb") as dst:
                dst.write(src.read())
        else:
            calibrate_module.calibrate(source, frames.CalibrationSet(synthetic=1),
                                       os.path.join(directory, model + ".int8.onnx"),
                                       calibrate_module.CalibrateOptions(unpool_form="plugin"))
        print("forms of {} written".format(model), flush=True)


def _symbols(library):
    """{offset: demangled name} from the library's static symbol table."""
    out = subprocess.run(["nm", "-C", "--defined-only", library], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            table[int(parts[0], 16)] = parts[2]
    return table


def _methods(tracer, library, symbols):
    """[(count, method)] of the plugin's classes called since the last dump."""
    if tracer is None:
        return None
    path = tempfile.mktemp(prefix="edge-segnet-trace.")
    tracer.edge_segnet_trace_dump(path.encode())
    calls = []
    with open(path) as handle:
        for line in handle:
            count, lib, offset = line.rstrip("\n").split("\t")
            if os.path.realpath(lib) != os.path.realpath(library):
                continue
            name = symbols.get(int(offset, 16), offset)
            if "edge_segnet::" in name and "Unpool" in name and "{lambda" not in name:
                calls.append((int(count), name.split("(")[0].replace("edge_segnet::", "")))
    os.unlink(path)
    merged = {}  # the complete and deleting destructors (and alike) under one name
    for count, name in calls:
        merged[name] = merged.get(name, 0) + count
    seen = []
    for _, name in calls:
        if name not in seen:
            seen.append(name)
    return [(merged[name], name) for name in seen]


def _load(trt, route, library):
    if route == "ctypes":
        handle = ctypes.CDLL(library, mode=ctypes.RTLD_GLOBAL)
    else:
        registry = trt.get_plugin_registry()
        loaded = registry.load_library(library)
        if loaded is None:
            raise SystemExit("load_library({}) returned None".format(library))
        # The handle of the library TensorRT loaded (RTLD_NOLOAD: never a second load).
        handle = ctypes.CDLL(library, mode=os.RTLD_NOLOAD)
    return handle if hasattr(handle, "edge_segnet_trace_dump") else None


def _creator_line(trt, registry):
    creator = registry.get_creator(PLUGIN_NAME, PLUGIN_VERSION, "")
    if creator is None:
        return None
    return "{} {} version {} namespace '{}'".format(type(creator).__name__, creator.name,
                                                   creator.plugin_version,
                                                   creator.plugin_namespace)


def run_rtx(route, library, directory):
    import tensorrt_rtx_bindings as trt

    problem = rtx_facts.missing_link(os.path.dirname(os.path.abspath(trt.tensorrt_rtx_libs
                                                                     .__file__)))
    if problem:
        raise SystemExit(problem)
    tracer = _load(trt, route, library)
    symbols = _symbols(library)
    print("TensorRT for RTX {}, route {}: {}".format(trt.__version__, route, os.path.basename(
        library)))
    print("  registry: {}".format(_creator_line(trt, trt.get_plugin_registry()) or "NOT FOUND"))
    print("  at load: {}".format(_methods(tracer, library, symbols)))
    failures = 0
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".onnx") or name.endswith(".raw.onnx"):
            continue
        with open(os.path.join(directory, name), "rb") as handle:
            data = handle.read()
        logger = trt.Logger(trt.Logger.ERROR)
        builder = trt.Builder(logger)
        network = builder.create_network(
            1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
        parser = trt.OnnxParser(network, logger)
        start = time.perf_counter()
        if not parser.parse(data):
            failures += 1
            print("FAIL {}: {}".format(name, "; ".join(
                "{} ({}): {}".format(parser.get_error(i).node_name(),
                                     parser.get_error(i).node_operator(),
                                     parser.get_error(i).desc())
                for i in range(parser.num_errors))))
            continue
        parsed_calls = _methods(tracer, library, symbols)
        types = set()
        for index in range(network.num_layers):
            layer = network.get_layer(index)
            if layer.type == trt.LayerType.PLUGIN_V3:
                types.add("{} -> {}".format(
                    ",".join(layer.get_input(i).dtype.name for i in range(layer.num_inputs)),
                    ",".join(layer.get_output(i).dtype.name for i in range(layer.num_outputs))))
        config = builder.create_builder_config()
        config.num_compute_capabilities = len(rtx_facts.COMPUTE_CAPABILITIES)
        for index, capability in enumerate(rtx_facts.COMPUTE_CAPABILITIES):
            config.set_compute_capability(getattr(trt.ComputeCapability,
                                                  rtx_facts.member_for(capability)), index)
        plan = builder.build_serialized_network(network, config)
        seconds = time.perf_counter() - start
        built_calls = _methods(tracer, library, symbols)
        if plan is None:
            failures += 1
        print("{} {}: plugin I/O {}; {:.1f} s{}".format(
            "OK  " if plan is not None else "FAIL", name, " | ".join(sorted(types)), seconds,
            "" if plan is not None else " (the builder returned no engine)"))
        if parsed_calls is not None:
            print("     parser: " + ", ".join("{} x{}".format(m, c) for c, m in parsed_calls))
            print("     builder: " + ", ".join("{} x{}".format(m, c) for c, m in built_calls))
    return 1 if failures else 0


def run_registry(route, library):
    import tensorrt_lean_bindings as trt

    registry = trt.get_plugin_registry()
    if route == "ctypes":
        ctypes.CDLL(library, mode=ctypes.RTLD_GLOBAL)
    elif registry.load_library(library) is None:
        print("FAIL load_library returned None")
        return 1
    line = _creator_line(trt, registry)
    print("TensorRT lean {}, route {}: {}".format(trt.__version__, route, line or "NOT FOUND"))
    if line is None:
        return 1
    creator = registry.get_creator(PLUGIN_NAME, PLUGIN_VERSION, "")
    fields = creator.field_names
    print("  declared fields: {}".format(", ".join(
        "{} ({})".format(f.name, f.type.name) for f in fields)))
    import numpy as np

    status = 0
    defaults = creator.create_plugin(PLUGIN_NAME, trt.PluginFieldCollection([]),
                                     trt.TensorRTPhase.BUILD)
    print("  create_plugin(no fields): {}".format(
        "None" if defaults is None else "a plugin (kernel_shape and strides default to 2x2)"))
    bad_cases = (
        ("kernel_shape of 3 values", [trt.PluginField("kernel_shape", np.array([2, 2, 2],
                                                                                np.int32),
                                                      trt.PluginFieldType.INT32)]),
        ("strides as floats", [trt.PluginField("strides", np.array([2.0, 2.0], np.float32),
                                               trt.PluginFieldType.FLOAT32)]),
        ("kernel_shape of zeros", [trt.PluginField("kernel_shape", np.array([0, 0], np.int32),
                                                   trt.PluginFieldType.INT32)]),
    )
    for label, fields in bad_cases:
        collection = trt.PluginFieldCollection(fields)
        plugin = creator.create_plugin(PLUGIN_NAME, collection, trt.TensorRTPhase.BUILD)
        print("  create_plugin({}): {}".format(label, "None" if plugin is None else
                                                "a plugin (EXPECTED None)"))
        if plugin is not None:
            status = 1
    good = trt.PluginFieldCollection([
        trt.PluginField("kernel_shape", np.array([2, 2], np.int32), trt.PluginFieldType.INT32),
        trt.PluginField("strides", np.array([2, 2], np.int32), trt.PluginFieldType.INT32)])
    plugin = creator.create_plugin(PLUGIN_NAME, good, trt.TensorRTPhase.BUILD)
    print("  create_plugin(kernel_shape 2x2, strides 2x2): {}".format(
        type(plugin).__name__ if plugin is not None else "None (EXPECTED a plugin)"))
    return status if plugin is not None else 1


def main(argv):
    if len(argv) >= 2 and argv[0] == "forms":
        write_forms(argv[1])
        return 0
    if len(argv) == 4 and argv[0] == "rtx" and argv[1] in ("ctypes", "load_library"):
        return run_rtx(argv[1], os.path.abspath(argv[2]), argv[3])
    if len(argv) == 3 and argv[0] == "registry" and argv[1] in ("ctypes", "load_library"):
        return run_registry(argv[1], os.path.abspath(argv[2]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
