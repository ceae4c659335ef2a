#include "loa/protocol/envelope.hpp"

#include <gtest/gtest.h>

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

loa::wire::Envelope round_trip(const loa::wire::Envelope& env) {
    const std::string bytes = loa::protocol::encode(env);
    auto decoded = loa::protocol::decode(bytes_of(bytes));
    EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
    return decoded.ok() ? *decoded : loa::wire::Envelope{};
}

loa::wire::Envelope fresh() {
    return loa::protocol::make_envelope(7, loa::from_unix_us(123456));
}

}  // namespace

TEST(Envelope, EveryMessageRoundTrips) {
    auto e = fresh();
    e.mutable_hello()->set_software_version("0.1.0");
    e.mutable_hello()->set_timeline_revision(3);
    auto d = round_trip(e);
    EXPECT_EQ(d.seq(), 7U);
    EXPECT_EQ(d.sent_at_us(), 123456);
    EXPECT_EQ(d.hello().timeline_revision(), 3U);
    EXPECT_EQ(loa::protocol::body_name(d), "hello");

    e = fresh();
    e.mutable_welcome()->set_station_id("30280");
    EXPECT_EQ(round_trip(e).welcome().station_id(), "30280");

    e = fresh();
    e.mutable_heartbeat()->set_outbox_depth(4);
    EXPECT_EQ(round_trip(e).heartbeat().outbox_depth(), 4U);

    loa::wire::Timeline tl;
    tl.set_station_id("30280");
    tl.set_revision(9);
    auto* item = tl.add_items();
    item->set_item_id("e1");
    item->set_start_at_us(99);
    item->set_priority(loa::wire::DISTRICT);
    e = fresh();
    e.mutable_timeline_update()->set_timeline(tl.SerializeAsString());
    e.mutable_timeline_update()->set_signature(std::string(64, 's'));
    loa::wire::Timeline back;
    ASSERT_TRUE(back.ParseFromString(round_trip(e).timeline_update().timeline()));
    EXPECT_EQ(back.items(0).priority(), loa::wire::DISTRICT);

    e = fresh();
    e.mutable_timeline_ack()->set_revision(9);
    EXPECT_EQ(round_trip(e).timeline_ack().revision(), 9U);

    e = fresh();
    e.mutable_asset_request()->set_offset(65536);
    EXPECT_EQ(round_trip(e).asset_request().offset(), 65536U);

    e = fresh();
    e.mutable_asset_chunk()->set_data(std::string("\0\1\2", 3));
    EXPECT_EQ(round_trip(e).asset_chunk().data().size(), 3U);

    e = fresh();
    auto* rec = e.mutable_as_run_report()->add_records();
    rec->set_record_id("r1");
    rec->set_status(loa::wire::COMPLETED);
    EXPECT_EQ(round_trip(e).as_run_report().records(0).status(), loa::wire::COMPLETED);

    e = fresh();
    e.mutable_as_run_ack()->add_record_ids("r1");
    EXPECT_EQ(round_trip(e).as_run_ack().record_ids(0), "r1");

    e = fresh();
    e.mutable_refusal()->set_reason("no");
    EXPECT_EQ(round_trip(e).refusal().reason(), "no");
}

TEST(Envelope, RejectsGarbageNamingTheProblem) {
    const std::string junk = "\xff\xff\xff\xff not protobuf";
    auto r = loa::protocol::decode(bytes_of(junk));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not a Loa envelope"), std::string::npos);
}

TEST(Envelope, RejectsOtherVersions) {
    auto e = fresh();
    e.set_version(99);
    e.mutable_heartbeat();
    auto r = loa::protocol::decode(bytes_of(loa::protocol::encode(e)));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("version 99"), std::string::npos);
}

TEST(Envelope, RejectsEmptyBodyAndOversize) {
    auto r = loa::protocol::decode(bytes_of(loa::protocol::encode(fresh())));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("no body"), std::string::npos);
    const std::string big(loa::protocol::kMaxMessageBytes + 1, 'x');
    EXPECT_FALSE(loa::protocol::decode(bytes_of(big)).ok());
}

TEST(Envelope, PriorityNames) {
    for (const char* name : {"emergency", "province", "district", "commune", "filler"}) {
        auto p = loa::protocol::parse_priority(name);
        ASSERT_TRUE(p.ok());
        EXPECT_EQ(loa::protocol::priority_name(*p), name);
    }
    EXPECT_FALSE(loa::protocol::parse_priority("urgent").ok());
}
