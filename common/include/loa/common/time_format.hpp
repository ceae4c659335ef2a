#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"

#include <string>
#include <string_view>

namespace loa {

// The zone operators think in, unless told otherwise.
inline constexpr std::string_view kDefaultZone = "Asia/Ho_Chi_Minh";

// "2026-11-27T10:00:00.250Z": UTC, milliseconds.
std::string format_utc(TimePoint t);

// "2026-11-27T17:00:00+07:00" in the IANA zone `zone`; with `milliseconds`,
// "2026-11-27T17:00:00.250+07:00". Seconds are truncated, never rounded up.
std::string format_local(TimePoint t, std::string_view zone, bool milliseconds = false);

// Parses an ISO 8601 date-time. With a `Z` or `±HH:MM` offset it is exact; without one it is
// read as local time in the IANA zone `zone`. Fractional seconds are accepted.
Result<TimePoint> parse_time(std::string_view text, std::string_view zone = kDefaultZone);

}  // namespace loa
