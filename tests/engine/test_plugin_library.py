import ctypes

import pytest

from edge_segnet.engine import plugin_library


class _FakeTensorRT(object):
    """Stands for the tensorrt module: a plugin registry whose creators are given."""

    def __init__(self, creators, version="10.3.0", v10_api=True):
        self.__version__ = version
        registry = type("Registry", (), {})()
        lookup = lambda name, version, namespace="": creators.get((name, version))  # noqa
        if v10_api:
            registry.get_creator = lookup
        else:
            registry.get_plugin_creator = lookup
        self.get_plugin_registry = lambda: registry


def test_candidates_start_with_the_environment_variable(tmp_path):
    paths = plugin_library.candidate_paths({plugin_library.PATH_VARIABLE: str(tmp_path)})
    assert paths[0] == str(tmp_path / plugin_library.LIBRARY_NAME)
    assert paths[1].endswith("edge_segnet/lib/" + plugin_library.LIBRARY_NAME)
    assert paths[2].endswith("plugins/build/" + plugin_library.LIBRARY_NAME)


def test_a_missing_library_names_every_path_and_how_to_build(tmp_path, no_built_plugin):
    with pytest.raises(plugin_library.PluginError) as caught:
        plugin_library.load({plugin_library.PATH_VARIABLE: str(tmp_path / "x.so")},
                            tensorrt=_FakeTensorRT({}))
    message = str(caught.value)
    assert "libedge_segnet_plugins.so not found (tried {}".format(tmp_path / "x.so") in message
    assert str(no_built_plugin / plugin_library.LIBRARY_NAME) in message
    assert "./plugins/build.sh" in message


def test_a_file_that_is_no_library_is_reported(tmp_path):
    bogus = tmp_path / "libedge_segnet_plugins.so"
    bogus.write_bytes(b"not an ELF file")
    with pytest.raises(plugin_library.PluginError, match="cannot load .*rebuild it"):
        plugin_library.load({plugin_library.PATH_VARIABLE: str(bogus)},
                            tensorrt=_FakeTensorRT({}))


@pytest.mark.parametrize("v10_api", [True, False])
def test_a_loaded_library_must_register_the_creator(monkeypatch, tmp_path, v10_api):
    library = tmp_path / "libedge_segnet_plugins.so"
    library.write_bytes(b"")
    monkeypatch.setattr(ctypes, "CDLL", lambda path, mode=0: object())
    environ = {plugin_library.PATH_VARIABLE: str(library)}
    with pytest.raises(plugin_library.PluginError, match="has no EdgeSegnetUnpool creator"):
        plugin_library.load(environ, tensorrt=_FakeTensorRT({}, v10_api=v10_api))
    registered = _FakeTensorRT({("EdgeSegnetUnpool", "1"): object()}, v10_api=v10_api)
    assert plugin_library.load(environ, tensorrt=registered) == str(library)
