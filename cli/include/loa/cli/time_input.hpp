#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"

#include <string_view>

namespace loa::cli {

// An air time as an operator types it: ISO 8601 with an offset or `Z`, ISO 8601 without one
// (read in the IANA zone `zone`), or relative to `now`: "+30s", "+5m", "+2h", "+1d", "+1h30m".
// A relative time is rounded up to the whole second so it never lands before now + the amount.
Result<TimePoint> parse_time_input(std::string_view text, std::string_view zone, TimePoint now);

}  // namespace loa::cli
