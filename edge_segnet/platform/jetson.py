"""Reading a Jetson board's facts from the files and tools L4T provides.

Every function takes ``root`` (the file-system root, "/" on a board) so tests can hand it a
folder laid out like a board's.
"""

import glob
import os
import re
import subprocess

# L4T release -> JetPack release (NVIDIA's JetPack archive); the nearest lower entry wins.
_L4T_TO_JETPACK = (
    ((32, 5, 0), "4.5"), ((32, 5, 1), "4.5.1"), ((32, 6, 1), "4.6"), ((32, 7, 1), "4.6.1"),
    ((32, 7, 2), "4.6.2"), ((32, 7, 3), "4.6.3"), ((32, 7, 4), "4.6.4"), ((32, 7, 5), "4.6.5"),
    ((32, 7, 6), "4.6.6"), ((35, 1, 0), "5.0.2"), ((35, 2, 1), "5.1"), ((35, 3, 1), "5.1.1"),
    ((35, 4, 1), "5.1.2"), ((35, 5, 0), "5.1.3"), ((35, 6, 0), "5.1.4"), ((36, 3, 0), "6.0"),
    ((36, 4, 0), "6.1"), ((36, 4, 3), "6.2"), ((38, 2, 0), "7.0"),
)

_GPU_DEVFREQ = re.compile(r"(gpu|gm20b|gp10b|gv11b|ga10b|gb10b)", re.IGNORECASE)
_TEGRA_RELEASE = re.compile(r"#\s*R(\d+)\s*\(release\),\s*REVISION:\s*(\d+)(?:\.(\d+))?")


def _read(root, path):
    try:
        with open(os.path.join(root, path.lstrip("/")), "rb") as handle:
            return handle.read().decode("utf-8", "replace").strip("\x00\n ")
    except OSError:
        return None


def board_model(root="/"):
    """'NVIDIA Jetson TX1' and the like, or None when this is no Jetson."""
    model = _read(root, "/proc/device-tree/model")
    if model and ("jetson" in model.lower() or "nvidia" in model.lower()):
        return model
    return None


def l4t_release(root="/"):
    """L4T release as a tuple (32, 6, 1), or None."""
    text = _read(root, "/etc/nv_tegra_release")
    if not text:
        return None
    match = _TEGRA_RELEASE.search(text)
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def jetpack_for(l4t):
    """JetPack release name for an L4T release tuple, or None when older than we know."""
    best = None
    for release, name in _L4T_TO_JETPACK:
        if release <= tuple(l4t):
            best = name
    return best


def gpu_devfreq(root="/"):
    """{'cur', 'min', 'max'} GPU clock in Hz from devfreq, or None."""
    for folder in sorted(glob.glob(os.path.join(root, "sys/class/devfreq/*"))):
        if not _GPU_DEVFREQ.search(os.path.basename(folder)):
            continue
        values = {}
        for key in ("cur", "min", "max"):
            text = _read(folder, key + "_freq")
            if text is None or not text.isdigit():
                break
            values[key] = int(text)
        else:
            return values
    return None


def run_quiet(command, timeout=5.0):
    """(exit code, output) of a command, or (None, reason) when it cannot run."""
    try:
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, str(exc)
    return completed.returncode, completed.stdout.decode("utf-8", "replace")


def nvpmodel_mode(run=run_quiet):
    """The power mode name nvpmodel reports ('MAXN', '5W', ...), or None."""
    code, output = run(["nvpmodel", "-q"])
    if code != 0:
        return None
    match = re.search(r"NV Power Mode:\s*(\S+)", output)
    return match.group(1) if match else None


def video_devices(root="/"):
    return sorted(glob.glob(os.path.join(root, "dev/video*")),
                  key=lambda path: (len(path), path))
