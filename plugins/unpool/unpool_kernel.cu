// The unpooling kernel, its launcher and its host reference (see unpool_kernel.h).
//
// One thread takes one 2x2 window (or two side by side when every row starts 16-byte aligned),
// reads the window's four pooled elements and its value, and writes the four output elements:
// every output element is written exactly once, with no memset before. Loads and stores of a
// warp cover consecutive columns (coalesced), vectorised when the width allows. Rows and
// columns no window covers (an odd H or W leaves one over; W == 1 leaves every row) are written
// as zeros by the same threads' grid-stride loop.
#include "unpool_kernel.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace edge_segnet
{
namespace
{

// Storage of each element type: half travels as its 16 raw bits (zero is 0x0000), so that only
// comparisons need the conversion.
template <UnpoolType kType>
struct Storage;
template <>
struct Storage<UnpoolType::kFLOAT>
{
    using Type = float;
};
template <>
struct Storage<UnpoolType::kHALF>
{
    using Type = uint16_t;
};
template <>
struct Storage<UnpoolType::kINT8>
{
    using Type = int8_t;
};

// IEEE half bits to float, exactly, on host and device.
EDGE_SEGNET_HD float halfBitsToFloat(uint16_t bits)
{
#ifdef __CUDA_ARCH__
    return __half2float(__ushort_as_half(bits));
#else
    uint32_t const sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
    uint32_t exponent = (bits >> 10) & 0x1Fu;
    uint32_t mantissa = bits & 0x3FFu;
    uint32_t result;
    if (exponent == 0x1Fu)
    {
        result = sign | 0x7F800000u | (mantissa << 13);
    }
    else if (exponent != 0)
    {
        result = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    }
    else if (mantissa == 0)
    {
        result = sign;
    }
    else
    {
        // Subnormal: shift the mantissa up until its leading one becomes the implicit bit.
        exponent = 113u;
        while ((mantissa & 0x400u) == 0)
        {
            mantissa <<= 1;
            --exponent;
        }
        result = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
    }
    float value;
    std::memcpy(&value, &result, sizeof(value));
    return value;
#endif
}

EDGE_SEGNET_HD float comparable(float value)
{
    return value;
}
EDGE_SEGNET_HD float comparable(uint16_t halfBits)
{
    return halfBitsToFloat(halfBits);
}
EDGE_SEGNET_HD int32_t comparable(int8_t value)
{
    return value;
}

EDGE_SEGNET_HD float outputValue(float value, float)
{
    return value;
}
EDGE_SEGNET_HD uint16_t outputValue(uint16_t value, float)
{
    return value;
}
EDGE_SEGNET_HD int8_t outputValue(int8_t value, float requantScale)
{
    if (requantScale == 1.0F)
    {
        return value;
    }
#ifdef __CUDA_ARCH__
    int32_t const rounded = __float2int_rn(static_cast<float>(value) * requantScale);
#else
    int32_t const rounded = static_cast<int32_t>(std::nearbyint(static_cast<float>(value) * requantScale));
#endif
    return static_cast<int8_t>(rounded > 127 ? 127 : (rounded < -128 ? -128 : rounded));
}

template <typename T, int N>
struct alignas(sizeof(T) * N) Pack
{
    T v[N];
};

// How a thread reads its columns: one element at a time (odd width), pairs (even width) or
// two windows as one vector of four (width a multiple of four).
enum class Access : int32_t
{
    kScalar = 1,
    kPair = 2,
    kQuad = 4,
};

template <typename T, Access kAccess>
struct Columns
{
    static constexpr int32_t kCount = static_cast<int32_t>(kAccess) == 4 ? 4 : 2;
    T v[kCount];

    EDGE_SEGNET_HD void load(T const* row)
    {
        if (kAccess == Access::kScalar)
        {
            for (int32_t k = 0; k < kCount; ++k)
            {
                v[k] = row[k];
            }
        }
        else
        {
            Pack<T, kCount> const pack = *reinterpret_cast<Pack<T, kCount> const*>(row);
            for (int32_t k = 0; k < kCount; ++k)
            {
                v[k] = pack.v[k];
            }
        }
    }

    EDGE_SEGNET_HD void store(T* row) const
    {
        if (kAccess == Access::kScalar)
        {
            for (int32_t k = 0; k < kCount; ++k)
            {
                row[k] = v[k];
            }
        }
        else
        {
            Pack<T, kCount> pack;
            for (int32_t k = 0; k < kCount; ++k)
            {
                pack.v[k] = v[k];
            }
            *reinterpret_cast<Pack<T, kCount>*>(row) = pack;
        }
    }
};

// How the work of one launch is cut into items: first one item per group of windows, then the
// rows no window covers, in groups of columns. With W == 1 no window exists at all, so every
// row is such a row; otherwise only the last row of an odd H is.
template <Access kAccess, typename Index>
struct WorkLayout
{
    static constexpr int32_t kColumns = Columns<char, kAccess>::kCount;
    static constexpr int32_t kWindows = kColumns / 2;

    Index windowRows;
    Index groupsPerRow;
    Index windowItems;
    Index leftoverRows;
    Index tailGroups;
    Index items;

    EDGE_SEGNET_HD WorkLayout(Index planes, int32_t height, int32_t width)
    {
        windowRows = static_cast<Index>(height / 2);
        Index const windowCols = static_cast<Index>(width / 2);
        groupsPerRow = windowCols / kWindows;
        windowItems = planes * windowRows * groupsPerRow;
        leftoverRows = windowCols == 0 ? static_cast<Index>(height) : static_cast<Index>(height & 1);
        tailGroups = static_cast<Index>((width + kColumns - 1) / kColumns);
        items = windowItems + planes * leftoverRows * tailGroups;
    }
};

// One item of the kernel's work: the same code runs on the device (the kernel) and on the host
// (unpoolEmulateKernel, which lets CPU-only tests cover the kernel's indexing).
template <typename T, Access kAccess, typename Index>
EDGE_SEGNET_HD void unpoolItem(T const* __restrict__ values, T const* __restrict__ pooled, T* __restrict__ output,
    int32_t height, int32_t width, float requantScale, WorkLayout<kAccess, Index> const& layout, Index item)
{
    using Group = Columns<T, kAccess>;
    constexpr int32_t kColumns = Group::kCount;
    constexpr int32_t kWindows = kColumns / 2;
    T const zero = T(0);
    if (item < layout.windowItems)
    {
        Index const group = item % layout.groupsPerRow;
        Index const rest = item / layout.groupsPerRow;
        Index const windowRow = rest % layout.windowRows;
        Index const plane = rest / layout.windowRows;
        int64_t const top = (static_cast<int64_t>(plane) * height + 2 * static_cast<int64_t>(windowRow)) * width
            + static_cast<int64_t>(group) * kColumns;
        Group upper, lower;
        upper.load(pooled + top);
        lower.load(pooled + top + width);
        T const* valueRow = values + (static_cast<int64_t>(plane) * layout.windowRows + windowRow) * (width / 2)
            + static_cast<int64_t>(group) * kWindows;
        for (int32_t w = 0; w < kWindows; ++w)
        {
            int32_t const k = 2 * w;
            int32_t const chosen = windowSwitch(comparable(upper.v[k]), comparable(upper.v[k + 1]),
                comparable(lower.v[k]), comparable(lower.v[k + 1]));
            T const value = outputValue(valueRow[w], requantScale);
            upper.v[k] = chosen == 0 ? value : zero;
            upper.v[k + 1] = chosen == 1 ? value : zero;
            lower.v[k] = chosen == 2 ? value : zero;
            lower.v[k + 1] = chosen == 3 ? value : zero;
        }
        upper.store(output + top);
        lower.store(output + top + width);
        if ((width & 1) != 0 && group == layout.groupsPerRow - 1)
        {
            output[top + kColumns] = zero;
            output[top + kColumns + width] = zero;
        }
    }
    else
    {
        Index const tail = item - layout.windowItems;
        Index const group = tail % layout.tailGroups;
        Index const rest = tail / layout.tailGroups;
        Index const row = static_cast<Index>(height) - layout.leftoverRows + rest % layout.leftoverRows;
        Index const plane = rest / layout.leftoverRows;
        int64_t const start = (static_cast<int64_t>(plane) * height + static_cast<int64_t>(row)) * width;
        int32_t const first = static_cast<int32_t>(group) * kColumns;
        int32_t const last = first + kColumns < width ? first + kColumns : width;
        for (int32_t column = first; column < last; ++column)
        {
            output[start + column] = zero;
        }
    }
}

template <typename T, Access kAccess, typename Index>
__global__ void unpoolKernel(T const* __restrict__ values, T const* __restrict__ pooled,
    T* __restrict__ output, Index planes, int32_t height, int32_t width, float requantScale)
{
    WorkLayout<kAccess, Index> const layout(planes, height, width);
    Index const stride = static_cast<Index>(blockDim.x) * gridDim.x;
    for (Index item = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; item < layout.items;
         item += stride)
    {
        unpoolItem<T, kAccess, Index>(values, pooled, output, height, width, requantScale, layout, item);
    }
}

// Quads need every row and value row to start on a vector boundary: width % 4 == 0 and the base
// pointers aligned to the vector (TensorRT's allocations are 256-byte aligned).
template <typename T>
Access chooseAccess(UnpoolParams const& p)
{
    auto aligned = [](void const* pointer, size_t bytes) { return reinterpret_cast<uintptr_t>(pointer) % bytes == 0; };
    if (p.width % 4 == 0 && aligned(p.pooled, 4 * sizeof(T)) && aligned(p.output, 4 * sizeof(T))
        && aligned(p.values, 2 * sizeof(T)))
    {
        return Access::kQuad;
    }
    if (p.width % 2 == 0 && aligned(p.pooled, 2 * sizeof(T)) && aligned(p.output, 2 * sizeof(T)))
    {
        return Access::kPair;
    }
    return Access::kScalar;
}

template <UnpoolType kType, Access kAccess, typename Index>
cudaError_t launchTyped(UnpoolParams const& p, int32_t threads, int32_t maxBlocks, cudaStream_t stream)
{
    using T = typename Storage<kType>::Type;
    WorkLayout<kAccess, Index> const layout(static_cast<Index>(p.planes), p.height, p.width);
    if (layout.items == 0)
    {
        return cudaSuccess;
    }
    int32_t const blocks
        = static_cast<int32_t>(std::min<int64_t>((static_cast<int64_t>(layout.items) + threads - 1) / threads, maxBlocks));
    unpoolKernel<T, kAccess, Index><<<blocks, threads, 0, stream>>>(static_cast<T const*>(p.values),
        static_cast<T const*>(p.pooled), static_cast<T*>(p.output), static_cast<Index>(p.planes), p.height,
        p.width, p.requantScale);
    return cudaGetLastError();
}

template <UnpoolType kType, typename Index>
cudaError_t launchAccess(UnpoolParams const& p, int32_t threads, int32_t maxBlocks, cudaStream_t stream)
{
    switch (chooseAccess<typename Storage<kType>::Type>(p))
    {
    case Access::kQuad: return launchTyped<kType, Access::kQuad, Index>(p, threads, maxBlocks, stream);
    case Access::kPair: return launchTyped<kType, Access::kPair, Index>(p, threads, maxBlocks, stream);
    case Access::kScalar: break;
    }
    return launchTyped<kType, Access::kScalar, Index>(p, threads, maxBlocks, stream);
}

template <UnpoolType kType, Access kAccess>
void emulateTyped(UnpoolParams const& p)
{
    using T = typename Storage<kType>::Type;
    WorkLayout<kAccess, int64_t> const layout(p.planes, p.height, p.width);
    for (int64_t item = 0; item < layout.items; ++item)
    {
        unpoolItem<T, kAccess, int64_t>(static_cast<T const*>(p.values), static_cast<T const*>(p.pooled),
            static_cast<T*>(p.output), p.height, p.width, p.requantScale, layout, item);
    }
}

template <UnpoolType kType>
void emulateAccess(UnpoolParams const& p)
{
    switch (chooseAccess<typename Storage<kType>::Type>(p))
    {
    case Access::kQuad: emulateTyped<kType, Access::kQuad>(p); return;
    case Access::kPair: emulateTyped<kType, Access::kPair>(p); return;
    case Access::kScalar: break;
    }
    emulateTyped<kType, Access::kScalar>(p);
}

template <typename Index>
cudaError_t launchIndexed(UnpoolParams const& p, int32_t threads, int32_t maxBlocks, cudaStream_t stream)
{
    switch (p.type)
    {
    case UnpoolType::kFLOAT: return launchAccess<UnpoolType::kFLOAT, Index>(p, threads, maxBlocks, stream);
    case UnpoolType::kHALF: return launchAccess<UnpoolType::kHALF, Index>(p, threads, maxBlocks, stream);
    case UnpoolType::kINT8: return launchAccess<UnpoolType::kINT8, Index>(p, threads, maxBlocks, stream);
    }
    return cudaErrorInvalidValue;
}

template <typename T>
void referenceTyped(UnpoolParams const& p)
{
    T const* values = static_cast<T const*>(p.values);
    T const* pooled = static_cast<T const*>(p.pooled);
    T* output = static_cast<T*>(p.output);
    int32_t const windowRows = p.height / 2;
    int32_t const windowCols = p.width / 2;
    int64_t const planeSize = static_cast<int64_t>(p.height) * p.width;
    std::fill(output, output + p.planes * planeSize, T(0));
    for (int64_t plane = 0; plane < p.planes; ++plane)
    {
        T const* x = pooled + plane * planeSize;
        T* y = output + plane * planeSize;
        for (int32_t i = 0; i < windowRows; ++i)
        {
            for (int32_t j = 0; j < windowCols; ++j)
            {
                int64_t const top = static_cast<int64_t>(2 * i) * p.width + 2 * j;
                int32_t const chosen = windowSwitch(comparable(x[top]), comparable(x[top + 1]),
                    comparable(x[top + p.width]), comparable(x[top + p.width + 1]));
                int64_t const target = top + (chosen / 2) * p.width + (chosen % 2);
                y[target] = outputValue(values[(plane * windowRows + i) * windowCols + j], p.requantScale);
            }
        }
    }
}

} // namespace

cudaError_t checkUnpoolParams(UnpoolParams const& p)
{
    bool const knownType = p.type == UnpoolType::kFLOAT || p.type == UnpoolType::kHALF || p.type == UnpoolType::kINT8;
    if (!knownType || p.planes < 0 || p.height < 0 || p.width < 0 || !(p.requantScale > 0.0F))
    {
        return cudaErrorInvalidValue;
    }
    int64_t const elements = p.planes * p.height * p.width;
    if (elements > 0 && (p.values == nullptr || p.pooled == nullptr || p.output == nullptr))
    {
        return cudaErrorInvalidValue;
    }
    return cudaSuccess;
}

cudaError_t launchUnpool(UnpoolParams const& params, cudaStream_t stream)
{
    cudaError_t status = checkUnpoolParams(params);
    if (status != cudaSuccess)
    {
        return status;
    }
    int32_t device = 0;
    int32_t multiprocessors = 1;
    status = cudaGetDevice(&device);
    if (status == cudaSuccess)
    {
        status = cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device);
    }
    if (status != cudaSuccess)
    {
        return status;
    }
    constexpr int32_t kThreads = 256;
    // Enough blocks to fill every multiprocessor several times over; the grid-stride loop
    // covers the rest.
    int32_t const maxBlocks = multiprocessors * 16;
    int64_t const items = params.planes * std::max<int64_t>(params.height, 1) * std::max<int64_t>(params.width, 1);
    if (items < (int64_t{1} << 31))
    {
        return launchIndexed<uint32_t>(params, kThreads, maxBlocks, stream);
    }
    return launchIndexed<int64_t>(params, kThreads, maxBlocks, stream);
}

cudaError_t unpoolEmulateKernel(UnpoolParams const& params)
{
    cudaError_t const status = checkUnpoolParams(params);
    if (status != cudaSuccess)
    {
        return status;
    }
    switch (params.type)
    {
    case UnpoolType::kFLOAT: emulateAccess<UnpoolType::kFLOAT>(params); break;
    case UnpoolType::kHALF: emulateAccess<UnpoolType::kHALF>(params); break;
    case UnpoolType::kINT8: emulateAccess<UnpoolType::kINT8>(params); break;
    }
    return cudaSuccess;
}

cudaError_t unpoolHostReference(UnpoolParams const& params)
{
    cudaError_t const status = checkUnpoolParams(params);
    if (status != cudaSuccess)
    {
        return status;
    }
    switch (params.type)
    {
    case UnpoolType::kFLOAT: referenceTyped<float>(params); break;
    case UnpoolType::kHALF: referenceTyped<uint16_t>(params); break;
    case UnpoolType::kINT8: referenceTyped<int8_t>(params); break;
    }
    return cudaSuccess;
}

} // namespace edge_segnet

namespace
{
edge_segnet::UnpoolParams makeParams(void const* values, void const* pooled, void* output, int64_t planes,
    int32_t height, int32_t width, int32_t type, float requantScale)
{
    edge_segnet::UnpoolParams params{};
    params.values = values;
    params.pooled = pooled;
    params.output = output;
    params.planes = planes;
    params.height = height;
    params.width = width;
    params.type = static_cast<edge_segnet::UnpoolType>(type);
    params.requantScale = requantScale;
    return params;
}
} // namespace

extern "C" int32_t edge_segnet_unpool_launch(void const* values, void const* pooled, void* output, int64_t planes,
    int32_t height, int32_t width, int32_t type, float requant_scale, void* stream)
{
    return static_cast<int32_t>(edge_segnet::launchUnpool(
        makeParams(values, pooled, output, planes, height, width, type, requant_scale),
        static_cast<cudaStream_t>(stream)));
}

extern "C" int32_t edge_segnet_unpool_host(void const* values, void const* pooled, void* output, int64_t planes,
    int32_t height, int32_t width, int32_t type, float requant_scale)
{
    return static_cast<int32_t>(edge_segnet::unpoolHostReference(
        makeParams(values, pooled, output, planes, height, width, type, requant_scale)));
}

extern "C" int32_t edge_segnet_unpool_emulate(void const* values, void const* pooled, void* output, int64_t planes,
    int32_t height, int32_t width, int32_t type, float requant_scale)
{
    return static_cast<int32_t>(edge_segnet::unpoolEmulateKernel(
        makeParams(values, pooled, output, planes, height, width, type, requant_scale)));
}
