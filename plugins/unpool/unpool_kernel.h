// Unpooling with recomputed switches: the kernel and its host reference. No TensorRT here.
//
// For each 2x2 window (stride 2) of `pooled` (N x C x H x W), the matching element of `values`
// (N x C x H/2 x W/2, floored) goes to the window's first maximum in row-major order; every
// other output element is zero, and so are the last row/column an odd H/W leaves out of the
// pooling. This is what MaxPool-with-indices followed by MaxUnpool computes in ONNX Runtime and
// PyTorch, without an index tensor ever being written.
//
// C++14 and CUDA 10.2 (JetPack 4.6, sm_53) as well as CUDA 13 (sm_75 and newer).
#ifndef EDGE_SEGNET_UNPOOL_KERNEL_H
#define EDGE_SEGNET_UNPOOL_KERNEL_H

#include <cstdint>
#include <cuda_runtime_api.h>

#ifdef __CUDACC__
#include <cuda_fp16.h>
#define EDGE_SEGNET_HD __host__ __device__ __forceinline__
#else
#define EDGE_SEGNET_HD inline
#endif

namespace edge_segnet
{

enum class UnpoolType : int32_t
{
    kFLOAT = 0,
    kHALF = 1,
    kINT8 = 2,
};

// Everything one launch needs; pointers are device pointers for the kernel, host pointers for
// the reference.
struct UnpoolParams
{
    void const* values;  // N x C x (H/2) x (W/2)
    void const* pooled;  // N x C x H x W: the tensor that was max-pooled
    void* output;        // N x C x H x W
    int64_t planes;      // N * C
    int32_t height;      // H
    int32_t width;       // W
    UnpoolType type;
    // INT8 only: output = round(values * valuesScale / outputScale), saturated. 1 when both
    // tensors share one scale, which lets the value bytes pass unchanged.
    float requantScale;
};

// Index 0..3 of the first maximum of the window [[a, b], [c, d]]: a later element wins only
// when strictly greater than all earlier ones, as a row-major scan with '>' does. Shared by the
// kernel and the host reference so that both decide ties the same way.
template <typename Compare>
EDGE_SEGNET_HD int32_t windowSwitch(Compare a, Compare b, Compare c, Compare d)
{
    int32_t best = 0;
    Compare top = a;
    if (b > top)
    {
        best = 1;
        top = b;
    }
    if (c > top)
    {
        best = 2;
        top = c;
    }
    if (d > top)
    {
        best = 3;
    }
    return best;
}

// Validates the parameters; cudaErrorInvalidValue for shapes or pointers that cannot be right.
cudaError_t checkUnpoolParams(UnpoolParams const& params);

// Enqueues the kernel on `stream`. Returns the launch's error, if any.
cudaError_t launchUnpool(UnpoolParams const& params, cudaStream_t stream);

// The same computation on the host, element by element: the kernel's test oracle.
cudaError_t unpoolHostReference(UnpoolParams const& params);

// The kernel's own per-item code run on the host over every item of the launch it would make
// (same access path for the same pointers): CPU-only tests check the kernel's indexing with it.
cudaError_t unpoolEmulateKernel(UnpoolParams const& params);

} // namespace edge_segnet

// A C ABI for tests and tools (ctypes, CuPy): no C++ types cross it.
extern "C"
{
    // type: 0 float, 1 half (raw 16-bit storage), 2 int8. Return a cudaError_t value.
    int32_t edge_segnet_unpool_launch(void const* values, void const* pooled, void* output,
        int64_t planes, int32_t height, int32_t width, int32_t type, float requant_scale,
        void* stream);
    int32_t edge_segnet_unpool_host(void const* values, void const* pooled, void* output,
        int64_t planes, int32_t height, int32_t width, int32_t type, float requant_scale);
    int32_t edge_segnet_unpool_emulate(void const* values, void const* pooled, void* output,
        int64_t planes, int32_t height, int32_t width, int32_t type, float requant_scale);
}

#endif // EDGE_SEGNET_UNPOOL_KERNEL_H
