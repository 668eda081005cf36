#!/usr/bin/env bash
# Builds the plugin with warnings as errors against each TensorRT given (folders holding
# include/NvInfer.h; no libnvinfer needed) and reports one line per release.
#   tools/check_plugin_builds.sh /opt/trt-8.2.1 /opt/trt-10.3.0 ...
# Each build also runs with -DEDGE_SEGNET_REGISTER_V2 (the V2 classes registered on 10+).
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
arch="${EDGE_SEGNET_CUDA_ARCHS:-75}"
status=0
for root in "$@"; do
    for extra in "" "-DEDGE_SEGNET_REGISTER_V2"; do
        build="$(mktemp -d)"
        if (cd "$build" && cmake "$here/plugins" -DTENSORRT_ROOT="$root" -DEDGE_SEGNET_WERROR=ON \
                -DEDGE_SEGNET_CUDA_ARCHS="$arch" -DCMAKE_CXX_FLAGS="$extra" >"$build/configure.log" 2>&1 \
                && cmake --build . -- -j2 >"$build/build.log" 2>&1); then
            echo "OK   $root ${extra:-(default registration)}: $(cd "$build" && ls lib*.so | tr '\n' ' ')"
        else
            echo "FAIL $root ${extra:-(default registration)}: see $build/*.log"
            status=1
            continue
        fi
        rm -rf "$build"
    done
done
exit $status
