#!/usr/bin/env python3
"""Run the test suite as if on the machines it is for: a Jetson with TensorRT and pycuda
importable, a built unpooling plugin and tegrastats on PATH.

What stands in (all in one temporary folder, removed afterwards; nothing is written into the
checkout):

* ``tensorrt`` and ``pycuda`` packages on PYTHONPATH: minimal STAND-INS (TensorRT 8.2.1.8 of
  JetPack 4.6, pycuda 2021.1 built for CUDA 10.2) with the attributes doctor reads, no more.
  Code that goes further than their versions fails on them; such failures are the stand-ins'
  limits, reported like any other.
* ``libedge_segnet_plugins.so``: a real, tiny shared library compiled with ``cc -shared`` (no
  TensorRT plugin in it), named by EDGE_SEGNET_PLUGIN and placed in both places
  plugin_library looks (edge_segnet/lib/ and plugins/build/) of a copy of the checkout (the
  files git tracks or would track); the suite runs on that copy.
* ``tegrastats`` on PATH (unless --no-tegrastats): prints a Jetson Nano's line every interval.

Usage:
    python tools/run_tests_with_stand_ins.py [--python PY] [--keep] [--no-tegrastats]
                                             [-- PYTEST_ARGS...]   (default: tests)

Prints pytest's output, then a summary: counts and each failure with its first message line.
Exits with pytest's status. Runs on Python 3.6 (JetPack 4.6) and newer.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBRARY_NAME = "libedge_segnet_plugins.so"  # edge_segnet.engine.plugin_library.LIBRARY_NAME
PATH_VARIABLE = "EDGE_SEGNET_PLUGIN"

TENSORRT_INIT = '''"""STAND-IN for NVIDIA's tensorrt package (by tools/run_tests_with_stand_ins.py).

It stands for TensorRT 8.2.1.8 (JetPack 4.6) and has only what `edge-segnet doctor` reads: the
version. It cannot parse, build or run anything.
"""

__version__ = "8.2.1.8"
STAND_IN = True
'''

PYCUDA_INIT = '''"""STAND-IN for the pycuda package (written by tools/run_tests_with_stand_ins.py).

It stands for pycuda 2021.1 built for CUDA 10.2; see pycuda.driver. It has no GPU behind it.
"""

VERSION = (2021, 1)
VERSION_STATUS = ""
VERSION_TEXT = "2021.1"
STAND_IN = True
'''

PYCUDA_DRIVER = '''"""STAND-IN for pycuda.driver (written by tools/run_tests_with_stand_ins.py).

What doctor reads (get_version: the CUDA release pycuda was built for), and a driver that
initialises but finds no device, as pycuda does on a machine without a usable GPU.
"""

STAND_IN = True


class Error(Exception):
    """Stands for pycuda._driver.Error."""


class LogicError(Error):
    """Stands for pycuda._driver.LogicError."""


def get_version():
    return (10, 2, 0)


def get_driver_version():
    return 10020


def init(flags=0):
    return None


class Device(object):
    """Stands for pycuda.driver.Device on a machine with no device."""

    def __init__(self, number):
        raise LogicError("cuDeviceGet failed: invalid device ordinal (stand-in pycuda: no GPU)")

    @staticmethod
    def count():
        return 0
'''

PYCUDA_AUTOINIT = '''"""STAND-IN for pycuda.autoinit (written by tools/run_tests_with_stand_ins.py).

The real module makes a CUDA context on the first device; the stand-in has none, so importing
it fails the way pycuda.autoinit fails on a machine without a usable GPU.
"""

from pycuda import driver

driver.init()
raise driver.LogicError("cuInit failed: no CUDA-capable device is detected (stand-in pycuda)")
'''

PLUGIN_SOURCE = '''/* STAND-IN for libedge_segnet_plugins.so (tools/run_tests_with_stand_ins.py):
   a real shared library that loads, with no TensorRT plugin in it. */
int edge_segnet_plugins_stand_in(void) { return 1; }
'''

NANO_LINE = ("RAM 1575/3956MB (lfb 132x4MB) SWAP 0/1978MB (cached 0MB) IRAM 0/252kB(lfb 252kB) "
             "CPU [10%@1479,4%@1479,4%@1479,1%@1479] EMC_FREQ 23%@1600 GR3D_FREQ 99%@921 APE 25 "
             "PLL@29.5C CPU@32C PMIC@100C GPU@30.5C AO@38.5C thermal@31.25C POM_5V_IN 6565/6400 "
             "POM_5V_GPU 3200/3100 POM_5V_CPU 524/524")

TEGRASTATS = '''#!{python}
"""STAND-IN for tegrastats (tools/run_tests_with_stand_ins.py): a Jetson Nano's line every
--interval milliseconds (default 1000) until stopped."""
import sys
import time

interval = 1.0
if "--interval" in sys.argv:
    interval = int(sys.argv[sys.argv.index("--interval") + 1]) / 1000.0
while True:
    sys.stdout.write({line!r} + "\\n")
    sys.stdout.flush()
    time.sleep(interval)
'''


def _write(path, text, mode=None):
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        os.makedirs(folder)
    with open(path, "w") as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(path, mode)


def make_stand_ins(work, tegrastats=True):
    """Writes the stand-ins under ``work``; returns (site folder, plugin library, bin folder)."""
    site = os.path.join(work, "site")
    _write(os.path.join(site, "tensorrt", "__init__.py"), TENSORRT_INIT)
    _write(os.path.join(site, "pycuda", "__init__.py"), PYCUDA_INIT)
    _write(os.path.join(site, "pycuda", "driver.py"), PYCUDA_DRIVER)
    _write(os.path.join(site, "pycuda", "autoinit.py"), PYCUDA_AUTOINIT)

    plugin_dir = os.path.join(work, "plugin")
    source = os.path.join(plugin_dir, "stand_in_plugin.c")
    _write(source, PLUGIN_SOURCE)
    library = os.path.join(plugin_dir, LIBRARY_NAME)
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        raise SystemExit("no C compiler (cc) found: it builds the stand-in plugin library")
    subprocess.check_call([compiler, "-shared", "-fPIC", "-o", library, source])

    bin_dir = os.path.join(work, "bin")
    os.makedirs(bin_dir)
    if tegrastats:
        _write(os.path.join(bin_dir, "tegrastats"),
               TEGRASTATS.format(python=sys.executable, line=NANO_LINE), mode=0o755)
    return site, library, bin_dir


def copy_checkout(target):
    """The files git tracks or would track (not ignored ones: no builds, caches or venvs)."""
    listed = subprocess.check_output(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO)
    for name in sorted(set(listed.decode("utf-8").split("\0"))):
        source = os.path.join(REPO, name)
        if not name or not os.path.isfile(source):  # deleted in the work tree, or a submodule
            continue
        destination = os.path.join(target, name)
        if not os.path.isdir(os.path.dirname(destination)):
            os.makedirs(os.path.dirname(destination))
        shutil.copy2(source, destination)


def summarize(junit_path):
    """(counts, [(test id, kind, first line of its failure)], {skip reason: how many})."""
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failures = []
    skips = {}
    if not os.path.isfile(junit_path):
        return counts, failures, skips
    root = ElementTree.parse(junit_path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        for key in counts:
            counts[key] += int(suite.get(key, 0))
        for case in suite.iter("testcase"):
            skipped = case.find("skipped")
            if skipped is not None:
                reason = (skipped.get("message") or "").strip()
                skips[reason] = skips.get(reason, 0) + 1
            for kind in ("failure", "error"):
                problem = case.find(kind)
                if problem is None:
                    continue
                module = case.get("classname", "").replace(".", "/")
                test_id = "{}.py::{}".format(module, case.get("name"))
                message = (problem.get("message") or problem.text or "").strip()
                failures.append((test_id, kind, message.splitlines()[0] if message else ""))
    return counts, failures, skips


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter to run pytest with (default: this one)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (stand-ins, copy, junit.xml)")
    parser.add_argument("--no-tegrastats", action="store_true",
                        help="put no stand-in tegrastats on PATH")
    parser.add_argument("pytest_args", nargs="*", help="after --: pytest's (default: tests)")
    options = parser.parse_args(argv)
    if shutil.which(options.python) is None:
        parser.error("--python {} is not an interpreter that can be run".format(options.python))

    work = tempfile.mkdtemp(prefix="edge-segnet-stand-ins-")
    try:
        site, library, bin_dir = make_stand_ins(work, tegrastats=not options.no_tegrastats)
        tree = os.path.join(work, "tree")
        copy_checkout(tree)
        for folder in (os.path.join(tree, "edge_segnet", "lib"),
                       os.path.join(tree, "plugins", "build")):
            if not os.path.isdir(folder):
                os.makedirs(folder)
            shutil.copy2(library, os.path.join(folder, LIBRARY_NAME))

        environ = dict(os.environ)
        environ["PYTHONPATH"] = os.pathsep.join(
            [site, tree] + ([environ["PYTHONPATH"]] if environ.get("PYTHONPATH") else []))
        environ[PATH_VARIABLE] = os.path.dirname(library)
        environ["PATH"] = bin_dir + os.pathsep + environ.get("PATH", "")
        environ["PYTHONDONTWRITEBYTECODE"] = "1"

        check = ("import edge_segnet, tensorrt, pycuda.driver\n"
                 "assert edge_segnet.__file__.startswith({tree!r}), edge_segnet.__file__\n"
                 "assert tensorrt.STAND_IN and pycuda.driver.STAND_IN\n"
                 "print('edge_segnet from', edge_segnet.__file__)\n"
                 "print('tensorrt', tensorrt.__version__, 'from', tensorrt.__file__)\n"
                 "print('pycuda.driver from', pycuda.driver.__file__)\n").format(tree=tree)
        subprocess.check_call([options.python, "-c", check], cwd=tree, env=environ)
        print("{}={}; tegrastats: {}".format(PATH_VARIABLE, environ[PATH_VARIABLE],
                                            shutil.which("tegrastats", path=environ["PATH"])))
        print("--- edge-segnet doctor under the stand-ins ---")
        sys.stdout.flush()
        subprocess.call([options.python, "-m", "edge_segnet", "doctor"], cwd=tree, env=environ)
        print("--- pytest ---")
        sys.stdout.flush()

        junit = os.path.join(work, "junit.xml")
        command = [options.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE",
                   "--junitxml", junit] + (options.pytest_args or ["tests"])
        status = subprocess.call(command, cwd=tree, env=environ)

        counts, failures, skips = summarize(junit)
        passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
        print("\n=== with stand-in tensorrt 8.2.1.8, pycuda, built plugin{}: {} passed, "
              "{} failed, {} errors, {} skipped (pytest exit {}) ===".format(
                  "" if options.no_tegrastats else ", tegrastats", passed, counts["failures"],
                  counts["errors"], counts["skipped"], status))
        for reason, count in sorted(skips.items()):
            print("SKIPPED x{}: {}".format(count, reason[:300]))
        for test_id, kind, message in failures:
            print("{} {}: {}".format(kind.upper(), test_id, message[:300]))
        if options.keep:
            print("kept", work)
        return status
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
