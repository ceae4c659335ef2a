#include "loa/cli/time_input.hpp"

#include "loa/common/time_format.hpp"
#include "messages.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <limits>

namespace loa::cli {
namespace {

Result<Duration> parse_relative(std::string_view text) {
    const auto bad = [&] { return Error{fmt::format(text::kBadRelativeTime, text)}; };
    std::string_view rest = text.substr(1);  // after '+'
    if (rest.empty()) {
        return bad();
    }
    std::int64_t total_s = 0;
    constexpr std::int64_t kLimitS = std::int64_t{10} * 366 * 86400;  // ten years is plenty
    while (!rest.empty()) {
        std::int64_t number = 0;
        std::size_t digits = 0;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
            number = number * 10 + (rest[digits] - '0');
            if (number > kLimitS) {
                return bad();
            }
            ++digits;
        }
        if (digits == 0 || digits == rest.size()) {
            return bad();
        }
        std::int64_t unit_s = 0;
        switch (rest[digits]) {
            case 's':
                unit_s = 1;
                break;
            case 'm':
                unit_s = 60;
                break;
            case 'h':
                unit_s = 3600;
                break;
            case 'd':
                unit_s = 86400;
                break;
            default:
                return bad();
        }
        total_s += number * unit_s;
        if (total_s > kLimitS) {
            return bad();
        }
        rest.remove_prefix(digits + 1);
    }
    return Duration{std::chrono::seconds{total_s}};
}

}  // namespace

Result<TimePoint> parse_time_input(std::string_view text, std::string_view zone, TimePoint now) {
    if (text.starts_with('+')) {
        auto offset = parse_relative(text);
        if (!offset) {
            return offset.error();
        }
        return TimePoint{std::chrono::ceil<std::chrono::seconds>(now + *offset)};
    }
    return parse_time(text, zone);
}

}  // namespace loa::cli
