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
#
# The real-builder stage (issue 23), instead of the releases above:
#   tools/check_plugin_builds.sh --rtx /tmp/trt-v11.1
# builds the plugin against those headers (TensorRT v11.1's public include/) linked to TensorRT
# for RTX's libtensorrt_rtx.so.1, with tools/plugin_call_trace.cpp and -finstrument-functions;
# then NVIDIA's real ONNX parser and builder (TensorRT for RTX, ahead of time, no GPU needed)
# parse and build every plugin form of the shipped and zoo models through both loading routes
# (ctypes of libedge_segnet_plugins.so; load_library of libedge_segnet_plugins_dynamic.so),
# printing per form the plugin layer's types and the plugin methods called. With
# EDGE_SEGNET_LEAN_PYTHON (a Python with tensorrt-lean-cu12-libs/-bindings 11.x) it also builds
# against libnvinfer_lean.so.11 and checks the creator in TensorRT 11's real registry.
#   PYTHON                  the Python with tensorrt-rtx-cu12-libs/-bindings (default python3)
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

# --- TensorRT for RTX: the plugin in a real parser and builder --------------------------------
# The header check is CMake's: v11.1's headers stand for an nvinfer1 library that is not 11.1
# (RTX 1.7; lean 11.x), so the library's version is declared as the headers' own.
build_traced() {  # build_traced HEADERS LIBRARY FOLDER
    local headers="$1" library="$2" build="$3"
    mkdir -p "$build"
    g++ -std=c++14 -O1 -fPIC -Wall -Wextra -Werror -c "$here/tools/plugin_call_trace.cpp" \
        -o "$build/plugin_call_trace.o" || return 1
    (cd "$build" && cmake "$here/plugins" -DTENSORRT_INCLUDE_DIR="$headers/include" \
        -DTENSORRT_NVINFER_LIBRARY="$library" -DEDGE_SEGNET_TENSORRT_LIBRARY_VERSION=11.1 \
        -DEDGE_SEGNET_CUDA_ARCHS="$arch" \
        "-DCMAKE_CXX_FLAGS=-finstrument-functions -finstrument-functions-exclude-file-list=/usr/include,$headers" \
        "-DCMAKE_SHARED_LINKER_FLAGS=$build/plugin_call_trace.o -Wl,-Bsymbolic-functions" \
        >configure.log 2>&1 \
        && cmake --build . --target edge_segnet_plugins edge_segnet_plugins_dynamic -- -j"$jobs" \
        >build.log 2>&1) || { echo "FAIL building against $library: see $build/*.log"; return 1; }
    echo "built $build/libedge_segnet_plugins.so and _dynamic.so: NEEDED" \
        "$( (readelf -d "$build/libedge_segnet_plugins.so" || true) | sed -n 's/.*NEEDED.*\[\(lib\(tensorrt_rtx\|nvinfer[a-z_]*\)\.so\.[0-9]*\)\].*/\1/p')"
}

rtx_stage() {
    local headers python work libs started=$SECONDS
    headers="$(cd "$1" && pwd)" || return 1
    [ -f "$headers/include/NvInfer.h" ] || { echo "FAIL $1: no include/NvInfer.h there"; return 1; }
    python="${PYTHON:-python3}"
    libs="$("$python" -c 'import os, tensorrt_rtx_libs; print(os.path.dirname(tensorrt_rtx_libs.__file__))')" \
        || { echo "FAIL: $python has no tensorrt_rtx_libs (pip install tensorrt-rtx-cu12-libs tensorrt-rtx-cu12-bindings)"; return 1; }
    if [ ! -e "$libs/libtensorrt_rtx.so" ]; then
        echo "FAIL: $libs/libtensorrt_rtx.so is missing (the parser aborts creating a plugin without it): run \`ln -s libtensorrt_rtx.so.1 $libs/libtensorrt_rtx.so\`"
        return 1
    fi
    work="$(mktemp -d "${TMPDIR:-/tmp}/edge-segnet-rtx.XXXXXX")"
    echo "=== TensorRT for RTX stage in $work (headers $headers)"
    build_traced "$headers" "$libs/libtensorrt_rtx.so.1" "$work/rtx" || return 1
    "$python" "$here/tools/rtx_plugin_stage.py" forms "$work/forms" >"$work/forms.log" 2>&1 \
        || { echo "FAIL writing the forms: $work/forms.log"; return 1; }
    local failed=0
    "$python" "$here/tools/rtx_plugin_stage.py" rtx ctypes "$work/rtx/libedge_segnet_plugins.so" \
        "$work/forms" || failed=1
    "$python" "$here/tools/rtx_plugin_stage.py" rtx load_library \
        "$work/rtx/libedge_segnet_plugins_dynamic.so" "$work/forms" || failed=1
    if [ -n "${EDGE_SEGNET_LEAN_PYTHON:-}" ]; then
        local lean
        lean="$("$EDGE_SEGNET_LEAN_PYTHON" -c 'import glob, os, tensorrt_lean_libs; print(glob.glob(os.path.join(os.path.dirname(tensorrt_lean_libs.__file__), "libnvinfer_lean.so.*"))[0])')" \
            || { echo "FAIL: $EDGE_SEGNET_LEAN_PYTHON has no tensorrt_lean_libs"; return 1; }
        build_traced "$headers" "$lean" "$work/lean" || return 1
        "$EDGE_SEGNET_LEAN_PYTHON" "$here/tools/rtx_plugin_stage.py" registry ctypes \
            "$work/lean/libedge_segnet_plugins.so" || failed=1
        "$EDGE_SEGNET_LEAN_PYTHON" "$here/tools/rtx_plugin_stage.py" registry load_library \
            "$work/lean/libedge_segnet_plugins_dynamic.so" || failed=1
    fi
    echo "=== TensorRT for RTX stage: $([ "$failed" = 0 ] && echo OK || echo FAILED) in $((SECONDS - started)) s"
    [ "$failed" = 0 ] && [ -z "${EDGE_SEGNET_KEEP:-}" ] && rm -rf "$work"
    return "$failed"
}

if [ "${1:-}" = "--rtx" ]; then
    [ $# -eq 2 ] || { echo "usage: $0 --rtx HEADERS (a folder holding TensorRT v11.1's include/)"; exit 2; }
    rtx_stage "$2"
    exit $?
fi

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
