"""TensorRT for RTX's facts as a build target (trt_facts/rtx.py): the compute capabilities it
builds for and how they are written, the unversioned library link, the tensorrt_rtx line.
No TensorRT for RTX needed (these run on JetPack 4.6's Python too)."""

import os

import pytest

from edge_segnet.errors import UsageError
from edge_segnet.trt_facts import rtx


@pytest.mark.parametrize("text, expected", [
    ("75,86,89,120", ((7, 5), (8, 6), (8, 9), (12, 0))),
    ("8.6, 12.1", ((8, 6), (12, 1))),
    ("86,86,80", ((8, 6), (8, 0))),
])
def test_compute_capabilities_are_read_in_either_spelling(text, expected):
    assert rtx.parse_compute_capabilities(text) == expected


@pytest.mark.parametrize("text, message", [
    ("53", "--compute-capability 53: TensorRT for RTX 1.7.1.116 builds for compute capability "
           "7.5, 8.0, 8.6, 8.9, 12.0, 12.1 only"),
    ("87", "--compute-capability 87: "),  # Orin: a Jetson, not an RTX GPU
    ("8", "--compute-capability '8': give compute capabilities such as 86"),
    (",", "needs at least one compute capability"),
])
def test_a_capability_it_lacks_is_refused_naming_the_ones_it_has(text, message):
    with pytest.raises(UsageError) as caught:
        rtx.parse_compute_capabilities(text)
    assert message in caught.value.message


def test_turing_is_asked_for_by_name_not_by_default():
    assert (7, 5) not in rtx.DEFAULT_COMPUTE_CAPABILITIES
    assert set(rtx.DEFAULT_COMPUTE_CAPABILITIES) == set(rtx.COMPUTE_CAPABILITIES) - {(7, 5)}


def test_the_missing_link_is_named_with_its_ln_command(tmp_path):
    lib_dir = str(tmp_path)
    (tmp_path / rtx.CORE_LIBRARY).write_bytes(b"library")
    link = os.path.join(lib_dir, rtx.UNVERSIONED_LIBRARY)
    assert rtx.link_fix(lib_dir) == "ln -s libtensorrt_rtx.so.1 " + link
    assert rtx.missing_link(lib_dir).endswith("is missing (TensorRT for RTX's parser loads it "
                                              "by that name to create a plugin, and the process"
                                              " aborts without it): run `ln -s "
                                              "libtensorrt_rtx.so.1 {}`".format(link))
    os.symlink("libtensorrt_rtx.so.0", link)  # dangling
    assert rtx.link_fix(lib_dir) == "rm {0} && ln -s libtensorrt_rtx.so.1 {0}".format(link)
    assert "is a dangling link" in rtx.link_problem(lib_dir)
    os.remove(link)
    os.symlink(rtx.CORE_LIBRARY, link)
    assert rtx.missing_link(lib_dir) is None


def test_the_tensorrt_rtx_line_builds_ahead_of_time_for_the_targets():
    assert rtx.tool_command("my model.onnx", "m.engine", ((7, 5), (12, 0))) == (
        "tensorrt_rtx '--onnx=my model.onnx' --saveEngine=m.engine "
        "--computeCapabilities=75,120 --skipInference")


def test_an_engine_runs_only_on_its_targets():
    assert rtx.runs_on((8, 6), [[8, 6], [8, 9]])
    assert not rtx.runs_on((8, 7), [[8, 6], [8, 9]])
