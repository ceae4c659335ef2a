#include "loa/scheduler/line_error.hpp"

namespace loa::scheduler {

std::string LineError::to_string() const {
    return "line " + std::to_string(line) + ": " + message;
}

std::string join_errors(const std::vector<LineError>& errors) {
    std::string out;
    for (const auto& e : errors) {
        if (!out.empty()) {
            out += '\n';
        }
        out += e.to_string();
    }
    return out;
}

}  // namespace loa::scheduler
