from edge_segnet.trt_facts import trtexec


def test_8_2_takes_workspace_and_plugins():
    line = trtexec.command((8, 2), "m.onnx", "m.engine", precision="fp16", workspace_mib=1024,
                           plugin_path="/p/lib.so")
    assert line == ("trtexec --onnx=m.onnx --saveEngine=m.engine --fp16 --workspace=1024 "
                    "--plugins=/p/lib.so --profilingVerbosity=detailed")


def test_10_takes_memory_pools_static_plugins_and_the_optimisation_level():
    line = trtexec.command((10, 3), "m.onnx", "m.engine", precision="int8", workspace_mib=512,
                           plugin_path="lib.so", calib_cache="m.calib", dla_core=0,
                           gpu_fallback=True, opt_level=4, timing_cache="t.cache",
                           verbose=True)
    assert line.split() == [
        "trtexec", "--onnx=m.onnx", "--saveEngine=m.engine", "--int8", "--fp16",
        "--calib=m.calib", "--memPoolSize=workspace:512M", "--staticPlugins=lib.so",
        "--useDLACore=0", "--allowGPUFallback", "--builderOptimizationLevel=4",
        "--timingCacheFile=t.cache", "--profilingVerbosity=detailed", "--verbose"]


def test_11_has_no_precision_flags_and_paths_are_quoted():
    line = trtexec.command((11, 1), "my model.onnx", "m.engine", precision="fp16")
    assert "--fp16" not in line and "'--onnx=my model.onnx'" in line
