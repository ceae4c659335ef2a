#include "loa/protocol/timeline_delta.hpp"

#include "loa/common/digest.hpp"
#include "loa/protocol/envelope.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>

using namespace loa;
using namespace loa::protocol;

namespace {

constexpr std::int64_t kT0 = 1'795'000'000'000'000;  // UTC µs
constexpr std::int64_t kHour = 3'600'000'000;

wire::TimelineItem item(int n, std::int64_t start_us) {
    wire::TimelineItem it;
    it.set_item_id(fmt::format("e{}-{}-0", n % 40 + 1, start_us / 1'000'000));
    it.set_asset_id(sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(&n), sizeof n}));
    it.set_start_at_us(start_us);
    it.set_duration_ms(180'000);
    it.set_priority(n % 3 == 0 ? wire::PROVINCE : wire::COMMUNE);
    it.set_title(fmt::format("Bản tin {} / programme {}", n % 40 + 1, n));
    it.set_asset_size(1'200'000 + static_cast<std::uint64_t>(n));
    return it;
}

// A week of ~300 items (one every 34 minutes), as the compiler might produce for a commune.
wire::Timeline week(std::uint64_t revision) {
    wire::Timeline t;
    t.set_station_id("30280");
    t.set_revision(revision);
    t.set_issued_at_us(kT0);
    t.set_horizon_end_us(kT0 + 7 * 24 * kHour);
    for (int n = 0; n < 300; ++n) {
        *t.add_items() = item(n, kT0 + n * 34 * 60'000'000LL);
    }
    return t;
}

// Same items and fields, whatever the order.
void expect_same_timeline(const wire::Timeline& a, const wire::Timeline& b) {
    EXPECT_EQ(a.station_id(), b.station_id());
    EXPECT_EQ(a.revision(), b.revision());
    EXPECT_EQ(a.horizon_end_us(), b.horizon_end_us());
    EXPECT_EQ(a.issued_at_us(), b.issued_at_us());
    ASSERT_EQ(a.items_size(), b.items_size());
    std::map<std::string, std::string> left;
    for (const auto& i : a.items()) {
        left[i.item_id()] = i.SerializeAsString();
    }
    for (const auto& i : b.items()) {
        ASSERT_EQ(left.count(i.item_id()), 1U) << i.item_id();
        EXPECT_EQ(left[i.item_id()], i.SerializeAsString()) << i.item_id();
    }
}

}  // namespace

TEST(TimelineDelta, OneChangedItemOfAWeekTravelsAloneAndRebuildsTheRevision) {
    const auto base = week(7);
    auto target = week(8);
    target.set_issued_at_us(kT0 + 60'000'000);
    target.set_horizon_end_us(kT0 + 7 * 24 * kHour + 60'000'000);
    target.mutable_items(150)->set_duration_ms(120'000);  // shortened by a higher item

    auto delta = make_delta(base, target);
    ASSERT_TRUE(delta) << delta.error().message;
    EXPECT_EQ(delta->base_revision(), 7U);
    EXPECT_EQ(delta->revision(), 8U);
    ASSERT_EQ(delta->upserted_size(), 1);
    EXPECT_EQ(delta->upserted(0).item_id(), target.items(150).item_id());
    EXPECT_EQ(delta->removed_item_ids_size(), 0);

    auto applied = apply_delta(base, *delta);
    ASSERT_TRUE(applied) << applied.error().message;
    expect_same_timeline(*applied, target);
    EXPECT_EQ(timeline_sha256(*applied), delta->result_sha256());

    // The figures of the note: what goes on the wire, whole vs delta, both signed.
    const SigningKeyPair keys = SigningKeyPair::generate();
    wire::Envelope whole = make_envelope(1, from_unix_us(kT0));
    whole.mutable_timeline_update()->set_timeline(serialize_timeline(target));
    whole.mutable_timeline_update()->set_signature(sign(whole.timeline_update().timeline(), keys));
    wire::Envelope change = make_envelope(1, from_unix_us(kT0));
    *change.mutable_timeline_delta() = sign_delta(*delta, keys);
    const auto whole_bytes = encode(whole).size();
    const auto delta_bytes = encode(change).size();
    std::printf("timeline of %d items: whole %zu bytes, delta for one changed item %zu bytes\n",
                target.items_size(), whole_bytes, delta_bytes);
    EXPECT_LT(delta_bytes * 50, whole_bytes);
}

TEST(TimelineDelta, AddsRemovesAndChangesItems) {
    const auto base = week(3);
    wire::Timeline target = base;
    target.set_revision(5);
    // The first item left the past hour, one was added at the end, one moved later.
    target.mutable_items()->erase(target.mutable_items()->begin());
    *target.add_items() = item(999, kT0 + 7 * 24 * kHour - 60'000'000);
    target.mutable_items(10)->set_start_at_us(target.items(10).start_at_us() + 90'000'000);

    auto delta = make_delta(base, target);
    ASSERT_TRUE(delta) << delta.error().message;
    ASSERT_EQ(delta->removed_item_ids_size(), 1);
    EXPECT_EQ(delta->removed_item_ids(0), base.items(0).item_id());
    EXPECT_EQ(delta->upserted_size(), 2);

    auto applied = apply_delta(base, *delta);
    ASSERT_TRUE(applied) << applied.error().message;
    expect_same_timeline(*applied, target);
    // Ordered by start.
    for (int i = 1; i < applied->items_size(); ++i) {
        EXPECT_LE(applied->items(i - 1).start_at_us(), applied->items(i).start_at_us());
    }
}

TEST(TimelineDelta, ADeltaAppliesOnlyToItsBase) {
    const auto base = week(3);
    auto target = week(4);
    target.mutable_items(0)->set_title("changed");
    auto delta = make_delta(base, target);
    ASSERT_TRUE(delta);

    auto other = week(2);
    auto r = apply_delta(other, *delta);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("applies to revision 3, the base is revision 2"),
              std::string::npos)
        << r.error().message;

    // Same revision number, different content: the digest catches it.
    auto drifted = week(3);
    drifted.mutable_items(5)->set_title("not what the scheduler holds");
    r = apply_delta(drifted, *delta);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("does not match the digest"), std::string::npos)
        << r.error().message;

    auto wrong_station = week(3);
    wrong_station.set_station_id("30281");
    EXPECT_FALSE(apply_delta(wrong_station, *delta));
}

TEST(TimelineDelta, MalformedDeltasAreRefusedNamingTheProblem) {
    const auto base = week(3);
    auto target = week(4);
    auto delta = make_delta(base, target);
    ASSERT_TRUE(delta);

    auto bad = *delta;
    bad.add_removed_item_ids("e-unknown");
    auto r = apply_delta(base, bad);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("'e-unknown'"), std::string::npos);

    bad = *delta;
    *bad.add_upserted() = item(1, kT0);
    *bad.add_upserted() = item(1, kT0);
    EXPECT_FALSE(apply_delta(base, bad));

    bad = *delta;
    bad.set_revision(3);
    EXPECT_FALSE(apply_delta(base, bad));

    bad = *delta;
    bad.set_result_sha256(std::string(64, '0'));
    EXPECT_FALSE(apply_delta(base, bad));
}

TEST(TimelineDelta, TimelinesWithRepeatedIdsAreSentWhole) {
    auto base = week(1);
    auto target = week(2);
    *target.add_items() = target.items(0);
    auto delta = make_delta(base, target);
    ASSERT_FALSE(delta);
    EXPECT_NE(delta.error().message.find("twice"), std::string::npos);
    EXPECT_FALSE(make_delta(week(2), week(2)));  // not newer
}

TEST(TimelineDelta, SignatureCoversTheDelta) {
    const SigningKeyPair keys = SigningKeyPair::generate();
    auto target = week(4);
    target.mutable_items(3)->set_title("x");
    auto delta = make_delta(week(3), target);
    ASSERT_TRUE(delta);
    auto update = sign_delta(*delta, keys);
    auto opened = open_signed_delta(update.delta(), update.signature(), keys.public_key);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->result_sha256(), delta->result_sha256());

    std::string tampered = update.delta();
    tampered[tampered.size() / 2] ^= 1;
    EXPECT_FALSE(open_signed_delta(tampered, update.signature(), keys.public_key));
    const SigningKeyPair other = SigningKeyPair::generate();
    EXPECT_FALSE(open_signed_delta(update.delta(), update.signature(), other.public_key));
}

TEST(TimelineDelta, DeterministicSerializationIsStable) {
    const auto t = week(9);
    EXPECT_EQ(serialize_timeline(t), serialize_timeline(wire::Timeline{t}));
    wire::Timeline parsed;
    ASSERT_TRUE(parsed.ParseFromString(serialize_timeline(t)));
    EXPECT_EQ(timeline_sha256(parsed), timeline_sha256(t));
}

TEST(TimelineDelta, MutatedDeltasNeverCrashAndNeverApplyWithoutTheirDigest) {
    const auto base = week(3);
    auto target = week(4);
    target.mutable_items(7)->set_title("changed");
    target.mutable_items()->erase(target.mutable_items()->begin() + 20);
    const auto good = make_delta(base, target);
    ASSERT_TRUE(good);
    const std::string bytes = good->SerializeAsString();
    std::uint32_t seed = 12345;
    const auto next = [&seed] {
        seed = seed * 1664525U + 1013904223U;
        return seed >> 8;
    };
    int parsed = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string mutated = bytes;
        const int flips = 1 + static_cast<int>(next() % 4);
        for (int i = 0; i < flips; ++i) {
            mutated[next() % mutated.size()] = static_cast<char>(next());
        }
        if (round % 5 == 0) {
            mutated.resize(next() % mutated.size());
        }
        wire::TimelineDelta delta;
        if (!delta.ParseFromString(mutated)) {
            continue;
        }
        ++parsed;
        auto result = apply_delta(base, delta);
        if (result) {
            // Only a delta whose digest still matches what it makes can apply.
            EXPECT_EQ(timeline_sha256(*result), delta.result_sha256());
        }
    }
    EXPECT_GT(parsed, 100);
}
