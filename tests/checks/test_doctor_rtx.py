"""Doctor on TensorRT for RTX: optional (N/A with the pip line where absent, N/A on a Jetson),
its version and the compute capabilities it builds for where present, and a WARN with the exact
``ln -s`` where the wheel's folder lacks the unversioned library (a plugin build would abort)."""

import os
import types

from edge_segnet.checks import doctor
from edge_segnet.trt_facts import rtx


def _rtx_module():
    module = types.ModuleType("tensorrt_rtx_bindings", "Stands for the bindings: a version.")
    module.__version__ = "1.7.1.116"
    return module


def _probe(tmp_path, modules, lib_dir=None, root=None):
    return doctor.Probe(root=str(root or tmp_path), import_module=modules.get,
                        rtx_lib_dir=lambda: lib_dir)


def test_absent_tensorrt_for_rtx_is_optional_with_its_pip_line(tmp_path):
    check = doctor.check_tensorrt_rtx(_probe(tmp_path, {}))
    assert check.status == doctor.NOT_APPLICABLE
    assert "pip install tensorrt-rtx-cu12-libs==1.7.1.116" in check.hint


def test_on_a_jetson_it_is_not_applicable(nano_root):
    check = doctor.check_tensorrt_rtx(_probe(None, {}, root=nano_root))
    assert (check.status, check.detail) == (doctor.NOT_APPLICABLE, "for RTX GPUs, not Jetson")


def test_present_with_its_link_is_ok(tmp_path):
    os.symlink(rtx.CORE_LIBRARY, str(tmp_path / rtx.UNVERSIONED_LIBRARY))
    (tmp_path / rtx.CORE_LIBRARY).write_bytes(b"library")
    check = doctor.check_tensorrt_rtx(_probe(tmp_path, {"tensorrt_rtx_bindings": _rtx_module()},
                                             str(tmp_path)))
    assert check.status == doctor.OK
    assert check.detail == ("1.7.1.116 (build --target rtx: compute capability 7.5, 8.0, 8.6, "
                            "8.9, 12.0, 12.1)")


def test_without_the_unversioned_library_it_warns_with_the_ln_command(tmp_path):
    (tmp_path / rtx.CORE_LIBRARY).write_bytes(b"library")
    check = doctor.check_tensorrt_rtx(_probe(tmp_path, {"tensorrt_rtx_bindings": _rtx_module()},
                                             str(tmp_path)))
    assert check.status == doctor.WARN
    assert "libtensorrt_rtx.so is missing" in check.detail
    assert check.hint == "ln -s libtensorrt_rtx.so.1 {}".format(
        os.path.join(str(tmp_path), "libtensorrt_rtx.so"))
    assert "->" in doctor.format_text([check])
