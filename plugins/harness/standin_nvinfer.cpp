// A STAND-IN for libnvinfer, built from this source for the plugin harness only. It is not
// TensorRT and computes nothing: it exports the few entry points a plugin library takes from
// libnvinfer (getLogger, getPluginRegistry, getInferLibVersion ...) with recording stand-ins
// behind them, so that, against header-only TensorRT folders,
//   - the plugin links a libnvinfer.so.<major> and records it as NEEDED, as with the real one;
//   - the harness loads it RTLD_LOCAL, as Python's tensorrt does, and then the plugin, which must
//     resolve its TensorRT symbols through that NEEDED entry;
//   - registrations, lookups and log messages can be inspected (edge_segnet_standin_* below).
// Compiled against one release's headers; the classes follow that release's interfaces.
#include "NvInfer.h"
#include "NvInferRuntime.h"
#include "NvInferVersion.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

// The registry methods named here are the deprecated V1 ones on 10.x; the stand-in must
// implement them all the same.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#if NV_TENSORRT_MAJOR > 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR >= 6)
#define STANDIN_HAS_LOAD_LIBRARY 1
#endif

using namespace nvinfer1;

namespace
{

// Stands for the ILogger TensorRT's getLogger() returns (and, as gFinderLogger, for the logger
// an application's ILoggerFinder finds): keeps every message.
class RecordingLogger final : public ILogger
{
public:
    void log(Severity severity, AsciiChar const* message) noexcept override
    {
        try
        {
            messages.emplace_back(std::to_string(static_cast<int32_t>(severity)) + " "
                + (message != nullptr ? message : "(null)"));
        }
        catch (...)
        {
        }
    }

    std::vector<std::string> messages;
};

RecordingLogger gLogger;
RecordingLogger gFinderLogger;
std::string gLastError;

#if STANDIN_HAS_LOAD_LIBRARY
// Stands for the ILoggerFinder TensorRT hands to setLoggerFinder in loadLibrary.
class FinderStandIn final : public ILoggerFinder
{
public:
    ILogger* findLogger() override
    {
        return &gFinderLogger;
    }
};
FinderStandIn gFinder;
#endif

// Stands for TensorRT's IDimensionExpr: a constant, or a symbol such as a dynamic batch size.
using DimensionValue = decltype(std::declval<apiv::VDimensionExpr>().getConstantValue());

class DimensionImpl final : public apiv::VDimensionExpr
{
public:
    DimensionImpl(bool constant, DimensionValue value)
        : mConstant(constant)
        , mValue(value)
    {
    }
    bool isConstant() const override
    {
        return mConstant;
    }
    DimensionValue getConstantValue() const override
    {
        return mConstant ? mValue : -1;
    }
#if NV_TENSORRT_MAJOR >= 10
    bool isSizeTensor() const override
    {
        return false;
    }
#endif

private:
    bool mConstant;
    DimensionValue mValue;
};

class Dimension final : public IDimensionExpr
{
public:
    Dimension(bool constant, DimensionValue value)
        : mDimension(constant, value)
    {
        mImpl = &mDimension;
    }
    ~Dimension() noexcept override = default;

private:
    DimensionImpl mDimension;
};

// Stands for TensorRT's IExprBuilder: folds constants, keeps anything symbolic symbolic.
class ExprBuilderImpl final : public apiv::VExprBuilder
{
public:
    IDimensionExpr const* constant(DimensionValue value) override
    {
        return make(true, value);
    }

    IDimensionExpr const* operation(
        DimensionOperation op, IDimensionExpr const& first, IDimensionExpr const& second) override
    {
        if (!first.isConstant() || !second.isConstant())
        {
            return make(false, 0);
        }
        DimensionValue const a = first.getConstantValue();
        DimensionValue const b = second.getConstantValue();
        switch (op)
        {
        case DimensionOperation::kSUM: return make(true, a + b);
        case DimensionOperation::kPROD: return make(true, a * b);
        case DimensionOperation::kMAX: return make(true, a > b ? a : b);
        case DimensionOperation::kMIN: return make(true, a < b ? a : b);
        case DimensionOperation::kSUB: return make(true, a - b);
        case DimensionOperation::kFLOOR_DIV: return b != 0 ? make(true, a / b) : nullptr;
        case DimensionOperation::kCEIL_DIV: return b != 0 ? make(true, (a + b - 1) / b) : nullptr;
        default: return make(false, 0);
        }
    }

#if NV_TENSORRT_MAJOR >= 10
    IDimensionExpr const* declareSizeTensor(int32_t, IDimensionExpr const&, IDimensionExpr const&) override
    {
        return make(false, 0);
    }
#endif

    IDimensionExpr const* make(bool isConstant, DimensionValue value)
    {
        mDimensions.emplace_back(new Dimension(isConstant, value));
        return mDimensions.back().get();
    }

private:
    std::deque<std::unique_ptr<Dimension>> mDimensions;
};

class ExprBuilder final : public IExprBuilder
{
public:
    ExprBuilder()
    {
        mImpl = &builder;
    }
    ~ExprBuilder() noexcept override = default;

    ExprBuilderImpl builder;
};

ExprBuilder& exprBuilder()
{
    static ExprBuilder instance;
    return instance;
}

#if NV_TENSORRT_MAJOR >= 10
// Stands for the IPluginResourceContext TensorRT passes to attachToContext.
class ResourceContext final : public IPluginResourceContext
{
public:
    IGpuAllocator* getGpuAllocator() const noexcept override
    {
        return nullptr;
    }
    IErrorRecorder* getErrorRecorder() const noexcept override
    {
        return nullptr;
    }
    ~ResourceContext() noexcept override = default;
};
ResourceContext gResourceContext;
using Creator = IPluginCreatorInterface;
#else
using Creator = IPluginCreator;
#endif

// Name and version of a creator of either generation.
std::pair<std::string, std::string> creatorKey(Creator& creator)
{
#if NV_TENSORRT_MAJOR >= 10
    if (std::strcmp(creator.getInterfaceInfo().kind, "PLUGIN CREATOR_V1") == 0)
    {
        auto& v1 = static_cast<IPluginCreator&>(creator);
        return {v1.getPluginName(), v1.getPluginVersion()};
    }
    auto& v3 = static_cast<IPluginCreatorV3One&>(creator);
    return {v3.getPluginName(), v3.getPluginVersion()};
#else
    return {creator.getPluginName(), creator.getPluginVersion()};
#endif
}

// Stands for TensorRT's plugin registry: a list of (creator, namespace), lookups by name,
// version and namespace, duplicates refused, and loadLibrary done the way the TensorRT
// documentation describes it (dlopen, setLoggerFinder, getCreators, register each; fail when one
// is registered already). It also notices a library that calls back into the registry while
// loadLibrary asks it for its creators.
class Registry final : public IPluginRegistry
{
public:
    struct Entry
    {
        Creator* creator;
        std::string space;
        std::string name;
        std::string version;
        void* library;
    };

    int32_t calls{0};
    bool insideEntryPoint{false};
    bool reentered{false};
    std::vector<Entry> entries;
    std::vector<Creator*> listed;

    void count()
    {
        ++calls;
        if (insideEntryPoint)
        {
            reentered = true;
        }
    }

    Entry* find(char const* name, char const* version, char const* space)
    {
        for (Entry& entry : entries)
        {
            if (entry.name == (name ? name : "") && entry.version == (version ? version : "")
                && entry.space == (space ? space : ""))
            {
                return &entry;
            }
        }
        return nullptr;
    }

    bool add(Creator& creator, char const* space, void* library)
    {
        std::pair<std::string, std::string> const key = creatorKey(creator);
        if (find(key.first.c_str(), key.second.c_str(), space) != nullptr)
        {
            gLastError = "creator " + key.first + " version " + key.second + " is registered already";
            return false;
        }
        entries.push_back(Entry{&creator, space ? space : "", key.first, key.second, library});
        return true;
    }

    bool remove(Creator const& creator)
    {
        for (auto it = entries.begin(); it != entries.end(); ++it)
        {
            if (it->creator == &creator)
            {
                entries.erase(it);
                return true;
            }
        }
        return false;
    }

#if NV_TENSORRT_MAJOR < 11
    bool registerCreator(IPluginCreator& creator, AsciiChar const* const pluginNamespace) noexcept override
    {
        count();
        // As TensorRT does for V1 creators: the creator learns its namespace.
        creator.setPluginNamespace(pluginNamespace);
        return add(creator, pluginNamespace, nullptr);
    }

    IPluginCreator* const* getPluginCreatorList(int32_t* const numCreators) const noexcept override
    {
        auto* self = const_cast<Registry*>(this);
        self->count();
        std::vector<IPluginCreator*>& v1 = self->v1List;
        v1.clear();
        for (Entry const& entry : entries)
        {
            if (IPluginCreator* creator = asV1(entry.creator))
            {
                v1.push_back(creator);
            }
        }
        *numCreators = static_cast<int32_t>(v1.size());
        return v1.empty() ? nullptr : v1.data();
    }

    IPluginCreator* getPluginCreator(AsciiChar const* const pluginName, AsciiChar const* const pluginVersion,
        AsciiChar const* const pluginNamespace) noexcept override
    {
        count();
        Entry* entry = find(pluginName, pluginVersion, pluginNamespace);
        return entry != nullptr ? asV1(entry->creator) : nullptr;
    }

    bool deregisterCreator(IPluginCreator const& creator) noexcept override
    {
        count();
        return remove(creator);
    }

    std::vector<IPluginCreator*> v1List;

    static IPluginCreator* asV1(Creator* creator)
    {
#if NV_TENSORRT_MAJOR >= 10
        return std::strcmp(creator->getInterfaceInfo().kind, "PLUGIN CREATOR_V1") == 0
            ? static_cast<IPluginCreator*>(creator)
            : nullptr;
#else
        return creator;
#endif
    }
#endif

    void setErrorRecorder(IErrorRecorder* const recorder) noexcept override
    {
        count();
        mRecorder = recorder;
    }

    IErrorRecorder* getErrorRecorder() const noexcept override
    {
        const_cast<Registry*>(this)->count();
        return mRecorder;
    }

#if STANDIN_HAS_LOAD_LIBRARY
    bool isParentSearchEnabled() const override
    {
        return true;
    }

    void setParentSearchEnabled(bool const) override {}

    PluginLibraryHandle loadLibrary(AsciiChar const* pluginPath) noexcept override
    {
        count();
        void* library = dlopen(pluginPath, RTLD_NOW | RTLD_LOCAL);
        if (library == nullptr)
        {
            char const* reason = dlerror();
            gLastError = std::string("dlopen: ") + (reason != nullptr ? reason : "?");
            return nullptr;
        }
        using SetFinder = void (*)(ILoggerFinder*);
        auto setFinder = reinterpret_cast<SetFinder>(dlsym(library, "setLoggerFinder"));
        if (setFinder != nullptr)
        {
            setFinder(&gFinder);
        }
        std::vector<Creator*> creators;
        int32_t n = 0;
        insideEntryPoint = true;
        reentered = false;
#if NV_TENSORRT_MAJOR >= 10
        using GetCreators = IPluginCreatorInterface* const* (*) (int32_t&);
        auto getCreators = reinterpret_cast<GetCreators>(dlsym(library, "getCreators"));
        if (getCreators == nullptr)
        {
            getCreators = reinterpret_cast<GetCreators>(dlsym(library, "getPluginCreators"));
        }
#else
        using GetCreators = IPluginCreator* const* (*) (int32_t&);
        auto getCreators = reinterpret_cast<GetCreators>(dlsym(library, "getPluginCreators"));
#endif
        if (getCreators != nullptr)
        {
            auto* list = getCreators(n);
            for (int32_t i = 0; list != nullptr && i < n; ++i)
            {
                creators.push_back(list[i]);
            }
        }
        insideEntryPoint = false;
        if (getCreators == nullptr)
        {
            gLastError = "the library exports neither getCreators nor getPluginCreators";
            dlclose(library);
            return nullptr;
        }
        if (reentered)
        {
            gLastError = "the library called the plugin registry from inside getCreators";
            dlclose(library);
            return nullptr;
        }
        for (Creator* creator : creators)
        {
            if (creator == nullptr || !add(*creator, namespaceOf(*creator), library))
            {
                for (Creator* done : creators)
                {
                    removeFrom(library, done);
                }
                dlclose(library);
                return nullptr;
            }
        }
        return library;
    }

    void deregisterLibrary(PluginLibraryHandle handle) noexcept override
    {
        count();
        for (auto it = entries.begin(); it != entries.end();)
        {
            it = it->library == handle ? entries.erase(it) : it + 1;
        }
        if (handle != nullptr)
        {
            dlclose(handle);
        }
    }

    void removeFrom(void* library, Creator* creator)
    {
        for (auto it = entries.begin(); it != entries.end();)
        {
            it = (it->library == library && it->creator == creator) ? entries.erase(it) : it + 1;
        }
    }

    static char const* namespaceOf(Creator& creator)
    {
#if NV_TENSORRT_MAJOR >= 10
        if (std::strcmp(creator.getInterfaceInfo().kind, "PLUGIN CREATOR_V1") == 0)
        {
            return static_cast<IPluginCreator&>(creator).getPluginNamespace();
        }
        return static_cast<IPluginCreatorV3One&>(creator).getPluginNamespace();
#else
        return creator.getPluginNamespace();
#endif
    }
#endif

#if NV_TENSORRT_MAJOR >= 10
    bool registerCreator(IPluginCreatorInterface& creator, AsciiChar const* const pluginNamespace) noexcept override
    {
        count();
        if (std::strcmp(creator.getInterfaceInfo().kind, "PLUGIN CREATOR_V1") == 0)
        {
            static_cast<IPluginCreator&>(creator).setPluginNamespace(pluginNamespace);
        }
        return add(creator, pluginNamespace, nullptr);
    }

    IPluginCreatorInterface* const* getAllCreators(int32_t* const numCreators) const noexcept override
    {
        auto* self = const_cast<Registry*>(this);
        self->count();
        self->listed.clear();
        for (Entry const& entry : entries)
        {
            self->listed.push_back(entry.creator);
        }
        *numCreators = static_cast<int32_t>(listed.size());
        return listed.empty() ? nullptr : self->listed.data();
    }

    IPluginCreatorInterface* getCreator(AsciiChar const* const pluginName, AsciiChar const* const pluginVersion,
        AsciiChar const* const pluginNamespace) noexcept override
    {
        count();
        Entry* entry = find(pluginName, pluginVersion, pluginNamespace);
        return entry != nullptr ? entry->creator : nullptr;
    }

    bool deregisterCreator(IPluginCreatorInterface const& creator) noexcept override
    {
        count();
        return remove(creator);
    }

    IPluginResource* acquirePluginResource(AsciiChar const*, IPluginResource*) noexcept override
    {
        count();
        return nullptr;
    }

    int32_t releasePluginResource(AsciiChar const*) noexcept override
    {
        count();
        return -1;
    }

    // Pure virtual from some 10.x release on; an extra method before that.
    IPluginCreatorInterface* const* getAllCreatorsRecursive(int32_t* const numCreators) noexcept
    {
        return getAllCreators(numCreators);
    }
#endif

    ~Registry() noexcept override = default;

private:
    IErrorRecorder* mRecorder{nullptr};
};

Registry& registry()
{
    static Registry instance;
    return instance;
}

} // namespace

// --- What libnvinfer exports, stood in for ----------------------------------------------------
extern "C" TENSORRTAPI nvinfer1::IPluginRegistry* getPluginRegistry() noexcept
{
    return &registry();
}

extern "C" TENSORRTAPI nvinfer1::ILogger* getLogger() noexcept
{
    return &gLogger;
}

extern "C" TENSORRTAPI int32_t getInferLibVersion() noexcept
{
#if NV_TENSORRT_MAJOR >= 10
    return NV_TENSORRT_MAJOR * 10000 + NV_TENSORRT_MINOR * 100 + NV_TENSORRT_PATCH;
#else
    return NV_TENSORRT_MAJOR * 1000 + NV_TENSORRT_MINOR * 100 + NV_TENSORRT_PATCH;
#endif
}

// --- For the harness: inspection of the stand-ins ---------------------------------------------
extern "C"
{
    __attribute__((visibility("default"))) int32_t edge_segnet_standin_registry_calls()
    {
        return registry().calls;
    }

    __attribute__((visibility("default"))) int32_t edge_segnet_standin_registered()
    {
        return static_cast<int32_t>(registry().entries.size());
    }

    // which: 0 the getLogger() logger, 1 the logger the loggerFinder finds.
    __attribute__((visibility("default"))) int32_t edge_segnet_standin_log_count(int32_t which)
    {
        return static_cast<int32_t>((which == 0 ? gLogger : gFinderLogger).messages.size());
    }

    __attribute__((visibility("default"))) char const* edge_segnet_standin_log_message(int32_t which, int32_t index)
    {
        auto const& messages = (which == 0 ? gLogger : gFinderLogger).messages;
        return index >= 0 && index < static_cast<int32_t>(messages.size()) ? messages[index].c_str() : "";
    }

    __attribute__((visibility("default"))) char const* edge_segnet_standin_last_error()
    {
        return gLastError.c_str();
    }

    __attribute__((visibility("default"))) nvinfer1::IExprBuilder* edge_segnet_standin_expr_builder()
    {
        return &exprBuilder();
    }

    // A dimension whose value the builder does not know (a dynamic batch, say).
    __attribute__((visibility("default"))) nvinfer1::IDimensionExpr const* edge_segnet_standin_symbol()
    {
        return exprBuilder().builder.make(false, 0);
    }

#if NV_TENSORRT_MAJOR >= 10
    __attribute__((visibility("default"))) nvinfer1::IPluginResourceContext* edge_segnet_standin_resource_context()
    {
        return &gResourceContext;
    }
#endif
}
