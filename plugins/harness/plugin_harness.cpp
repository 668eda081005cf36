// The plugin exercised, not only compiled: a host program (no GPU) that loads the plugin
// libraries the way TensorRT, its ONNX parser and Python do, compiled against one release's
// headers, and checks what each call returns.
//
//   plugin_harness <stand-in libnvinfer> <libedge_segnet_plugins.so> [<libedge_segnet_plugins_dynamic.so>]
//
// TensorRT itself is replaced by the stand-in libnvinfer (standin_nvinfer.cpp): its logger,
// plugin registry, IExprBuilder/IDimensionExpr and IPluginResourceContext record what the plugin
// does. What is checked, per release:
//   - loading: the stand-in is loaded RTLD_LOCAL (as Python's tensorrt loads libnvinfer), then the
//     plugin library RTLD_GLOBAL (as edge_segnet.engine.plugin_library does): it must resolve its
//     TensorRT symbols through its own NEEDED libnvinfer and register one creator;
//   - on 8.6+: IPluginRegistry::loadLibrary on the dynamic library (trtexec --dynamicPlugins):
//     no registration at load, getCreators never calls the registry, logging goes through the
//     logger finder;
//   - the plugin created as that release's onnx-tensorrt creates it from our ONNX node (see
//     ParserFields), then shape inference, the whole supportsFormatCombination matrix,
//     configure (shapes, INT8 scales), serialization round trips, clone and namespaces, and on
//     10+ the IPluginV3 capabilities, getFieldsToSerialize and attachToContext;
//   - on 10+: the call sequences a real builder (TensorRT for RTX) made on the V3 plugin, replayed
//     (exerciseV3LikeRealBuilder: clones of clones, probes with unchosen positions, ...).
#include "NvInfer.h"
#include "NvInferRuntime.h"
#include "NvInferVersion.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <type_traits>
#include <vector>

// The V2 interfaces are deprecated from 8.5 on and exercised here on purpose.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#if NV_TENSORRT_MAJOR > 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR >= 6)
#define HARNESS_HAS_LOAD_LIBRARY 1
#endif
#if NV_TENSORRT_MAJOR < 11
// Mirrors the plugin's decision (unpool_plugin.h, EDGE_SEGNET_INT8_IO).
#define HARNESS_INT8_IO 1
#endif

using namespace nvinfer1;

namespace
{

char const* const kNAME = "EdgeSegnetUnpool";
char const* const kVERSION = "1";

int32_t gChecks = 0;
int32_t gFailures = 0;

void check(bool ok, std::string const& what)
{
    ++gChecks;
    if (!ok)
    {
        ++gFailures;
        if (gFailures <= 60)
        {
            std::printf("  FAIL %s\n", what.c_str());
        }
    }
}

// The stand-in libnvinfer's exports, looked up in a library loaded RTLD_LOCAL.
struct StandIn
{
    void* handle{nullptr};
    IPluginRegistry* (*registry)(){nullptr};
    int32_t (*calls)(){nullptr};
    int32_t (*registered)(){nullptr};
    int32_t (*logCount)(int32_t){nullptr};
    char const* (*logMessage)(int32_t, int32_t){nullptr};
    char const* (*lastError)(){nullptr};
    IExprBuilder* (*builder)(){nullptr};
    IDimensionExpr const* (*symbol)(){nullptr};
#if NV_TENSORRT_MAJOR >= 10
    IPluginResourceContext* (*context)(){nullptr};
#endif

    template <typename T>
    bool bind(T& target, char const* name)
    {
        target = reinterpret_cast<T>(dlsym(handle, name));
        if (target == nullptr)
        {
            std::printf("  stand-in libnvinfer lacks %s\n", name);
        }
        return target != nullptr;
    }

    bool load(char const* path)
    {
        handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (handle == nullptr)
        {
            std::printf("  cannot load the stand-in libnvinfer: %s\n", dlerror());
            return false;
        }
        bool ok = bind(registry, "getPluginRegistry") && bind(calls, "edge_segnet_standin_registry_calls")
            && bind(registered, "edge_segnet_standin_registered") && bind(logCount, "edge_segnet_standin_log_count")
            && bind(logMessage, "edge_segnet_standin_log_message") && bind(lastError, "edge_segnet_standin_last_error")
            && bind(builder, "edge_segnet_standin_expr_builder") && bind(symbol, "edge_segnet_standin_symbol");
#if NV_TENSORRT_MAJOR >= 10
        ok = ok && bind(context, "edge_segnet_standin_resource_context");
#endif
        return ok;
    }
};
StandIn gNv;

// Messages logged to one of the stand-in's loggers (0: getLogger(), 1: the finder's) since
// construction.
class LogWatch
{
public:
    explicit LogWatch(int32_t which)
        : mWhich(which)
        , mStart(gNv.logCount(which))
    {
    }
    int32_t count() const
    {
        return gNv.logCount(mWhich) - mStart;
    }
    bool saw(char const* needle) const
    {
        for (int32_t i = mStart; i < gNv.logCount(mWhich); ++i)
        {
            if (std::strstr(gNv.logMessage(mWhich, i), needle) != nullptr)
            {
                return true;
            }
        }
        return false;
    }

private:
    int32_t mWhich;
    int32_t mStart;
};

// --- The ONNX node, and the fields each release's parser makes of it -------------------------
struct Attribute
{
    std::string name;
    bool isString;
    std::vector<int64_t> ints;
    std::string text;
};

// As `edge-segnet prepare` writes the node (domain edge_segnet, op EdgeSegnetUnpool).
std::vector<Attribute> ourNode(std::vector<int64_t> kernel = {2, 2}, std::vector<int64_t> strides = {2, 2})
{
    return {Attribute{"kernel_shape", false, kernel, ""}, Attribute{"strides", false, strides, ""},
        Attribute{"plugin_version", true, {}, kVERSION}, Attribute{"plugin_namespace", true, {}, ""}};
}

// onnx-tensorrt's FallbackPluginImporter -> loadFields, as read in its sources:
//   8.2-GA builtin_op_importers.cpp; 8.5-GA, 8.6-GA builtin_op_importers.cpp;
//   10.0-GA, 10.1-GA, main onnxOpImporters.cpp (addPluginWithCreator).
// In all of them: one field per name the creator declares in getFieldNames(), in that order,
// attributes the node lacks skipped (with a warning); an INTS attribute becomes kINT32 with one
// int32 per value (the int64 values narrowed), length = the count; a STRING attribute kCHAR with
// length = its bytes, to which 8.5 and later append the terminating NUL (8.2 does not).
// plugin_version and plugin_namespace only select the creator unless the creator declares them.
struct ParserFields
{
    std::deque<std::vector<uint8_t>> storage;
    std::vector<PluginField> fields;
    PluginFieldCollection collection{};

    ParserFields(PluginFieldCollection const* declared, std::vector<Attribute> const& node)
    {
        for (int32_t i = 0; declared != nullptr && i < declared->nbFields; ++i)
        {
            char const* name = declared->fields[i].name;
            Attribute const* attribute = nullptr;
            for (Attribute const& candidate : node)
            {
                if (candidate.name == name)
                {
                    attribute = &candidate;
                }
            }
            if (attribute == nullptr)
            {
                continue;
            }
            storage.emplace_back();
            std::vector<uint8_t>& bytes = storage.back();
            if (attribute->isString)
            {
                bytes.assign(attribute->text.begin(), attribute->text.end());
#if NV_TENSORRT_MAJOR > 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR >= 5)
                bytes.push_back('\0');
#endif
                fields.emplace_back(name, bytes.data(), PluginFieldType::kCHAR, static_cast<int32_t>(bytes.size()));
            }
            else
            {
                std::vector<int32_t> narrowed(attribute->ints.begin(), attribute->ints.end());
                bytes.resize(narrowed.size() * sizeof(int32_t));
                std::memcpy(bytes.data(), narrowed.data(), bytes.size());
                fields.emplace_back(
                    name, bytes.data(), PluginFieldType::kINT32, static_cast<int32_t>(narrowed.size()));
            }
        }
        collection.nbFields = static_cast<int32_t>(fields.size());
        collection.fields = fields.data();
    }
};

// "kernel_shape type 5 length 2 [2 2]" for each field: what the creator was handed.
std::string describe(PluginFieldCollection const& collection)
{
    std::string out;
    for (int32_t i = 0; i < collection.nbFields; ++i)
    {
        PluginField const& f = collection.fields[i];
        out += (i > 0 ? ", " : "") + std::string(f.name != nullptr ? f.name : "?") + " type "
            + std::to_string(static_cast<int32_t>(f.type)) + " length " + std::to_string(f.length);
        if (f.type == PluginFieldType::kINT32 && f.data != nullptr)
        {
            out += " [";
            for (int32_t k = 0; k < f.length; ++k)
            {
                out += (k > 0 ? " " : "") + std::to_string(static_cast<int32_t const*>(f.data)[k]);
            }
            out += "]";
        }
    }
    return out;
}

bool declares(PluginFieldCollection const* declared, char const* name)
{
    for (int32_t i = 0; declared != nullptr && i < declared->nbFields; ++i)
    {
        if (declared->fields[i].name != nullptr && std::strcmp(declared->fields[i].name, name) == 0)
        {
            return true;
        }
    }
    return false;
}

std::string same(char const* text)
{
    return text != nullptr ? text : "(null)";
}

// --- Tensors ---------------------------------------------------------------------------------
Dims dims4(int64_t n, int64_t c, int64_t h, int64_t w)
{
    // int32_t extents before TensorRT 10, int64_t from 10 on.
    using Extent = std::remove_reference<decltype(Dims{}.d[0])>::type;
    Dims d{};
    d.nbDims = 4;
    d.d[0] = static_cast<Extent>(n);
    d.d[1] = static_cast<Extent>(c);
    d.d[2] = static_cast<Extent>(h);
    d.d[3] = static_cast<Extent>(w);
    return d;
}

PluginTensorDesc tensor(Dims const& d, DataType type, float scale = -1.0F, TensorFormat format = TensorFormat::kLINEAR)
{
    PluginTensorDesc desc{};
    desc.dims = d;
    desc.type = type;
    desc.format = format;
    desc.scale = scale;
    return desc;
}

// values 1x64x64x128, pooled 1x64x128x256, output like pooled.
struct Io
{
    PluginTensorDesc in[2];
    PluginTensorDesc out[1];
    DynamicPluginTensorDesc dynamicIn[2];
    DynamicPluginTensorDesc dynamicOut[1];

    Io(DataType type, float valuesScale = -1.0F, float outputScale = -1.0F, int64_t valuesHeight = 64)
    {
        in[0] = tensor(dims4(1, 64, valuesHeight, 128), type, valuesScale);
        in[1] = tensor(dims4(1, 64, 128, 256), type, 0.5F);
        out[0] = tensor(dims4(1, 64, 128, 256), type, outputScale);
        for (int32_t i = 0; i < 2; ++i)
        {
            dynamicIn[i] = DynamicPluginTensorDesc{};
            dynamicIn[i].desc = in[i];
            dynamicIn[i].min = in[i].dims;
            dynamicIn[i].max = in[i].dims;
        }
        dynamicOut[0] = DynamicPluginTensorDesc{};
        dynamicOut[0].desc = out[0];
        dynamicOut[0].min = out[0].dims;
        dynamicOut[0].max = out[0].dims;
    }
};

// Shape inputs as the builder hands them over: constants, and a symbolic batch.
struct ShapeInputs
{
    DimsExprs in[2];

    explicit ShapeInputs(bool symbolicBatch)
    {
        IExprBuilder& b = *gNv.builder();
        int64_t const values[4] = {1, 64, 64, 128};
        int64_t const pooled[4] = {1, 64, 128, 256};
        IDimensionExpr const* batch = symbolicBatch ? gNv.symbol() : b.constant(1);
        for (int32_t k = 0; k < 2; ++k)
        {
            in[k].nbDims = 4;
            in[k].d[0] = batch;
            for (int32_t axis = 1; axis < 4; ++axis)
            {
                in[k].d[axis] = b.constant(static_cast<int32_t>(k == 0 ? values[axis] : pooled[axis]));
            }
        }
    }
};

bool sameExprs(DimsExprs const& a, DimsExprs const& b)
{
    if (a.nbDims != b.nbDims)
    {
        return false;
    }
    for (int32_t i = 0; i < a.nbDims; ++i)
    {
        bool const equal = a.d[i] == b.d[i]
            || (a.d[i] != nullptr && b.d[i] != nullptr && a.d[i]->isConstant() && b.d[i]->isConstant()
                && a.d[i]->getConstantValue() == b.d[i]->getConstantValue());
        if (!equal)
        {
            return false;
        }
    }
    return true;
}

// --- supportsFormatCombination: every type x format at every position ------------------------
std::vector<DataType> acceptedTypes()
{
#if HARNESS_INT8_IO
    return {DataType::kFLOAT, DataType::kHALF, DataType::kINT8};
#else
    return {DataType::kFLOAT, DataType::kHALF};
#endif
}

bool contains(std::vector<DataType> const& types, DataType type)
{
    for (DataType t : types)
    {
        if (t == type)
        {
            return true;
        }
    }
    return false;
}

std::string comboName(int32_t pos, int32_t type, int32_t format)
{
    return "pos " + std::to_string(pos) + " DataType " + std::to_string(type) + " TensorFormat "
        + std::to_string(format);
}

// TensorRT asks position by position, with the earlier positions already chosen: position 0
// alone decides the type; 1 and 2 must follow it. Returns the number accepted.
template <typename Supports>
int32_t formatMatrix(Supports supports, std::string const& tag)
{
    int32_t const types = EnumMax<DataType>();
    int32_t const formats = EnumMax<TensorFormat>();
    std::vector<DataType> const accepted = acceptedTypes();
    Dims const d = dims4(1, 64, 128, 256);
    int32_t yes = 0;
    PluginTensorDesc descs[3] = {tensor(d, DataType::kFLOAT), tensor(d, DataType::kFLOAT), tensor(d, DataType::kFLOAT)};
    for (int32_t t = 0; t < types; ++t)
    {
        for (int32_t f = 0; f < formats; ++f)
        {
            descs[0] = tensor(d, static_cast<DataType>(t), 0.5F, static_cast<TensorFormat>(f));
            bool const want = f == static_cast<int32_t>(TensorFormat::kLINEAR) && contains(accepted, descs[0].type);
            bool const got = supports(0, descs);
            yes += got ? 1 : 0;
            check(got == want, tag + ": supportsFormatCombination " + comboName(0, t, f) + (want ? " refused" : " accepted"));
        }
    }
    for (DataType first : accepted)
    {
        for (int32_t pos = 1; pos < 3; ++pos)
        {
            descs[0] = tensor(d, first, 0.5F);
            descs[1] = tensor(d, first, 0.5F);
            for (int32_t t = 0; t < types; ++t)
            {
                for (int32_t f = 0; f < formats; ++f)
                {
                    descs[pos] = tensor(d, static_cast<DataType>(t), 0.5F, static_cast<TensorFormat>(f));
                    bool const want = f == static_cast<int32_t>(TensorFormat::kLINEAR) && descs[pos].type == first;
                    bool const got = supports(pos, descs);
                    yes += got ? 1 : 0;
                    check(got == want, tag + ": supportsFormatCombination " + comboName(pos, t, f) + " after type "
                            + std::to_string(static_cast<int32_t>(first)) + (want ? " refused" : " accepted"));
                }
            }
        }
    }
    check(!supports(3, descs) && !supports(-1, descs), tag + ": positions outside 0..2 refused");
    return yes;
}

// --- The V2 generation (IPluginCreator + IPluginV2DynamicExt) ---------------------------------
IPluginV2DynamicExt* asDynamicExt(IPluginV2* plugin)
{
    // How TensorRT tells the V2 kinds apart.
    if (plugin == nullptr
        || ((plugin->getTensorRTVersion() >> 24) & 0xFF) != static_cast<int32_t>(PluginVersion::kV2_DYNAMICEXT))
    {
        return nullptr;
    }
    return static_cast<IPluginV2DynamicExt*>(plugin);
}

std::vector<char> serialized(IPluginV2 const& plugin)
{
    std::vector<char> bytes(plugin.getSerializationSize());
    plugin.serialize(bytes.data());
    return bytes;
}

void exerciseV2(IPluginCreator& creator, int32_t logger, std::string const& tag)
{
    check(same(creator.getPluginName()) == kNAME && same(creator.getPluginVersion()) == kVERSION,
        tag + ": creator name and version");
    check(same(creator.getPluginNamespace()).empty(), tag + ": creator registered in namespace \"\"");
    PluginFieldCollection const* declared = creator.getFieldNames();
    check(declares(declared, "kernel_shape") && declares(declared, "strides"), tag + ": declares kernel_shape, strides");

    ParserFields fields(declared, ourNode());
    check(fields.collection.nbFields == 2, tag + ": the parser passes kernel_shape and strides");
    std::printf("  %s: parser fields %s\n", tag.c_str(), describe(fields.collection).c_str());
    LogWatch quiet(logger);
    IPluginV2* created = creator.createPlugin("unpool_1", &fields.collection);
    IPluginV2DynamicExt* plugin = asDynamicExt(created);
    check(plugin != nullptr, tag + ": createPlugin from the parser's fields gives an IPluginV2DynamicExt");
    if (plugin == nullptr)
    {
        return;
    }
    check(same(plugin->getPluginType()) == kNAME && same(plugin->getPluginVersion()) == kVERSION,
        tag + ": plugin type and version");
    check(same(plugin->getPluginNamespace()).empty(), tag + ": plugin namespace is the creator's (\"\")");
    check(plugin->getNbOutputs() == 1 && plugin->initialize() == 0, tag + ": one output, initialize");

    // Attributes the node lacks keep their defaults; wrong ones are refused with a message.
    {
        ParserFields none(declared, {});
        IPluginV2* p = creator.createPlugin("unpool_defaults", &none.collection);
        check(p != nullptr, tag + ": node without attributes gets the 2x2 defaults");
        if (p != nullptr)
        {
            p->destroy();
        }
        LogWatch watch(logger);
        ParserFields wrong(declared, ourNode({3, 3}));
        check(creator.createPlugin("unpool_3x3", &wrong.collection) == nullptr && watch.saw("only kernel_shape [2, 2]"),
            tag + ": kernel_shape [3, 3] refused and logged");
        ParserFields longer(declared, ourNode({2, 2}, {2, 2, 2}));
        check(creator.createPlugin("unpool_3d", &longer.collection) == nullptr && watch.saw("strides must be two"),
            tag + ": three strides refused and logged");
#if NV_TENSORRT_MAJOR >= 10
        int64_t const wide[2] = {2, 2};
        PluginField wideFields[2] = {PluginField{"kernel_shape", wide, PluginFieldType::kINT64, 2},
            PluginField{"strides", wide, PluginFieldType::kINT64, 2}};
        PluginFieldCollection wideCollection{2, wideFields};
        IPluginV2* q = creator.createPlugin("unpool_int64", &wideCollection);
        check(q != nullptr, tag + ": kINT64 kernel_shape/strides accepted");
        if (q != nullptr)
        {
            q->destroy();
        }
#endif
        float const floats[2] = {2.0F, 2.0F};
        PluginField floatField{"kernel_shape", floats, PluginFieldType::kFLOAT32, 2};
        PluginFieldCollection floatCollection{1, &floatField};
        check(creator.createPlugin("unpool_float", &floatCollection) == nullptr && watch.saw("must be INT32"),
            tag + ": kFLOAT32 kernel_shape refused and logged");
    }

    // Types and shapes.
    DataType const pair[2][2] = {{DataType::kFLOAT, DataType::kFLOAT}, {DataType::kHALF, DataType::kHALF}};
    check(plugin->getOutputDataType(0, pair[0], 2) == DataType::kFLOAT
            && plugin->getOutputDataType(0, pair[1], 2) == DataType::kHALF,
        tag + ": output type follows the inputs");
    for (bool symbolic : {false, true})
    {
        ShapeInputs shapes(symbolic);
        DimsExprs const out = plugin->getOutputDimensions(0, shapes.in, 2, *gNv.builder());
        check(sameExprs(out, shapes.in[1]),
            tag + ": getOutputDimensions gives the pooled tensor's shape" + (symbolic ? " (symbolic batch)" : ""));
    }
    {
        LogWatch watch(logger);
        ShapeInputs shapes(false);
        check(plugin->getOutputDimensions(0, shapes.in, 1, *gNv.builder()).nbDims == 0 && watch.count() > 0,
            tag + ": getOutputDimensions with one input refused and logged");
    }

    int32_t const accepted = formatMatrix(
        [plugin](int32_t pos, PluginTensorDesc const* descs) { return plugin->supportsFormatCombination(pos, descs, 2, 1); },
        tag);
    check(accepted == static_cast<int32_t>(acceptedTypes().size()) * 3, tag + ": accepted combinations counted");

    // configurePlugin cannot fail on V2: problems are logged, and enqueue refuses them.
    {
        Io io(DataType::kFLOAT);
        LogWatch watch(logger);
        plugin->configurePlugin(io.dynamicIn, 2, io.dynamicOut, 1);
        check(watch.count() == 0, tag + ": configurePlugin FP32 1x64x64x128 + 1x64x128x256 silent");
        Io bad(DataType::kFLOAT, -1.0F, -1.0F, 63);
        plugin->configurePlugin(bad.dynamicIn, 2, bad.dynamicOut, 1);
        check(watch.saw("values dimension 2 is 63"), tag + ": configurePlugin with mismatched values logged");
    }
    check(plugin->getWorkspaceSize(Io(DataType::kFLOAT).in, 2, Io(DataType::kFLOAT).out, 1) == 0, tag + ": no workspace");
    {
        // INT8 whose scales TensorRT did not provide (-1): refused, not passed through.
        Io unknown(DataType::kINT8);
        LogWatch watch(logger);
        plugin->configurePlugin(unknown.dynamicIn, 2, unknown.dynamicOut, 1);
        int8_t values = 0, pooled = 0, output = 0;
        void const* inputs[2] = {&values, &pooled};
        void* outputs[1] = {&output};
        LogWatch enqueueWatch(logger);
        int32_t const status = plugin->enqueue(unknown.in, unknown.out, inputs, outputs, nullptr, nullptr);
        bool const refusedEarly = status != 0 && output == 0 && enqueueWatch.saw("enqueue: INT8");
#if HARNESS_INT8_IO
        check(watch.saw("configurePlugin: INT8 input/output without quantization scales"),
            tag + ": configurePlugin INT8 without scales logged");
        check(refusedEarly, tag + ": enqueue INT8 without scales refused before any launch");
        Io known(DataType::kINT8, 0.5F, 0.25F);
        LogWatch quietInt8(logger);
        plugin->configurePlugin(known.dynamicIn, 2, known.dynamicOut, 1);
        check(quietInt8.count() == 0, tag + ": configurePlugin INT8 with scales 0.5 / 0.25 silent");
#else
        check(watch.saw("not supported on TensorRT 11"), tag + ": INT8 on TensorRT 11 logged");
        check(refusedEarly, tag + ": enqueue INT8 on TensorRT 11 refused before any launch");
#endif
    }

    // Serialization: size, round trip through the creator, refusal of foreign bytes.
    std::vector<char> const bytes = serialized(*plugin);
    check(bytes.size() == plugin->getSerializationSize() && !bytes.empty(), tag + ": serialization size");
    IPluginV2* restored = creator.deserializePlugin("unpool_1", bytes.data(), bytes.size());
    check(asDynamicExt(restored) != nullptr && serialized(*restored) == bytes,
        tag + ": serialize -> deserializePlugin -> serialize gives the same bytes");
    if (restored != nullptr)
    {
        check(same(restored->getPluginNamespace()) == same(plugin->getPluginNamespace()),
            tag + ": deserialized plugin keeps the namespace");
        restored->destroy();
    }
    {
        LogWatch watch(logger);
        check(creator.deserializePlugin("unpool_1", bytes.data(), bytes.size() - 1) == nullptr && watch.count() > 0,
            tag + ": truncated serialization refused and logged");
        std::vector<char> foreign = bytes;
        foreign[0] = static_cast<char>(foreign[0] ^ 0x5A);
        check(creator.deserializePlugin("unpool_1", foreign.data(), foreign.size()) == nullptr,
            tag + ": foreign serialization refused");
    }

    // Namespaces: the creator's goes to what it creates; clone keeps the plugin's.
    std::string const saved = same(creator.getPluginNamespace());
    creator.setPluginNamespace("edge_ns");
    IPluginV2* spaced = creator.createPlugin("unpool_ns", &fields.collection);
    IPluginV2* spacedBack = creator.deserializePlugin("unpool_ns", bytes.data(), bytes.size());
    check(spaced != nullptr && same(spaced->getPluginNamespace()) == "edge_ns", tag + ": createPlugin takes the creator's namespace");
    check(spacedBack != nullptr && same(spacedBack->getPluginNamespace()) == "edge_ns",
        tag + ": deserializePlugin takes the creator's namespace");
    IPluginV2DynamicExt* spacedExt = asDynamicExt(spaced);
    IPluginV2DynamicExt* spacedClone = spacedExt != nullptr ? spacedExt->clone() : nullptr;
    check(spacedClone != nullptr && same(spacedClone->getPluginNamespace()) == "edge_ns", tag + ": clone keeps the namespace");
    plugin->setPluginNamespace("other_ns");
    IPluginV2DynamicExt* otherClone = plugin->clone();
    check(otherClone != nullptr && same(otherClone->getPluginNamespace()) == "other_ns"
            && serialized(*otherClone) == bytes,
        tag + ": clone keeps a namespace set on the plugin, and its fields");
    for (IPluginV2* p : {spaced, spacedBack, static_cast<IPluginV2*>(spacedClone), static_cast<IPluginV2*>(otherClone)})
    {
        if (p != nullptr)
        {
            p->destroy();
        }
    }
    creator.setPluginNamespace(saved.c_str());
    check(quiet.saw("EdgeSegnetUnpool"), tag + ": errors name the plugin");
    plugin->terminate();
    plugin->destroy();
}

#if NV_TENSORRT_MAJOR >= 10
// --- The V3 generation (IPluginCreatorV3One + IPluginV3) --------------------------------------
struct Capabilities
{
    IPluginV3OneCore* core{nullptr};
    IPluginV3OneBuild* build{nullptr};
    IPluginV3OneRuntime* runtime{nullptr};

    explicit Capabilities(IPluginV3* plugin)
    {
        if (plugin == nullptr)
        {
            return;
        }
        IPluginCapability* c = plugin->getCapabilityInterface(PluginCapabilityType::kCORE);
        IPluginCapability* b = plugin->getCapabilityInterface(PluginCapabilityType::kBUILD);
        IPluginCapability* r = plugin->getCapabilityInterface(PluginCapabilityType::kRUNTIME);
        // TensorRT checks the interface kinds before it casts.
        if (c != nullptr && same(c->getInterfaceInfo().kind) == "PLUGIN_V3ONE_CORE")
        {
            core = static_cast<IPluginV3OneCore*>(c);
        }
        if (b != nullptr && same(b->getInterfaceInfo().kind) == "PLUGIN_V3ONE_BUILD")
        {
            build = static_cast<IPluginV3OneBuild*>(b);
        }
        if (r != nullptr && same(r->getInterfaceInfo().kind) == "PLUGIN_V3ONE_RUNTIME")
        {
            runtime = static_cast<IPluginV3OneRuntime*>(r);
        }
    }
    bool complete() const
    {
        return core != nullptr && build != nullptr && runtime != nullptr;
    }
};

// The fields a V3 plugin serializes, as bytes that can be compared.
std::string fieldBytes(PluginFieldCollection const* fields)
{
    std::string out;
    for (int32_t i = 0; fields != nullptr && i < fields->nbFields; ++i)
    {
        PluginField const& f = fields->fields[i];
        out += same(f.name) + "/" + std::to_string(static_cast<int32_t>(f.type)) + "/" + std::to_string(f.length) + "/";
        size_t const size = f.type == PluginFieldType::kINT32 ? 4 : (f.type == PluginFieldType::kCHAR ? 1 : 0);
        if (f.data != nullptr && size > 0)
        {
            out.append(static_cast<char const*>(f.data), size * static_cast<size_t>(f.length));
        }
        out += ";";
    }
    return out;
}

void exerciseV3(IPluginCreatorV3One& creator, int32_t logger, std::string const& tag)
{
    check(same(creator.getPluginName()) == kNAME && same(creator.getPluginVersion()) == kVERSION,
        tag + ": creator name and version");
    check(same(creator.getPluginNamespace()).empty(), tag + ": creator namespace \"\"");
    PluginFieldCollection const* declared = creator.getFieldNames();
    check(declares(declared, "kernel_shape") && declares(declared, "strides"), tag + ": declares kernel_shape, strides");

    ParserFields fields(declared, ourNode());
    check(fields.collection.nbFields == 2, tag + ": the parser passes kernel_shape and strides");
    std::printf("  %s: parser fields %s\n", tag.c_str(), describe(fields.collection).c_str());
    // The parser creates V3 plugins in the build phase.
    IPluginV3* plugin = creator.createPlugin("unpool_1", &fields.collection, TensorRTPhase::kBUILD);
    Capabilities caps(plugin);
    check(plugin != nullptr && caps.complete(), tag + ": createPlugin(kBUILD) gives core, build and runtime capabilities");
    if (!caps.complete())
    {
        delete plugin;
        return;
    }
    check(same(caps.core->getPluginName()) == kNAME && same(caps.core->getPluginVersion()) == kVERSION
            && same(caps.core->getPluginNamespace()) == same(creator.getPluginNamespace()),
        tag + ": core name, version, namespace");
    {
        LogWatch watch(logger);
        ParserFields wrong(declared, ourNode({3, 3}));
        check(creator.createPlugin("unpool_3x3", &wrong.collection, TensorRTPhase::kBUILD) == nullptr
                && watch.saw("only kernel_shape [2, 2]"),
            tag + ": kernel_shape [3, 3] refused and logged");
        ParserFields none(declared, {});
        IPluginV3* p = creator.createPlugin("unpool_defaults", &none.collection, TensorRTPhase::kBUILD);
        check(p != nullptr, tag + ": node without attributes gets the 2x2 defaults");
        delete p;
    }

    IPluginV3OneBuild& build = *caps.build;
    check(build.getNbOutputs() == 1, tag + ": one output");
    DataType const inputTypes[2] = {DataType::kHALF, DataType::kHALF};
    DataType outputType = DataType::kFLOAT;
    check(build.getOutputDataTypes(&outputType, 1, inputTypes, 2) == 0 && outputType == DataType::kHALF,
        tag + ": output type follows the inputs");
    for (bool symbolic : {false, true})
    {
        ShapeInputs shapes(symbolic);
        DimsExprs out[1];
        check(build.getOutputShapes(shapes.in, 2, nullptr, 0, out, 1, *gNv.builder()) == 0 && sameExprs(out[0], shapes.in[1]),
            tag + ": getOutputShapes gives the pooled tensor's shape" + (symbolic ? " (symbolic batch)" : ""));
    }
    int32_t const accepted = formatMatrix(
        [&build](int32_t pos, PluginTensorDesc const* descs) {
            DynamicPluginTensorDesc dynamic[3];
            for (int32_t i = 0; i < 3; ++i)
            {
                dynamic[i] = DynamicPluginTensorDesc{};
                dynamic[i].desc = descs[i];
                dynamic[i].min = descs[i].dims;
                dynamic[i].max = descs[i].dims;
            }
            return build.supportsFormatCombination(pos, dynamic, 2, 1);
        },
        tag);
    check(accepted == static_cast<int32_t>(acceptedTypes().size()) * 3, tag + ": accepted combinations counted");
    {
        Io io(DataType::kFLOAT);
        LogWatch watch(logger);
        check(build.configurePlugin(io.dynamicIn, 2, io.dynamicOut, 1) == 0 && watch.count() == 0,
            tag + ": configurePlugin FP32 accepted");
        Io bad(DataType::kFLOAT, -1.0F, -1.0F, 63);
        check(build.configurePlugin(bad.dynamicIn, 2, bad.dynamicOut, 1) != 0 && watch.saw("values dimension 2 is 63"),
            tag + ": configurePlugin with mismatched values refused and logged");
        check(build.getWorkspaceSize(io.dynamicIn, 2, io.dynamicOut, 1) == 0, tag + ": no workspace");
    }
    IPluginV3OneRuntime& runtime = *caps.runtime;
    {
        Io io(DataType::kHALF);
        check(runtime.onShapeChange(io.in, 2, io.out, 1) == 0, tag + ": onShapeChange FP16 accepted");
        Io unknown(DataType::kINT8);
        LogWatch watch(logger);
        int8_t values = 0, pooled = 0, output = 0;
        void const* inputs[2] = {&values, &pooled};
        void* outputs[1] = {&output};
#if HARNESS_INT8_IO
        check(build.configurePlugin(unknown.dynamicIn, 2, unknown.dynamicOut, 1) != 0
                && watch.saw("without quantization scales"),
            tag + ": configurePlugin INT8 without scales refused and logged");
        check(runtime.onShapeChange(unknown.in, 2, unknown.out, 1) != 0, tag + ": onShapeChange INT8 without scales refused");
        Io known(DataType::kINT8, 0.5F, 0.25F);
        check(build.configurePlugin(known.dynamicIn, 2, known.dynamicOut, 1) == 0
                && runtime.onShapeChange(known.in, 2, known.out, 1) == 0,
            tag + ": INT8 with scales 0.5 / 0.25 accepted");
#else
        check(build.configurePlugin(unknown.dynamicIn, 2, unknown.dynamicOut, 1) != 0
                && watch.saw("not supported on TensorRT 11"),
            tag + ": configurePlugin INT8 refused on TensorRT 11 and logged");
#endif
        LogWatch enqueueWatch(logger);
        check(runtime.enqueue(unknown.in, unknown.out, inputs, outputs, nullptr, nullptr) != 0 && output == 0
                && enqueueWatch.saw("enqueue: INT8"),
            tag + ": enqueue INT8 without scales refused before any launch");
    }

    // Serialization: TensorRT stores getFieldsToSerialize and recreates the plugin from them in
    // the runtime phase.
    PluginFieldCollection const* serial = runtime.getFieldsToSerialize();
    std::string const serialBytes = fieldBytes(serial);
    ParserFields expected(declared, ourNode());
    check(serial != nullptr && serial->nbFields == 2 && serialBytes == fieldBytes(&expected.collection),
        tag + ": getFieldsToSerialize holds kernel_shape, strides as kINT32 [2, 2]");
    IPluginV3* restored = creator.createPlugin("unpool_1", serial, TensorRTPhase::kRUNTIME);
    Capabilities restoredCaps(restored);
    check(restoredCaps.complete() && fieldBytes(restoredCaps.runtime->getFieldsToSerialize()) == serialBytes,
        tag + ": createPlugin(kRUNTIME) from the serialized fields gives equal fields");
    IPluginV3* attached = runtime.attachToContext(gNv.context());
    Capabilities attachedCaps(attached);
    check(attachedCaps.complete() && fieldBytes(attachedCaps.runtime->getFieldsToSerialize()) == serialBytes
            && same(attachedCaps.core->getPluginNamespace()) == same(caps.core->getPluginNamespace()),
        tag + ": attachToContext gives a plugin with equal fields and namespace");
    IPluginV3* cloned = plugin->clone();
    Capabilities clonedCaps(cloned);
    check(clonedCaps.complete() && fieldBytes(clonedCaps.runtime->getFieldsToSerialize()) == serialBytes
            && same(clonedCaps.core->getPluginNamespace()) == same(caps.core->getPluginNamespace()),
        tag + ": clone keeps fields and namespace");
    delete cloned;
    delete attached;
    delete restored;
    delete plugin;
}

// --- The V3 plugin as a real builder drives it ------------------------------------------------
// Every sequence below was observed from TensorRT for RTX 1.7.1.116's builder (and parser) via
// tools/rtx_plugin_stage.py: its method counts, and, for objects, order and arguments, a gdb
// trace of the plugin's methods (built with -g against TensorRT v11.1's headers) while the same
// parse and AOT build ran on each plugin form of segnet-basic-camvid (fp32, fp16, fp16-io,
// uint8-argmax-logits, int8 between Q/DQ). Each layer's sequence is the same; shrunk to one.

// A supportsFormatCombination query as the real builder lays it out: the positions after `pos`
// are not chosen yet and hold DataType and TensorFormat -1 (only their dims are set), every
// scale is 0, and the values tensor (position 0) is half the pooled tensor's height and width.
bool realQuery(IPluginV3OneBuild& build, int32_t pos, DataType type, int32_t formats[3])
{
    DynamicPluginTensorDesc inOut[3];
    Dims const shapes[3] = {dims4(1, 64, 8, 16), dims4(1, 64, 16, 32), dims4(1, 64, 16, 32)};
    for (int32_t i = 0; i < 3; ++i)
    {
        inOut[i] = DynamicPluginTensorDesc{};
        bool const chosen = i <= pos;
        inOut[i].desc = tensor(shapes[i], chosen ? type : static_cast<DataType>(-1), 0.0F,
            static_cast<TensorFormat>(chosen ? formats[i] : -1));
        inOut[i].min = shapes[i];
        inOut[i].max = shapes[i];
    }
    return build.supportsFormatCombination(pos, inOut, 2, 1);
}

// The builder's probe order per plugin layer, for one type: LINEAR at 0, 1, 2; then each other
// format at 2, at 1, at 0 with the earlier positions LINEAR. FP32 layers (fp32, uint8-argmax,
// and INT8 between Q/DQ, where the plugin sits between DequantizeLinear and QuantizeLinear and
// so sees FLOAT) were probed with formats 5, 8, 12 (kCHW32, kHWC, kDHWC); FP16 layers (fp16,
// fp16-io) with 1, 2, 3, 5, 6, 7, 8, 11 (kCHW2, kHWC8, kCHW4, kCHW32, kDHWC8, kCDHW32, kHWC, kHWC16).
void realFormatProbes(IPluginV3OneBuild& build, DataType type, std::vector<int32_t> const& others,
    std::string const& tag)
{
    int32_t const linear = static_cast<int32_t>(TensorFormat::kLINEAR);
    std::string const typeName = std::to_string(static_cast<int32_t>(type));
    for (int32_t pos = 0; pos < 3; ++pos)
    {
        int32_t formats[3] = {linear, linear, linear};
        check(realQuery(build, pos, type, formats),
            tag + ": real probe pos " + std::to_string(pos) + " type " + typeName + " LINEAR, later positions unset, accepted");
    }
    for (int32_t pos = 2; pos >= 0; --pos)
    {
        for (int32_t format : others)
        {
            if (format >= EnumMax<TensorFormat>())
            {
                continue; // a format these headers do not have
            }
            int32_t formats[3] = {linear, linear, linear};
            formats[pos] = format;
            check(!realQuery(build, pos, type, formats),
                tag + ": real probe pos " + std::to_string(pos) + " type " + typeName + " format "
                    + std::to_string(format) + " refused");
        }
    }
}

void exerciseV3LikeRealBuilder(IPluginCreatorV3One& creator, std::string const& tag)
{
    ParserFields fields(creator.getFieldNames(), ourNode());
    struct Form
    {
        char const* name;
        DataType type;
        std::vector<int32_t> others;
    };
    Form const forms[] = {{"FP32", DataType::kFLOAT, {5, 8, 12}},
        {"FP16", DataType::kHALF, {1, 2, 3, 5, 6, 7, 8, 11}}};
    for (Form const& form : forms)
    {
        std::string const t = tag + " real " + form.name;
        // Parser, per node: createPlugin(kBUILD); getNbOutputs, getOutputDataTypes, getNbOutputs
        // twice on it; clone; the original deleted; the clone asked getNbOutputs,
        // getOutputDataTypes and getOutputShapes.
        IPluginV3* original = creator.createPlugin("/MaxUnpool", &fields.collection, TensorRTPhase::kBUILD);
        Capabilities originalCaps(original);
        check(originalCaps.complete(), t + ": parser's createPlugin(kBUILD)");
        if (!originalCaps.complete())
        {
            delete original;
            continue;
        }
        DataType const inputTypes[2] = {form.type, form.type};
        DataType outputType = DataType::kINT32;
        check(originalCaps.build->getNbOutputs() == 1
                && originalCaps.build->getOutputDataTypes(&outputType, 1, inputTypes, 2) == 0
                && outputType == form.type && originalCaps.build->getNbOutputs() == 1,
            t + ": parser's getOutputDataTypes on the created plugin follows the inputs");
        IPluginV3* parsed = original->clone();
        delete original;
        Capabilities parsedCaps(parsed);
        ShapeInputs shapes(false);
        DimsExprs out[1];
        outputType = DataType::kINT32;
        check(parsedCaps.complete() && parsedCaps.build->getNbOutputs() == 1
                && parsedCaps.build->getOutputDataTypes(&outputType, 1, inputTypes, 2) == 0 && outputType == form.type
                && parsedCaps.build->getOutputShapes(shapes.in, 2, nullptr, 0, out, 1, *gNv.builder()) == 0
                && sameExprs(out[0], shapes.in[1]),
            t + ": the parser's clone answers types and shapes after the created plugin is deleted");
        if (!parsedCaps.complete())
        {
            delete parsed;
            continue;
        }
        // Builder: clone of the parser's clone, getOutputShapes twice on it; a clone of that
        // clone gets the format probes, then configurePlugin and getWorkspaceSize with the chosen
        // type at all three positions (FLOAT also between Q/DQ), then getFieldsToSerialize; it is
        // asked getFieldsToSerialize twice more later, the other layers' plugins asked in
        // between; then the two clones are deleted, newest first, and the parser's clone lives on
        // with the network. The scales here are 0, as in the builder's probes.
        IPluginV3* second = parsed->clone();
        Capabilities secondCaps(second);
        bool shaped = secondCaps.complete();
        for (int32_t i = 0; shaped && i < 2; ++i)
        {
            DimsExprs again[1];
            shaped = secondCaps.build->getOutputShapes(shapes.in, 2, nullptr, 0, again, 1, *gNv.builder()) == 0
                && sameExprs(again[0], shapes.in[1]);
        }
        check(shaped, t + ": clone of the clone gives the same shapes twice");
        IPluginV3* third = secondCaps.complete() ? second->clone() : nullptr;
        Capabilities thirdCaps(third);
        check(thirdCaps.complete(), t + ": clone of a clone of a clone has every capability");
        if (thirdCaps.complete())
        {
            realFormatProbes(*thirdCaps.build, form.type, form.others, t);
            Io io(form.type, 0.0F, 0.0F);
            for (int32_t i = 0; i < 2; ++i)
            {
                io.dynamicIn[i].desc.scale = 0.0F;
            }
            check(thirdCaps.build->configurePlugin(io.dynamicIn, 2, io.dynamicOut, 1) == 0,
                t + ": configurePlugin with scales 0 accepted on the third-generation clone");
            check(thirdCaps.build->getWorkspaceSize(io.dynamicIn, 2, io.dynamicOut, 1) == 0,
                t + ": getWorkspaceSize 0 on the third-generation clone");
            PluginFieldCollection const* first = thirdCaps.runtime->getFieldsToSerialize();
            std::string const firstBytes = fieldBytes(first);
            ParserFields expected(creator.getFieldNames(), ourNode());
            check(first != nullptr && firstBytes == fieldBytes(&expected.collection),
                t + ": getFieldsToSerialize on the third-generation clone holds the node's fields");
            // A sibling layer's plugin serializes between this one's calls.
            IPluginV3* sibling = parsed->clone();
            Capabilities siblingCaps(sibling);
            std::string const siblingBytes = siblingCaps.complete() ? fieldBytes(siblingCaps.runtime->getFieldsToSerialize()) : "";
            check(fieldBytes(first) == firstBytes && siblingBytes == firstBytes,
                t + ": the first getFieldsToSerialize stays valid while a sibling serializes");
            bool repeated = true;
            for (int32_t i = 0; i < 2; ++i)
            {
                repeated = repeated && fieldBytes(thirdCaps.runtime->getFieldsToSerialize()) == firstBytes;
            }
            check(repeated, t + ": getFieldsToSerialize asked three times gives identical fields");
            delete sibling;
            IPluginV3* restored = creator.createPlugin("/MaxUnpool", first, TensorRTPhase::kRUNTIME);
            Capabilities restoredCaps(restored);
            check(restoredCaps.complete() && fieldBytes(restoredCaps.runtime->getFieldsToSerialize()) == firstBytes,
                t + ": the third-generation clone's fields recreate the plugin");
            delete restored;
        }
        delete third;
        delete second;
        check(fieldBytes(parsedCaps.runtime->getFieldsToSerialize()) == fieldBytes(&fields.collection)
                && parsedCaps.build->getNbOutputs() == 1,
            t + ": the parser's clone outlives the builder's clones intact");
        delete parsed;
    }
}
#endif

// The creator the parser would find for our node (plugin_version "1", plugin_namespace ""),
// exercised through the interface its kind says.
void exerciseRegistered(IPluginRegistry& registry, int32_t logger, std::string const& tag)
{
#if NV_TENSORRT_MAJOR >= 10
    IPluginCreatorInterface* creator = registry.getCreator(kNAME, kVERSION, "");
    check(creator != nullptr, tag + ": registry.getCreator(EdgeSegnetUnpool, 1, \"\") finds the creator");
    if (creator == nullptr)
    {
        return;
    }
    std::string const kind = same(creator->getInterfaceInfo().kind);
    std::printf("  %s: creator kind %s\n", tag.c_str(), kind.c_str());
    if (kind == "PLUGIN CREATOR_V1")
    {
        exerciseV2(*static_cast<IPluginCreator*>(creator), logger, tag + " V2");
    }
    else
    {
        check(kind == "PLUGIN CREATOR_V3ONE", tag + ": creator kind is V1 or V3ONE");
        exerciseV3(*static_cast<IPluginCreatorV3One*>(creator), logger, tag + " V3");
        exerciseV3LikeRealBuilder(*static_cast<IPluginCreatorV3One*>(creator), tag + " V3");
    }
#else
    IPluginCreator* creator = registry.getPluginCreator(kNAME, kVERSION, "");
    check(creator != nullptr, tag + ": registry.getPluginCreator(EdgeSegnetUnpool, 1, \"\") finds the creator");
    if (creator != nullptr)
    {
        exerciseV2(*creator, logger, tag + " V2");
    }
#endif
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3)
    {
        std::printf("usage: %s <stand-in libnvinfer> <libedge_segnet_plugins.so> [<libedge_segnet_plugins_dynamic.so>]\n",
            argv[0]);
        return 2;
    }
    std::printf("harness: TensorRT %d.%d.%d headers\n", NV_TENSORRT_MAJOR, NV_TENSORRT_MINOR, NV_TENSORRT_PATCH);
    // As Python's tensorrt does: libnvinfer private to the module that loads it.
    if (!gNv.load(argv[1]))
    {
        return 1;
    }
    IPluginRegistry& registry = *gNv.registry();

#if HARNESS_HAS_LOAD_LIBRARY
    if (argc > 3)
    {
        // trtexec --dynamicPlugins: IPluginRegistry::loadLibrary, with the stand-in doing what the
        // TensorRT documentation says it does (and noticing calls back into the registry).
        int32_t const before = gNv.registered();
        IPluginRegistry::PluginLibraryHandle handle = registry.loadLibrary(argv[3]);
        check(handle != nullptr, std::string("loadLibrary(dynamic library): ") + gNv.lastError());
        check(gNv.registered() == before + 1, "loadLibrary registered exactly one creator");
        if (handle != nullptr)
        {
            LogWatch finder(1);
            exerciseRegistered(registry, 1, "dynamic");
            check(finder.saw("EdgeSegnetUnpool"), "dynamic: errors go to the logger setLoggerFinder handed over");
            registry.deregisterLibrary(handle);
        }
        check(gNv.registered() == before, "deregisterLibrary removed it again");
    }
#else
    (void) argc;
#endif

    // Python: tensorrt imported (above), then ctypes.CDLL(plugin, RTLD_GLOBAL).
    int32_t const before = gNv.registered();
    void* library = dlopen(argv[2], RTLD_NOW | RTLD_GLOBAL);
    char const* error = library == nullptr ? dlerror() : nullptr;
    check(library != nullptr, std::string("the plugin library loads after an RTLD_LOCAL libnvinfer: ") + same(error));
    if (library != nullptr)
    {
        check(gNv.registered() == before + 1, "loading it registered exactly one creator");
        check(dlsym(library, "getCreators") == nullptr && dlsym(library, "getPluginCreators") == nullptr,
            "the self-registering library exports no loadLibrary entry points");
        check(dlsym(library, "edge_segnet_unpool_launch") == nullptr,
            "the plugin library keeps its internals (the kernel's C ABI) unexported");
        exerciseRegistered(registry, 0, "static");
#if HARNESS_HAS_LOAD_LIBRARY
        check(registry.loadLibrary(argv[2]) == nullptr, "loadLibrary refuses the self-registering library");
#endif
    }

    if (gFailures == 0)
    {
        std::printf("PASS %d checks\n", gChecks);
        return 0;
    }
    std::printf("FAIL %d of %d checks\n", gFailures, gChecks);
    return 1;
}
