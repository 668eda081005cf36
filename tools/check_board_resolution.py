"""Resolve edge-segnet's dependencies as each JetPack's Python would on an aarch64 board, with
wheels only, and fail on a dependency that has no wheel there.

A board installs ``.[jetson]`` (README, "On a Jetson board"). Nothing here needs a board:
pip's resolver runs on this machine's copy of each board's CPython (so the markers of the
dependencies' own dependencies see the board's Python version), told the board's platform
tags (``--platform manylinux_2_G_aarch64`` down to manylinux2014 for the board's glibc 2.G) and
``--only-binary :all:``. The project's own markers are evaluated here for aarch64 Linux before
pip sees them: pip would evaluate them for this machine's x86_64.

    python3 tools/check_board_resolution.py            # JetPack 4.6, 5 and 6 from ~/.pyenv
    python3 tools/check_board_resolution.py --board 3.6=/usr/bin/python3.6

``--only-binary`` alone would hide the failure a board meets: pip there takes sources too, and
takes the newest release it may, so where that release has no aarch64 wheel for the board's
Python it builds it (onnx 1.12 on Python 3.6 needs protoc). After the wheels-only resolution,
each package's newer releases on PyPI are checked against what the project and the resolved
wheels ask of it: one with a source that the board's Python may install fails the check.

Every board resolves against PyPI alone (this machine's pip configuration, local mirrors
included, is ignored): that is what a board sees. Needs Python >= 3.11 (tomllib) and the
network; wheels land in pip's cache, so a second run downloads little (about 45 s in all).
"""

import argparse
import concurrent.futures
import email.parser
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
import zipfile

try:
    from packaging import tags as wheel_tags
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name, parse_wheel_filename
    from packaging.version import InvalidVersion, Version
except ImportError:  # a bare interpreter: pip carries its own copy
    from pip._vendor.packaging import tags as wheel_tags
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.specifiers import SpecifierSet
    from pip._vendor.packaging.utils import canonicalize_name, parse_wheel_filename
    from pip._vendor.packaging.version import InvalidVersion, Version

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYPI = "https://pypi.org/simple"
EXTRAS = ("jetson",)


class Board(object):
    """One JetPack release as pip sees it: its Python and the glibc of its Ubuntu."""

    def __init__(self, name, python_version, glibc_minor, pyenv_version):
        self.name, self.python_version = name, python_version
        self.glibc_minor, self.pyenv_version = glibc_minor, pyenv_version

    def platforms(self):
        """Tags pip on the board accepts, newest first: a wheel for an older glibc runs on a
        newer one. pip's --platform does not widen manylinux_2_G by itself."""
        tags = ["manylinux_2_{}_aarch64".format(minor)
                for minor in range(self.glibc_minor, 16, -1)]
        return tags + ["manylinux2014_aarch64"]

    def tags(self):
        """The wheel tags the board's CPython takes."""
        version = tuple(int(part) for part in self.python_version.split("."))
        interpreter = "cp" + "".join(str(part) for part in version)
        return set(wheel_tags.cpython_tags(version, platforms=self.platforms())) | set(
            wheel_tags.compatible_tags(version, interpreter, self.platforms()))

    def environment(self):
        """PEP 508 marker variables of the board's CPython."""
        return {
            "python_version": self.python_version,
            "python_full_version": self.python_version + ".0",
            "platform_machine": "aarch64",
            "platform_system": "Linux",
            "sys_platform": "linux",
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
        }


# Ubuntu 18.04 (glibc 2.27), 20.04 (2.31) and 22.04 (2.35) under JetPack 4.6, 5 and 6.
BOARDS = (
    Board("JetPack 4.6", "3.6", 27, "3.6.15"),
    Board("JetPack 5", "3.8", 31, "3.8.18"),
    Board("JetPack 6", "3.10", 35, "3.10.13"),
)

# Facts of JetPack's own software that the resolution must respect, per Python version.
# TensorRT 8.2 and 8.5 (JetPack 4.6 and 5) call np.bool, which NumPy 1.24 removed; JetPack's
# OpenCV is built against NumPy 1.x. A pip OpenCV would shadow JetPack's GStreamer build.
NUMPY_BELOW = {"3.6": "1.24", "3.8": "1.24", "3.10": "2"}
FORBIDDEN = re.compile(r"^opencv[-_]", re.IGNORECASE)


def board_requirements(pyproject, board, extras=EXTRAS):
    """What a board's pip is asked for, markers evaluated for ``board``: the build backend
    (``pip install .`` builds a wheel first), the dependencies and ``extras``."""
    project = pyproject["project"]
    wanted = list(pyproject["build-system"]["requires"]) + list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    requirements = []
    for text in wanted:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(board.environment()):
            requirement.marker = None
            requirements.append(str(requirement))
    return requirements


def _pip_environment():
    """This process's environment without pip's configuration: a board has none of it."""
    keep = ("PIP_CERT", "PIP_CLIENT_CERT", "PIP_PROXY", "PIP_DEFAULT_TIMEOUT")
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("PIP_") or key in keep}
    environ["PIP_CONFIG_FILE"] = os.devnull
    environ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return environ


def board_pip(python, workdir):
    """A venv of ``python`` with the newest pip for it (21.3.1 on 3.6): the pip README's board
    recipe upgrades to first."""
    venv = os.path.join(workdir, "venv")
    subprocess.run([python, "-m", "venv", venv], check=True)
    venv_python = os.path.join(venv, "bin", "python")
    subprocess.run([venv_python, "-m", "pip", "install", "-q", "--index-url", PYPI,
                    "--upgrade", "pip"], check=True, env=_pip_environment())
    return venv_python


def download_command(python, board, requirements_file, dest):
    command = [python, "-m", "pip", "download", "--quiet", "--index-url", PYPI,
               "--only-binary", ":all:", "--python-version", board.python_version,
               "--implementation", "cp", "--dest", dest, "-r", requirements_file]
    for tag in board.platforms():
        command += ["--platform", tag]
    return command


_WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-(?P<tags>[^-]+-[^-]+-[^-]+)"
                    r"\.whl$")


def resolved(dest):
    """{name: (version, file)} of what pip fetched into ``dest``; files that are no wheel
    (an sdist slipping through) are returned under their own name with version None."""
    found = {}
    for filename in sorted(os.listdir(dest)):
        match = _WHEEL.match(filename)
        if match:
            name = match.group("name").lower().replace("_", "-")
            found[name] = (match.group("version"), filename)
        else:
            found[filename] = (None, filename)
    return found


def problems(board, packages):
    """Sentences for what is wrong with a resolution that pip accepted."""
    found = []
    for name, (version, filename) in sorted(packages.items()):
        if version is None:
            found.append("{} is not a wheel".format(filename))
        elif FORBIDDEN.match(name):
            found.append("{} {} would shadow JetPack's OpenCV".format(name, version))
    numpy = packages.get("numpy")
    limit = NUMPY_BELOW.get(board.python_version)
    if numpy is None:
        found.append("numpy was not resolved")
    elif limit and numpy[0] is not None and Version(numpy[0]) >= Version(limit):
        found.append("numpy {} on {} (JetPack's software needs numpy < {})".format(
            numpy[0], board.name, limit))
    return found


def _wheel_requirements(path, board):
    """The Requires-Dist of a wheel that apply on ``board`` (extras not asked for left out)."""
    with zipfile.ZipFile(path) as wheel:
        name = next(entry for entry in wheel.namelist()
                    if entry.endswith(".dist-info/METADATA") and entry.count("/") == 1)
        metadata = email.parser.Parser().parsestr(wheel.read(name).decode("utf-8"))
    environment = dict(board.environment(), extra="")
    requirements = []
    for text in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            requirements.append(requirement)
    return requirements


def specifiers_by_name(requirements, dest, packages, board):
    """{name: SpecifierSet} of everything asked of each package: the project's requirements
    and those of the resolved wheels."""
    asked = [Requirement(text) for text in requirements]
    for _version, filename in packages.values():
        if filename.endswith(".whl"):
            asked += _wheel_requirements(os.path.join(dest, filename), board)
    combined = {}
    for requirement in asked:
        name = canonicalize_name(requirement.name)
        combined[name] = combined.get(name, SpecifierSet()) & requirement.specifier
    return combined


@functools.lru_cache(maxsize=None)
def pypi_files(name):
    """PyPI's files of ``name`` (its JSON simple API, PEP 691)."""
    request = urllib.request.Request("{}/{}/".format(PYPI, name),
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return tuple(json.loads(response.read().decode("utf-8"))["files"])


def _admits(requires_python, python):
    # pip takes a file whose Requires-Python does not parse as one for every Python.
    try:
        return python in SpecifierSet(requires_python or "")
    except ValueError:
        return True


_SDIST = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)\.(tar\.gz|zip|tar\.bz2)$")


def _release(entry, board_tags):
    """(version, "wheel" or "source") of one PyPI file usable on the board, else None."""
    filename = entry["filename"]
    try:
        if filename.endswith(".whl"):
            _name, version, _build, tags = parse_wheel_filename(filename)
            return (version, "wheel") if tags & board_tags else None
        match = _SDIST.match(filename)
        return (Version(match.group("version")), "source") if match else None
    except (InvalidVersion, ValueError):
        return None


def source_picks(board, packages, specifiers, files_of=pypi_files):
    """Sentences for packages where a board's pip, which takes sources, would pick a newer
    release than the wheels-only resolution did: one that has a source but no wheel there."""
    found = []
    python = Version(board.python_version + ".0")
    board_tags = board.tags()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:  # one request a package
        listings = dict(zip(packages, pool.map(files_of, packages)))
    for name, (version, _filename) in sorted(packages.items()):
        if version is None:
            continue
        kinds = {}
        for entry in listings[name]:
            release = _release(entry, board_tags)
            if (release is None or entry.get("yanked")
                    or not _admits(entry.get("requires-python"), python)):
                continue
            kinds.setdefault(release[0], set()).add(release[1])
        source_only = [candidate for candidate, have in kinds.items()
                       if have == {"source"} and not candidate.is_prerelease
                       and candidate > Version(version)
                       and candidate in specifiers.get(name, SpecifierSet())]
        if source_only:
            found.append("{}: PyPI has sources newer than {} (up to {}) that Python {} may "
                         "take, without a wheel for {}: a board's pip would try to build one; "
                         "cap {} for this Python".format(
                             name, version, max(source_only), board.python_version,
                             board.name, name))
    return found


def check_board(board, python, pyproject, workdir):
    """(ok, lines to print) for one board."""
    requirements = board_requirements(pyproject, board)
    requirements_file = os.path.join(workdir, "requirements.txt")
    with open(requirements_file, "w") as handle:
        handle.write("\n".join(requirements) + "\n")
    dest = os.path.join(workdir, "wheels")
    os.makedirs(dest)
    pip_python = board_pip(python, workdir)
    completed = subprocess.run(download_command(pip_python, board, requirements_file, dest),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, env=_pip_environment())
    lines = ["asked: " + ", ".join(requirements)]
    if completed.returncode != 0:
        errors = [line for line in completed.stdout.splitlines() if line.startswith("ERROR")]
        return False, lines + (errors or completed.stdout.splitlines()[-5:])
    packages = resolved(dest)
    lines += ["  {:<24} {:<12} {}".format(name, version or "-", filename)
              for name, (version, filename) in sorted(packages.items())]
    wrong = problems(board, packages) + source_picks(
        board, packages, specifiers_by_name(requirements, dest, packages, board))
    return not wrong, lines + ["ERROR: " + sentence for sentence in wrong]


def _parse_boards(values):
    """--board 3.6=/path/python: that interpreter for the board of that Python version."""
    chosen = []
    by_version = {board.python_version: board for board in BOARDS}
    for value in values:
        version, _, python = value.partition("=")
        if version not in by_version or not python:
            raise SystemExit("--board takes VERSION=PYTHON with VERSION one of {}".format(
                ", ".join(sorted(by_version))))
        chosen.append((by_version[version], python))
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--board", action="append", default=[], metavar="VERSION=PYTHON",
                        help="check only this board, with this interpreter (repeatable)")
    parser.add_argument("--pyproject", default=os.path.join(ROOT, "pyproject.toml"),
                        help="the project metadata to resolve (default: this checkout's)")
    args = parser.parse_args(argv)
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    chosen = _parse_boards(args.board) or [
        (board, os.path.join(pyenv, "versions", board.pyenv_version, "bin", "python"))
        for board in BOARDS]
    try:
        with open(args.pyproject, "rb") as handle:
            pyproject = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        parser.error("cannot read --pyproject {}: {}".format(
            args.pyproject, getattr(exc, "strerror", None) or exc))
    failed = []
    for board, python in chosen:
        started = time.monotonic()
        if not os.access(python, os.X_OK):
            print("FAIL {}: no Python {} at {}".format(board.name, board.python_version,
                                                       python))
            failed.append(board.name)
            continue
        with tempfile.TemporaryDirectory(prefix="board-resolution-") as workdir:
            ok, lines = check_board(board, python, pyproject, workdir)
        print("{} {} (Python {}, aarch64, glibc 2.{}, wheels only) in {:.0f} s".format(
            "OK  " if ok else "FAIL", board.name, board.python_version, board.glibc_minor,
            time.monotonic() - started))
        for line in lines:
            print("    " + line)
        if not ok:
            failed.append(board.name)
    if failed:
        print("board resolution failed for: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
