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

# The pinned wheels (the version both carry) and what they install.
WHEEL_VERSION = "1.7.1.116"
WHEELS = ("tensorrt-rtx-cu12-libs", "tensorrt-rtx-cu12-bindings")
BINDINGS_MODULE = "tensorrt_rtx_bindings"
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
    what = "a dangling link" if os.path.islink(path) else "missing"
    return ("{} is {} (TensorRT for RTX's parser loads it by that name to create a plugin, "
            "and the process aborts without it): run `{}{}`".format(
                path, what, "rm {} && ".format(path) if os.path.islink(path) else "",
                link_command(lib_dir)))
