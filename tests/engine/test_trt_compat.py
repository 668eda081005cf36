import pytest

from edge_segnet.engine import trt_compat
from edge_segnet.errors import UsageError


@pytest.mark.parametrize("text, version", [("8.2.1.8", (8, 2)), ("10", (10, 0)),
                                           ("11.1.0", (11, 1))])
def test_parse_version(text, version):
    assert trt_compat.parse_version(text) == version


def test_a_malformed_version_is_a_usage_error():
    with pytest.raises(UsageError, match="like 8.2 or 10.3"):
        trt_compat.parse_version("latest")


def test_uint8_inputs_start_with_tensorrt_8_5():
    assert not trt_compat.supports_uint8_input((8, 2))
    assert trt_compat.supports_uint8_input((8, 5))
    assert trt_compat.supports_uint8_input((11, 1))


def test_without_tensorrt_the_target_is_the_oldest_supported(monkeypatch):
    monkeypatch.setattr(trt_compat.optional, "try_import", lambda name: None)
    assert trt_compat.installed_version() is None
    assert trt_compat.target_version() == trt_compat.OLDEST_SUPPORTED
    assert trt_compat.target_version("10.3") == (10, 3)
