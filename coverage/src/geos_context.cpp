#include "geos_context.hpp"

#include <new>

namespace loa::coverage {

GeosContext::GeosContext() : handle_{GEOS_init_r()} {
    if (handle_ == nullptr) {
        throw std::bad_alloc{};
    }
    GEOSContext_setErrorMessageHandler_r(handle_, &GeosContext::on_error, this);
    GEOSContext_setNoticeMessageHandler_r(handle_, nullptr, nullptr);
}

GeosContext::~GeosContext() {
    GEOS_finish_r(handle_);
}

void GeosContext::on_error(const char* message, void* self) {
    static_cast<GeosContext*>(self)->last_error_ = message != nullptr ? message : "";
}

}  // namespace loa::coverage
