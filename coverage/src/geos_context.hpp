#pragma once

#include <geos_c.h>

#include <memory>
#include <string>

namespace loa::coverage {

// Owners of GEOS objects made in one context.
struct GeomDeleter {
    GEOSContextHandle_t handle = nullptr;
    void operator()(GEOSGeometry* g) const { GEOSGeom_destroy_r(handle, g); }
};
struct PreparedDeleter {
    GEOSContextHandle_t handle = nullptr;
    void operator()(const GEOSPreparedGeometry* g) const { GEOSPreparedGeom_destroy_r(handle, g); }
};
struct TreeDeleter {
    GEOSContextHandle_t handle = nullptr;
    void operator()(GEOSSTRtree* t) const { GEOSSTRtree_destroy_r(handle, t); }
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;
using TreePtr = std::unique_ptr<GEOSSTRtree, TreeDeleter>;

// A reentrant GEOS context (GEOS's C API, *_r functions) that keeps the last error GEOS reported.
// Objects made in it must be used and destroyed in it. Not thread-safe: one thread at a time.
// Neither copyable nor movable (GEOS holds its address for the error handler).
class GeosContext {
public:
    GeosContext();
    ~GeosContext();
    GeosContext(const GeosContext&) = delete;
    GeosContext& operator=(const GeosContext&) = delete;

    GEOSContextHandle_t handle() const { return handle_; }
    // The last error GEOS reported in this context ("" when none).
    const std::string& last_error() const { return last_error_; }

    GeomPtr own(GEOSGeometry* g) const { return GeomPtr{g, GeomDeleter{handle_}}; }
    PreparedPtr own(const GEOSPreparedGeometry* g) const {
        return PreparedPtr{g, PreparedDeleter{handle_}};
    }
    TreePtr own(GEOSSTRtree* t) const { return TreePtr{t, TreeDeleter{handle_}}; }

private:
    static void on_error(const char* message, void* self);

    GEOSContextHandle_t handle_ = nullptr;
    std::string last_error_;
};

}  // namespace loa::coverage
