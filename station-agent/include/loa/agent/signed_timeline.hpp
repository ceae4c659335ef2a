#pragma once

#include "loa/common/result.hpp"
#include "loa/wire/loa.pb.h"

#include <optional>
#include <string_view>

namespace loa::agent {

class AgentStore;

// Verifies a timeline's Ed25519 signature against the scheduler's signing key (hex) and parses
// it. Fails, naming the reason, on a bad signature, bytes that are not a Timeline, or an item
// that is not playable (no item id, an asset id that is not 64 hex digits, no start time).
// Any thread.
Result<wire::Timeline> open_signed_timeline(std::string_view bytes, std::string_view signature,
                                            std::string_view signing_key_hex);

// The timeline held in `store`, verified again with `signing_key_hex`; nullopt (and a log line
// saying why) when there is none or it no longer verifies. Any thread.
std::optional<wire::Timeline> load_stored_timeline(const AgentStore& store,
                                                   std::string_view signing_key_hex);

}  // namespace loa::agent
