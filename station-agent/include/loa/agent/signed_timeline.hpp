#pragma once

#include "loa/common/result.hpp"
#include "loa/wire/loa.pb.h"

#include <optional>
#include <string_view>

namespace loa::agent {

class AgentStore;
struct StoredTimeline;

// Verifies a timeline's Ed25519 signature against the scheduler's signing key (hex) and parses
// it. Fails, naming the reason, on a bad signature, bytes that are not a Timeline, or an item
// that is not playable (no item id, an asset id that is not 64 hex digits, no start time).
// Any thread.
Result<wire::Timeline> open_signed_timeline(std::string_view bytes, std::string_view signature,
                                            std::string_view signing_key_hex);

// Applies a signed delta (TimelineDeltaUpdate) to `base`, the verified timeline the agent holds:
// verifies the signature, applies the delta (protocol::apply_delta) and checks the result's
// digest and items as open_signed_timeline does. Fails, naming the reason; `base` is untouched.
// Any thread.
Result<wire::Timeline> open_signed_delta_timeline(const wire::Timeline& base,
                                                  std::string_view delta_bytes,
                                                  std::string_view signature,
                                                  std::string_view signing_key_hex);

// Verifies a stored timeline with its proof: the scheduler's signature over its bytes, or over
// the delta it was rebuilt from, whose result digest must be that of the stored bytes and whose
// station and revision must be the stored timeline's. Any thread.
Result<wire::Timeline> open_stored_timeline(const StoredTimeline& stored,
                                            std::string_view signing_key_hex);

// The timeline held in `store`, verified again with `signing_key_hex`; nullopt (and a log line
// saying why) when there is none or it no longer verifies. Any thread.
std::optional<wire::Timeline> load_stored_timeline(const AgentStore& store,
                                                   std::string_view signing_key_hex);

}  // namespace loa::agent
