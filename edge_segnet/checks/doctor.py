"""``edge-segnet doctor``: one line per thing a Jetson user needs, with the fix when missing."""

import os
import platform
import re
import sys

from edge_segnet import optional
from edge_segnet.engine import plugin_library
from edge_segnet.platform import cuda, installed, jetson
from edge_segnet.trt_facts import rtx

OK, MISSING, WARN, NOT_APPLICABLE = "OK", "MISSING", "WARN", "N/A"


class Check(object):
    __slots__ = ("name", "status", "detail", "hint")

    def __init__(self, name, status, detail, hint=None):
        self.name, self.status, self.detail, self.hint = name, status, detail, hint

    def to_json(self):
        return {"name": self.name, "status": self.status, "detail": self.detail,
                "hint": self.hint}


class Probe(object):
    """Where doctor looks. Tests replace parts with fakes of a board.

    Defaults are looked up when a Probe is made, not when this module is imported, so that a
    test's monkeypatch of ``optional.try_import``, ``jetson.run_quiet`` or ``cuda.*`` reaches
    ``Probe()`` (and so ``edge-segnet doctor``) too.
    """

    def __init__(self, root="/", run=None, import_module=None, driver_version=None,
                 runtime_version=None, plugin_paths=None, environ=None, system_site=None,
                 rtx_lib_dir=None):
        self.root = root
        # Whether this Python sees the system's site-packages, where JetPack's apt packages
        # (OpenCV, TensorRT) put their modules.
        self.system_site = system_site or sees_system_site
        self.run = run or jetson.run_quiet
        self.import_module = import_module or optional.try_import
        self.driver_version = driver_version or cuda.driver_version
        self.runtime_version = runtime_version or cuda.runtime_version
        self.plugin_paths = plugin_paths
        self.environ = os.environ if environ is None else environ
        # The folder of TensorRT for RTX's libtensorrt_rtx.so.1 (None: not from the wheel).
        self.rtx_lib_dir = rtx_lib_dir or installed.rtx_lib_dir


def sees_system_site(prefix=None, base_prefix=None):
    """False in a venv made without --system-site-packages, which hides JetPack's modules."""
    prefix = sys.prefix if prefix is None else prefix
    base_prefix = getattr(sys, "base_prefix", sys.prefix) if base_prefix is None else base_prefix
    if prefix == base_prefix:
        return True
    try:
        with open(os.path.join(prefix, "pyvenv.cfg")) as handle:
            config = handle.read()
    except OSError:
        return True  # not a venv that we know how to read: assume the usual layout
    match = re.search(r"^\s*include-system-site-packages\s*=\s*(\w+)", config, re.MULTILINE)
    return bool(match) and match.group(1).lower() == "true"


def on_board(probe):
    """A Jetson, known by its device-tree model or, where a container hides that, by L4T's
    release file."""
    return optional.is_jetson(probe.root)


# Modules JetPack installs with apt into the system's site-packages.
_FROM_JETPACK_APT = {"cv2": "OpenCV", "tensorrt": "TensorRT"}

# On a board, pip as JetPack ships it knows no manylinux2014 wheel and settles for an old ONNX
# Runtime or none; the README's recipe upgrades pip first.
_BOARD_PIP_HINTS = {
    "onnxruntime": "python3 -m pip install --upgrade pip, then python3 -m pip install "
                   "onnxruntime (or the checkout's \".[jetson]\"; never [cpu] on a board)",
}

VENV_HINT = ("JetPack's {} is installed outside this venv: make the venv with "
             "python3 -m venv --system-site-packages (README: On a Jetson board)")


def _module_version(module):
    return getattr(module, "__version__", None) or getattr(module, "VERSION_TEXT", None) or "?"


def check_python(probe):
    version = "{}.{}.{}".format(*sys.version_info[:3])
    status = OK if sys.version_info >= (3, 6) else WARN
    return Check("Python", status, "{} ({})".format(version, sys.executable))


def check_platform(probe):
    model = jetson.board_model(probe.root)
    detail = "{} {}".format(platform.system(), platform.machine())
    if model:
        return Check("Board", OK, "{} ({})".format(model, detail))
    return Check("Board", NOT_APPLICABLE, "not a Jetson: {}".format(detail))


def check_l4t(probe):
    release = jetson.l4t_release(probe.root)
    if release is None:
        if jetson.board_model(probe.root):
            return Check("L4T/JetPack", WARN, "/etc/nv_tegra_release missing or unreadable",
                         "reinstall nvidia-l4t-core or reflash with SDK Manager")
        return Check("L4T/JetPack", NOT_APPLICABLE, "no /etc/nv_tegra_release")
    jetpack = jetson.jetpack_for(release)
    return Check("L4T/JetPack", OK, "L4T {} (JetPack {})".format(
        ".".join(str(part) for part in release), jetpack or "older than 4.5"))


def check_nvpmodel(probe):
    if not jetson.board_model(probe.root):
        return Check("Power mode", NOT_APPLICABLE, "nvpmodel exists on Jetson boards only")
    mode = jetson.nvpmodel_mode(probe.run)
    if mode is None:
        return Check("Power mode", WARN, "nvpmodel -q gave no mode",
                     "install nvidia-l4t-tools, or run as a user allowed to query nvpmodel")
    if mode.upper() not in ("MAXN", "MAXN_SUPER"):
        return Check("Power mode", WARN, "{} (not maximum performance)".format(mode),
                     "sudo nvpmodel -m 0 for MAXN before profiling")
    return Check("Power mode", OK, mode)


def check_clocks(probe):
    if not jetson.board_model(probe.root):
        return Check("jetson_clocks", NOT_APPLICABLE, "Jetson boards only")
    clocks = jetson.gpu_devfreq(probe.root)
    if clocks is None:
        return Check("jetson_clocks", WARN, "GPU devfreq not readable", "sudo jetson_clocks")
    detail = "GPU {} MHz (min {} / max {})".format(
        clocks["cur"] // 1000000, clocks["min"] // 1000000, clocks["max"] // 1000000)
    if clocks["min"] != clocks["max"]:
        return Check("jetson_clocks", WARN, "off: " + detail,
                     "sudo jetson_clocks, or latency figures drift with DVFS")
    return Check("jetson_clocks", OK, "on: " + detail)


def _dependency(probe, module_name, label, detail=None):
    module = probe.import_module(module_name)
    if module is None:
        board = on_board(probe)
        if board and module_name in _FROM_JETPACK_APT and not probe.system_site():
            hint = VENV_HINT.format(_FROM_JETPACK_APT[module_name])
        elif board and module_name in _BOARD_PIP_HINTS:
            hint = _BOARD_PIP_HINTS[module_name]
        else:
            hint = optional.install_hint(module_name, on_jetson=board)
        return None, Check(label, MISSING, "not importable", hint)
    return module, Check(label, OK, detail(module) if detail else _module_version(module))


def check_tensorrt(probe):
    return _dependency(probe, "tensorrt", "TensorRT")[1]


def check_tensorrt_rtx(probe):
    """TensorRT for RTX: optional (engines for RTX GPUs, built without one); where its wheel
    lacks the unversioned library link, the ``ln -s`` that a plugin build needs first."""
    module = next((found for found in (probe.import_module(name) for name in rtx.MODULES)
                   if found is not None), None)
    if module is None:
        if on_board(probe):
            return Check("TensorRT-RTX", NOT_APPLICABLE, "for RTX GPUs, not Jetson")
        return Check("TensorRT-RTX", NOT_APPLICABLE, "not installed (optional: engines for RTX "
                                                     "GPUs, built with build --target rtx)",
                     optional.install_hint(rtx.BINDINGS_MODULE, on_jetson=False))
    detail = "{} (build --target rtx: compute capability {})".format(
        _module_version(module), rtx.labels(rtx.COMPUTE_CAPABILITIES))
    lib_dir = probe.rtx_lib_dir()
    if lib_dir and rtx.missing_link(lib_dir):
        return Check("TensorRT-RTX", WARN, "{}; {}".format(detail, rtx.link_problem(lib_dir)),
                     rtx.link_fix(lib_dir))
    return Check("TensorRT-RTX", OK, detail)


def check_cuda(probe):
    driver, runtime = probe.driver_version(), probe.runtime_version()
    detail = "driver {}, runtime {}".format(driver or "none", runtime or "none")
    if driver is None:
        hint = ("the driver comes with L4T: reflash or reinstall nvidia-l4t-cuda"
                if on_board(probe) else "install the NVIDIA driver for your GPU")
        return Check("CUDA", MISSING, detail, hint)
    if runtime is None:
        return Check("CUDA", WARN, detail, "install the CUDA runtime (cuda-cudart) of your "
                                           "TensorRT release")
    return Check("CUDA", OK, detail)


def check_pycuda(probe):
    # pycuda.driver only: pycuda.autoinit would create a context on a GPU that may not exist.
    module, check = _dependency(probe, "pycuda.driver", "pycuda",
                                lambda module: ".".join(str(part) for part in getattr(
                                    module, "get_version", lambda: ("?",))()))
    if module is None:
        # The TensorRT backend takes cuda-python's runtime bindings where pycuda is absent
        # (JetPack 6 has no pycuda wheel).
        for name in ("cuda.bindings.runtime", "cuda.cudart"):
            if probe.import_module(name) is not None:
                return Check("pycuda", OK, "not importable; cuda-python serves GPU memory "
                                           "instead ({})".format(name))
    return check


def check_onnxruntime(probe):
    return _dependency(probe, "onnxruntime", "ONNX Runtime", lambda ort: "{} ({})".format(
        ort.__version__, ", ".join(ort.get_available_providers())))[1]


def _build_flag(info, key):
    match = re.search(r"^\s*" + re.escape(key) + r":\s*(.+)$", info, re.MULTILINE)
    return match.group(1).strip() if match else "NO"


def check_opencv(probe):
    cv2, check = _dependency(probe, "cv2", "OpenCV")
    if cv2 is None:
        return check
    info = cv2.getBuildInformation()
    gstreamer = _build_flag(info, "GStreamer")
    v4l2 = _build_flag(info, "v4l/v4l2")
    detail = "{} (GStreamer: {}, V4L2: {})".format(cv2.__version__, gstreamer, v4l2)
    if not gstreamer.upper().startswith("YES") and on_board(probe):
        hint = ("CSI cameras need GStreamer: pip uninstall opencv-python "
                "opencv-python-headless, then use JetPack's python3-opencv")
        if not probe.system_site():
            hint += " in a venv made with --system-site-packages"
        return Check("OpenCV", WARN, detail, hint)
    return Check("OpenCV", OK, detail)


def check_onnx(probe):
    return _dependency(probe, "onnx", "onnx")[1]


def check_plugin(probe):
    paths = probe.plugin_paths or plugin_library.candidate_paths(probe.environ)
    found = [path for path in paths if os.path.isfile(path)]
    if found:
        return Check("Unpool plugin", OK, found[0])
    return Check("Unpool plugin", MISSING, "{} not found in: {}".format(
        plugin_library.LIBRARY_NAME, ", ".join(paths)),
        "only TensorRT engines need it; " + plugin_library.BUILD_HINT)


def check_cameras(probe):
    devices = jetson.video_devices(probe.root)
    if not devices:
        return Check("Cameras", WARN, "no /dev/video* device",
                     "connect a camera, or run on a video file or --source synthetic")
    shown = [device[len(probe.root.rstrip("/")):] if probe.root != "/" else device
             for device in devices]
    unreadable = [name for name, device in zip(shown, devices)
                  if not os.access(device, os.R_OK | os.W_OK)]
    if unreadable:
        return Check("Cameras", WARN, "{} (no access to {})".format(
            ", ".join(shown), ", ".join(unreadable)),
            "sudo usermod -aG video $USER, then log in again")
    return Check("Cameras", OK, ", ".join(shown))


CHECKS = (check_python, check_platform, check_l4t, check_nvpmodel, check_clocks, check_tensorrt,
          check_tensorrt_rtx, check_cuda, check_pycuda, check_onnxruntime, check_onnx,
          check_opencv, check_plugin, check_cameras)


def diagnose(probe=None):
    probe = probe or Probe()
    return [check(probe) for check in CHECKS]


def format_text(checks):
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        line = "{:<8} {:<{width}}  {}".format(check.status, check.name, check.detail,
                                             width=width)
        if check.hint and check.status != OK:
            line += "  -> " + check.hint
        lines.append(line)
    return "\n".join(lines)
