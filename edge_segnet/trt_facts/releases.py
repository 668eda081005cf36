"""What each TensorRT release can do, as facts read from its public headers and Python bindings
(NVIDIA/TensorRT at 8.2.1, 8.5.2, 8.6.1, 10.3.0, 10.16 and 11.1). Graph passes and the checks made
before a build use these; the code that calls TensorRT lives in ``edge_segnet.engine``."""

import re

from edge_segnet.errors import UsageError

# JetPack 4.6 (TX1, TX2, Nano) ships 8.2: the oldest release we build for.
OLDEST_SUPPORTED = (8, 2)


def parse_version(text, option=None):
    """(major, minor) of a version string such as "8.2.1.8" or "10"; ``option`` (e.g.
    "--trt-version") names where a user gave it, for the message. TensorRT numbers a release
    with at most four parts (8.2.1.8): "8.x", "1e3", "8.2.1.8.9" and "" are refused, not read
    as some release."""
    match = re.match(r"^\s*(\d+)(?:\.(\d+)(?:\.\d+){0,2})?\s*$", str(text or ""))
    if not match:
        raise UsageError("{}TensorRT version must look like 8.2 or 10.3; got {!r}".format(
            option + ": " if option else "", text))
    return int(match.group(1)), int(match.group(2) or 0)


def target_version(requested=None, installed=None):
    """The release to prepare for: the one asked for, the installed one, else the oldest we
    support (so that the result parses everywhere)."""
    if requested:
        return parse_version(requested)
    return tuple(installed) if installed else OLDEST_SUPPORTED


def check_supported(version):
    if tuple(version) < OLDEST_SUPPORTED:
        raise UsageError("TensorRT {}.{} is older than the oldest release edge-segnet builds "
                         "for ({}.{}, JetPack 4.6)".format(version[0], version[1],
                                                          *OLDEST_SUPPORTED),
                         hint="upgrade TensorRT (JetPack 4.6 or newer on a Jetson)")


def supports_uint8_input(version):
    """DataType::kUINT8 network inputs exist from 8.5; 8.2's DataType stops at kBOOL."""
    return tuple(version) >= (8, 5)


def has_memory_pools(version):
    """IBuilderConfig.set_memory_pool_limit from 8.4; max_workspace_size before (gone in 10)."""
    return tuple(version) >= (8, 4)


def has_optimization_level(version):
    """IBuilderConfig.builder_optimization_level (0-5, default 3) from 8.6."""
    return tuple(version) >= (8, 6)


def needs_explicit_batch_flag(version):
    """Before 10 a network must be created with EXPLICIT_BATCH for the ONNX parser; from 10
    every network is explicit-batch and the flag is deprecated."""
    return tuple(version) < (10, 0)


def is_strongly_typed_only(version):
    """TensorRT 11 builds only strongly typed networks: no FP16/INT8 builder flags, no
    calibrators; precision comes from the ONNX model's types and its Q/DQ nodes."""
    return tuple(version) >= (11, 0)


# Builder flags per precision where the release has them: FP16 goes with INT8 so that layers
# left unquantised run in half rather than single precision.
PRECISION_FLAGS = {"fp32": (), "fp16": ("FP16",), "int8": ("INT8", "FP16")}


def has_precision_flags(version):
    return not is_strongly_typed_only(version)


def has_calibrators(version):
    """Implicit INT8 from a calibration cache: 8.x to 10.x (deprecated in 10, gone in 11)."""
    return not is_strongly_typed_only(version)


def has_dla(version):
    """DLA builds (IBuilderConfig.DLA_core, DeviceType.DLA) on 8.x-10.x. NVIDIA's "Working with
    DLA" page of the 11.1 documentation says 11.0 and 11.1 do not support DLA (the names are
    still bound)."""
    return tuple(version) < (11, 0)


# What trtexec sets for --useDLACore (samples/common/sampleEngines.cpp, setupNetworkAndConfig:
# lines 804-830 at 8.2.1, 1123-1152 at v10.3.0): DeviceType.DLA as the default, the core,
# PREFER_PRECISION_CONSTRAINTS, GPU_FALLBACK with --allowGPUFallback and otherwise DIRECT_IO
# ("reformatting runs on GPU"), and FP16 unless INT8 was asked for; samples/common/common.h,
# enableDLA (8.2.1 lines 605-628) says why: "FP32 mode is not permitted" on a DLA.
DLA_FLAGS = ("PREFER_PRECISION_CONSTRAINTS",)
DLA_FALLBACK_FLAG, DLA_NO_FALLBACK_FLAG = "GPU_FALLBACK", "DIRECT_IO"


def dla_precision(precision):
    """The precision a DLA build takes: FP32 becomes FP16 (a DLA runs FP16 and INT8 only)."""
    return "fp16" if precision == "fp32" else precision


# The TensorRT flavours a build can target (``edge-segnet build --target``): TensorRT itself
# (JetPack's, or NVIDIA's packages on a desktop), and TensorRT for RTX (its own module and
# version numbers; its facts in trt_facts/rtx.py). An engine of one never loads in the other.
TENSORRT, RTX = "tensorrt", "rtx"
FLAVOURS = (TENSORRT, RTX)
FLAVOUR_NAMES = {TENSORRT: "TensorRT", RTX: "TensorRT for RTX"}


def check_flavour(flavour, option="--target"):
    if flavour not in FLAVOURS:
        raise UsageError("{} must be one of {}; got {!r}".format(option, ", ".join(FLAVOURS),
                                                                 flavour))
    return flavour
