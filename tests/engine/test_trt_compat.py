from edge_segnet.engine import trt_compat
from edge_segnet.trt_facts import releases


def test_without_tensorrt_the_target_is_the_oldest_supported(monkeypatch):
    monkeypatch.setattr(trt_compat.optional, "try_import", lambda name: None)
    assert trt_compat.installed_version() is None
    assert trt_compat.target_version() == releases.OLDEST_SUPPORTED
    assert trt_compat.target_version("10.3") == (10, 3)
