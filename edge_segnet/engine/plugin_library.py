"""Finding and loading the unpooling plugin's shared library.

Loading it registers the ``EdgeSegnetUnpool`` creator with TensorRT's plugin registry (the
library's static registration), which the ONNX parser then finds for our prepared graphs.
"""

import ctypes
import os

from edge_segnet import inputs, optional
from edge_segnet.engine import trt_compat
from edge_segnet.errors import EdgeSegnetError

LIBRARY_NAME = "libedge_segnet_plugins.so"
PATH_VARIABLE = "EDGE_SEGNET_PLUGIN"
PLUGIN_NAME = "EdgeSegnetUnpool"
PLUGIN_VERSION = "1"
BUILD_HINT = "build it with ./plugins/build.sh (CMake, CUDA and TensorRT's headers), or set {} " \
             "to the built library".format(PATH_VARIABLE)

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BUILD_DIR = os.path.join(os.path.dirname(_PACKAGE_DIR), "plugins", "build")


class PluginError(EdgeSegnetError):
    """The plugin library is missing, broken, or did not register its creator."""


def candidate_paths(environ=None, name=LIBRARY_NAME):
    """Paths tried in order: the environment variable, the installed package, the build tree."""
    environ = os.environ if environ is None else environ
    paths = []
    configured = environ.get(PATH_VARIABLE)
    if configured:
        paths.append(os.path.join(configured, name) if os.path.isdir(configured) else configured)
    paths.append(os.path.join(_PACKAGE_DIR, "lib", name))
    paths.append(os.path.join(_BUILD_DIR, name))
    return paths


def check_library_file(path):
    """A PluginError in one line unless ``path`` is a regular file that starts as a shared
    library does (ELF): what --print-trtexec hands to trtexec without loading it."""
    head = inputs.read_bytes(path, "--plugin", error=PluginError, hint=BUILD_HINT)[:4]
    if head != b"\x7fELF":
        raise PluginError("--plugin {} is not a shared library (no ELF header)".format(path),
                          hint=BUILD_HINT)


def find(environ=None, name=LIBRARY_NAME):
    """The first existing candidate, or a PluginError naming every path tried."""
    paths = candidate_paths(environ, name)
    for path in paths:
        if os.path.isfile(path):
            return path
    raise PluginError("{} not found (tried {})".format(name, ", ".join(paths)), hint=BUILD_HINT)


def load(environ=None, tensorrt=None):
    """Load the plugin library into this process and check that TensorRT sees its creator.

    ``tensorrt`` is the imported module (tests pass a stand-in); returns the library's path.
    """
    trt = tensorrt or optional.require("tensorrt", "loading the unpooling plugin")
    path = find(environ)
    try:
        # RTLD_GLOBAL: TensorRT resolves the plugin's symbols from the process.
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        raise PluginError("cannot load {}: {}".format(path, exc),
                          hint="rebuild it for this TensorRT and CUDA: " + BUILD_HINT)
    if trt_compat.find_plugin_creator(trt, PLUGIN_NAME, PLUGIN_VERSION) is None:
        raise PluginError(
            "{} loaded but TensorRT {} has no {} creator version {}".format(
                path, getattr(trt, "__version__", "?"), PLUGIN_NAME, PLUGIN_VERSION),
            hint="the library was built for another TensorRT release: " + BUILD_HINT)
    return path
