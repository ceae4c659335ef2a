#include "sndfile_library.hpp"

#include <dlfcn.h>

#include <string>

namespace loa::audio {

namespace {

constexpr const char* kLibrary = "libsndfile.so.1";

template <typename Fn>
bool resolve(void* handle, const char* name, Fn& fn, std::string& problem) {
    void* symbol = ::dlsym(handle, name);
    if (symbol == nullptr) {
        problem = std::string{kLibrary} + " has no " + name;
        return false;
    }
    fn = reinterpret_cast<Fn>(symbol);
    return true;
}

struct Loaded {
    SndfileLibrary table;
    std::string problem;
};

Loaded load() {
    Loaded loaded;
    // Never closed: the functions are used until the process ends.
    void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = ::dlerror();
        loaded.problem = std::string{"cannot load "} + kLibrary + ": " + (why ? why : "unknown");
        return loaded;
    }
    auto& t = loaded.table;
    std::string& p = loaded.problem;
    if (!resolve(handle, "sf_open", t.open, p) || !resolve(handle, "sf_command", t.command, p) ||
        !resolve(handle, "sf_writef_float", t.writef_float, p) ||
        !resolve(handle, "sf_close", t.close, p) ||
        !resolve(handle, "sf_strerror", t.strerror, p)) {
        t = SndfileLibrary{};
    }
    return loaded;
}

}  // namespace

Result<const SndfileLibrary*> SndfileLibrary::get() {
    static const Loaded loaded = load();
    if (!loaded.problem.empty()) {
        return Error{loaded.problem};
    }
    return &loaded.table;
}

}  // namespace loa::audio
