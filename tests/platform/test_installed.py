from edge_segnet import optional
from edge_segnet.platform import installed
from edge_segnet.trt_facts import releases


def test_without_tensorrt_the_target_is_the_oldest_supported(monkeypatch):
    monkeypatch.setattr(optional, "try_import", lambda name: None)
    assert installed.tensorrt_version() is None
    assert installed.tensorrt_release() is None
    assert installed.target_version() == releases.OLDEST_SUPPORTED
    assert installed.target_version("10.3") == (10, 3)


def test_the_installed_release_is_read_from_the_package(monkeypatch):
    class FakeTensorRT(object):
        __version__ = "10.3.0.26"

    monkeypatch.setattr(optional, "try_import",
                        lambda name: FakeTensorRT if name == "tensorrt" else None)
    assert installed.tensorrt_version() == (10, 3)
    assert installed.tensorrt_release() == (10, 3, 0)
    assert installed.target_version() == (10, 3)
    assert installed.onnxruntime_version() is None
