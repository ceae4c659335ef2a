#include "loa/protocol/timeline_delta.hpp"

#include "loa/common/digest.hpp"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <vector>

namespace loa::protocol {
namespace {

std::string serialize_item(const wire::TimelineItem& item) {
    std::string out;
    {
        google::protobuf::io::StringOutputStream stream{&out};
        google::protobuf::io::CodedOutputStream coded{&stream};
        coded.SetSerializationDeterministic(true);
        item.SerializeToCodedStream(&coded);
    }
    return out;
}

// The items by id; fails on an empty or repeated id.
Result<std::map<std::string, const wire::TimelineItem*>> items_by_id(const wire::Timeline& t,
                                                                     std::string_view which) {
    std::map<std::string, const wire::TimelineItem*> out;
    for (const auto& item : t.items()) {
        if (item.item_id().empty()) {
            return Error{
                fmt::format("{} revision {} has an item without an id", which, t.revision())};
        }
        if (!out.emplace(item.item_id(), &item).second) {
            return Error{fmt::format("{} revision {} holds item id '{}' twice", which, t.revision(),
                                     item.item_id())};
        }
    }
    return out;
}

// The rule of loa.proto without the digest check.
Result<wire::Timeline> apply_unchecked(const wire::Timeline& base,
                                       const wire::TimelineDelta& delta) {
    if (delta.station_id() != base.station_id()) {
        return Error{fmt::format("delta is for station '{}', the base timeline for '{}'",
                                 delta.station_id().substr(0, 80), base.station_id())};
    }
    if (delta.base_revision() != base.revision()) {
        return Error{fmt::format("delta applies to revision {}, the base is revision {}",
                                 delta.base_revision(), base.revision())};
    }
    if (delta.revision() <= delta.base_revision()) {
        return Error{fmt::format("delta revision {} is not above its base revision {}",
                                 delta.revision(), delta.base_revision())};
    }
    auto base_items = items_by_id(base, "base");
    if (!base_items) {
        return base_items.error();
    }
    std::map<std::string, wire::TimelineItem> result;
    for (const auto& [id, item] : *base_items) {
        result.emplace(id, *item);
    }
    std::set<std::string> removed;
    for (const auto& id : delta.removed_item_ids()) {
        if (!removed.insert(id).second || result.erase(id) == 0) {
            return Error{fmt::format("delta removes item '{}', which revision {} does not hold",
                                     id.substr(0, 80), base.revision())};
        }
    }
    std::set<std::string> upserted;
    for (const auto& item : delta.upserted()) {
        if (item.item_id().empty()) {
            return Error{"delta upserts an item without an id"};
        }
        if (!upserted.insert(item.item_id()).second) {
            return Error{
                fmt::format("delta upserts item '{}' twice", item.item_id().substr(0, 80))};
        }
        result.insert_or_assign(item.item_id(), item);
    }
    std::vector<const wire::TimelineItem*> ordered;
    ordered.reserve(result.size());
    for (const auto& [id, item] : result) {
        ordered.push_back(&item);
    }
    // The map is ordered by id: a stable sort by start gives (start_at_us, item_id).
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
        return a->start_at_us() < b->start_at_us();
    });
    wire::Timeline out;
    out.set_station_id(delta.station_id());
    out.set_revision(delta.revision());
    out.set_horizon_end_us(delta.horizon_end_us());
    out.set_issued_at_us(delta.issued_at_us());
    out.mutable_items()->Reserve(static_cast<int>(ordered.size()));
    for (const auto* item : ordered) {
        *out.add_items() = *item;
    }
    return out;
}

}  // namespace

std::string serialize_timeline(const wire::Timeline& timeline) {
    std::string out;
    {
        google::protobuf::io::StringOutputStream stream{&out};
        google::protobuf::io::CodedOutputStream coded{&stream};
        coded.SetSerializationDeterministic(true);
        timeline.SerializeToCodedStream(&coded);
    }
    return out;
}

std::string timeline_sha256(const wire::Timeline& timeline) {
    const std::string bytes = serialize_timeline(timeline);
    return sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}

Result<wire::TimelineDelta> make_delta(const wire::Timeline& base, const wire::Timeline& target) {
    if (base.station_id() != target.station_id()) {
        return Error{fmt::format("revision {} is of station '{}', revision {} of '{}'",
                                 base.revision(), base.station_id(), target.revision(),
                                 target.station_id())};
    }
    if (target.revision() <= base.revision()) {
        return Error{fmt::format("revision {} is not newer than revision {}", target.revision(),
                                 base.revision())};
    }
    auto old_items = items_by_id(base, "base");
    if (!old_items) {
        return old_items.error();
    }
    auto new_items = items_by_id(target, "target");
    if (!new_items) {
        return new_items.error();
    }
    wire::TimelineDelta delta;
    delta.set_station_id(target.station_id());
    delta.set_base_revision(base.revision());
    delta.set_revision(target.revision());
    delta.set_horizon_end_us(target.horizon_end_us());
    delta.set_issued_at_us(target.issued_at_us());
    for (const auto& [id, item] : *old_items) {
        if (new_items->count(id) == 0) {
            delta.add_removed_item_ids(id);
        }
    }
    for (const auto& item : target.items()) {
        const auto old = old_items->find(item.item_id());
        if (old == old_items->end() || serialize_item(*old->second) != serialize_item(item)) {
            *delta.add_upserted() = item;
        }
    }
    auto result = apply_unchecked(base, delta);
    if (!result) {
        return result.error();
    }
    // The agent must end up with exactly the target's items: the target in the rule's order
    // (every item added to an empty base) is what the delta has to reproduce.
    wire::TimelineDelta whole;
    whole.set_station_id(target.station_id());
    whole.set_revision(target.revision());
    whole.set_horizon_end_us(target.horizon_end_us());
    whole.set_issued_at_us(target.issued_at_us());
    *whole.mutable_upserted() = target.items();
    wire::Timeline empty;
    empty.set_station_id(target.station_id());
    auto expected = apply_unchecked(empty, whole);
    if (!expected || serialize_timeline(*result) != serialize_timeline(*expected)) {
        return Error{"the delta does not reproduce the target revision"};
    }
    delta.set_result_sha256(timeline_sha256(*result));
    return delta;
}

Result<wire::Timeline> apply_delta(const wire::Timeline& base, const wire::TimelineDelta& delta) {
    auto result = apply_unchecked(base, delta);
    if (!result) {
        return result.error();
    }
    if (timeline_sha256(*result) != delta.result_sha256()) {
        return Error{fmt::format(
            "revision {} made from revision {} does not match the digest the scheduler signed",
            delta.revision(), delta.base_revision())};
    }
    return result;
}

wire::TimelineDeltaUpdate sign_delta(const wire::TimelineDelta& delta, const SigningKeyPair& keys) {
    wire::TimelineDeltaUpdate update;
    std::string bytes = delta.SerializeAsString();
    update.set_signature(sign(bytes, keys));
    update.set_delta(std::move(bytes));
    return update;
}

Result<wire::TimelineDelta> open_signed_delta(std::string_view delta_bytes,
                                              std::string_view signature,
                                              std::string_view signing_key_hex) {
    if (!verify(delta_bytes, signature, signing_key_hex)) {
        return Error{"delta signature does not verify with the scheduler's signing key"};
    }
    wire::TimelineDelta delta;
    if (!delta.ParseFromArray(delta_bytes.data(), static_cast<int>(delta_bytes.size()))) {
        return Error{"signed bytes are not a TimelineDelta"};
    }
    return delta;
}

}  // namespace loa::protocol
