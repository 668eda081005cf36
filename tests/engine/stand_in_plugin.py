"""A real shared library standing in for libedge_segnet_plugins.so: the stand-in registry
"registers" the creator by scenario, but loading the library must still work (ctypes)."""

import subprocess

import pytest

from edge_segnet.engine import plugin_library


def compile_stand_in_plugin(folder):
    """The library's path in ``folder`` (a pathlib folder); the test skips without a C
    compiler."""
    source = folder / "stand_in.c"
    source.write_text("int edge_segnet_stand_in(void) { return 1; }\n")
    library = str(folder / plugin_library.LIBRARY_NAME)
    try:
        subprocess.check_call(["cc", "-shared", "-fPIC", "-o", library, str(source)])
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip("no C compiler for a stand-in plugin library: {}".format(exc))
    return library
