"""``edge-segnet ARGS`` in a process of its own whose ``tensorrt`` is the stand-in of one
release (tests/engine/fake_tensorrt.py) and whose ``pycuda`` is the strict stand-in
(tests/engine/fake_cuda.py: it aborts at exit, as pycuda does, while a context is pushed):

    EDGE_SEGNET_STAND_INS='{"release": "8.2.1", "scenario": {"build_fails": true}}' \\
        python tests/engine/stand_in_cli.py build model.onnx

``run_cli`` does this from a test and returns the finished process."""

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VARIABLE = "EDGE_SEGNET_STAND_INS"
GPU = ("Fake Xavier (sm_72)", (7, 2))


def run_cli(args, release="8.2.1", scenario=None, cwd=None, timeout=120, environ=None):
    """``subprocess.run`` of the command line under the stand-ins; stdout and stderr as text.
    ``environ``: variables to add (EDGE_SEGNET_PLUGIN, EDGE_SEGNET_CACHE ...)."""
    return subprocess.run([sys.executable, os.path.abspath(__file__)] + list(args),
                          env=stand_in_environment(release, scenario, environ), cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)


def stand_in_environment(release="8.2.1", scenario=None, environ=None):
    env = dict(os.environ)
    env.update(environ or {})
    env[VARIABLE] = json.dumps({"release": release, "scenario": scenario or {}})
    env["PYTHONPATH"] = os.pathsep.join(
        [REPO] + [path for path in env.get("PYTHONPATH", "").split(os.pathsep) if path])
    return env


def _install():
    config = json.loads(os.environ.get(VARIABLE) or "{}")
    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    from tests.engine.fake_cuda import install_fake_pycuda
    from tests.engine.fake_tensorrt import Scenario, make_fake_tensorrt

    # First, so that its exit check runs after every atexit handler the command registers,
    # as pycuda's runs at module cleanup.
    driver = install_fake_pycuda(gpu=GPU)
    fields = {"gpu_name": GPU[0], "memory": driver._f_memory}
    fields.update(config.get("scenario") or {})
    sys.modules["tensorrt"] = make_fake_tensorrt(config.get("release", "8.2.1"),
                                                 Scenario(**fields))


if __name__ == "__main__":
    _install()
    from edge_segnet import __main__ as entry_point

    sys.exit(entry_point.main())
