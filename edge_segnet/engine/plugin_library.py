"""Where the unpooling plugin's shared library is looked for."""

import os

LIBRARY_NAME = "libedge_segnet_plugins.so"
PATH_VARIABLE = "EDGE_SEGNET_PLUGIN"

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def candidate_paths(environ=None):
    """Paths tried in order: the environment variable, the installed package, the build tree."""
    environ = os.environ if environ is None else environ
    paths = []
    if environ.get(PATH_VARIABLE):
        configured = environ[PATH_VARIABLE]
        paths.append(os.path.join(configured, LIBRARY_NAME) if os.path.isdir(configured)
                     else configured)
    paths.append(os.path.join(_PACKAGE_DIR, "lib", LIBRARY_NAME))
    paths.append(os.path.join(os.path.dirname(_PACKAGE_DIR), "plugins", "build", LIBRARY_NAME))
    return paths
