// IPluginV3 generation of the unpooling plugin. No call aborts: failures are reported through
// TensorRT's logger and the call returns its error value.
#include "unpool_plugin_v3.h"

#if NV_TENSORRT_MAJOR >= 10

using namespace nvinfer1;

namespace edge_segnet
{

UnpoolPluginV3::UnpoolPluginV3(UnpoolAttributes const& attributes)
    : mAttributes(attributes)
{
    mSerialFields = {PluginField{"kernel_shape", mAttributes.kernelShape, PluginFieldType::kINT32, 2},
        PluginField{"strides", mAttributes.strides, PluginFieldType::kINT32, 2}};
    mSerialCollection.nbFields = static_cast<int32_t>(mSerialFields.size());
    mSerialCollection.fields = mSerialFields.data();
}

IPluginCapability* UnpoolPluginV3::getCapabilityInterface(PluginCapabilityType type) noexcept
{
    switch (type)
    {
    case PluginCapabilityType::kCORE: return static_cast<IPluginV3OneCore*>(this);
    case PluginCapabilityType::kBUILD: return static_cast<IPluginV3OneBuild*>(this);
    case PluginCapabilityType::kRUNTIME: return static_cast<IPluginV3OneRuntime*>(this);
    }
    reportError("unknown plugin capability requested");
    return nullptr;
}

IPluginV3* UnpoolPluginV3::clone() noexcept
{
    try
    {
        return new UnpoolPluginV3(mAttributes);
    }
    catch (std::exception const& error)
    {
        reportError(std::string("clone failed: ") + error.what());
    }
    return nullptr;
}

char const* UnpoolPluginV3::getPluginName() const noexcept
{
    return kUNPOOL_PLUGIN_NAME;
}

char const* UnpoolPluginV3::getPluginVersion() const noexcept
{
    return kUNPOOL_PLUGIN_VERSION;
}

char const* UnpoolPluginV3::getPluginNamespace() const noexcept
{
    // The creator is registered under "" only (REGISTER_TENSORRT_PLUGIN; loadLibrary takes the
    // creator's getPluginNamespace()): IPluginCreatorV3One has no namespace setter.
    return "";
}

int32_t UnpoolPluginV3::configurePlugin(
    DynamicPluginTensorDesc const* in, int32_t nbInputs, DynamicPluginTensorDesc const* out, int32_t nbOutputs) noexcept
{
    std::string error;
    if (in == nullptr || out == nullptr || nbInputs != 2 || nbOutputs != 1)
    {
        reportError("configurePlugin: expects two inputs and one output");
        return -1;
    }
    if (!checkUnpoolShapes(in[0].desc.dims, in[1].desc.dims, error))
    {
        reportError("configurePlugin: " + error);
        return -1;
    }
    if (!checkUnpoolScales(in[0].desc, out[0].desc, error))
    {
        reportError("configurePlugin: " + error);
        return -1;
    }
    return 0;
}

int32_t UnpoolPluginV3::getOutputDataTypes(
    DataType* outputTypes, int32_t nbOutputs, DataType const* inputTypes, int32_t nbInputs) const noexcept
{
    if (outputTypes == nullptr || inputTypes == nullptr || nbOutputs != 1 || nbInputs != 2)
    {
        reportError("getOutputDataTypes: one output from two inputs");
        return -1;
    }
    outputTypes[0] = inputTypes[0];
    return 0;
}

int32_t UnpoolPluginV3::getOutputShapes(DimsExprs const* inputs, int32_t nbInputs, DimsExprs const* /* shapeInputs */,
    int32_t /* nbShapeInputs */, DimsExprs* outputs, int32_t nbOutputs, IExprBuilder& /* exprBuilder */) noexcept
{
    if (inputs == nullptr || outputs == nullptr || nbInputs != 2 || nbOutputs != 1 || inputs[1].nbDims != 4)
    {
        reportError("getOutputShapes: expects two inputs, the second 4-D, and one output");
        return -1;
    }
    // The output has the shape of the tensor that was pooled.
    outputs[0] = inputs[1];
    return 0;
}

bool UnpoolPluginV3::supportsFormatCombination(
    int32_t pos, DynamicPluginTensorDesc const* inOut, int32_t nbInputs, int32_t nbOutputs) noexcept
{
    if (inOut == nullptr || nbInputs != 2 || nbOutputs != 1 || pos < 0 || pos > 2)
    {
        return false;
    }
    PluginTensorDesc descs[3];
    for (int32_t i = 0; i <= pos; ++i)
    {
        descs[i] = inOut[i].desc;
    }
    return supportsUnpoolCombination(pos, descs, nbInputs, nbOutputs);
}

int32_t UnpoolPluginV3::getNbOutputs() const noexcept
{
    return 1;
}

size_t UnpoolPluginV3::getWorkspaceSize(DynamicPluginTensorDesc const* /* inputs */, int32_t /* nbInputs */,
    DynamicPluginTensorDesc const* /* outputs */, int32_t /* nbOutputs */) const noexcept
{
    return 0;
}

int32_t UnpoolPluginV3::onShapeChange(
    PluginTensorDesc const* in, int32_t nbInputs, PluginTensorDesc const* out, int32_t nbOutputs) noexcept
{
    std::string error;
    if (in == nullptr || out == nullptr || nbInputs != 2 || nbOutputs != 1)
    {
        reportError("onShapeChange: expects two inputs and one output");
        return -1;
    }
    if (!checkUnpoolShapes(in[0].dims, in[1].dims, error))
    {
        reportError("onShapeChange: " + error);
        return -1;
    }
    if (!checkUnpoolScales(in[0], out[0], error))
    {
        reportError("onShapeChange: " + error);
        return -1;
    }
    return 0;
}

int32_t UnpoolPluginV3::enqueue(PluginTensorDesc const* inputDesc, PluginTensorDesc const* outputDesc,
    void const* const* inputs, void* const* outputs, void* /* workspace */, cudaStream_t stream) noexcept
{
    return enqueueUnpool(inputDesc, outputDesc, inputs, outputs, stream);
}

IPluginV3* UnpoolPluginV3::attachToContext(IPluginResourceContext* /* context */) noexcept
{
    // No per-context resources: the context's copy is a plain clone.
    return clone();
}

PluginFieldCollection const* UnpoolPluginV3::getFieldsToSerialize() noexcept
{
    return &mSerialCollection;
}

UnpoolPluginV3Creator::UnpoolPluginV3Creator()
{
    std::vector<PluginField>& fields = unpoolFieldDeclarations();
    mFields.nbFields = static_cast<int32_t>(fields.size());
    mFields.fields = fields.data();
}

IPluginV3* UnpoolPluginV3Creator::createPlugin(
    char const* name, PluginFieldCollection const* fc, TensorRTPhase /* phase */) noexcept
{
    UnpoolAttributes attributes;
    if (!parseNodeAttributes(name, fc, attributes))
    {
        return nullptr;
    }
    try
    {
        return new UnpoolPluginV3(attributes);
    }
    catch (std::exception const& error)
    {
        reportError(std::string("cannot create the plugin: ") + error.what());
    }
    return nullptr;
}

PluginFieldCollection const* UnpoolPluginV3Creator::getFieldNames() noexcept
{
    return &mFields;
}

char const* UnpoolPluginV3Creator::getPluginName() const noexcept
{
    return kUNPOOL_PLUGIN_NAME;
}

char const* UnpoolPluginV3Creator::getPluginVersion() const noexcept
{
    return kUNPOOL_PLUGIN_VERSION;
}

char const* UnpoolPluginV3Creator::getPluginNamespace() const noexcept
{
    return "";
}

} // namespace edge_segnet

#endif // NV_TENSORRT_MAJOR >= 10
