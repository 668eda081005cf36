"""Differences between TensorRT releases, kept in this one module."""

import re

from edge_segnet import optional
from edge_segnet.errors import UsageError

# JetPack 4.6 (TX1, TX2, Nano) ships 8.2: the oldest release we build for.
OLDEST_SUPPORTED = (8, 2)


def parse_version(text):
    match = re.match(r"^\s*(\d+)(?:\.(\d+))?", str(text or ""))
    if not match:
        raise UsageError("TensorRT version must look like 8.2 or 10.3; got {!r}".format(text))
    return int(match.group(1)), int(match.group(2) or 0)


def installed_version():
    """(major, minor) of the importable tensorrt package, or None."""
    tensorrt = optional.try_import("tensorrt")
    return parse_version(tensorrt.__version__) if tensorrt is not None else None


def target_version(requested=None):
    """The TensorRT release to prepare for: the one asked for, the installed one, else the
    oldest we support (so that the result parses everywhere)."""
    if requested:
        return parse_version(requested)
    return installed_version() or OLDEST_SUPPORTED


def supports_uint8_input(version):
    """DataType::kUINT8 network inputs exist from TensorRT 8.5 (NvInferRuntimeCommon.h);
    8.2's DataType stops at kBOOL."""
    return tuple(version) >= (8, 5)


def find_plugin_creator(tensorrt, name, version, namespace=""):
    """The registered creator of plugin ``name`` (V2 or V3), or None.

    TensorRT 10 looks creators of either generation up with ``get_creator``; 8.x has
    ``get_plugin_creator`` only (and 11 no longer has it).
    """
    registry = tensorrt.get_plugin_registry()
    lookup = getattr(registry, "get_creator", None) or registry.get_plugin_creator
    return lookup(name, version, namespace)
