"""The scripts of tools/ loaded as modules, for the tests that pin them (tools/ is no package:
each script runs on its own)."""

import importlib.util
import os

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")


def load(name):
    """tools/NAME.py as a fresh module named NAME."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(TOOLS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
