// Which of the plugin's functions a real TensorRT builder calls: linked into a plugin library
// built with -finstrument-functions (tools/check_plugin_builds.sh, the --rtx stage), it counts
// every entry into an instrumented function, in order of first call, and
// edge_segnet_trace_dump(path) writes "count<TAB>library<TAB>offset" lines and starts again
// (the plugin's symbols are hidden, so dladdr cannot name them: the stage names each offset
// from the library's static symbol table). Not part of any
// plugin anyone ships: the stage builds its own copy of the libraries with it.
#include <dlfcn.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#define NO_TRACE __attribute__((no_instrument_function))

namespace
{
struct Calls
{
    std::mutex lock;
    std::map<void*, long> counts;
    std::vector<void*> order;
};

NO_TRACE Calls& calls()
{
    static Calls* instance = new Calls(); // never destroyed: TensorRT may call during exit
    return *instance;
}

NO_TRACE bool where(void* function, std::string& library, unsigned long& offset)
{
    Dl_info info;
    if (dladdr(function, &info) == 0 || info.dli_fname == nullptr)
    {
        return false;
    }
    library = info.dli_fname;
    offset = static_cast<unsigned long>(static_cast<char*>(function) -
                                        static_cast<char*>(info.dli_fbase));
    return true;
}
} // namespace

// glibc defines empty ones that come first in a process's lookup order: the stage links with
// -Bsymbolic-functions so that the library's calls bind to these.
extern "C"
{
NO_TRACE void __cyg_profile_func_enter(void* function, void*)
{
    Calls& c = calls();
    std::lock_guard<std::mutex> guard(c.lock);
    long& count = c.counts[function];
    if (count++ == 0)
    {
        c.order.push_back(function);
    }
}

NO_TRACE void __cyg_profile_func_exit(void*, void*) {}

__attribute__((visibility("default"))) NO_TRACE int edge_segnet_trace_dump(char const* path)
{
    Calls& c = calls();
    std::lock_guard<std::mutex> guard(c.lock);
    std::FILE* out = std::fopen(path, "w");
    if (out == nullptr)
    {
        return -1;
    }
    for (void* function : c.order)
    {
        std::string library;
        unsigned long offset = 0;
        if (where(function, library, offset))
        {
            std::fprintf(out, "%ld\t%s\t0x%lx\n", c.counts[function], library.c_str(), offset);
        }
    }
    std::fclose(out);
    c.counts.clear();
    c.order.clear();
    return 0;
}
}
