import json
import sys
import types

from edge_segnet.checks import doctor


def _by_name(checks):
    return {check.name: check for check in checks}


def test_a_workstation_without_tensorrt_and_pycuda_gets_pip_hints(workstation, without_modules):
    without_modules("tensorrt", "pycuda", "cuda")
    checks = _by_name(doctor.diagnose())
    for name in ("TensorRT", "pycuda"):
        assert checks[name].status == doctor.MISSING
        assert checks[name].hint and "pip install" in checks[name].hint
    assert checks["ONNX Runtime"].status == doctor.OK
    assert "CPUExecutionProvider" in checks["ONNX Runtime"].detail
    assert checks["Board"].status == doctor.NOT_APPLICABLE


def test_tensorrt_and_pycuda_that_import_are_ok_with_their_versions(workstation, monkeypatch):
    tensorrt = types.ModuleType("tensorrt", "Stands for JetPack 4.6's tensorrt: its version only.")
    tensorrt.__version__ = "8.2.1.8"
    pycuda = types.ModuleType("pycuda", "Stands for pycuda: its driver module only.")
    pycuda.driver = types.ModuleType("pycuda.driver", "Stands for pycuda.driver: get_version "
                                                      "gives the CUDA it was built for.")
    pycuda.driver.get_version = lambda: (10, 2, 0)
    for module in (tensorrt, pycuda, pycuda.driver):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    checks = _by_name(doctor.diagnose())
    assert (checks["TensorRT"].status, checks["TensorRT"].detail) == (doctor.OK, "8.2.1.8")
    assert (checks["pycuda"].status, checks["pycuda"].detail) == (doctor.OK, "10.2.0")


def test_a_nano_with_jetpack_46_is_reported_with_board_hints(nano_root, nvpmodel_maxn):
    probe = doctor.Probe(root=str(nano_root), run=nvpmodel_maxn,
                         driver_version=lambda: "10.2", runtime_version=lambda: "10.2",
                         import_module=lambda name: None, system_site=lambda: True)
    checks = _by_name(doctor.diagnose(probe))
    assert checks["Board"].status == doctor.OK and "Jetson Nano" in checks["Board"].detail
    assert checks["L4T/JetPack"].detail == "L4T 32.6.1 (JetPack 4.6)"
    assert checks["Power mode"].detail == "MAXN"
    assert checks["jetson_clocks"].status == doctor.OK
    assert checks["CUDA"].status == doctor.OK
    assert checks["TensorRT"].hint == "TensorRT comes with JetPack: sudo apt install " \
                                      "python3-libnvinfer"
    assert "JetPack" in checks["OpenCV"].hint
    assert checks["Cameras"].detail == "/dev/video0"


def test_clocks_off_and_a_low_power_mode_are_warnings(nano_root):
    (nano_root / "sys/class/devfreq/57000000.gpu/min_freq").write_text("76800000")
    probe = doctor.Probe(root=str(nano_root), run=lambda command: (0, "NV Power Mode: 5W\n1"))
    checks = _by_name(doctor.diagnose(probe))
    assert checks["jetson_clocks"].status == doctor.WARN
    assert "sudo jetson_clocks" in checks["jetson_clocks"].hint
    assert checks["Power mode"].status == doctor.WARN
    assert "nvpmodel -m 0" in checks["Power mode"].hint


def test_opencv_without_gstreamer_on_a_jetson_is_a_warning(nano_root):
    class FakeCv2(object):
        """Stands for a pip OpenCV wheel: no GStreamer in its build information."""
        __version__ = "4.6.0"

        @staticmethod
        def getBuildInformation():
            return "  Video I/O:\n    GStreamer:                   NO\n    v4l/v4l2:    YES\n"

    probe = doctor.Probe(root=str(nano_root), import_module=lambda name: FakeCv2)
    check = doctor.check_opencv(probe)
    assert check.status == doctor.WARN and "GStreamer: NO" in check.detail


def test_plugin_found_by_environment_variable(tmp_path, no_built_plugin):
    library = tmp_path / "libedge_segnet_plugins.so"
    library.write_bytes(b"")
    probe = doctor.Probe(environ={"EDGE_SEGNET_PLUGIN": str(tmp_path)})
    assert doctor.check_plugin(probe).detail == str(library)
    missing = doctor.check_plugin(doctor.Probe(environ={}))
    assert missing.status == doctor.MISSING and "EDGE_SEGNET_PLUGIN" in missing.hint


def test_text_and_json_forms():
    checks = doctor.diagnose()
    text = doctor.format_text(checks)
    assert len(text.splitlines()) == len(checks)
    assert json.loads(json.dumps([check.to_json() for check in checks]))


def test_without_pycuda_cuda_python_serves_the_gpu_memory(workstation, without_modules,
                                                          monkeypatch):
    without_modules("pycuda")
    stand_in = types.ModuleType("cuda.bindings.runtime")  # stands in for cuda-python
    real_try_import = doctor.optional.try_import
    monkeypatch.setattr(doctor.optional, "try_import", lambda name: stand_in if name ==
                        "cuda.bindings.runtime" else real_try_import(name))
    check = doctor.check_pycuda(doctor.Probe())
    assert check.status == doctor.OK and "cuda-python serves GPU memory" in check.detail


def _hints(checks):
    return [check.hint for check in checks if check.hint]


def test_a_board_known_only_by_its_l4t_release_gets_board_hints_never_a_pip_opencv(nano_root):
    # A container on a Jetson may not show /proc/device-tree; L4T's release file still says it.
    (nano_root / "proc/device-tree/model").unlink()
    probe = doctor.Probe(root=str(nano_root), import_module=lambda name: None,
                         system_site=lambda: True, run=lambda command: (None, "no nvpmodel"))
    checks = _by_name(doctor.diagnose(probe))
    assert checks["OpenCV"].hint.startswith("OpenCV comes with JetPack")
    assert checks["TensorRT"].hint.startswith("TensorRT comes with JetPack")
    assert "--upgrade pip" in checks["ONNX Runtime"].hint
    for hint in _hints(checks.values()):
        assert "edge-segnet[cpu]" not in hint and "install opencv" not in hint, hint


def test_a_board_venv_that_hides_the_system_site_is_told_to_see_jetpacks_modules(nano_root):
    probe = doctor.Probe(root=str(nano_root), import_module=lambda name: None,
                         system_site=lambda: False, run=lambda command: (None, "no nvpmodel"))
    checks = _by_name(doctor.diagnose(probe))
    for name in ("OpenCV", "TensorRT"):
        assert "python3 -m venv --system-site-packages" in checks[name].hint
        assert "JetPack's " + name in checks[name].hint


def test_a_pip_opencv_in_a_board_venv_is_replaced_by_jetpacks_through_the_system_site(nano_root):
    class PipCv2(object):
        """Stands for a pip OpenCV wheel: no GStreamer in its build information."""
        __version__ = "4.6.0"

        @staticmethod
        def getBuildInformation():
            return "    GStreamer:                   NO\n"

    probe = doctor.Probe(root=str(nano_root), import_module=lambda name: PipCv2,
                         system_site=lambda: False)
    assert doctor.check_opencv(probe).hint.endswith("in a venv made with --system-site-packages")


def test_system_site_visibility_is_read_from_the_venvs_pyvenv_cfg(tmp_path):
    def venv(text):
        prefix = tmp_path / str(len(list(tmp_path.iterdir())))
        prefix.mkdir()
        if text is not None:
            (prefix / "pyvenv.cfg").write_text(text)
        return str(prefix)

    base = "/usr"
    assert doctor.sees_system_site(base, base) is True
    assert doctor.sees_system_site(venv("home = /usr/bin\ninclude-system-site-packages = true\n"),
                                   base) is True
    assert doctor.sees_system_site(venv("home = /usr/bin\ninclude-system-site-packages = false\n"),
                                   base) is False
    # Python's site module counts a missing key as false.
    assert doctor.sees_system_site(venv("home = /usr/bin\n"), base) is False
