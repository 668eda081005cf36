#!/usr/bin/env bash
# Builds the plugin libraries with warnings as errors against each TensorRT given (folders holding
# include/NvInfer.h; no libnvinfer needed) and runs the plugin harness on them; one line per
# release, exit status 1 when anything failed.
#   tools/check_plugin_builds.sh /tmp/trt-8.2.1 /tmp/trt-v10.3.0 ...
#
# Per release: plugins/harness builds a stand-in libnvinfer.so.<major> for those headers (our own
# source, not TensorRT) and the harness program; the plugin is configured with a TENSORRT_ROOT of
# those headers plus the stand-in, so it links it and must record NEEDED libnvinfer.so.<major>;
# the harness then loads and exercises it as that release's TensorRT, ONNX parser and Python do.
# Each release is built twice: default registration, and -DEDGE_SEGNET_REGISTER_V2 (the V2
# classes registered on 10+).
#   EDGE_SEGNET_CUDA_ARCHS  what nvcc builds (default 75: compiling is the point, not running)
#   EDGE_SEGNET_JOBS        parallel jobs (default 2)
#   EDGE_SEGNET_KEEP=1      keep every build folder (failed ones are always kept)
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/cuda/bin"
arch="${EDGE_SEGNET_CUDA_ARCHS:-75}"
jobs="${EDGE_SEGNET_JOBS:-2}"
status=0

needed_libnvinfer() {
    if command -v readelf >/dev/null 2>&1; then
        readelf -d "$1"
    else
        objdump -p "$1"
    fi | sed -n 's/.*\(libnvinfer\.so\.[0-9]*\).*/\1/p' | head -n 1
}

for given in "$@"; do
    if [ ! -f "$given/include/NvInfer.h" ]; then
        echo "FAIL $given: no include/NvInfer.h there"
        status=1
        continue
    fi
    root_dir="$(cd "$given" && pwd)"
    work="$(mktemp -d "${TMPDIR:-/tmp}/edge-segnet-check.XXXXXX")"
    if ! (mkdir -p "$work/harness" && cd "$work/harness" \
            && cmake "$here/plugins/harness" -DTENSORRT_INCLUDE_DIR="$root_dir/include" >configure.log 2>&1 \
            && cmake --build . -- -j"$jobs" >build.log 2>&1); then
        echo "FAIL $given: the harness does not build, see $work/harness/*.log"
        status=1
        continue
    fi
    standin="$(ls "$work"/harness/lib/libnvinfer.so.*.*.* 2>/dev/null | head -n 1)"
    version="${standin##*/libnvinfer.so.}"
    major="${version%%.*}"
    minor="${version#*.}"
    minor="${minor%%.*}"
    mkdir -p "$work/root"
    ln -s "$root_dir/include" "$work/root/include"
    ln -s "$work/harness/lib" "$work/root/lib"
    targets="edge_segnet_plugins"
    if [ "$major" -gt 8 ] || { [ "$major" -eq 8 ] && [ "$minor" -ge 6 ]; }; then
        targets="$targets edge_segnet_plugins_dynamic"
    fi

    results=""
    failed=0
    details=""
    for extra in "" "-DEDGE_SEGNET_REGISTER_V2"; do
        label="${extra:+REGISTER_V2}"
        label="${label:-default}"
        build="$work/build-$label"
        mkdir -p "$build"
        if ! (cd "$build" && cmake "$here/plugins" -DTENSORRT_ROOT="$work/root" -DEDGE_SEGNET_WERROR=ON \
                -DEDGE_SEGNET_CUDA_ARCHS="$arch" -DCMAKE_CXX_FLAGS="$extra" >configure.log 2>&1); then
            results="$results $label: configure FAILED ($build/configure.log);"
            failed=1
            continue
        fi
        built=1
        for target in $targets; do
            if ! (cd "$build" && cmake --build . --target "$target" -- -j"$jobs" >>build.log 2>&1); then
                built=0
            fi
        done
        if [ "$built" = 0 ]; then
            results="$results $label: build FAILED ($build/build.log);"
            failed=1
            continue
        fi
        needed="$(needed_libnvinfer "$build/libedge_segnet_plugins.so")"
        if [ "$needed" != "libnvinfer.so.$major" ]; then
            results="$results $label: NEEDED libnvinfer.so.$major missing (got '${needed:-nothing}');"
            failed=1
        fi
        dynamic=""
        if [ -f "$build/libedge_segnet_plugins_dynamic.so" ]; then
            dynamic="$build/libedge_segnet_plugins_dynamic.so"
        fi
        "$work/harness/plugin_harness" "$standin" "$build/libedge_segnet_plugins.so" $dynamic >"$build/harness.log" 2>&1
        harness_status=$?
        summary="$(tail -n 1 "$build/harness.log")"
        if [ "$harness_status" -ne 0 ]; then
            failed=1
            details="$details$(grep -E '^  FAIL|lacks|cannot' "$build/harness.log" | head -n 8 | sed "s/^ */    $label: /")
"
            results="$results $label: harness ${summary:-crashed} ($build/harness.log);"
        else
            results="$results $label: harness $summary;"
        fi
    done
    libraries="$(cd "$work/build-default" 2>/dev/null && ls libedge_segnet_plugins*.so 2>/dev/null | tr '\n' ' ')"
    if [ "$failed" = 0 ]; then
        echo "OK   TensorRT $version ($given):${results} NEEDED libnvinfer.so.$major; ${libraries% }"
        if [ -z "${EDGE_SEGNET_KEEP:-}" ]; then
            rm -rf "$work"
        fi
    else
        echo "FAIL TensorRT ${version:-?} ($given):${results}"
        printf '%s' "$details"
        status=1
    fi
done
exit $status
