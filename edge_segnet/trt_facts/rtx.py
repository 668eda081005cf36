"""TensorRT for RTX (NVIDIA's TensorRT for GeForce/RTX GPUs), as its 1.7 wheels on the package
index show it: ``tensorrt-rtx-cu12-libs`` and ``tensorrt-rtx-cu12-bindings`` 1.7.1.116. Read from
the wheels themselves (file lists, ``readelf -d``, the bindings' enums and the builder's
messages), not from headers: NVIDIA/TensorRT's public tree has no TensorRT for RTX headers.

- Only strongly typed networks: ``NetworkDefinitionCreationFlag`` has one member,
  STRONGLY_TYPED; ``BuilderFlag`` has no FP16/INT8/BF16 precision flags and the bindings have
  no calibrator classes: FP16 comes from an FP16 graph, INT8 from Q/DQ nodes.
- Builds for named compute capabilities (``IBuilderConfig.set_compute_capability``), ahead of
  time without a GPU; ``ComputeCapability.CURRENT`` (this machine's GPU) fails without one
  (CUDA error 35) and NONE is refused by the setter. Kernels are specialised later, on the GPU.
- Deserialising an engine needs a GPU; nothing here can run one.
- The parser imports IPluginV3 creators only.
- The libs wheel ships ``libtensorrt_rtx.so.1`` but not the unversioned ``libtensorrt_rtx.so``
  that the ONNX parser ``dlopen``s by that name when it creates a plugin; the parser's RPATH
  is ``$ORIGIN``, so a link beside the library is what it finds. Without one the process ends
  in ``std::terminate``, which no caller can catch: say so before parsing.

Nothing here imports TensorRT for RTX.
"""

import os
import shlex

from edge_segnet.errors import UsageError

# The pinned wheels (the version both carry) and what they install.
WHEEL_VERSION = "1.7.1.116"
WHEELS = ("tensorrt-rtx-cu12-libs", "tensorrt-rtx-cu12-bindings")
BINDINGS_MODULE = "tensorrt_rtx_bindings"
# The module names TensorRT for RTX goes by: the wheel's, then NVIDIA's own packages'.
MODULES = (BINDINGS_MODULE, "tensorrt_rtx")
LIBS_MODULE = "tensorrt_rtx_libs"
CORE_LIBRARY = "libtensorrt_rtx.so.1"
PARSER_LIBRARY = "libtensorrt_onnxparser_rtx.so.1"
UNVERSIONED_LIBRARY = "libtensorrt_rtx.so"

# ComputeCapability members of 1.7 that name a GPU generation (NONE and CURRENT do not):
# Turing, Ampere (A100; GeForce 30), Ada (GeForce 40), Blackwell (GeForce 50; GB10).
COMPUTE_CAPABILITIES = ((7, 5), (8, 0), (8, 6), (8, 9), (12, 0), (12, 1))


def member_for(compute_capability):
    """The ComputeCapability member name of (major, minor): "SM86" for (8, 6)."""
    return "SM{}{}".format(*compute_capability)


def link_command(lib_dir):
    """The one command that adds the unversioned library beside the versioned one."""
    return "ln -s {} {}".format(CORE_LIBRARY, os.path.join(lib_dir, UNVERSIONED_LIBRARY))


def missing_link(lib_dir):
    """None when ``lib_dir`` holds a ``libtensorrt_rtx.so`` that resolves to a file, else one
    line that says what is wrong and the exact ``ln -s`` to run."""
    path = os.path.join(lib_dir, UNVERSIONED_LIBRARY)
    if os.path.isfile(path):  # follows the link: a dangling one is as good as none
        return None
    return "{}: run `{}`".format(link_problem(lib_dir), link_fix(lib_dir))


def link_problem(lib_dir):
    """What is wrong with the unversioned library in ``lib_dir`` (missing_link's first half)."""
    path = os.path.join(lib_dir, UNVERSIONED_LIBRARY)
    what = "a dangling link" if os.path.islink(path) else "missing"
    return ("{} is {} (TensorRT for RTX's parser loads it by that name to create a plugin, "
            "and the process aborts without it)".format(path, what))


def link_fix(lib_dir):
    """The command that makes the unversioned library good (a dangling link removed first)."""
    path = os.path.join(lib_dir, UNVERSIONED_LIBRARY)
    return "{}{}".format("rm {} && ".format(path) if os.path.islink(path) else "",
                         link_command(lib_dir))


# --- TensorRT for RTX as a build target (``edge-segnet build --target rtx``) -----------------

# The TensorRT line whose facts the graph passes and the parser table apply to TensorRT for
# RTX: strongly typed only (no precision flags, no calibrators), UINT8 network inputs, no DLA,
# as TensorRT 11. tests/trt_facts/test_parser_ops_real_parser.py checks the parser table read
# for 11.1 against this wheel's real parser.
PLANNED_AS = (11, 1)

# What a build targets without --compute-capability: every generation but Turing. NVIDIA's
# "CPU-Only AOT and TensorRT-RTX Engines" page (docs.nvidia.com/deeplearning/tensorrt-rtx/
# latest/inference-library/cpu-engines.html) warns that an engine with 7.5 among several
# targets "is not guaranteed to be performant on Ampere or later devices": Turing is asked for
# by name, alone.
DEFAULT_COMPUTE_CAPABILITIES = tuple(cc for cc in COMPUTE_CAPABILITIES if cc != (7, 5))

# The build options TensorRT for RTX has no counterpart for, and why (one line each).
NO_CALIBRATORS = ("TensorRT for RTX has no calibrators (strongly typed only): INT8 comes "
                  "only from a Q/DQ model")
NO_DLA = "TensorRT for RTX builds for RTX GPUs, which have no DLA"


def label(compute_capability):
    """"8.6" for (8, 6)."""
    return "{}.{}".format(*compute_capability)


def labels(compute_capabilities):
    return ", ".join(label(cc) for cc in compute_capabilities)


def parse_compute_capabilities(text, option="--compute-capability"):
    """The (major, minor) pairs of "75,86,89,120" (or "7.5,8.6"), each one TensorRT for RTX
    builds for, in the order given without repeats; UsageError names the ones it has."""
    wanted = []
    for word in str(text or "").replace(" ", "").split(","):
        if not word:
            continue
        capability = _parse_one(word)
        if capability not in COMPUTE_CAPABILITIES:
            raise UsageError("{} {}: TensorRT for RTX {} builds for compute capability {} "
                             "only".format(option, word, WHEEL_VERSION,
                                           labels(COMPUTE_CAPABILITIES)))
        if capability not in wanted:
            wanted.append(capability)
    if not wanted:
        raise UsageError("{} needs at least one compute capability, e.g. 86 or 7.5,8.6"
                         .format(option))
    return tuple(wanted)


def _parse_one(word):
    major, dot, minor = word.partition(".")
    if dot and major.isdigit() and minor.isdigit():
        return int(major), int(minor)
    if word.isdigit() and len(word) >= 2:  # "86" is 8.6, "120" is 12.0
        return int(word[:-1]), int(word[-1])
    raise UsageError("--compute-capability {!r}: give compute capabilities such as 86 or 8.6, "
                     "comma-separated".format(word))


def runs_on(compute_capability, targets):
    """True when an engine built for ``targets`` runs on a GPU of ``compute_capability``."""
    return tuple(compute_capability) in {tuple(cc) for cc in targets}


# The ``tensorrt_rtx`` tool (TensorRT for RTX's trtexec) options used for --print-trtexec, as
# NVIDIA's TensorRT for RTX documentation names them: --onnx and --saveEngine ("Quick Start
# Guide", docs.nvidia.com/deeplearning/tensorrt-rtx/latest/getting-started/
# quick-start-guide.html), --computeCapabilities=<list> ("CPU-Only AOT and TensorRT-RTX Engines",
# .../inference-library/cpu-engines.html: "option --computeCapabilities=<list_of_CCs> to accept
# one or multiple compute capabilities"), --skipInference (build only: "Best Practices",
# .../performance/best-practices.html, its dynamic-shape example). No other option is written:
# the pages seen document none for plugins, workspace or timing caches.
TOOL = "tensorrt_rtx"


def tool_command(onnx_path, engine_path, compute_capabilities):
    """The ``tensorrt_rtx`` line that builds the same engine ahead of time."""
    words = [TOOL, "--onnx=" + onnx_path, "--saveEngine=" + engine_path,
             "--computeCapabilities=" + ",".join(
                 "{}{}".format(*cc) for cc in compute_capabilities), "--skipInference"]
    return " ".join(shlex.quote(word) for word in words)
