#!/usr/bin/env bash
# Builds libedge_segnet_plugins.so and puts it where edge-segnet looks for it: plugins/build/
# and, when python3 can import edge_segnet, the installed package's lib/ folder.
#   ./plugins/build.sh                          # the board's or GPU's architecture, TensorRT found
#   ./plugins/build.sh -DEDGE_SEGNET_CUDA_ARCHS=53 -DTENSORRT_ROOT=/opt/TensorRT
# (cd into build/ and "cmake .." because JetPack 4.6's CMake 3.10 has no -S/-B.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="/usr/local/cuda/bin:$PATH"
mkdir -p "$here/build"
cd "$here/build"
cmake .. -DCMAKE_BUILD_TYPE=Release -DEDGE_SEGNET_REQUIRE_TENSORRT=ON "$@"
cmake --build . -- -j"$(nproc)"
library="$here/build/libedge_segnet_plugins.so"
echo "built $library"
package="$(cd / && python3 -c 'import edge_segnet, os; print(os.path.dirname(edge_segnet.__file__))' 2>/dev/null || true)"
if [ -n "$package" ] && mkdir -p "$package/lib" 2>/dev/null && cp "$library" "$package/lib/"; then
    echo "installed $package/lib/libedge_segnet_plugins.so"
else
    echo "edge-segnet finds it in plugins/build/; elsewhere set EDGE_SEGNET_PLUGIN=$library"
fi
