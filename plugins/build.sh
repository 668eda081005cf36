#!/usr/bin/env bash
# Builds libedge_segnet_plugins.so and puts it where edge-segnet looks for it: plugins/build/
# and, when python3 can import edge_segnet, the installed package's lib/ folder.
#   ./plugins/build.sh                          # the board's or GPU's architecture, TensorRT found
#   ./plugins/build.sh -DEDGE_SEGNET_CUDA_ARCHS=53 -DTENSORRT_ROOT=/opt/TensorRT
# (cd into build/ and "cmake .." because JetPack 4.6's CMake 3.10 has no -S/-B.)
#
# The plugin links the libnvinfer that `python3 -c "import tensorrt"` loads (pip's or the
# system's), so that it loads into that Python; CMake refuses headers of another release.
# Python's TensorRT is the one that counts because edge-segnet loads the plugin from Python.
# Environment:
#   PYTHON                         the interpreter whose TensorRT counts (default python3)
#   EDGE_SEGNET_TENSORRT_FROM_PYTHON=0   do not ask Python (CMake's own search, e.g. for C++ use)
#   EDGE_SEGNET_BUILD_DIR          build folder (default plugins/build)
#   EDGE_SEGNET_JOBS               parallel jobs (default: all cores)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="/usr/local/cuda/bin:$PATH"
python="${PYTHON:-python3}"
build="${EDGE_SEGNET_BUILD_DIR:-$here/build}"

args=()
given_library=0
for arg in "$@"; do
    case "$arg" in
        -DTENSORRT_NVINFER_LIBRARY=*|-DTENSORRT_NVINFER_LIBRARY:*=*) given_library=1 ;;
    esac
done

# The version of the TensorRT Python imports and the libnvinfer file it mapped (Python 3.6+).
python_tensorrt='
import os, re, tensorrt
paths = []
with open("/proc/self/maps") as maps:
    for line in maps:
        path = line.split()[-1] if len(line.split()) >= 6 else ""
        if re.match(r"libnvinfer\.so(\.[0-9]+)*$", os.path.basename(path)) and path not in paths:
            paths.append(path)
print(tensorrt.__version__)
print(paths[0] if len(paths) == 1 else ";".join(paths))
'
python_version=""
python_library=""
if [ "${EDGE_SEGNET_TENSORRT_FROM_PYTHON:-1}" != 0 ] && [ "$given_library" = 0 ]; then
    if found="$("$python" -c "$python_tensorrt" 2>/dev/null)"; then
        python_version="$(printf '%s\n' "$found" | sed -n 1p)"
        python_library="$(printf '%s\n' "$found" | sed -n 2p)"
        case "$python_library" in
            "")
                echo "$python imports TensorRT $python_version but no libnvinfer.so is mapped: pass" \
                     "-DTENSORRT_NVINFER_LIBRARY=<the libnvinfer.so.N it uses>" >&2
                exit 1 ;;
            *";"*)
                echo "$python has several libnvinfer mapped ($python_library): pass" \
                     "-DTENSORRT_NVINFER_LIBRARY=<the one to link>" >&2
                exit 1 ;;
        esac
        echo "linking the TensorRT $python_version that $python imports: $python_library"
        args+=("-DTENSORRT_NVINFER_LIBRARY=$python_library" "-DEDGE_SEGNET_TENSORRT_LIBRARY_VERSION=$python_version")
    else
        echo "$python cannot import tensorrt: linking the TensorRT CMake finds (the library will" \
             "not be checked against a Python)"
    fi
fi

mkdir -p "$build"
cd "$build"
# A fresh configure every time: a cache left by an earlier run (another TENSORRT_ROOT, another
# Python's TensorRT, other architectures) would otherwise win over what this run finds.
rm -rf CMakeCache.txt CMakeFiles
cmake "$here" -DCMAKE_BUILD_TYPE=Release -DEDGE_SEGNET_REQUIRE_TENSORRT=ON "${args[@]+"${args[@]}"}" "$@"
cmake --build . -- -j"${EDGE_SEGNET_JOBS:-$(nproc)}"
library="$build/libedge_segnet_plugins.so"
echo "built $library"

if [ -n "$python_version" ]; then
    # The check that matters: the library loads into Python next to its TensorRT and registers.
    "$python" - "$library" <<'EOF'
import ctypes, sys
import tensorrt
ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_GLOBAL)
registry = tensorrt.get_plugin_registry()
find = getattr(registry, "get_creator", None) or registry.get_plugin_creator
if find("EdgeSegnetUnpool", "1", "") is None:
    sys.exit("{} loaded but TensorRT {} has no EdgeSegnetUnpool creator".format(sys.argv[1], tensorrt.__version__))
print("loads into {} with TensorRT {}".format(sys.executable, tensorrt.__version__))
EOF
fi

package="$(cd / && "$python" -c 'import edge_segnet, os; print(os.path.dirname(edge_segnet.__file__))' 2>/dev/null || true)"
if [ -n "$package" ] && mkdir -p "$package/lib" 2>/dev/null && cp "$library" "$package/lib/"; then
    echo "installed $package/lib/libedge_segnet_plugins.so"
elif [ "$build" = "$here/build" ]; then
    echo "edge-segnet finds it in plugins/build/; elsewhere set EDGE_SEGNET_PLUGIN=$library"
else
    echo "set EDGE_SEGNET_PLUGIN=$library for edge-segnet to find it"
fi
