#include "loa/agent/signed_timeline.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/common/digest.hpp"
#include "loa/protocol/signing.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace loa::agent {

Result<wire::Timeline> open_signed_timeline(std::string_view bytes, std::string_view signature,
                                            std::string_view signing_key_hex) {
    if (!protocol::verify(bytes, signature, signing_key_hex)) {
        return Error{"signature does not verify with the scheduler's signing key"};
    }
    wire::Timeline timeline;
    if (!timeline.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return Error{"signed bytes are not a Timeline"};
    }
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
    return timeline;
}

std::optional<wire::Timeline> load_stored_timeline(const AgentStore& store,
                                                   std::string_view signing_key_hex) {
    const auto stored = store.timeline();
    if (!stored) {
        return std::nullopt;
    }
    auto timeline = open_signed_timeline(stored->bytes, stored->signature, signing_key_hex);
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
