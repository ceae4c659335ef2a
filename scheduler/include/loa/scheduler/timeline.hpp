#pragma once

#include "loa/common/clock.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/scheduler/records.hpp"
#include "loa/wire/loa.pb.h"

#include <cstdint>
#include <string>

namespace loa::scheduler {

// The stable id of the timeline item an entry becomes ("e42").
std::string item_id_for_entry(std::int64_t entry_id);

// The wire Timeline for a compiled station timeline, issued at `now` and complete up to
// now + horizon. Pure; any thread.
wire::Timeline build_timeline(const StationTimeline& timeline, TimePoint now, Duration horizon);

// Serialises `timeline` and signs exactly those bytes with the scheduler's signing key.
wire::TimelineUpdate sign_timeline(const wire::Timeline& timeline,
                                   const protocol::SigningKeyPair& keys);

}  // namespace loa::scheduler
