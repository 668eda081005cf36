"""The ``trtexec`` command line equivalent to a build, in the flags each release's trtexec takes
(samples/common/sampleOptions.cpp of NVIDIA/TensorRT at 8.2.1, 8.6.1, 10.3.0 and 11.1)."""

import shlex

from edge_segnet.errors import UsageError
from edge_segnet.trt_facts import releases


def command(version, onnx_path, engine_path, *, precision="fp32", workspace_mib=None,
            plugin_path=None, calib_cache=None, dla_core=None, gpu_fallback=False,
            opt_level=None, timing_cache=None, verbose=False):
    """The trtexec line for ``version`` (the build's options by keyword only: eleven of them
    would otherwise be told apart by position)."""
    version = tuple(version)
    words = ["trtexec", "--onnx=" + onnx_path, "--saveEngine=" + engine_path]
    if releases.has_precision_flags(version):
        words += ["--" + flag.lower() for flag in releases.PRECISION_FLAGS[precision]]
    if calib_cache:
        words.append("--calib=" + calib_cache)
    if workspace_mib:
        # --memPoolSize arrived with memory pools (8.4); --workspace is gone from 10.
        words.append("--memPoolSize=workspace:{}M".format(workspace_mib)
                     if releases.has_memory_pools(version)
                     else "--workspace={}".format(workspace_mib))
    if plugin_path:
        # 8.6 split --plugins into --staticPlugins and --dynamicPlugins.
        words.append(("--staticPlugins=" if version >= (8, 6) else "--plugins=") + plugin_path)
    if dla_core is not None:
        words.append("--useDLACore={}".format(dla_core))
        if gpu_fallback:
            words.append("--allowGPUFallback")
    if opt_level is not None:
        if not releases.has_optimization_level(version):
            raise UsageError("--opt-level needs TensorRT 8.6 or newer; the target is "
                             "{}.{}".format(*version))
        words.append("--builderOptimizationLevel={}".format(opt_level))
    if timing_cache:
        words.append("--timingCacheFile=" + timing_cache)
    words.append("--profilingVerbosity=detailed")
    if verbose:
        words.append("--verbose")
    return " ".join(shlex.quote(word) for word in words)
