import pytest

from edge_segnet.errors import UsageError
from edge_segnet.trt_facts import gpus, releases


@pytest.mark.parametrize("text, version", [("8.2.1.8", (8, 2)), ("10", (10, 0)),
                                           ("11.1.0", (11, 1))])
def test_parse_version(text, version):
    assert releases.parse_version(text) == version


def test_a_malformed_version_is_a_usage_error():
    with pytest.raises(UsageError, match="like 8.2 or 10.3"):
        releases.parse_version("latest")


def test_a_malformed_version_names_the_option_it_came_from():
    with pytest.raises(UsageError) as info:
        releases.parse_version("abc", "--trt-version")
    assert str(info.value) == ("--trt-version: TensorRT version must look like 8.2 or 10.3; "
                               "got 'abc'")
    from edge_segnet import prepare

    with pytest.raises(UsageError, match="^--trt-version: "):
        prepare.PrepareOptions(trt_version="abc", embed_preprocess=True).target_version()


def test_uint8_inputs_start_with_tensorrt_8_5():
    assert not releases.supports_uint8_input((8, 2))
    assert releases.supports_uint8_input((8, 5))
    assert releases.supports_uint8_input((11, 1))


def test_the_target_is_asked_for_then_installed_then_the_oldest_supported():
    assert releases.target_version("10.3", installed=(8, 6)) == (10, 3)
    assert releases.target_version(None, installed=(8, 6)) == (8, 6)
    assert releases.target_version() == releases.OLDEST_SUPPORTED


def test_releases_older_than_jetpack_4_6_are_refused():
    with pytest.raises(UsageError, match="older than"):
        releases.check_supported((8, 0))
    releases.check_supported((8, 2))


def test_tensorrt_11_is_strongly_typed_without_calibrators():
    assert releases.has_precision_flags((10, 16)) and releases.has_calibrators((10, 3))
    assert not releases.has_precision_flags((11, 0)) and not releases.has_calibrators((11, 1))


@pytest.mark.parametrize("capability, fast_int8", [
    ((5, 3), False), ((6, 2), False), ((6, 0), False), ((6, 1), True), ((7, 2), True),
    ((8, 7), True), ((9, 0), True), ((11, 0), True)])
def test_fast_int8_follows_the_compute_capability(capability, fast_int8):
    assert gpus.has_fast_int8(capability) is fast_int8


def test_jetson_boards_are_named_and_only_xavier_and_orin_may_have_dla():
    assert "TX1" in gpus.board_name((5, 3)) and "TX2" in gpus.board_name((6, 2))
    assert gpus.board_name((9, 0)) is None
    assert gpus.may_have_dla((7, 2)) and gpus.may_have_dla((8, 7))
    assert not gpus.may_have_dla((5, 3)) and not gpus.may_have_dla((9, 0))


@pytest.mark.parametrize("text", ["8.2.1.8.9", "", "1e3", "8.x", "8.2-1", "v8.2", "8..2"])
def test_a_version_tensorrt_never_had_is_refused_not_read_as_some_release(text):
    with pytest.raises(UsageError, match="--trt-version: TensorRT version must look like"):
        releases.parse_version(text, "--trt-version")


@pytest.mark.parametrize("text, version", [("8.2", (8, 2)), ("8.2.1.8", (8, 2)), ("10", (10, 0)),
                                           (" 10.3.0 ", (10, 3))])
def test_a_version_of_up_to_four_parts_gives_major_and_minor(text, version):
    assert releases.parse_version(text) == version
