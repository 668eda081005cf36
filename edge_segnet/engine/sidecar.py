"""``MODEL.engine.json``: what an engine is (its I/O, labels, palette, input format,
normalisation, precision) and what it was built for (TensorRT release, GPU, plugin build, source
model), so that a run can use it without the ONNX file and refuse it where it cannot run."""

import hashlib
import json
import os

import edge_segnet
from edge_segnet.errors import EdgeSegnetError, ModelError
from edge_segnet.inputs import file_sha256
from edge_segnet.models import labels as labels_module
from edge_segnet.models import metadata
from edge_segnet.trt_facts import releases, rtx

SCHEMA_VERSION = 1
REBUILD_HINT = "rebuild it with `edge-segnet build` on this machine"
# The extensions an engine file goes by (what the runtime and the cache take for one).
ENGINE_EXTENSIONS = (".engine", ".plan", ".trt")


class EngineMismatch(EdgeSegnetError):
    """An engine built for another TensorRT release, GPU or plugin build."""


def path_for(engine_path):
    return engine_path + ".json"


def describe(info):
    """The JSON of a build: ``info`` holds the fields builder.py collects."""
    data = {"schema_version": SCHEMA_VERSION, "tool": "edge-segnet {}".format(
        edge_segnet.__version__)}
    data.update(info)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def read(engine_path):
    """The sidecar of ``engine_path`` as a dict, or None when there is none (an engine made by
    trtexec). A sidecar that is not ours is an error, not a silent default."""
    path = path_for(engine_path)
    try:
        with open(path) as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ModelError("{} is not a readable engine description: {}".format(path, exc),
                         hint=REBUILD_HINT)
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise ModelError("{} is not an edge-segnet engine description (schema_version {})"
                         .format(path, data.get("schema_version") if isinstance(data, dict)
                                 else "missing"), hint=REBUILD_HINT)
    problem = _shape_problem(data)
    if problem:
        raise ModelError("{} is not a valid engine description: {}".format(path, problem),
                         hint=REBUILD_HINT)
    return data


# What the reader relies on: (key, type, required keys of a dict value).
_FIELDS = (("tensorrt", dict, ("version",)), ("gpu", dict, ("name", "compute_capability")),
           ("model", dict, ("labels", "palette", "mean", "std")), ("io", list, ()),
           ("engine_sha256", str, ()))


def _shape_problem(data):
    for key, kind, inner in _FIELDS:
        value = data.get(key)
        if not isinstance(value, kind):
            return "{} is {}".format(key, "missing" if value is None else "not a " +
                                     kind.__name__)
        missing = [name for name in inner if name not in value]
        if missing:
            return "{} lacks {}".format(key, ", ".join(missing))
    core = data.get("dla_core")
    if core is not None and not (isinstance(core, int) and not isinstance(core, bool) and
                                 core >= 0):
        return "dla_core is neither null nor a DLA core number"
    plugin = data.get("plugin")
    if plugin is not None and not (isinstance(plugin, dict) and "sha256" in plugin):
        return "plugin is neither null nor a {path, sha256} record"
    model = data["model"]
    if not (isinstance(model["labels"], list) and isinstance(model["palette"], list) and
            len(model["labels"]) == len(model["palette"])):
        return "model labels and palette are not lists of one length"
    return None


def flavour(data):
    """The flavour an engine was built with (releases.TENSORRT where the description predates
    flavours, or where there is none: an engine made by trtexec)."""
    return (data or {}).get("tensorrt", {}).get("flavour") or releases.TENSORRT


def targets(data):
    """The compute capabilities a TensorRT for RTX engine was built for, as (major, minor)."""
    return [tuple(cc) for cc in (data or {}).get("targets", {}).get("compute_capabilities", [])]


def dla_core(data):
    """The DLA core the engine was built for (the runtime must be set to it before
    deserialising), or None: a GPU engine, or one without a description."""
    return data.get("dla_core") if data else None


def model_info(data, class_count=None):
    """The labels, palette and normalisation recorded for the engine."""
    if not data or "model" not in data:
        info = metadata.ModelInfo()
    else:
        recorded = data["model"]
        try:
            labels = labels_module.LabelSet(recorded["labels"], recorded["palette"])
        except Exception as exc:
            raise ModelError("the engine description's labels are unusable: {}".format(exc),
                             hint=REBUILD_HINT)
        info = metadata.ModelInfo(labels=labels, mean=recorded["mean"], std=recorded["std"],
                                  input_size=recorded.get("input_size"),
                                  architecture=recorded.get("architecture"),
                                  color_order=recorded.get("color_order", "RGB"))
    if class_count is not None:
        info.labels = info.labels.with_count(class_count)
    return info


def model_section(info):
    section = {"labels": list(info.labels.names), "palette": info.labels.colors_rgb.tolist(),
               "mean": list(info.mean), "std": list(info.std),
               "color_order": info.color_order}
    if info.input_size:
        section["input_size"] = list(info.input_size)
    if info.architecture:
        section["architecture"] = info.architecture
    return section


def check_runs_here(engine_path, data, tensorrt_version, gpu, plugin_path, engine_bytes=None,
                    flavour_here=releases.TENSORRT):
    """Refuse, before TensorRT deserialises anything, an engine this machine cannot run:
    another flavour or release, another GPU (TensorRT for RTX: a GPU outside its targets),
    another plugin build, or engine bytes that are not the ones the description was written
    for."""
    if data is None:
        return
    recorded_flavour = flavour(data)
    recorded_trt = data.get("tensorrt", {}).get("version")
    if recorded_flavour != flavour_here or recorded_trt != tensorrt_version:
        raise EngineMismatch("{} was built with {} {}; this is {} {}".format(
            engine_path, releases.FLAVOUR_NAMES.get(recorded_flavour, recorded_flavour),
            recorded_trt, releases.FLAVOUR_NAMES[flavour_here], tensorrt_version),
            hint=REBUILD_HINT)
    recorded_gpu = data.get("gpu", {})
    if recorded_flavour == releases.RTX:
        if gpu is not None and not rtx.runs_on(gpu[1], targets(data)):
            raise EngineMismatch("{} was built for compute capability {}; this GPU is {} "
                                 "(compute {}.{})".format(engine_path, rtx.labels(targets(data)),
                                                          gpu[0], *gpu[1]),
                                 hint="rebuild it with --target rtx --compute-capability "
                                      "{}{}".format(*gpu[1]))
    elif gpu is not None and (recorded_gpu.get("name") != gpu[0] or
                            tuple(recorded_gpu.get("compute_capability", ())) != tuple(gpu[1])):
        raise EngineMismatch("{} was built for {} (compute {}); this GPU is {} (compute "
                             "{}.{})".format(engine_path, recorded_gpu.get("name"),
                                             ".".join(str(v) for v in recorded_gpu.get(
                                                 "compute_capability", ())), gpu[0], *gpu[1]),
                             hint=REBUILD_HINT)
    plugin = data.get("plugin")
    if plugin:
        if plugin_path is None or not os.path.isfile(plugin_path):
            raise EngineMismatch("{} needs the unpooling plugin, which is not found".format(
                engine_path), hint="build it with ./plugins/build.sh, or " + REBUILD_HINT +
                " --unpool native")
        if file_sha256(plugin_path) != plugin.get("sha256"):
            raise EngineMismatch("{} was built with another build of the unpooling plugin than "
                                 "{}".format(engine_path, plugin_path), hint=REBUILD_HINT)
    expected = data.get("engine_sha256")
    actual = hashlib.sha256(engine_bytes).hexdigest() if engine_bytes is not None else \
        file_sha256(engine_path)
    if expected and actual != expected:
        raise EngineMismatch("{} is not the engine {} describes (interrupted or replaced "
                             "build)".format(engine_path, path_for(engine_path)),
                             hint=REBUILD_HINT)
