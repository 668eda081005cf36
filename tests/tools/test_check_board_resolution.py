"""tools/check_board_resolution.py, CI's proof that each JetPack's Python resolves the project
to aarch64 wheels: what it asks pip for, and what it calls a failure (offline parts)."""

import os
import sys

import pytest

from tests import tool_scripts

if sys.version_info < (3, 11):
    pytest.skip("the tool reads pyproject.toml with tomllib (Python 3.11+); CI runs it on 3.11",
                allow_module_level=True)

import tomllib  # noqa: E402

from packaging.requirements import Requirement  # noqa: E402
from packaging.specifiers import SpecifierSet  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


@pytest.fixture(scope="module")
def tool():
    return tool_scripts.load("check_board_resolution")


@pytest.fixture(scope="module")
def pyproject():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        return tomllib.load(handle)


def _board(tool, python_version):
    return next(board for board in tool.BOARDS if board.python_version == python_version)


def _asked(tool, pyproject, python_version):
    return {Requirement(text).name.lower().replace("_", "-"): Requirement(text).specifier
            for text in tool.board_requirements(pyproject, _board(tool, python_version))}


def test_jetpack_46_is_asked_for_onnx_111_numpy_119_and_onnxruntime_without_opencv(
        tool, pyproject):
    asked = _asked(tool, pyproject, "3.6")
    assert "1.11.0" in asked["onnx"] and "1.12.0" not in asked["onnx"]
    assert "1.19.5" in asked["numpy"] and "1.24.0" not in asked["numpy"]
    assert "1.10.0" in asked["onnxruntime"]
    assert "flit-core" in asked  # pip install . builds the wheel on the board
    assert not [name for name in asked if name.startswith("opencv")]


def test_jetpack_5_keeps_numpy_below_124_and_jetpack_6_below_2(tool, pyproject):
    assert "1.24.0" not in _asked(tool, pyproject, "3.8")["numpy"]
    numpy_on_6 = _asked(tool, pyproject, "3.10")["numpy"]
    assert "1.26.4" in numpy_on_6 and "2.0.0" not in numpy_on_6


def test_the_board_takes_aarch64_wheels_up_to_its_glibc_and_no_x86_64(tool):
    tags = {str(tag) for tag in _board(tool, "3.6").tags()}
    assert "cp36-cp36m-manylinux_2_17_aarch64" in tags
    assert "cp36-cp36m-manylinux_2_27_aarch64" in tags
    assert "cp36-cp36m-manylinux_2_28_aarch64" not in tags  # Ubuntu 18.04 has glibc 2.27
    assert "py3-none-any" in tags
    assert not [tag for tag in tags if "x86_64" in tag]


def _listing(*filenames, requires_python=None):
    return [{"filename": name, "requires-python": requires_python, "yanked": False}
            for name in filenames]


ONNX_FILES = _listing("onnx-1.11.0-cp36-cp36m-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
                      "onnx-1.11.0.tar.gz",
                      "onnx-1.12.0-cp37-cp37m-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
                      "onnx-1.12.0.tar.gz")


def test_a_newer_source_only_release_a_board_would_build_fails(tool):
    board = _board(tool, "3.6")
    packages = {"onnx": ("1.11.0", "onnx-1.11.0-cp36-cp36m-manylinux2014_aarch64.whl")}
    found = tool.source_picks(board, packages, {"onnx": SpecifierSet(">=1.11")},
                              files_of=lambda name: ONNX_FILES)
    assert len(found) == 1 and "up to 1.12.0" in found[0] and "cap onnx" in found[0]


def test_a_capped_package_or_a_source_for_newer_pythons_only_passes(tool):
    board = _board(tool, "3.6")
    packages = {"onnx": ("1.11.0", "onnx-1.11.0-cp36-cp36m-manylinux2014_aarch64.whl")}
    capped = tool.source_picks(board, packages, {"onnx": SpecifierSet(">=1.11,<1.12")},
                               files_of=lambda name: ONNX_FILES)
    newer_python = ONNX_FILES[:2] + _listing("onnx-1.12.0.tar.gz", requires_python=">=3.7")
    not_for_36 = tool.source_picks(board, packages, {"onnx": SpecifierSet(">=1.11")},
                                   files_of=lambda name: newer_python)
    assert capped == [] and not_for_36 == []


def test_a_newer_release_with_a_wheel_there_is_no_source_pick(tool):
    # ml-dtypes 0.7 has aarch64 wheels but needs numpy 2: the resolver left it for a reason.
    board = _board(tool, "3.10")
    files = _listing(
        "ml_dtypes-0.5.4-cp310-cp310-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl",
        "ml_dtypes-0.7.0-cp310-cp310-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl",
        "ml_dtypes-0.7.0.tar.gz")
    packages = {"ml-dtypes": ("0.5.4", "ml_dtypes-0.5.4-cp310-cp310-manylinux_2_28_aarch64.whl")}
    assert tool.source_picks(board, packages, {}, files_of=lambda name: files) == []


def test_a_pip_opencv_a_numpy_too_new_for_tensorrt_or_an_sdist_fails(tool):
    board = _board(tool, "3.8")
    packages = {"numpy": ("1.24.4", "numpy-1.24.4-cp38-cp38-manylinux2014_aarch64.whl"),
                "opencv-python-headless": ("4.6.0.66", "opencv_python_headless-4.6.0.66-"
                                                       "cp36-abi3-manylinux2014_aarch64.whl"),
                "onnx-1.12.0.tar.gz": (None, "onnx-1.12.0.tar.gz")}
    found = tool.problems(board, packages)
    assert any("numpy 1.24.4 on JetPack 5" in sentence for sentence in found)
    assert any("would shadow JetPack's OpenCV" in sentence for sentence in found)
    assert any("onnx-1.12.0.tar.gz is not a wheel" in sentence for sentence in found)
    fine = {"numpy": ("1.23.5", "numpy-1.23.5-cp38-cp38-manylinux2014_aarch64.whl")}
    assert tool.problems(board, fine) == []


def test_wheel_file_names_give_name_and_version(tool, tmp_path):
    for name in ("typing_extensions-4.1.1-py3-none-any.whl",
                 "onnx-1.11.0-cp36-cp36m-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"):
        (tmp_path / name).write_bytes(b"")
    assert {name: version for name, (version, _file) in tool.resolved(str(tmp_path)).items()} \
        == {"typing-extensions": "4.1.1", "onnx": "1.11.0"}


@pytest.mark.parametrize("content, words", [
    (None, "No such file or directory"), ("[project\n", "Expected ']'")])
def test_a_pyproject_it_cannot_read_is_refused_before_any_board(tool, tmp_path, capsys,
                                                                content, words):
    path = tmp_path / "pyproject.toml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SystemExit) as stopped:
        tool.main(["--pyproject", str(path)])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "error: cannot read --pyproject {}: ".format(path) in err and words in err
    assert "Traceback" not in err
