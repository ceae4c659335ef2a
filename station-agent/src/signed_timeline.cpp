#include "loa/agent/signed_timeline.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/common/digest.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/protocol/timeline_delta.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace loa::agent {

namespace {

// An item the engine can play: an id, an asset id that is a SHA-256, a start time.
Status check_playable(const wire::Timeline& timeline) {
    if (timeline.station_id().empty()) {
        return Error{"timeline names no station"};
    }
    for (int i = 0; i < timeline.items_size(); ++i) {
        const auto& item = timeline.items(i);
        if (item.item_id().empty()) {
            return Error{fmt::format("item {} has no item id", i)};
        }
        if (!is_sha256_hex(item.asset_id())) {
            return Error{fmt::format("item {}: asset id '{}' is not 64 lower-case hex digits",
                                     item.item_id(), item.asset_id().substr(0, 80))};
        }
        if (item.start_at_us() <= 0) {
            return Error{fmt::format("item {} has no start time", item.item_id())};
        }
    }
    return {};
}

}  // namespace

Result<wire::Timeline> open_signed_timeline(std::string_view bytes, std::string_view signature,
                                            std::string_view signing_key_hex) {
    if (!protocol::verify(bytes, signature, signing_key_hex)) {
        return Error{"signature does not verify with the scheduler's signing key"};
    }
    wire::Timeline timeline;
    if (!timeline.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return Error{"signed bytes are not a Timeline"};
    }
    if (auto st = check_playable(timeline); !st) {
        return Error{st.message()};
    }
    return timeline;
}

Result<wire::Timeline> open_signed_delta_timeline(const wire::Timeline& base,
                                                  std::string_view delta_bytes,
                                                  std::string_view signature,
                                                  std::string_view signing_key_hex) {
    auto delta = protocol::open_signed_delta(delta_bytes, signature, signing_key_hex);
    if (!delta) {
        return delta.error();
    }
    auto timeline = protocol::apply_delta(base, *delta);
    if (!timeline) {
        return timeline.error();
    }
    if (auto st = check_playable(*timeline); !st) {
        return Error{st.message()};
    }
    return timeline;
}

Result<wire::Timeline> open_stored_timeline(const StoredTimeline& stored,
                                            std::string_view signing_key_hex) {
    if (stored.delta.empty()) {
        return open_signed_timeline(stored.bytes, stored.signature, signing_key_hex);
    }
    auto delta = protocol::open_signed_delta(stored.delta, stored.signature, signing_key_hex);
    if (!delta) {
        return delta.error();
    }
    wire::Timeline timeline;
    if (!timeline.ParseFromString(stored.bytes)) {
        return Error{"stored bytes are not a Timeline"};
    }
    if (protocol::timeline_sha256(timeline) != delta->result_sha256()) {
        return Error{"the timeline does not match the digest of the signed delta it came from"};
    }
    if (timeline.station_id() != delta->station_id() || timeline.revision() != delta->revision()) {
        return Error{"the timeline is not the station and revision its signed delta names"};
    }
    if (auto st = check_playable(timeline); !st) {
        return Error{st.message()};
    }
    return timeline;
}

std::optional<wire::Timeline> load_stored_timeline(const AgentStore& store,
                                                   std::string_view signing_key_hex) {
    const auto stored = store.timeline();
    if (!stored) {
        return std::nullopt;
    }
    auto timeline = open_stored_timeline(*stored, signing_key_hex);
    if (!timeline) {
        spdlog::error(
            "store: the stored timeline (revision {}) is not used: {}; waiting for the "
            "scheduler to send it again",
            stored->revision, timeline.error().message);
        return std::nullopt;
    }
    return std::move(timeline).value();
}

}  // namespace loa::agent
