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
    e.mutable_timeline_delta()->set_delta("d");
    e.mutable_timeline_delta()->set_signature(std::string(64, 's'));
    EXPECT_EQ(round_trip(e).timeline_delta().delta(), "d");
    EXPECT_EQ(loa::protocol::body_name(e), "timeline_delta");

    e = fresh();
    e.mutable_hello()->set_accepts_deltas(true);
    EXPECT_TRUE(round_trip(e).hello().accepts_deltas());

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

TEST(Envelope, ClockAndTelemetryMessagesRoundTrip) {
    auto e = fresh();
    e.mutable_time_request()->set_t1_us(-5);
    EXPECT_EQ(round_trip(e).time_request().t1_us(), -5);
    EXPECT_EQ(loa::protocol::body_name(e), "time_request");

    e = fresh();
    e.mutable_time_response()->set_t1_us(1);
    e.mutable_time_response()->set_t2_us(2);
    e.mutable_time_response()->set_t3_us(3);
    auto d = round_trip(e);
    EXPECT_EQ(d.time_response().t2_us(), 2);
    EXPECT_EQ(d.time_response().t3_us(), 3);
    EXPECT_EQ(loa::protocol::body_name(e), "time_response");

    e = fresh();
    auto* hb = e.mutable_heartbeat();
    hb->set_telemetry(true);
    hb->set_clock_offset_us(-2'000'000);
    hb->set_clock_synced(true);
    hb->set_config_sha256(std::string(64, 'a'));
    auto* zone = hb->add_zones();
    zone->set_zone("main");
    zone->set_amplifier(loa::wire::AMPLIFIER_WARMING);
    zone->set_rms_dbfs(-20.25);
    d = round_trip(e);
    EXPECT_EQ(d.heartbeat().clock_offset_us(), -2'000'000);
    EXPECT_TRUE(d.heartbeat().clock_synced());
    ASSERT_EQ(d.heartbeat().zones_size(), 1);
    EXPECT_EQ(d.heartbeat().zones(0).amplifier(), loa::wire::AMPLIFIER_WARMING);
    EXPECT_DOUBLE_EQ(d.heartbeat().zones(0).rms_dbfs(), -20.25);

    e = fresh();
    auto* ev = e.mutable_station_events()->add_events();
    ev->set_event_id("ev1");
    ev->set_kind(loa::wire::SPEAKER_LINE_FAULT);
    ev->set_detail("open");
    d = round_trip(e);
    EXPECT_EQ(d.station_events().events(0).kind(), loa::wire::SPEAKER_LINE_FAULT);
    EXPECT_EQ(loa::protocol::body_name(e), "station_events");

    e = fresh();
    e.mutable_station_event_ack()->add_event_ids("ev1");
    EXPECT_EQ(round_trip(e).station_event_ack().event_ids(0), "ev1");
    EXPECT_EQ(loa::protocol::body_name(e), "station_event_ack");
}

// A Heartbeat of an older agent (fields 1-4 only) reads with telemetry unknown.
TEST(Envelope, OldHeartbeatHasNoTelemetry) {
    auto e = fresh();
    e.mutable_heartbeat()->set_outbox_depth(2);
    const auto d = round_trip(e);
    EXPECT_FALSE(d.heartbeat().telemetry());
    EXPECT_EQ(d.heartbeat().zones_size(), 0);
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
