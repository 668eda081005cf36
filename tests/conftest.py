import os
import sys

import numpy as np
import pytest

from edge_segnet.models import zoo

# The train extra (PyTorch) installs on Python 3.9 and newer; JetPack 4.6's Python 3.6 stack has
# no PyTorch, so the tests of the PyTorch tools run on the workstation interpreters only.
collect_ignore_glob = ["models/test_torch_*.py", "train/*"] if sys.version_info < (3, 9) else []


@pytest.fixture(scope="session")
def basic_model_path(tmp_path_factory):
    """SegNet-Basic at the default 128x256, He-initialised with seed 0."""
    path = str(tmp_path_factory.mktemp("models") / "segnet-basic.onnx")
    zoo.save(zoo.create("segnet-basic"), path)
    return path


@pytest.fixture(scope="session")
def small_basic_model_path(tmp_path_factory):
    """SegNet-Basic at an odd size, for tests that need many quick inferences."""
    path = str(tmp_path_factory.mktemp("models") / "segnet-basic-small.onnx")
    zoo.save(zoo.create("segnet-basic", input_size=(36, 52)), path)
    return path


@pytest.fixture
def frame():
    return np.random.RandomState(0).randint(0, 256, size=(72, 104, 3), dtype=np.uint8)


@pytest.fixture
def unwritable_dir():
    """A folder that refuses new files even to root: procfs."""
    return "/proc"


# Faked machines. Tests that pin what happens when something is missing (tensorrt, pycuda, a
# built plugin, a board) fake that absence here rather than assume it of the machine they run on:
# the suite is meant to pass on a Jetson with TensorRT and pycuda, and after plugins/build.sh.

@pytest.fixture
def without_modules(monkeypatch):
    """``without_modules("tensorrt", "pycuda")`` fakes those packages as not installed, whatever
    this machine has: until the test ends, importing them or any submodule raises ImportError,
    through ``optional.require`` and ``optional.try_import`` and plain imports alike."""
    def hide(*names):
        for name in names:
            for loaded in [key for key in sys.modules if key.startswith(name + ".")]:
                monkeypatch.setitem(sys.modules, loaded, None)
            monkeypatch.setitem(sys.modules, name, None)  # None there: "import halted"
    return hide


@pytest.fixture
def no_built_plugin(monkeypatch, tmp_path):
    """No unpooling plugin library built or installed, whatever this checkout has:
    EDGE_SEGNET_PLUGIN is unset, and the two places plugin_library looks after it (the package's
    lib/ and plugins/build/) become empty folders under tmp_path. Returns that plugins/build."""
    from edge_segnet.engine import plugin_library

    package_dir = tmp_path / "no-plugin" / "edge_segnet"
    build_dir = tmp_path / "no-plugin" / "plugins" / "build"
    for folder in (package_dir / "lib", build_dir):
        folder.mkdir(parents=True)
    monkeypatch.setattr(plugin_library, "_PACKAGE_DIR", str(package_dir))
    monkeypatch.setattr(plugin_library, "_BUILD_DIR", str(build_dir))
    monkeypatch.delenv(plugin_library.PATH_VARIABLE, raising=False)
    return build_dir


@pytest.fixture
def workstation(monkeypatch, tmp_path, no_built_plugin):
    """Makes doctor (``doctor.Probe()`` with no arguments, as ``edge-segnet doctor`` builds it)
    look at a faked workstation instead of this machine: an empty root (no device-tree model, no
    /etc/nv_tegra_release, no GPU devfreq, no /dev/video*), no nvpmodel or other command, no
    CUDA driver or runtime, an empty environment and no built plugin. Python packages are this
    interpreter's; fake missing ones with ``without_modules``. Returns the faked root."""
    from edge_segnet.checks import doctor

    root = tmp_path / "workstation-root"
    root.mkdir()
    real_probe = doctor.Probe

    def no_such_command(command):
        return None, "[Errno 2] No such file or directory: '{}'".format(command[0])

    class WorkstationProbe(real_probe):
        """doctor.Probe whose defaults are the faked workstation's; arguments still win."""

        def __init__(self, root=str(root), run=no_such_command, driver_version=lambda: None,
                     runtime_version=lambda: None, environ=None, **others):
            real_probe.__init__(self, root=root, run=run, driver_version=driver_version,
                                runtime_version=runtime_version,
                                environ={} if environ is None else environ, **others)

    monkeypatch.setattr(doctor, "Probe", WorkstationProbe)
    return root


CAMVID_MINI = os.environ.get("EDGE_SEGNET_CAMVID_MINI") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "camvid-mini")


@pytest.fixture(scope="session")
def camvid_mini():
    """48 real CamVid frames (24 val, 24 test) kept beside the project, never in it."""
    if not os.path.isfile(os.path.join(CAMVID_MINI, "test.txt")):
        pytest.skip("no camvid-mini at {} (real CamVid frames kept beside the project; set "
                    "EDGE_SEGNET_CAMVID_MINI to its folder)".format(os.path.abspath(CAMVID_MINI)))
    return CAMVID_MINI


@pytest.fixture
def fifo():
    """``fifo(path)`` makes a FIFO at ``path`` and returns it. Code that opens it would block
    forever; here a helper opens its writing end as soon as a reader waits and closes it, so a
    regression reads an empty file and fails its test instead of hanging the suite."""
    import threading
    import time

    stop = threading.Event()
    threads = []

    def unblock(path):
        while not stop.is_set():
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # ENXIO: no reader yet
                time.sleep(0.05)

    def make(path):
        path = str(path)
        os.mkfifo(path)
        thread = threading.Thread(target=unblock, args=(path,), daemon=True)
        thread.start()
        threads.append(thread)
        return path

    yield make
    stop.set()
    for thread in threads:
        thread.join(timeout=1.0)


@pytest.fixture
def two_drives(tmp_path):
    """A CamVid-layout set: train has drives A and B, val has more frames of A."""
    import cv2

    rng = np.random.default_rng(0)
    for split, names in (("train", ["A_001", "A_002", "B_001", "B_002", "B_003"]),
                         ("val", ["A_003"])):
        for folder in (split, split + "annot"):
            os.makedirs(str(tmp_path / folder))
        for name in names:
            cv2.imwrite(str(tmp_path / split / (name + ".png")),
                        rng.integers(0, 255, (12, 16, 3)).astype(np.uint8))
            label = np.full((12, 16), 1 if name.startswith("A") else 2, np.uint8)
            label[:, :4] = 0
            cv2.imwrite(str(tmp_path / (split + "annot") / (name + ".png")), label)
    return str(tmp_path)


@pytest.fixture
def logged():
    """The lines the package logs (the ``edge_segnet`` logger, INFO and up) while a test runs."""
    import logging

    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger = logging.getLogger("edge_segnet")
    handler, level = Collect(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
