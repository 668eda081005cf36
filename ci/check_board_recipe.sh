#!/usr/bin/env bash
# README's board install ("### On a Jetson board"), line for line, on Python 3.6 from a first
# pip as old as a board's: 9.0.1 (JetPack 4.6's) or 18.1 (what its venv module brings).
#
#     ci/check_board_recipe.sh 9.0.1 [PYTHON3.6]
#
# The board is simulated: `python3` is this machine's CPython 3.6; JetPack's system OpenCV is a
# cv2 outside the venv without pip metadata, as apt installs it (here the cp36 x86_64 wheel of
# OpenCV 4.6 unpacked on PYTHONPATH, as --system-site-packages would show it); pip sees only
# PyPI, as a board does. The wheels are x86_64 ones: which aarch64 wheels a board gets is
# tools/check_board_resolution.py's part. Fails if a step fails, if pip installs an OpenCV, or
# if the venv's cv2 is not the system one.
set -euo pipefail
cd "$(dirname "$0")/.."

first_pip="${1:?usage: $0 FIRST_PIP_VERSION [PYTHON3.6]}"
python36="${2:-${PYENV_ROOT:-$HOME/.pyenv}/versions/3.6.15/bin/python}"
tool_python="${TOOL_PYTHON:-python3}"  # any pip that can fetch the OpenCV wheel

work="$(mktemp -d /tmp/edge-segnet-board-recipe.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/home" "$work/system-site" "$work/wheel"
ln -s "$python36" "$work/bin/python3"

# The stand-in for JetPack's python3-opencv: cv2 and its libraries, no .dist-info.
"$tool_python" -m pip download -q --no-deps --only-binary :all: --python-version 3.6 \
    --platform manylinux2014_x86_64 -d "$work/wheel" "opencv-python-headless==4.6.0.66"
"$tool_python" - "$work/wheel" "$work/system-site" <<'EOF'
import glob, sys, zipfile
with zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]) as wheel:
    wheel.extractall(sys.argv[2], [name for name in wheel.namelist()
                                   if ".dist-info/" not in name])
EOF

# README's lines, apt left out (CPython here has venv); right after the venv is made, its pip
# is set to the board's first pip.
recipe="$(awk '/^### On a Jetson board/ {section = 1} section && /^```bash/ {block = 1; next}
               block && /^```/ {exit} block {print}' README.md)"
[ -n "$recipe" ] || { echo "CI: no board recipe found in README.md" >&2; exit 1; }
{
    echo 'set -euxo pipefail'
    while IFS= read -r line; do
        case "$line" in
            sudo\ apt*) echo "# skipped here: $line" ;;
            *"-m venv"*) echo "$line"
                         echo "python3 -m pip --version"
                         echo "~/edge-segnet-venv/bin/python -m pip install -q 'pip==$first_pip'"
                         echo "~/edge-segnet-venv/bin/python -m pip --version" ;;
            *) echo "$line" ;;
        esac
    done <<<"$recipe"
} >"$work/recipe.sh"
echo "=== the recipe as run (first pip $first_pip):"
grep -v '^set ' "$work/recipe.sh"

# A board's pip has no configuration of this machine (local mirrors, constraints).
for name in $(env | sed -n 's/^\(PIP_[A-Z_]*\)=.*/\1/p'); do
    case "$name" in PIP_CERT|PIP_DEFAULT_TIMEOUT) ;; *) unset "$name" ;; esac
done
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1
# pip 9's default index, pypi.python.org, redirects to pypi.org; a sandbox may resolve only
# the latter, so every pip is given it directly.
export PIP_INDEX_URL=https://pypi.org/simple
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$HOME/.cache}"  # pip's cache survives the HOME below
export HOME="$work/home" PATH="$work/bin:$PATH" PYTHONPATH="$work/system-site"
unset VIRTUAL_ENV PYTHONHOME

echo "=== running it"
started=$SECONDS
bash "$work/recipe.sh"
echo "=== recipe done in $((SECONDS - started)) s; checks:"
venv="$HOME/edge-segnet-venv"
"$venv/bin/python" -m pip --version
"$venv/bin/python" -m pip list 2>/dev/null |
    grep -iE "^(pip|numpy|onnx|onnxruntime|typer|edge-segnet) "
if "$venv/bin/python" -m pip list 2>/dev/null | grep -i opencv; then
    echo "CI: the board recipe installed a pip OpenCV" >&2
    exit 1
fi
cv2_file="$("$venv/bin/python" -c 'import cv2; print(cv2.__file__)')"
case "$cv2_file" in
    "$work/system-site/"*) echo "cv2 from the system: $cv2_file" ;;
    *) echo "CI: the venv's cv2 is $cv2_file, not the system's" >&2; exit 1 ;;
esac
"$venv/bin/edge-segnet" --help >/dev/null
echo "edge-segnet --help: exit 0"
