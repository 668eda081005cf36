// What both plugin generations share: attributes, format rules, shape and scale checks,
// enqueue, error reporting. Registration lives in unpool_registration.cpp and
// unpool_entry_points.cpp, one per library (see unpool_plugin.h).
#include "unpool_plugin.h"

#include "unpool_kernel.h"

#include <atomic>
#include <cmath>
#include <cstring>

using namespace nvinfer1;

namespace edge_segnet
{

std::vector<PluginField>& unpoolFieldDeclarations()
{
    static std::vector<PluginField> fields{
        PluginField{"kernel_shape", nullptr, PluginFieldType::kINT32, 2},
        PluginField{"strides", nullptr, PluginFieldType::kINT32, 2},
    };
    return fields;
}

bool UnpoolAttributes::parse(PluginFieldCollection const* fields, std::string& error)
{
    if (fields == nullptr)
    {
        return true;
    }
    if (fields->nbFields > 0 && fields->fields == nullptr)
    {
        error = "plugin field collection has no fields array";
        return false;
    }
    for (int32_t i = 0; i < fields->nbFields; ++i)
    {
        PluginField const& field = fields->fields[i];
        if (field.name == nullptr)
        {
            continue;
        }
        int32_t* target = nullptr;
        if (std::strcmp(field.name, "kernel_shape") == 0)
        {
            target = kernelShape;
        }
        else if (std::strcmp(field.name, "strides") == 0)
        {
            target = strides;
        }
        else
        {
            continue; // other attributes of the node mean nothing to this op
        }
        // Every onnx-tensorrt release up to 10.x builds INTS attributes as kINT32 fields;
        // kINT64 (TensorRT 10+) is read too, so that a parser or a caller passing the ONNX
        // attribute's own 64-bit integers is not refused.
        if (field.length != 2 || field.data == nullptr)
        {
            error = std::string(field.name) + " must be two integers, got " + std::to_string(field.length);
            return false;
        }
        if (field.type == PluginFieldType::kINT32)
        {
            std::memcpy(target, field.data, 2 * sizeof(int32_t));
        }
#if NV_TENSORRT_MAJOR >= 10
        else if (field.type == PluginFieldType::kINT64)
        {
            int64_t wide[2];
            std::memcpy(wide, field.data, sizeof(wide));
            for (int32_t k = 0; k < 2; ++k)
            {
                // Anything outside int32 cannot be 2 either; keep it visibly wrong for the message.
                target[k] = (wide[k] < INT32_MIN || wide[k] > INT32_MAX) ? -1 : static_cast<int32_t>(wide[k]);
            }
        }
#endif
        else
        {
            error = std::string(field.name) + " must be INT32 (or INT64) values, got field type "
                + std::to_string(static_cast<int32_t>(field.type));
            return false;
        }
    }
    if (kernelShape[0] != 2 || kernelShape[1] != 2 || strides[0] != 2 || strides[1] != 2)
    {
        error = "only kernel_shape [2, 2] with strides [2, 2] is supported, got kernel_shape ["
            + std::to_string(kernelShape[0]) + ", " + std::to_string(kernelShape[1]) + "] strides ["
            + std::to_string(strides[0]) + ", " + std::to_string(strides[1]) + "]";
        return false;
    }
    return true;
}

namespace
{
#if EDGE_SEGNET_HAS_LOAD_LIBRARY
// Set once by setLoggerFinder before loadLibrary asks for creators; read by any thread after.
std::atomic<ILoggerFinder*> gLoggerFinder{nullptr};
#endif

ILogger* pluginLogger()
{
#if EDGE_SEGNET_HAS_LOAD_LIBRARY
    ILoggerFinder* finder = gLoggerFinder.load();
    if (finder != nullptr)
    {
        ILogger* logger = finder->findLogger();
        if (logger != nullptr)
        {
            return logger;
        }
    }
#endif
    return getLogger();
}
} // namespace

#if EDGE_SEGNET_HAS_LOAD_LIBRARY
void setPluginLoggerFinder(ILoggerFinder* finder) noexcept
{
    // Like NVIDIA's plugin libraries, the first finder stays: TensorRT passes one per library.
    ILoggerFinder* expected = nullptr;
    gLoggerFinder.compare_exchange_strong(expected, finder);
}
#endif

void reportError(std::string const& message) noexcept
{
    try
    {
        std::string const text = std::string(kUNPOOL_PLUGIN_NAME) + ": " + message;
        ILogger* logger = pluginLogger();
        if (logger != nullptr)
        {
            logger->log(ILogger::Severity::kERROR, text.c_str());
        }
    }
    catch (...)
    {
        // Nothing can be reported without memory; the caller still returns its error value.
    }
}

bool parseNodeAttributes(char const* name, PluginFieldCollection const* fields, UnpoolAttributes& attributes) noexcept
{
    try
    {
        std::string error;
        if (attributes.parse(fields, error))
        {
            return true;
        }
        reportError(std::string("node ") + (name != nullptr ? name : "?") + ": " + error);
    }
    catch (std::exception const& error)
    {
        reportError(std::string("cannot read the node's attributes: ") + error.what());
    }
    return false;
}

void storeNamespace(std::string& target, char const* value) noexcept
{
    try
    {
        target = value == nullptr ? "" : value;
    }
    catch (...)
    {
        reportError("cannot store the plugin namespace");
    }
}

bool supportsUnpoolCombination(
    int32_t pos, PluginTensorDesc const* inOut, int32_t nbInputs, int32_t nbOutputs) noexcept
{
    if (inOut == nullptr || nbInputs != 2 || nbOutputs != 1 || pos < 0 || pos >= nbInputs + nbOutputs)
    {
        return false;
    }
    PluginTensorDesc const& desc = inOut[pos];
    if (desc.format != TensorFormat::kLINEAR)
    {
        return false;
    }
    if (pos == 0)
    {
#if EDGE_SEGNET_INT8_IO
        return desc.type == DataType::kFLOAT || desc.type == DataType::kHALF || desc.type == DataType::kINT8;
#else
        return desc.type == DataType::kFLOAT || desc.type == DataType::kHALF;
#endif
    }
    // Later positions follow the first: one type throughout.
    return desc.type == inOut[0].type;
}

bool checkUnpoolShapes(Dims const& values, Dims const& pooled, std::string& error) noexcept
{
    if (values.nbDims != 4 || pooled.nbDims != 4)
    {
        error = "inputs must be 4-D (N, C, H, W), got " + std::to_string(values.nbDims) + "-D values and "
            + std::to_string(pooled.nbDims) + "-D pooled tensor";
        return false;
    }
    auto known = [](int64_t a, int64_t b) { return a < 0 || b < 0 || a == b; };
    for (int32_t axis = 0; axis < 2; ++axis)
    {
        if (!known(values.d[axis], pooled.d[axis]))
        {
            error = "values and pooled tensor differ in dimension " + std::to_string(axis);
            return false;
        }
    }
    for (int32_t axis = 2; axis < 4; ++axis)
    {
        if (pooled.d[axis] >= 0 && !known(values.d[axis], pooled.d[axis] / 2))
        {
            error = "values dimension " + std::to_string(axis) + " is " + std::to_string(values.d[axis])
                + " but the 2x2 pooling of " + std::to_string(pooled.d[axis]) + " gives "
                + std::to_string(pooled.d[axis] / 2);
            return false;
        }
    }
    return true;
}

bool checkUnpoolScales(PluginTensorDesc const& values, PluginTensorDesc const& output, std::string& error) noexcept
{
    if (values.type != DataType::kINT8 && output.type != DataType::kINT8)
    {
        return true;
    }
#if EDGE_SEGNET_INT8_IO
    // NaN fails these comparisons too.
    if (values.scale > 0.0F && output.scale > 0.0F)
    {
        return true;
    }
    try
    {
        error = "INT8 input/output without quantization scales (values scale " + std::to_string(values.scale)
        + ", output scale " + std::to_string(output.scale)
        + "): explicitly quantized (Q/DQ) or strongly typed networks do not pass scales to plugins; "
          "put a DequantizeLinear before and a QuantizeLinear after the EdgeSegnetUnpool node so that "
          "it runs in FP16/FP32";
    }
    catch (...)
    {
        // The refusal stands without its message.
    }
#else
    try
    {
        error = "INT8 input/output is not supported on TensorRT 11+ (no scales reach plugins there)";
    }
    catch (...)
    {
    }
#endif
    return false;
}

int32_t enqueueUnpool(PluginTensorDesc const* inputDesc, PluginTensorDesc const* outputDesc,
    void const* const* inputs, void* const* outputs, cudaStream_t stream) noexcept
{
    if (inputDesc == nullptr || outputDesc == nullptr || inputs == nullptr || outputs == nullptr)
    {
        reportError("enqueue called without tensors");
        return -1;
    }
    Dims const& pooled = inputDesc[1].dims;
    UnpoolParams params{};
    params.values = inputs[0];
    params.pooled = inputs[1];
    params.output = outputs[0];
    params.planes = static_cast<int64_t>(pooled.d[0]) * pooled.d[1];
    params.height = static_cast<int32_t>(pooled.d[2]);
    params.width = static_cast<int32_t>(pooled.d[3]);
    params.requantScale = 1.0F;
    switch (inputDesc[0].type)
    {
    case DataType::kFLOAT: params.type = UnpoolType::kFLOAT; break;
    case DataType::kHALF: params.type = UnpoolType::kHALF; break;
    case DataType::kINT8:
    {
        std::string error;
        if (!checkUnpoolScales(inputDesc[0], outputDesc[0], error))
        {
            reportError("enqueue: " + error);
            return -1;
        }
        params.type = UnpoolType::kINT8;
        params.requantScale = inputDesc[0].scale / outputDesc[0].scale;
        // Equal scales move the bytes unchanged: the kernel's fast path is taken for exactly 1.
        if (std::fabs(params.requantScale - 1.0F) < 1e-6F)
        {
            params.requantScale = 1.0F;
        }
        break;
    }
    default: reportError("unsupported data type"); return -1;
    }
    cudaError_t const status = launchUnpool(params, stream);
    if (status != cudaSuccess)
    {
        reportError(std::string("kernel launch failed: ") + cudaGetErrorString(status));
        return -1;
    }
    return 0;
}

} // namespace edge_segnet
