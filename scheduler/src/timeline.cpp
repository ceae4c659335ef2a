#include "loa/scheduler/timeline.hpp"

#include <fmt/format.h>

namespace loa::scheduler {

std::string item_id_for_entry(std::int64_t entry_id) {
    return fmt::format("e{}", entry_id);
}

wire::Timeline build_timeline(const StationTimeline& timeline, TimePoint now, Duration horizon) {
    wire::Timeline t;
    t.set_station_id(timeline.station_id);
    t.set_revision(timeline.revision);
    t.set_horizon_end_us(to_unix_us(now + horizon));
    t.set_issued_at_us(to_unix_us(now));
    for (const auto& item : timeline.items) {
        auto* w = t.add_items();
        w->set_item_id(item.item_id.empty() ? item_id_for_entry(item.entry_id) : item.item_id);
        w->set_asset_id(item.asset_id);
        w->set_start_at_us(item.start_at_us);
        w->set_duration_ms(item.duration_ms);
        w->set_priority(item.priority);
        w->set_title(item.title);
        w->set_asset_size(item.asset_size);
        for (const auto& zone : item.zones) {
            w->add_zones(zone);
        }
    }
    return t;
}

wire::TimelineUpdate sign_timeline(const wire::Timeline& timeline,
                                   const protocol::SigningKeyPair& keys) {
    wire::TimelineUpdate update;
    std::string bytes = timeline.SerializeAsString();
    update.set_signature(protocol::sign(bytes, keys));
    update.set_timeline(std::move(bytes));
    return update;
}

}  // namespace loa::scheduler
