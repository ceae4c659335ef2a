#include "loa/agent/link_client.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/agent/signed_timeline.hpp"
#include "loa/common/digest.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/protocol/timeline_delta.hpp"
#include "temp_dir.hpp"
#include "test_scheduler.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>

using namespace loa;
using namespace loa::agent;
using namespace std::chrono_literals;
using loa::agent::test::pattern_bytes;
using loa::agent::test::read_bytes;
using loa::agent::test::TempDir;
using loa::agent::test::TestScheduler;
using Body = wire::Envelope::BodyCase;

namespace {

const TimePoint kT0 = from_unix_us(1'795'000'000'000'000);

struct LinkFixture {
    LinkFixture() = default;
    // The link thread calls back into this fixture: stop it before anything else goes.
    ~LinkFixture() {
        if (link) {
            link->stop();
        }
    }
    LinkFixture(const LinkFixture&) = delete;
    LinkFixture& operator=(const LinkFixture&) = delete;

    void start() {
        LinkOptions options;
        options.endpoint = scheduler.endpoint();
        options.scheduler_public_key = scheduler.keys().public_key;
        options.signing_key = signer.public_key;
        options.agent_keys = agent_keys;
        options.software_version = "9.8.7";
        options.retry_delay = 2s;
        link = std::make_unique<LinkClient>(options, store, cache, clock);
        link->set_timeline_handler([this](const wire::Timeline& t) {
            {
                std::lock_guard lock{mu};
                handed_over.push_back(t.revision());
            }
            cv.notify_all();
        });
        link->set_underrun_counter([] { return std::uint64_t{42}; });
        link->start();
    }

    // Hello, then Welcome with a heartbeat interval of 1 s.
    void join() {
        const auto hello = scheduler.expect(Body::kHello);
        ASSERT_TRUE(hello.has_value());
        scheduler.welcome(to_unix_us(clock.now()) + 1500);
        ping();
    }

    // The link thread handles messages in order: once the agent refuses this one, everything
    // sent before it has been handled.
    void ping() {
        wire::Envelope env;
        env.mutable_heartbeat();
        scheduler.send(env);
        const auto refusal = scheduler.expect(Body::kRefusal);
        ASSERT_TRUE(refusal.has_value());
        ASSERT_NE(refusal->refusal().reason().find("unexpected message heartbeat"),
                  std::string::npos);
    }

    wire::Envelope update(const wire::Timeline& t,
                          const protocol::SigningKeyPair* key = nullptr) const {
        wire::Envelope env;
        const auto bytes = t.SerializeAsString();
        env.mutable_timeline_update()->set_timeline(bytes);
        env.mutable_timeline_update()->set_signature(protocol::sign(bytes, key ? *key : signer));
        return env;
    }

    wire::Envelope delta(const wire::Timeline& base, const wire::Timeline& target) const {
        auto d = protocol::make_delta(base, target);
        EXPECT_TRUE(d) << (d ? "" : d.error().message);
        wire::Envelope env;
        *env.mutable_timeline_delta() = protocol::sign_delta(*d, signer);
        return env;
    }

    bool wait_handed_over(std::uint64_t revision) {
        std::unique_lock lock{mu};
        return cv.wait_for(lock, 5s, [&] {
            return std::find(handed_over.begin(), handed_over.end(), revision) != handed_over.end();
        });
    }

    // Everything sent so far handled, then the heartbeat of the next second.
    wire::Heartbeat sync() {
        ping();
        scheduler.discard(Body::kHeartbeat);
        clock.advance(1s);
        const auto hb = scheduler.expect(Body::kHeartbeat);
        EXPECT_TRUE(hb.has_value());
        return hb ? hb->heartbeat() : wire::Heartbeat{};
    }

    TempDir dir;
    FakeClock clock{kT0};
    AgentStore store{dir / "agent.db", clock};
    AssetCache cache{dir / "assets"};
    transport::CurveKeyPair agent_keys = transport::CurveKeyPair::generate();
    protocol::SigningKeyPair signer = protocol::SigningKeyPair::generate();
    TestScheduler scheduler{agent_keys.public_key};
    std::unique_ptr<LinkClient> link;
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::uint64_t> handed_over;
};

wire::TimelineItem item(const std::string& id, const std::string& asset, std::int64_t start_us,
                        std::uint64_t size = 0) {
    wire::TimelineItem it;
    it.set_item_id(id);
    it.set_asset_id(asset);
    it.set_start_at_us(start_us);
    it.set_duration_ms(1000);
    it.set_asset_size(size);
    return it;
}

wire::Timeline timeline(std::uint64_t revision, std::vector<wire::TimelineItem> items = {},
                        const std::string& station = "30280") {
    wire::Timeline t;
    t.set_station_id(station);
    t.set_revision(revision);
    for (auto& i : items) {
        *t.add_items() = std::move(i);
    }
    return t;
}

wire::Envelope chunk(const std::string& asset, const std::vector<std::uint8_t>& file,
                     std::uint64_t offset, std::uint32_t length) {
    wire::Envelope env;
    auto* c = env.mutable_asset_chunk();
    c->set_asset_id(asset);
    c->set_offset(offset);
    const auto n = std::min<std::uint64_t>(length, file.size() - offset);
    c->set_data(std::string{reinterpret_cast<const char*>(file.data()) + offset, n});
    c->set_total_size(file.size());
    return env;
}

wire::AsRunRecord as_run(const std::string& item_id, std::int64_t at) {
    wire::AsRunRecord r;
    r.set_record_id(random_id());
    r.set_item_id(item_id);
    r.set_asset_id(std::string(64, 'b'));
    r.set_scheduled_at_us(at);
    r.set_status(wire::FAILED);
    r.set_reason("asset missing");
    return r;
}

std::set<std::string> ids_of(const wire::AsRunReport& report) {
    std::set<std::string> ids;
    for (const auto& r : report.records()) {
        ids.insert(r.record_id());
    }
    return ids;
}

}  // namespace

TEST(LinkClient, SaysHelloOnStartAndWelcomeSetsTheClockOffset) {
    LinkFixture f;
    ASSERT_TRUE(f.store.record_as_run(as_run("e1", 1)));
    f.start();
    const auto hello = f.scheduler.expect(Body::kHello);
    ASSERT_TRUE(hello.has_value());
    EXPECT_EQ(hello->hello().software_version(), "9.8.7");
    EXPECT_EQ(hello->hello().timeline_revision(), 0U);
    EXPECT_EQ(hello->hello().outbox_depth(), 1U);
    EXPECT_EQ(hello->sent_at_us(), to_unix_us(kT0));
    f.scheduler.welcome(to_unix_us(kT0) + 1500);
    // The outbox goes out right after Welcome.
    ASSERT_TRUE(f.scheduler.expect(Body::kAsRunReport).has_value());
    const auto stats = f.link->stats();
    EXPECT_TRUE(stats.welcomed);
    EXPECT_EQ(stats.clock_offset_us, 1500);
}

TEST(LinkClient, HeartbeatsThenHelloAgainAfterThreeSilentIntervals) {
    LinkFixture f;
    f.start();
    f.join();
    f.clock.advance(1s);
    const auto hb = f.scheduler.expect(Body::kHeartbeat);
    ASSERT_TRUE(hb.has_value());
    EXPECT_EQ(hb->heartbeat().timeline_revision(), 0U);
    EXPECT_EQ(hb->heartbeat().outbox_depth(), 0U);
    EXPECT_EQ(hb->heartbeat().assets_missing(), 0U);
    EXPECT_EQ(hb->heartbeat().underruns(), 42U);
    // Nothing heard for 3 intervals (3 s since Welcome): Hello again.
    f.clock.advance(2s);
    // The second Hello arriving is the proof; the stats counter is bumped after the send and
    // may lag the message by a moment.
    ASSERT_TRUE(f.scheduler.expect(Body::kHello).has_value());
}

TEST(LinkClient, BadTimelinesAreRefusedAndChangeNothing) {
    LinkFixture f;
    f.start();
    const auto hello = f.scheduler.expect(Body::kHello);
    ASSERT_TRUE(hello.has_value());
    const auto asset = sha256_hex(pattern_bytes(10, 1));

    // Before Welcome the agent does not know which station it is.
    f.scheduler.send(f.update(timeline(1, {item("e1", asset, 1)})));
    auto refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("before Welcome"), std::string::npos);

    f.scheduler.welcome(to_unix_us(kT0));
    const auto intruder = protocol::SigningKeyPair::generate();
    f.scheduler.send(f.update(timeline(2, {item("e1", asset, 1)}), &intruder));
    refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("signature"), std::string::npos)
        << refusal->refusal().reason();

    // Signed bytes changed after signing.
    auto tampered = f.update(timeline(2, {item("e1", asset, 1)}));
    tampered.mutable_timeline_update()->mutable_timeline()->back() ^= 1;
    f.scheduler.send(tampered);
    ASSERT_TRUE(f.scheduler.expect(Body::kRefusal).has_value());

    f.scheduler.send(f.update(timeline(2, {item("e1", asset, 1)}, "99999")));
    refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("station '99999'"), std::string::npos);

    f.scheduler.send(f.update(timeline(2, {item("e1", "../../etc/passwd", 1)})));
    refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("asset id"), std::string::npos);

    EXPECT_FALSE(f.store.timeline().has_value());
    EXPECT_EQ(f.link->stats().timelines_refused, 5U);
    EXPECT_TRUE(f.handed_over.empty());

    // A good one is taken; an older one after it is refused and the newer one stays.
    f.scheduler.send(f.update(timeline(5, {item("e1", asset, 1)})));
    ASSERT_TRUE(f.scheduler.expect(Body::kTimelineAck).has_value());
    f.scheduler.send(f.update(timeline(4, {item("e1", asset, 1)})));
    refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("older"), std::string::npos);
    EXPECT_EQ(f.store.timeline_revision(), 5U);
}

TEST(LinkClient, GoodTimelineIsStoredAckedAndHandedOver) {
    LinkFixture f;
    f.start();
    f.join();
    const auto asset = sha256_hex(pattern_bytes(10, 1));
    const auto env = f.update(timeline(7, {item("e1", asset, to_unix_us(kT0 + 60s), 10)}));
    f.scheduler.send(env);
    const auto ack = f.scheduler.expect(Body::kTimelineAck);
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(ack->timeline_ack().revision(), 7U);
    // Stored before the ack, exactly as signed.
    const auto stored = f.store.timeline();
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->revision, 7U);
    EXPECT_EQ(stored->station_id, "30280");
    EXPECT_EQ(stored->bytes, env.timeline_update().timeline());
    EXPECT_EQ(stored->signature, env.timeline_update().signature());
    EXPECT_TRUE(f.wait_handed_over(7));
    // The same revision again is acknowledged again, not handed over twice.
    f.scheduler.send(env);
    ASSERT_TRUE(f.scheduler.expect(Body::kTimelineAck).has_value());
    {
        std::lock_guard lock{f.mu};
        EXPECT_EQ(f.handed_over.size(), 1U);
    }

    // After a restart the agent says which revision it holds.
    f.link->stop();
    f.link.reset();
    f.start();
    const auto hello = f.scheduler.expect(Body::kHello);
    ASSERT_TRUE(hello.has_value());
    EXPECT_EQ(hello->hello().timeline_revision(), 7U);
}

TEST(LinkClient, HelloSaysTheAgentAcceptsDeltas) {
    LinkFixture f;
    f.start();
    const auto hello = f.scheduler.expect(Body::kHello);
    ASSERT_TRUE(hello.has_value());
    EXPECT_TRUE(hello->hello().accepts_deltas());
}

TEST(LinkClient, SignedDeltaOnTheHeldRevisionIsAppliedStoredWithItsProofAndAcked) {
    LinkFixture f;
    f.start();
    f.join();
    const auto a1 = sha256_hex(pattern_bytes(10, 1));
    const auto a2 = sha256_hex(pattern_bytes(10, 2));
    const auto base = timeline(
        7, {item("e1", a1, to_unix_us(kT0 + 60s), 10), item("e2", a1, to_unix_us(kT0 + 120s), 10)});
    f.scheduler.send(f.update(base));
    ASSERT_TRUE(f.scheduler.expect(Body::kTimelineAck).has_value());

    // e1 goes, e2 is shortened, e3 is new.
    auto target = timeline(
        9, {item("e2", a1, to_unix_us(kT0 + 120s), 10), item("e3", a2, to_unix_us(kT0 + 90s), 10)});
    target.mutable_items(0)->set_duration_ms(400);
    const auto env = f.delta(base, target);
    f.scheduler.send(env);
    const auto ack = f.scheduler.expect(Body::kTimelineAck);
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(ack->timeline_ack().revision(), 9U);
    ASSERT_TRUE(f.wait_handed_over(9));
    EXPECT_EQ(f.link->stats().deltas_applied, 1U);

    // Stored: the rebuilt timeline, with the signed delta as its proof, verifiable again.
    const auto stored = f.store.timeline();
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->revision, 9U);
    EXPECT_EQ(stored->delta, env.timeline_delta().delta());
    EXPECT_EQ(stored->signature, env.timeline_delta().signature());
    auto reopened = open_stored_timeline(*stored, f.signer.public_key);
    ASSERT_TRUE(reopened) << reopened.error().message;
    ASSERT_EQ(reopened->items_size(), 2);
    EXPECT_EQ(reopened->items(0).item_id(), "e3");  // ordered by start
    EXPECT_EQ(reopened->items(1).duration_ms(), 400U);

    // A stored timeline whose bytes were altered no longer loads.
    auto altered = *stored;
    wire::Timeline t;
    ASSERT_TRUE(t.ParseFromString(altered.bytes));
    t.mutable_items(0)->set_asset_id(std::string(64, 'f'));
    altered.bytes = t.SerializeAsString();
    EXPECT_FALSE(open_stored_timeline(altered, f.signer.public_key));

    // After a restart the agent loads it again and says it holds 9.
    f.link->stop();
    f.link.reset();
    f.start();
    const auto hello = f.scheduler.expect(Body::kHello);
    ASSERT_TRUE(hello.has_value());
    EXPECT_EQ(hello->hello().timeline_revision(), 9U);
}

TEST(LinkClient, ADeltaThatDoesNotFitIsDiscardedAndTheNextHeartbeatStillSaysTheOldRevision) {
    LinkFixture f;
    f.start();
    f.join();
    const auto a1 = sha256_hex(pattern_bytes(10, 1));
    const auto base = timeline(7, {item("e1", a1, to_unix_us(kT0 + 60s), 10)});
    f.scheduler.send(f.update(base));
    ASSERT_TRUE(f.scheduler.expect(Body::kTimelineAck).has_value());
    const auto stored_before = f.store.timeline();

    auto target = timeline(9, {item("e1", a1, to_unix_us(kT0 + 60s), 10)});
    target.mutable_items(0)->set_title("changed");

    // A delta made on another base revision.
    auto other = base;
    other.set_revision(6);
    f.scheduler.send(f.delta(other, target));
    auto refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("delta discarded: delta applies to revision 6"),
              std::string::npos)
        << refusal->refusal().reason();

    // Same base revision number, but the scheduler's base differs from what the agent holds:
    // the digest over the result does not match.
    // (It held e9 too, unchanged in the target, so the delta does not carry it.)
    auto drifted = base;
    *drifted.add_items() = item("e9", a1, to_unix_us(kT0 + 200s), 10);
    auto drifted_target = target;
    *drifted_target.add_items() = item("e9", a1, to_unix_us(kT0 + 200s), 10);
    f.scheduler.send(f.delta(drifted, drifted_target));
    refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("does not match the digest"), std::string::npos)
        << refusal->refusal().reason();

    // A delta signed with another key.
    const auto other_key = protocol::SigningKeyPair::generate();
    auto forged = f.delta(base, target);
    *forged.mutable_timeline_delta() =
        protocol::sign_delta(*protocol::make_delta(base, target), other_key);
    f.scheduler.send(forged);
    refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("signature"), std::string::npos);

    // Nothing changed: same stored timeline, and the heartbeat still says 7.
    const auto hb = f.sync();
    EXPECT_EQ(hb.timeline_revision(), 7U);
    const auto stored = f.store.timeline();
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->bytes, stored_before->bytes);
    EXPECT_EQ(f.link->stats().deltas_applied, 0U);
    {
        std::lock_guard lock{f.mu};
        EXPECT_EQ(f.handed_over, std::vector<std::uint64_t>{7});
    }
    // The whole timeline then arrives and is taken.
    f.scheduler.send(f.update(target));
    const auto ack = f.scheduler.expect(Body::kTimelineAck);
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(ack->timeline_ack().revision(), 9U);
}

TEST(LinkClient, ADeltaWithoutATimelineHeldIsRefused) {
    LinkFixture f;
    f.start();
    f.join();
    const auto a1 = sha256_hex(pattern_bytes(10, 1));
    const auto base = timeline(1);
    const auto target = timeline(2, {item("e1", a1, to_unix_us(kT0 + 60s), 10)});
    f.scheduler.send(f.delta(base, target));
    const auto refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("no timeline"), std::string::npos);
    EXPECT_FALSE(f.store.timeline().has_value());
}

TEST(LinkClient, DownloadsWithFourCreditsAndResumesAfterTheLinkDrops) {
    LinkFixture f;
    const auto a = pattern_bytes(200'000, 11);
    const auto b = pattern_bytes(1'000, 12);
    const auto c = pattern_bytes(1'000, 13);
    const auto ida = sha256_hex(a);
    const auto idb = sha256_hex(b);
    const auto idc = sha256_hex(c);
    f.start();
    f.join();
    const auto t0 = to_unix_us(kT0);
    // Listed out of order: downloads go by start time (A, B, C).
    f.scheduler.send(f.update(timeline(
        1, {item("e3", idc, t0 + 3'000'000, c.size()), item("e1", ida, t0 + 1'000'000, a.size()),
            item("e2", idb, t0 + 2'000'000, b.size())})));
    ASSERT_TRUE(f.scheduler.expect(Body::kTimelineAck).has_value());

    std::vector<wire::AssetRequest> requests;
    for (int i = 0; i < 4; ++i) {
        const auto r = f.scheduler.expect(Body::kAssetRequest);
        ASSERT_TRUE(r.has_value());
        requests.push_back(r->asset_request());
    }
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(requests[i].asset_id(), ida);
        EXPECT_EQ(requests[i].offset(), static_cast<std::uint64_t>(i) * 65536);
    }
    EXPECT_EQ(requests[3].length(), 200'000U - 3 * 65536);
    // No credit left: nothing more until a chunk comes back.
    EXPECT_FALSE(f.scheduler.expect(Body::kAssetRequest, 300ms).has_value());

    f.scheduler.send(chunk(ida, a, 0, 65536));
    auto next = f.scheduler.expect(Body::kAssetRequest);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->asset_request().asset_id(), idb);
    f.scheduler.send(chunk(ida, a, 65536, 65536));
    next = f.scheduler.expect(Body::kAssetRequest);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->asset_request().asset_id(), idc);
    EXPECT_EQ(*f.cache.partial_size(ida), 131072U);

    // The link drops with 4 requests unanswered; the agent reconnects and says Hello.
    f.scheduler.restart();
    f.join();
    std::map<std::string, std::uint64_t> asked;
    std::vector<wire::AssetRequest> again;
    for (int i = 0; i < 4; ++i) {
        const auto r = f.scheduler.expect(Body::kAssetRequest);
        ASSERT_TRUE(r.has_value());
        again.push_back(r->asset_request());
    }
    // It resumes A from the part it holds, not from 0.
    EXPECT_EQ(again[0].asset_id(), ida);
    EXPECT_EQ(again[0].offset(), 131072U);
    EXPECT_EQ(again[1].asset_id(), ida);
    EXPECT_EQ(again[1].offset(), 196608U);
    EXPECT_EQ(again[2].asset_id(), idb);
    EXPECT_EQ(again[3].asset_id(), idc);
    for (const auto& r : again) {
        const auto& file = r.asset_id() == ida ? a : r.asset_id() == idb ? b : c;
        f.scheduler.send(chunk(r.asset_id(), file, r.offset(), r.length()));
    }
    const auto hb = f.sync();
    EXPECT_EQ(hb.assets_missing(), 0U);
    EXPECT_EQ(read_bytes(*f.cache.path_of(ida)), a);
    EXPECT_EQ(read_bytes(*f.cache.path_of(idb)), b);
    EXPECT_EQ(read_bytes(*f.cache.path_of(idc)), c);
    EXPECT_EQ(f.link->stats().assets_verified, 3U);
    EXPECT_FALSE(std::filesystem::exists(f.dir / "assets" / (ida + ".part")));
}

TEST(LinkClient, CorruptedDownloadIsDiscardedAndFetchedAgain) {
    LinkFixture f;
    const auto a = pattern_bytes(5'000, 21);
    const auto ida = sha256_hex(a);
    f.start();
    f.join();
    f.scheduler.send(f.update(timeline(1, {item("e1", ida, to_unix_us(kT0 + 60s), a.size())})));
    ASSERT_TRUE(f.scheduler.expect(Body::kTimelineAck).has_value());
    auto request = f.scheduler.expect(Body::kAssetRequest);
    ASSERT_TRUE(request.has_value());
    auto bad = a;
    bad[1234] ^= 0x40;
    f.scheduler.send(chunk(ida, bad, 0, request->asset_request().length()));
    auto hb = f.sync();
    EXPECT_EQ(hb.assets_missing(), 1U);
    EXPECT_FALSE(f.cache.has(ida));
    EXPECT_FALSE(std::filesystem::exists(f.dir / "assets" / (ida + ".part")));
    EXPECT_EQ(f.link->stats().asset_failures, 1U);

    // After the retry delay (2 s) it asks again, from the start.
    f.clock.advance(1s);
    request = f.scheduler.expect(Body::kAssetRequest);
    ASSERT_TRUE(request.has_value());
    EXPECT_EQ(request->asset_request().offset(), 0U);
    f.scheduler.send(chunk(ida, a, 0, request->asset_request().length()));
    hb = f.sync();
    EXPECT_EQ(hb.assets_missing(), 0U);
    EXPECT_EQ(read_bytes(*f.cache.path_of(ida)), a);
}

TEST(LinkClient, AssetErrorIsLoggedAndRetriedLater) {
    LinkFixture f;
    const auto a = pattern_bytes(3'000, 31);
    const auto ida = sha256_hex(a);
    f.start();
    f.join();
    // Size unknown to the timeline: the first chunk tells it.
    f.scheduler.send(f.update(timeline(1, {item("e1", ida, to_unix_us(kT0 + 60s))})));
    ASSERT_TRUE(f.scheduler.expect(Body::kTimelineAck).has_value());
    auto request = f.scheduler.expect(Body::kAssetRequest);
    ASSERT_TRUE(request.has_value());
    wire::Envelope error;
    error.mutable_asset_chunk()->set_asset_id(ida);
    error.mutable_asset_chunk()->set_offset(request->asset_request().offset());
    error.mutable_asset_chunk()->set_error("asset not ingested yet");
    f.scheduler.send(error);
    f.sync();
    EXPECT_EQ(f.link->stats().asset_failures, 1U);
    f.clock.advance(1s);
    request = f.scheduler.expect(Body::kAssetRequest);
    ASSERT_TRUE(request.has_value());
    f.scheduler.send(chunk(ida, a, 0, request->asset_request().length()));
    EXPECT_EQ(f.sync().assets_missing(), 0U);
    EXPECT_TRUE(f.cache.has(ida));
}

TEST(LinkClient, OutboxIsResentUntilAcknowledgedThenDeleted) {
    LinkFixture f;
    std::vector<wire::AsRunRecord> records;
    for (int i = 0; i < 3; ++i) {
        records.push_back(as_run("e" + std::to_string(i), 1000 + i));
        ASSERT_TRUE(f.store.record_as_run(records.back()));
    }
    const std::set<std::string> all{records[0].record_id(), records[1].record_id(),
                                    records[2].record_id()};
    f.start();
    f.join();
    auto report = f.scheduler.expect(Body::kAsRunReport);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(ids_of(report->as_run_report()), all);
    EXPECT_EQ(report->as_run_report().records(0).SerializeAsString(),
              records[0].SerializeAsString());

    // Not acknowledged, and the link drops: everything again after the next Welcome.
    f.scheduler.restart();
    f.join();
    report = f.scheduler.expect(Body::kAsRunReport);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(ids_of(report->as_run_report()), all);

    // Not acknowledged within 3 heartbeat intervals: sent again.
    f.clock.advance(3s);
    report = f.scheduler.expect(Body::kAsRunReport);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(ids_of(report->as_run_report()), all);

    // Two acknowledged (one of them twice, plus an id it never sent).
    wire::Envelope ack;
    ack.mutable_as_run_ack()->add_record_ids(records[0].record_id());
    ack.mutable_as_run_ack()->add_record_ids(records[1].record_id());
    ack.mutable_as_run_ack()->add_record_ids(records[1].record_id());
    ack.mutable_as_run_ack()->add_record_ids("ffffffffffffffffffffffffffffffff");
    f.scheduler.send(ack);
    // A new record wakes the link: it goes out alone (the third is still awaiting its ack).
    const auto fresh = as_run("e9", 9000);
    ASSERT_TRUE(f.store.record_as_run(fresh));
    f.link->wake();
    report = f.scheduler.expect(Body::kAsRunReport);
    ASSERT_TRUE(report.has_value());
    EXPECT_EQ(ids_of(report->as_run_report()), std::set<std::string>{fresh.record_id()});
    EXPECT_EQ(f.store.outbox_depth(), 2U);

    ack.mutable_as_run_ack()->clear_record_ids();
    ack.mutable_as_run_ack()->add_record_ids(records[2].record_id());
    ack.mutable_as_run_ack()->add_record_ids(fresh.record_id());
    f.scheduler.send(ack);
    EXPECT_EQ(f.sync().outbox_depth(), 0U);
    EXPECT_EQ(f.store.outbox_depth(), 0U);
    // Nothing left to send, however long we wait.
    f.clock.advance(1s);
    EXPECT_FALSE(f.scheduler.expect(Body::kAsRunReport, 300ms).has_value());
}

TEST(LinkClient, MalformedMessagesAreRefusedAndTheLinkGoesOn) {
    LinkFixture f;
    f.start();
    f.join();
    f.scheduler.send_raw("this is not protobuf \xff\xff\xff");
    auto refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());

    wire::Envelope other_version;
    other_version.mutable_welcome()->set_station_id("30280");
    other_version.set_version(2);
    f.scheduler.send_raw(other_version.SerializeAsString());
    refusal = f.scheduler.expect(Body::kRefusal);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_NE(refusal->refusal().reason().find("version 2"), std::string::npos);

    wire::Envelope unexpected;
    unexpected.mutable_asset_request()->set_asset_id("x");
    f.scheduler.send(unexpected);
    ASSERT_TRUE(f.scheduler.expect(Body::kRefusal).has_value());

    // A chunk nobody asked for, with an id that is a path: dropped, no file appears.
    wire::Envelope stray;
    stray.mutable_asset_chunk()->set_asset_id("../../../tmp/evil");
    stray.mutable_asset_chunk()->set_data("evil");
    stray.mutable_asset_chunk()->set_total_size(4);
    f.scheduler.send(stray);

    const auto asset = sha256_hex(pattern_bytes(10, 1));
    f.scheduler.send(f.update(timeline(3, {item("e1", asset, to_unix_us(kT0 + 60s), 10)})));
    const auto ack = f.scheduler.expect(Body::kTimelineAck);
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(ack->timeline_ack().revision(), 3U);
    EXPECT_FALSE(std::filesystem::exists(f.dir / "assets" / "../../../tmp/evil"));
}
