"""Calibration caches for the tests' models, written as ``calibrate --cache`` writes them:
a scale for every tensor the convolutions read."""

from edge_segnet.engine import plan
from edge_segnet.trt_facts import calibration_cache


def write_cache_for(model_path, cache_path, release="8.2.1", amax=4.0):
    version = calibration_cache.parse_full_version(release)
    built = plan.plan(model_path, plan.BuildOptions(trt_version="{}.{}".format(*version[:2])))
    initializers = {init.name for init in built.model.graph.initializer}
    names = {node.input[0] for node in built.model.graph.node
             if node.op_type == "Conv" and node.input[0] not in initializers}
    with open(str(cache_path), "w") as handle:
        handle.write(calibration_cache.format_cache({name: amax for name in names}, version))
    return str(cache_path)
