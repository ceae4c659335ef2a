#include "loa/alerting/alert.hpp"

#include "cap_names.hpp"

#include <cctype>

namespace loa::alerting {

using namespace cap_names;

std::string_view to_string(AlertStatus v) {
    return name_of(kStatus, v);
}
std::string_view to_string(MsgType v) {
    return name_of(kMsgType, v);
}
std::string_view to_string(Scope v) {
    return name_of(kScope, v);
}
std::string_view to_string(Category v) {
    return name_of(kCategory, v);
}
std::string_view to_string(ResponseType v) {
    return name_of(kResponseType, v);
}
std::string_view to_string(Urgency v) {
    return name_of(kUrgency, v);
}
std::string_view to_string(Severity v) {
    return name_of(kSeverity, v);
}
std::string_view to_string(Certainty v) {
    return name_of(kCertainty, v);
}

std::string spoken_text(const Info& info) {
    std::string out;
    for (const std::string* part : {&info.headline, &info.description, &info.instruction}) {
        if (part->empty()) {
            continue;
        }
        if (!out.empty()) {
            out += ' ';
        }
        out += *part;
        const char last = part->back();
        if (last != '.' && last != '!' && last != '?' && last != ';' && last != ':') {
            out += '.';
        }
    }
    return out;
}

bool language_matches(std::string_view language, std::string_view wanted) {
    if (wanted.empty() || language.size() < wanted.size()) {
        return false;
    }
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(language[i])) !=
            std::tolower(static_cast<unsigned char>(wanted[i]))) {
            return false;
        }
    }
    return language.size() == wanted.size() || language[wanted.size()] == '-';
}

}  // namespace loa::alerting
