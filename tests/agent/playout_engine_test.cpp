#include "loa/agent/playout_engine.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/agent/amplifier_sequencer.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/agent/opus_frame_source.hpp"
#include "loa/agent/simulated_amplifier.hpp"
#include "loa/audio/format.hpp"
#include "loa/audio/frame_time.hpp"
#include "loa/audio/player.hpp"
#include "loa/audio/transcode.hpp"
#include "loa/common/digest.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>

using namespace loa;
using namespace loa::agent;
using namespace std::chrono_literals;
using loa::agent::test::pattern_bytes;
using loa::agent::test::TempDir;

namespace {

// 2026-11-18T11:06:40Z: a whole second, so block times below are exact.
const TimePoint kT0 = from_unix_us(1'795'000'000'000'000);
constexpr std::size_t kBlock = 480;  // 10 ms
constexpr auto kBlockTime = 10ms;

// A source of known samples: frame i of an asset with `level` is level + i * 1e-7, so every
// frame heard can be traced back to its position.
class CountingSource final : public IFrameSource {
public:
    CountingSource(float level, std::size_t frames) : level_{level}, frames_{frames} {}
    std::size_t read(std::span<float> out) override {
        const std::size_t n = std::min(out.size(), frames_ - pos_);
        for (std::size_t i = 0; i < n; ++i) {
            out[i] = level_ + static_cast<float>(pos_ + i) * 1e-7F;
        }
        pos_ += n;
        return n;
    }
    std::string error() const override { return {}; }

private:
    float level_;
    std::size_t frames_;
    std::size_t pos_ = 0;
};

// Everything the engine reports, awaitable from the test thread.
class Events {
public:
    void operator()(const PlayoutEvent& e) {
        {
            std::lock_guard lock{mu_};
            events_.push_back(e);
        }
        cv_.notify_all();
    }
    // The first event of `kind` for `item`, waiting up to 5 s for it.
    std::optional<PlayoutEvent> wait(PlayoutEvent::Kind kind, const std::string& item) {
        std::unique_lock lock{mu_};
        std::optional<PlayoutEvent> found;
        cv_.wait_for(lock, 5s, [&] {
            for (const auto& e : events_) {
                if (e.kind == kind && e.item_id == item) {
                    found = e;
                    return true;
                }
            }
            return false;
        });
        return found;
    }
    std::size_t count(PlayoutEvent::Kind kind) const {
        std::lock_guard lock{mu_};
        return static_cast<std::size_t>(std::count_if(
            events_.begin(), events_.end(), [&](const auto& e) { return e.kind == kind; }));
    }

private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<PlayoutEvent> events_;
};

struct Fixture {
    explicit Fixture(const std::filesystem::path& db = ":memory:")
        : store{db, clock}, cache{dir / "assets"} {}

    // Puts an asset into the cache the way a download does; its audio is `frames` frames of
    // CountingSource(level).
    std::string add_asset(float level, std::size_t frames) {
        const auto bytes = pattern_bytes(64, static_cast<std::uint32_t>(level * 1000));
        const auto id = sha256_hex(bytes);
        EXPECT_TRUE(cache.append(id, 0, bytes));
        EXPECT_TRUE(cache.finish(id));
        std::lock_guard lock{mu};
        audio[id] = {level, frames};
        return id;
    }

    FrameSourceOpener opener() {
        return [this](const std::filesystem::path& path) -> Result<std::unique_ptr<IFrameSource>> {
            std::lock_guard lock{mu};
            const auto it = audio.find(path.stem().string());
            if (it == audio.end()) {
                return Error{"no such test asset"};
            }
            return std::unique_ptr<IFrameSource>{
                std::make_unique<CountingSource>(it->second.first, it->second.second)};
        };
    }

    std::unique_ptr<PlayoutEngine> make_engine(FrameSourceOpener open = {},
                                               PlayoutOptions options = {}) {
        auto engine =
            std::make_unique<PlayoutEngine>(clock, player, sequencer, store, cache,
                                            open ? std::move(open) : opener(), std::move(options));
        engine->set_event_handler([this](const PlayoutEvent& e) { events(e); });
        engine->set_outbox_listener([this] { ++outbox_wakes; });
        return engine;
    }

    // Renders blocks as a sound card would, the fake clock keeping step, up to `until`.
    void render_until(TimePoint until) {
        std::vector<float> block(kBlock);
        if (heard.empty()) {
            heard_from = clock.now();
        }
        while (clock.now() < until) {
            player.render(block, clock.now());
            heard.insert(heard.end(), block.begin(), block.end());
            clock.advance(kBlockTime);
        }
    }

    // Waits until the feeder has made `passes` more passes over its timeline.
    void wait_passes(const PlayoutEngine& engine, std::uint64_t passes = 3) {
        const auto target = engine.loops() + passes;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (engine.loops() < target && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::yield();
        }
        ASSERT_GE(engine.loops(), target);
    }

    FakeClock clock{kT0};
    TempDir dir;
    AgentStore store;
    AssetCache cache;
    audio::Player player;
    SimulatedAmplifier amplifier{clock};
    AmplifierSequencer sequencer{"main", amplifier, clock};  // lead 3 s, hold 30 s
    Events events;
    std::atomic<int> outbox_wakes{0};
    std::vector<float> heard;  // everything rendered since heard_from (kT0 unless moved)
    TimePoint heard_from = kT0;
    std::mutex mu;
    std::map<std::string, std::pair<float, std::size_t>> audio;
};

wire::TimelineItem item(const std::string& id, const std::string& asset, TimePoint start,
                        std::uint32_t duration_ms = 1000) {
    wire::TimelineItem it;
    it.set_item_id(id);
    it.set_asset_id(asset);
    it.set_start_at_us(to_unix_us(start));
    it.set_duration_ms(duration_ms);
    it.set_priority(wire::COMMUNE);
    it.set_title("test " + id);
    return it;
}

wire::Timeline timeline(std::uint64_t revision, std::vector<wire::TimelineItem> items) {
    wire::Timeline t;
    t.set_station_id("30280");
    t.set_revision(revision);
    for (auto& i : items) {
        *t.add_items() = std::move(i);
    }
    return t;
}

std::size_t first_nonzero(const std::vector<float>& v, std::size_t from = 0) {
    for (std::size_t i = from; i < v.size(); ++i) {
        if (v[i] != 0.0F) {
            return i;
        }
    }
    return v.size();
}

}  // namespace

TEST(PlayoutEngine, ItemStartsAtTheExactSampleAndCompletes) {
    Fixture f;
    const auto asset = f.add_asset(0.25F, 48000);  // 1 s
    // 2.0105 s after kT0: frame 96504, in the middle of a 480-frame block.
    const auto start = kT0 + 2010500us;
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(5, {item("e1", asset, start)}));

    const auto cued = f.events.wait(PlayoutEvent::Kind::cued, "e1");
    ASSERT_TRUE(cued.has_value());
    f.render_until(kT0 + 3500ms);

    const std::size_t first = first_nonzero(f.heard);
    ASSERT_EQ(first, 96504U);
    // Every frame of the asset, in order, and silence after its last one.
    for (std::size_t i = 0; i < 48000; i += 997) {
        ASSERT_FLOAT_EQ(f.heard[first + i], 0.25F + static_cast<float>(i) * 1e-7F) << i;
    }
    ASSERT_FLOAT_EQ(f.heard[first + 47999], 0.25F + 47999 * 1e-7F);
    EXPECT_EQ(first_nonzero(f.heard, first + 48000), f.heard.size());

    const auto done = f.events.wait(PlayoutEvent::Kind::as_run, "e1");
    ASSERT_TRUE(done.has_value());
    const auto& r = done->record;
    EXPECT_EQ(r.status(), wire::COMPLETED);
    EXPECT_EQ(r.reason(), "");
    EXPECT_EQ(r.scheduled_at_us(), to_unix_us(start));
    EXPECT_EQ(r.started_at_us(), to_unix_us(start));
    EXPECT_EQ(r.ended_at_us(), to_unix_us(start + 1s));
    EXPECT_EQ(r.timeline_revision(), 5U);
    EXPECT_EQ(r.record_id().size(), 32U);

    // In the outbox and marked handled, in the store.
    const auto pending = f.store.pending_as_run(10);
    ASSERT_EQ(pending.size(), 1U);
    EXPECT_EQ(pending[0].SerializeAsString(), r.SerializeAsString());
    EXPECT_TRUE(f.store.item_handled("e1", to_unix_us(start)));
    EXPECT_GE(f.outbox_wakes.load(), 1);
    EXPECT_EQ(f.player.underruns(), 0U);
}

TEST(PlayoutEngine, MissingAssetFailsAtStartTimeNotBefore) {
    Fixture f;
    const auto present = f.add_asset(0.5F, 4800);
    const std::string missing = sha256_hex(pattern_bytes(10, 99));
    const auto start = kT0 + 2s;
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(
        timeline(1, {item("e1", missing, start), item("e2", present, start + 10s)}));
    // Inside the cue lead the asset may still arrive: no verdict yet.
    f.wait_passes(*engine);
    EXPECT_EQ(f.events.count(PlayoutEvent::Kind::as_run), 0U);
    f.clock.set(start - 1ms);
    f.wait_passes(*engine);
    EXPECT_EQ(f.events.count(PlayoutEvent::Kind::as_run), 0U);

    f.clock.set(start);
    const auto failed = f.events.wait(PlayoutEvent::Kind::as_run, "e1");
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->record.status(), wire::FAILED);
    EXPECT_EQ(failed->record.reason(), "asset missing");
    EXPECT_EQ(failed->record.started_at_us(), 0);
    EXPECT_EQ(failed->record.ended_at_us(), 0);
    ASSERT_EQ(f.store.outbox_depth(), 1U);
    EXPECT_EQ(f.store.pending_as_run(1).at(0).reason(), "asset missing");
}

TEST(PlayoutEngine, AssetArrivingBeforeStartIsPlayed) {
    Fixture f;
    const auto start = kT0 + 2s;
    const auto later_id = sha256_hex(pattern_bytes(64, 700));
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item("e1", later_id, start)}));
    f.wait_passes(*engine);
    EXPECT_EQ(f.events.count(PlayoutEvent::Kind::cued), 0U);
    // The download completes 1 s before the start.
    f.clock.set(start - 1s);
    ASSERT_EQ(f.add_asset(0.7F, 4800), later_id);
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "e1").has_value());
    f.render_until(start + 500ms);
    EXPECT_EQ(first_nonzero(f.heard), 48000U);  // rendering began 1 s before the start
    const auto done = f.events.wait(PlayoutEvent::Kind::as_run, "e1");
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->record.status(), wire::COMPLETED);
}

TEST(PlayoutEngine, RestartAfterStartTimeReportsOnceAndNeverAirsTwice) {
    TempDir state;
    const auto db = state / "agent.db";
    const auto start = kT0 + 10s;
    std::string asset;
    wire::Timeline t;
    {
        Fixture f{db};
        asset = f.add_asset(0.3F, 4800);
        t = timeline(2, {item("e1", asset, start), item("e2", asset, start + 60s)});
        auto engine = f.make_engine();
        engine->start();
        engine->set_timeline(t);
        f.wait_passes(*engine);
        engine->stop();  // the agent stops long before either item is due
        EXPECT_EQ(f.store.outbox_depth(), 0U);
    }
    {
        // It comes back 20 s after e1's start: e1 failed, e2 is still to come.
        Fixture f{db};
        ASSERT_EQ(f.add_asset(0.3F, 4800), asset);
        f.clock.set(start + 20s);
        auto engine = f.make_engine();
        engine->start();
        engine->set_timeline(t);
        const auto failed = f.events.wait(PlayoutEvent::Kind::as_run, "e1");
        ASSERT_TRUE(failed.has_value());
        EXPECT_EQ(failed->record.status(), wire::FAILED);
        EXPECT_EQ(failed->record.reason(), "agent was not running at start time");
        f.wait_passes(*engine);
        EXPECT_EQ(f.events.count(PlayoutEvent::Kind::as_run), 1U);
        // e2 plays.
        f.clock.set(start + 60s - 2s);
        ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "e2").has_value());
        f.render_until(start + 60s + 500ms);
        const auto done = f.events.wait(PlayoutEvent::Kind::as_run, "e2");
        ASSERT_TRUE(done.has_value());
        EXPECT_EQ(done->record.status(), wire::COMPLETED);
        EXPECT_EQ(f.store.outbox_depth(), 2U);
    }
    {
        // Another restart: both items are handled; nothing is aired or reported again.
        Fixture f{db};
        ASSERT_EQ(f.add_asset(0.3F, 4800), asset);
        f.clock.set(start + 59s);
        auto engine = f.make_engine();
        engine->start();
        engine->set_timeline(t);
        f.wait_passes(*engine);
        f.render_until(start + 61s);
        f.wait_passes(*engine);
        EXPECT_EQ(f.events.count(PlayoutEvent::Kind::cued), 0U);
        EXPECT_EQ(f.events.count(PlayoutEvent::Kind::as_run), 0U);
        EXPECT_EQ(first_nonzero(f.heard), f.heard.size());
        EXPECT_EQ(f.store.outbox_depth(), 2U);
    }
}

TEST(PlayoutEngine, NewRevisionRemovingACuedItemCancelsIt) {
    Fixture f;
    const auto asset = f.add_asset(0.4F, 48000);
    const auto start = kT0 + 2s;
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item("e1", asset, start)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "e1").has_value());
    f.render_until(kT0 + 1s);

    engine->set_timeline(timeline(2, {}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cancelled, "e1").has_value());
    f.render_until(start + 2s);
    f.wait_passes(*engine);
    // Nothing was heard and nothing is reported: the item is no longer scheduled.
    EXPECT_EQ(first_nonzero(f.heard), f.heard.size());
    EXPECT_EQ(f.events.count(PlayoutEvent::Kind::as_run), 0U);
    EXPECT_EQ(f.store.outbox_depth(), 0U);
    // The slot is free again.
    EXPECT_TRUE(f.player.cue(999, start + 10s).has_value());
}

TEST(PlayoutEngine, ItemRemovedWhilePlayingIsInterrupted) {
    Fixture f;
    const auto asset = f.add_asset(0.4F, 48000);
    const auto start = kT0 + 2s;
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item("e1", asset, start), item("e2", asset, start + 5s)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "e1").has_value());
    f.render_until(start + 300ms);

    // Revision 2 keeps e2 only.
    engine->set_timeline(timeline(2, {item("e2", asset, start + 5s)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cancelled, "e1").has_value());
    f.render_until(start + 400ms);
    const auto r = f.events.wait(PlayoutEvent::Kind::as_run, "e1");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->record.status(), wire::INTERRUPTED);
    EXPECT_EQ(r->record.reason(), "removed from the timeline while playing");
    EXPECT_EQ(r->record.started_at_us(), to_unix_us(start));
    EXPECT_GT(r->record.ended_at_us(), to_unix_us(start + 300ms) - 1);
    EXPECT_LE(r->record.ended_at_us(), to_unix_us(start + 310ms));
    // Silence after the cancel.
    const auto cut = static_cast<std::size_t>(2310 * 48);
    EXPECT_EQ(first_nonzero(f.heard, cut), f.heard.size());
}

TEST(PlayoutEngine, PlaysARealOpusAsset) {
    Fixture f;
    // 0.5 s of a 1 kHz tone, encoded as the scheduler's ingest does.
    std::vector<float> pcm(24000);
    for (std::size_t i = 0; i < pcm.size(); ++i) {
        pcm[i] = 0.5F * static_cast<float>(std::sin(2.0 * M_PI * 1000.0 * i / 48000.0));
    }
    const auto file = f.dir / "tone.opus";
    ASSERT_TRUE(audio::encode_ogg_opus(pcm, file));
    const auto bytes = loa::agent::test::read_bytes(file);
    const auto id = sha256_hex(bytes);
    ASSERT_TRUE(f.cache.append(id, 0, bytes));
    ASSERT_TRUE(f.cache.finish(id));

    const auto start = kT0 + 1s;
    auto engine = f.make_engine(open_opus_frame_source);
    engine->start();
    engine->set_timeline(timeline(1, {item("e1", id, start, 500)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "e1").has_value());
    f.render_until(start + 1s);
    const auto r = f.events.wait(PlayoutEvent::Kind::as_run, "e1");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->record.status(), wire::COMPLETED) << r->record.reason();
    EXPECT_EQ(r->record.started_at_us(), to_unix_us(start));
    EXPECT_NEAR(static_cast<double>(r->record.ended_at_us() - r->record.started_at_us()), 500e3,
                1e3);
    // The tone is heard from its start: the loudest sample of the first 10 ms is loud.
    float peak = 0.0F;
    for (std::size_t i = 48000; i < 48000 + 480; ++i) {
        peak = std::max(peak, std::abs(f.heard[i]));
    }
    EXPECT_GT(peak, 0.2F);
    // Silence before the start; sound within its first millisecond.
    EXPECT_GE(first_nonzero(f.heard), 48000U);
    EXPECT_LT(first_nonzero(f.heard), 48000U + 48U);
}

// --- priority classes, chimes and the amplifier ---

namespace {

wire::TimelineItem item_of(const std::string& id, const std::string& asset, TimePoint start,
                           wire::PriorityClass priority,
                           wire::PreemptPolicy policy = wire::PREEMPT_POLICY_UNSPECIFIED,
                           std::uint32_t duration_ms = 2000) {
    auto it = item(id, asset, start, duration_ms);
    it.set_priority(priority);
    it.set_preempt_policy(policy);
    return it;
}

// Frame i of a CountingSource asset of `level`, computed as the source computes it.
float counted(float level, std::size_t i) {
    return level + static_cast<float>(i) * 1e-7F;
}

std::size_t frame_of(const Fixture& f, TimePoint t) {
    return static_cast<std::size_t>(audio::duration_to_frames(t - f.heard_from));
}

constexpr std::size_t kFade = 480;  // 10 ms

}  // namespace

TEST(PlayoutPreemption, EmergencyCutsADistrictItemAtTheExactSampleAndItResumes) {
    Fixture f;
    const auto program = f.add_asset(0.25F, 96000);  // 2 s
    const auto alarm = f.add_asset(0.5F, 24000);     // 0.5 s
    const auto start = kT0 + 2s;
    const auto cut = start + 701300us;  // not on a block boundary
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item_of("d1", program, start, wire::DISTRICT),
                                      item_of("e7", alarm, cut, wire::EMERGENCY)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "d1").has_value());
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "e7").has_value());
    f.render_until(start + 3500ms);

    const std::size_t s0 = frame_of(f, start);
    const std::size_t k = frame_of(f, cut);
    ASSERT_EQ(first_nonzero(f.heard), s0);
    // The frame before the cut is the district item's, untouched.
    ASSERT_FLOAT_EQ(f.heard[k - 1], counted(0.25F, k - 1 - s0));
    // The cut frame carries the emergency's first sample, over the first step of the fade-out.
    EXPECT_NEAR(f.heard[k], 0.5F + counted(0.25F, k - s0) * (1.0F - 1.0F / kFade), 1e-5F);
    EXPECT_GT(f.heard[k], 0.74F);
    EXPECT_NEAR(f.heard[k + kFade / 2], 0.5F + counted(0.25F, k - s0 + kFade / 2) * 0.499F, 2e-3F);
    // After the fade only the emergency is heard, frame for frame.
    for (std::size_t i = kFade; i < 24000; i += 101) {
        ASSERT_FLOAT_EQ(f.heard[k + i], counted(0.5F, i)) << i;
    }
    // The district item resumes right after the emergency's last frame, where it was paused
    // (the frames under the fade-out were heard), fading in, then frame for frame.
    const std::size_t resume = k + 24000;
    const std::size_t paused_at = k - s0 + kFade;
    EXPECT_NEAR(f.heard[resume], counted(0.25F, paused_at) / kFade, 1e-6F);
    for (std::size_t i = kFade; i < 96000 - paused_at; i += 97) {
        ASSERT_FLOAT_EQ(f.heard[resume + i], counted(0.25F, paused_at + i)) << i;
    }
    const std::size_t end = resume + (96000 - paused_at);
    EXPECT_FLOAT_EQ(f.heard[end - 1], counted(0.25F, 95999));
    EXPECT_EQ(first_nonzero(f.heard, end), f.heard.size());

    const auto e = f.events.wait(PlayoutEvent::Kind::as_run, "e7");
    const auto d = f.events.wait(PlayoutEvent::Kind::as_run, "d1");
    ASSERT_TRUE(e && d);
    EXPECT_EQ(e->record.status(), wire::COMPLETED);
    EXPECT_EQ(e->record.reason(), "");
    // Sample-accurate: within one frame (20.8 us) of the scheduled instant.
    EXPECT_LE(std::abs(e->record.started_at_us() - to_unix_us(cut)), 21);
    EXPECT_EQ(e->record.ended_at_us() - e->record.started_at_us(), 500'000);
    EXPECT_EQ(d->record.status(), wire::COMPLETED);
    EXPECT_EQ(d->record.reason(), "paused 0.5 s by emergency e7");
    EXPECT_EQ(d->record.paused_ms(), 490U);  // 0.5 s less the 10 ms fade heard before it
    EXPECT_EQ(d->record.preempted_by(), "e7");
    EXPECT_EQ(d->record.started_at_us(), to_unix_us(start));
    EXPECT_EQ(d->record.ended_at_us(), to_unix_us(start + 2490ms));  // it ends later
    EXPECT_EQ(f.store.outbox_depth(), 2U);
    EXPECT_EQ(f.player.underruns(), 0U);
}

TEST(PlayoutPreemption, FillerIsStoppedAndReportedInterrupted) {
    Fixture f;
    const auto music = f.add_asset(0.25F, 96000);
    const auto alarm = f.add_asset(0.5F, 24000);
    const auto start = kT0 + 2s;
    const auto cut = start + 500ms;
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item_of("f1", music, start, wire::FILLER),
                                      item_of("e7", alarm, cut, wire::EMERGENCY)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "e7").has_value());
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "f1").has_value());
    f.render_until(start + 3s);
    const std::size_t k = frame_of(f, cut);
    ASSERT_FLOAT_EQ(f.heard[k - 1], counted(0.25F, k - 1 - frame_of(f, start)));
    // The filler never comes back after the emergency.
    EXPECT_EQ(first_nonzero(f.heard, k + 24000), f.heard.size());
    const auto r = f.events.wait(PlayoutEvent::Kind::as_run, "f1");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->record.status(), wire::INTERRUPTED);
    EXPECT_EQ(r->record.reason(), "preempted by emergency e7");
    EXPECT_EQ(r->record.preempted_by(), "e7");
    EXPECT_EQ(r->record.started_at_us(), to_unix_us(start));
    EXPECT_EQ(r->record.ended_at_us(), to_unix_us(cut + 10ms));  // the end of the fade
    const auto e = f.events.wait(PlayoutEvent::Kind::as_run, "e7");
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->record.status(), wire::COMPLETED);
}

TEST(PlayoutPreemption, DuckPolicyPlaysOnUnderTheEmergency) {
    Fixture f;
    const auto bed = f.add_asset(0.25F, 96000);
    const auto alarm = f.add_asset(0.5F, 24000);
    const auto start = kT0 + 2s;
    const auto cut = start + 500ms;
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item_of("d1", bed, start, wire::DISTRICT, wire::DUCK),
                                      item_of("e7", alarm, cut, wire::EMERGENCY)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "e7").has_value());
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "d1").has_value());
    f.render_until(start + 3s);
    const std::size_t s0 = frame_of(f, start);
    const std::size_t k = frame_of(f, cut);
    const float duck = f.player.options().duck_gain;
    EXPECT_NEAR(f.heard[k + 1000], counted(0.5F, 1000) + counted(0.25F, k - s0 + 1000) * duck,
                1e-5F);
    const auto r = f.events.wait(PlayoutEvent::Kind::as_run, "d1");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->record.status(), wire::COMPLETED);
    EXPECT_EQ(r->record.reason(), "ducked 0.5 s under emergency e7");
    EXPECT_EQ(r->record.paused_ms(), 0U);
    EXPECT_EQ(r->record.ended_at_us(), to_unix_us(start + 2s));  // not delayed
}

TEST(PlayoutChimes, BeforeChimeEndsAtTheStartAfterChimeFollowsTheEnd) {
    Fixture f;
    const auto alarm = f.add_asset(0.5F, 24000);
    PlayoutOptions options;
    auto& emergency = options.classes[wire::EMERGENCY];
    emergency.gain = 0.5F;                        // -6 dB for the class
    emergency.chime_before.assign(4800, 0.125F);  // 100 ms
    emergency.chime_after.assign(2400, -0.125F);  // 50 ms
    const auto start = kT0 + 10s;
    auto engine = f.make_engine({}, options);
    engine->start();
    engine->set_timeline(timeline(1, {item_of("e7", alarm, start, wire::EMERGENCY)}));
    // The amplifier comes on its lead before the chime, not before the item.
    f.clock.set(start - 100ms - 3300ms);
    f.wait_passes(*engine);
    EXPECT_TRUE(f.amplifier.switches().empty());
    f.clock.set(start - 100ms - 3200ms);
    f.wait_passes(*engine);
    ASSERT_EQ(f.amplifier.switches().size(), 1U);
    EXPECT_LE(f.amplifier.switches()[0].at, start - 100ms - 3s);

    f.clock.set(start - 2s);
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "e7").has_value());
    f.render_until(start + 1s);
    const std::size_t s0 = frame_of(f, start);
    EXPECT_EQ(first_nonzero(f.heard), s0 - 4800);
    for (std::size_t i = s0 - 4800; i < s0; ++i) {
        ASSERT_EQ(f.heard[i], 0.0625F) << i;
    }
    EXPECT_FLOAT_EQ(f.heard[s0], 0.25F);  // the item's first frame, at half gain
    EXPECT_FLOAT_EQ(f.heard[s0 + 23999], counted(0.5F, 23999) * 0.5F);
    for (std::size_t i = s0 + 24000; i < s0 + 26400; ++i) {
        ASSERT_EQ(f.heard[i], -0.0625F) << i;
    }
    EXPECT_EQ(first_nonzero(f.heard, s0 + 26400), f.heard.size());
    // The as-run times are the item's own.
    const auto r = f.events.wait(PlayoutEvent::Kind::as_run, "e7");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->record.status(), wire::COMPLETED);
    EXPECT_EQ(r->record.started_at_us(), to_unix_us(start));
    EXPECT_EQ(r->record.ended_at_us(), to_unix_us(start + 500ms));
}

TEST(PlayoutAmplifier, OnAtLeastTheLeadBeforeOffAfterTheHoldNoCycleBetweenItems) {
    Fixture f;
    const auto asset = f.add_asset(0.25F, 48000);  // 1 s
    const auto first = kT0 + 10s;
    const auto second = first + 5s;  // 4 s after the first ends: well inside the hold
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item("a1", asset, first), item("a2", asset, second)}));
    f.wait_passes(*engine);
    EXPECT_TRUE(f.amplifier.switches().empty());
    f.clock.set(first - 3300ms);
    f.wait_passes(*engine);
    EXPECT_TRUE(f.amplifier.switches().empty()) << "not on earlier than lead + margin";
    f.clock.set(first - 3200ms);
    f.wait_passes(*engine);
    ASSERT_EQ(f.amplifier.switches().size(), 1U);
    const auto on = f.amplifier.switches()[0];
    EXPECT_TRUE(on.on);
    EXPECT_EQ(on.at, first - 3200ms);

    f.clock.set(first - 2s);
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "a1").has_value());
    f.render_until(second - 2s);
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "a2").has_value());
    f.render_until(second + 1500ms);
    const auto a1 = f.events.wait(PlayoutEvent::Kind::as_run, "a1");
    const auto a2 = f.events.wait(PlayoutEvent::Kind::as_run, "a2");
    ASSERT_TRUE(a1 && a2);
    EXPECT_EQ(a1->record.status(), wire::COMPLETED);
    EXPECT_EQ(a2->record.status(), wire::COMPLETED);
    // On at least the lead time before the first sample heard.
    EXPECT_GE(from_unix_us(a1->record.started_at_us()) - on.at, 3s);
    f.wait_passes(*engine);
    EXPECT_EQ(f.amplifier.switches().size(), 1U) << "back-to-back items do not cycle the relay";

    // Off once 30 s have passed without an item, not before.
    const auto end = from_unix_us(a2->record.ended_at_us());
    f.clock.set(end + 29900ms);
    f.wait_passes(*engine);
    EXPECT_EQ(f.amplifier.switches().size(), 1U);
    f.clock.set(second + 1500ms + 30s);
    f.wait_passes(*engine);
    ASSERT_EQ(f.amplifier.switches().size(), 2U);
    EXPECT_FALSE(f.amplifier.switches()[1].on);
    EXPECT_GE(f.amplifier.switches()[1].at - end, 30s);
    EXPECT_FALSE(f.amplifier.state().on);
}

TEST(PlayoutAmplifier, FaultedZoneIsReportedAndSkippedThenRecovers) {
    Fixture f;
    const auto asset = f.add_asset(0.25F, 24000);
    const auto start = kT0 + 2s;
    f.amplifier.inject_fault("relay K1 does not close");
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item("a1", asset, start), item("a2", asset, start + 20s)}));
    const auto failed = f.events.wait(PlayoutEvent::Kind::as_run, "a1");
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->record.status(), wire::FAILED);
    EXPECT_EQ(failed->record.reason(), "amplifier fault: relay K1 does not close");
    EXPECT_EQ(failed->record.started_at_us(), 0);
    EXPECT_EQ(f.events.count(PlayoutEvent::Kind::cued), 0U);
    f.render_until(start + 1s);
    EXPECT_EQ(first_nonzero(f.heard), f.heard.size()) << "nothing rendered into a faulted zone";
    EXPECT_TRUE(f.amplifier.switches().empty());
    EXPECT_EQ(f.store.pending_as_run(10).at(0).reason(),
              "amplifier fault: relay K1 does not close");

    // Repaired: the next item switches it on and plays.
    f.amplifier.clear_fault();
    f.clock.set(start + 20s - 2s);
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "a2").has_value());
    ASSERT_EQ(f.amplifier.switches().size(), 1U);
    f.render_until(start + 21s);
    const auto played = f.events.wait(PlayoutEvent::Kind::as_run, "a2");
    ASSERT_TRUE(played.has_value());
    EXPECT_EQ(played->record.status(), wire::COMPLETED);
}

TEST(PlayoutAmplifier, FaultWhilePlayingStopsTheItem) {
    Fixture f;
    const auto asset = f.add_asset(0.25F, 96000);
    const auto start = kT0 + 2s;
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item("a1", asset, start, 2000)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "a1").has_value());
    f.render_until(start + 500ms);
    f.amplifier.inject_fault("overcurrent");
    f.wait_passes(*engine);
    f.render_until(start + 1s);
    const auto r = f.events.wait(PlayoutEvent::Kind::as_run, "a1");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->record.status(), wire::INTERRUPTED);
    EXPECT_EQ(r->record.reason(), "amplifier fault: overcurrent");
    EXPECT_EQ(r->record.started_at_us(), to_unix_us(start));
    EXPECT_EQ(r->record.ended_at_us(), to_unix_us(start + 510ms));  // faded out in 10 ms
    EXPECT_EQ(first_nonzero(f.heard, frame_of(f, start + 510ms)), f.heard.size());
}

TEST(PlayoutDuration, AShortenedItemStopsAtItsDurationWithTheShortFade) {
    Fixture f;
    const auto asset = f.add_asset(0.25F, 96000);  // 2 s of audio
    const auto start = kT0 + 2s;
    auto engine = f.make_engine();
    engine->start();
    // The compiler cut it to 1.2 s (a higher item starts then elsewhere in the plan).
    engine->set_timeline(timeline(1, {item("s1", asset, start, 1200)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "s1").has_value());
    f.render_until(start + 3s);

    const std::size_t s0 = frame_of(f, start);
    const std::size_t limit = 57600;  // 1.2 s
    ASSERT_EQ(first_nonzero(f.heard), s0);
    // Frame for frame up to the fade, which ramps linearly down over 480 frames (10 ms) ...
    for (std::size_t i = 0; i < limit - kFade; i += 101) {
        ASSERT_FLOAT_EQ(f.heard[s0 + i], counted(0.25F, i)) << i;
    }
    ASSERT_FLOAT_EQ(f.heard[s0 + limit - kFade - 1], counted(0.25F, limit - kFade - 1));
    EXPECT_FLOAT_EQ(f.heard[s0 + limit - kFade], counted(0.25F, limit - kFade));
    EXPECT_NEAR(f.heard[s0 + limit - kFade / 2], counted(0.25F, limit - kFade / 2) * 0.5F, 1e-6F);
    EXPECT_NEAR(f.heard[s0 + limit - 1], counted(0.25F, limit - 1) / kFade, 1e-6F);
    for (std::size_t i = limit - kFade + 1; i < limit; ++i) {
        ASSERT_LT(f.heard[s0 + i], f.heard[s0 + i - 1]) << i;
    }
    // ... and silence from start + duration_ms on: nothing of the rest of the asset.
    EXPECT_EQ(first_nonzero(f.heard, s0 + limit), f.heard.size());

    const auto r = f.events.wait(PlayoutEvent::Kind::as_run, "s1");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->record.status(), wire::COMPLETED);
    EXPECT_EQ(r->record.started_at_us(), to_unix_us(start));
    EXPECT_EQ(r->record.ended_at_us(), to_unix_us(start + 1200ms));
    EXPECT_EQ(f.player.underruns(), 0U);
}

TEST(PlayoutDuration, AnAssetWithinAMillisecondOfTheDurationPlaysWhole) {
    Fixture f;
    const auto asset = f.add_asset(0.25F, 48020);  // 1000.4 ms: duration_ms rounds to 1000
    const auto start = kT0 + 2s;
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item("w1", asset, start, 1000)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "w1").has_value());
    f.render_until(start + 2s);
    const std::size_t s0 = frame_of(f, start);
    ASSERT_FLOAT_EQ(f.heard[s0 + 48019], counted(0.25F, 48019));
    ASSERT_FLOAT_EQ(f.heard[s0 + 47990], counted(0.25F, 47990));  // no fade
    EXPECT_EQ(first_nonzero(f.heard, s0 + 48020), f.heard.size());
    const auto r = f.events.wait(PlayoutEvent::Kind::as_run, "w1");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->record.status(), wire::COMPLETED);
}

TEST(PlayoutZones, OnlyItemsForThisZoneArePlayedAndOthersAreNeverReported) {
    Fixture f;  // the sequencer drives zone "main"
    const auto a = f.add_asset(0.25F, 4800);
    const auto b = f.add_asset(0.5F, 4800);
    const auto c = f.add_asset(0.125F, 4800);
    const auto start = kT0 + 2s;
    auto other = item("z1", a, start);
    other.add_zones("market");
    auto both = item("z2", b, start + 1s);
    both.add_zones("market");
    both.add_zones("main");
    auto every = item("z3", c, start + 2s);  // no zones: every zone of the station
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {other, both, every}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "z2").has_value());
    f.render_until(start + 1500ms);
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "z3").has_value());
    f.render_until(start + 3s);
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::as_run, "z2").has_value());
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::as_run, "z3").has_value());

    // The first sound is z2's; z1's second stayed silent.
    EXPECT_EQ(first_nonzero(f.heard), frame_of(f, start + 1s));
    EXPECT_FLOAT_EQ(f.heard[frame_of(f, start + 1s)], 0.5F);
    EXPECT_FLOAT_EQ(f.heard[frame_of(f, start + 2s)], 0.125F);
    // z1 is not this zone's: no as-run, not marked handled, nothing in the outbox for it.
    f.wait_passes(*engine);
    EXPECT_EQ(f.events.count(PlayoutEvent::Kind::as_run), 2U);
    EXPECT_FALSE(f.store.item_handled("z1", to_unix_us(start)));
    EXPECT_EQ(f.store.outbox_depth(), 2U);
}

TEST(PlayoutZones, AnItemMovedToAnotherZoneIsCancelled) {
    Fixture f;
    const auto a = f.add_asset(0.25F, 96000);
    const auto start = kT0 + 2s;
    auto engine = f.make_engine();
    engine->start();
    engine->set_timeline(timeline(1, {item("m1", a, start, 2000)}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "m1").has_value());
    auto moved = item("m1", a, start, 2000);
    moved.add_zones("market");
    engine->set_timeline(timeline(2, {moved}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cancelled, "m1").has_value());
    f.render_until(start + 3s);
    EXPECT_EQ(first_nonzero(f.heard), f.heard.size());
}

// --- a live session that airs a timeline item instead (an emergency's first airing) ---

namespace {

wire::TimelineItem live_item(const std::string& session, TimePoint start) {
    wire::TimelineItem it;
    it.set_item_id("live-" + session);
    it.set_start_at_us(to_unix_us(start));
    it.set_priority(wire::EMERGENCY);
    it.set_preempt_policy(wire::PAUSE_RESUME);
    it.set_title("live " + session);
    return it;
}

wire::CoveredItem covering(const wire::TimelineItem& item) {
    wire::CoveredItem c;
    c.set_item_id(item.item_id());
    c.set_start_at_us(item.start_at_us());
    c.set_asset_id(item.asset_id());
    return c;
}

// How many frames of `heard` carry the audio of a CountingSource of `level` (within 0.1).
std::size_t frames_near(const std::vector<float>& heard, float level) {
    return static_cast<std::size_t>(std::count_if(
        heard.begin(), heard.end(), [&](float v) { return std::abs(v - level) < 0.1F; }));
}

}  // namespace

TEST(PlayoutLiveCover, ALiveSessionAirsTheCuedItemItCoversOnceAndTheDistrictItemResumes) {
    Fixture f;
    const auto program = f.add_asset(0.25F, 192000);  // 4 s
    const auto alarm = f.add_asset(0.5F, 24000);      // 0.5 s
    const auto district_start = kT0 + 1s;
    const auto live_start = kT0 + 2200ms;
    const auto covered_start = kT0 + 3s;  // lead_s after the request
    auto engine = f.make_engine();
    engine->start();
    const auto covered = item_of("e9-1795000003-0", alarm, covered_start, wire::EMERGENCY,
                                 wire::PREEMPT_POLICY_UNSPECIFIED, 500);
    engine->set_timeline(
        timeline(3, {item_of("d1", program, district_start, wire::DISTRICT), covered}));
    // Within the cue lead: the covered item is cued from the timeline before the session comes.
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, covered.item_id()).has_value());
    f.render_until(kT0 + 2s);

    engine->play_live(live_item("E9", live_start), std::make_shared<CountingSource>(0.75F, 24000),
                      {covering(covered)});
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cancelled, covered.item_id()).has_value());
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "live-E9").has_value());
    f.render_until(kT0 + 7s);

    // The live session is heard from its start, frame for frame; the covered item never is.
    const std::size_t k = frame_of(f, live_start);
    for (std::size_t i = kFade; i < 24000; i += 101) {
        ASSERT_FLOAT_EQ(f.heard[k + i], counted(0.75F, i)) << i;
    }
    EXPECT_EQ(frames_near(f.heard, 0.5F), 0U);
    // The district item resumes after it, where it was paused, and plays to its end.
    const std::size_t paused_at = k - frame_of(f, district_start) + kFade;
    EXPECT_FLOAT_EQ(f.heard[k + 24000 + kFade], counted(0.25F, paused_at + kFade));

    const auto aired = f.events.wait(PlayoutEvent::Kind::as_run, covered.item_id());
    const auto d = f.events.wait(PlayoutEvent::Kind::as_run, "d1");
    ASSERT_TRUE(aired && d);
    EXPECT_EQ(aired->record.status(), wire::COMPLETED);
    EXPECT_EQ(aired->record.reason(), "aired live in session E9");
    EXPECT_EQ(aired->record.scheduled_at_us(), to_unix_us(covered_start));
    EXPECT_EQ(aired->record.asset_id(), alarm);
    EXPECT_EQ(aired->record.timeline_revision(), 3U);
    EXPECT_LE(std::abs(aired->record.started_at_us() - to_unix_us(live_start)), 21);
    EXPECT_EQ(aired->record.ended_at_us() - aired->record.started_at_us(), 500'000);
    EXPECT_EQ(d->record.status(), wire::COMPLETED);
    EXPECT_EQ(d->record.reason(), "paused 0.5 s by emergency live-E9");
    // Reported once: the covered item and the district item; no record of the session itself.
    EXPECT_EQ(f.events.count(PlayoutEvent::Kind::as_run), 2U);
    EXPECT_EQ(f.store.outbox_depth(), 2U);
    EXPECT_TRUE(f.store.item_handled(covered.item_id(), to_unix_us(covered_start)));

    // A later revision still naming the item does not bring it back.
    engine->set_timeline(timeline(4, {covered}));
    f.wait_passes(*engine);
    f.render_until(kT0 + 8s);
    EXPECT_EQ(frames_near(f.heard, 0.5F), 0U);
    EXPECT_EQ(f.store.outbox_depth(), 2U);
}

TEST(PlayoutLiveCover, ASessionThatNeverAiredReleasesTheItemItCovers) {
    Fixture f;
    const auto alarm = f.add_asset(0.5F, 24000);
    const auto covered_start = kT0 + 3s;
    auto engine = f.make_engine();
    engine->start();
    const auto covered = item_of("e4-1795000003-0", alarm, covered_start, wire::EMERGENCY,
                                 wire::PREEMPT_POLICY_UNSPECIFIED, 500);
    // The session comes first (the timeline follows), and has no audio at all.
    engine->play_live(live_item("E4", kT0 + 500ms), std::make_shared<CountingSource>(0.75F, 0),
                      {covering(covered)});
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "live-E4").has_value());
    engine->set_timeline(timeline(1, {covered}));
    f.wait_passes(*engine);
    f.render_until(kT0 + 1s);
    const auto failed = f.events.wait(PlayoutEvent::Kind::as_run, "live-E4");
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->record.status(), wire::FAILED);
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, covered.item_id()).has_value());
    f.render_until(kT0 + 4s);

    // The covered item then airs from the timeline at its own start.
    EXPECT_EQ(first_nonzero(f.heard), frame_of(f, covered_start));
    const auto aired = f.events.wait(PlayoutEvent::Kind::as_run, covered.item_id());
    ASSERT_TRUE(aired.has_value());
    EXPECT_EQ(aired->record.status(), wire::COMPLETED);
    EXPECT_EQ(aired->record.reason(), "");
    EXPECT_EQ(aired->record.started_at_us(), to_unix_us(covered_start));
}

TEST(PlayoutLiveCover, CoversNamedAfterTheSessionStartedStillKeepTheItemOffTheAir) {
    Fixture f;
    const auto alarm = f.add_asset(0.5F, 24000);
    const auto covered_start = kT0 + 3s;
    auto engine = f.make_engine();
    engine->start();
    const auto covered = item_of("e5-1795000003-0", alarm, covered_start, wire::EMERGENCY,
                                 wire::PREEMPT_POLICY_UNSPECIFIED, 500);
    engine->set_timeline(timeline(2, {covered}));
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, covered.item_id()).has_value());
    // The session is on its way before its entries are committed: it names them later.
    engine->play_live(live_item("E5", kT0 + 500ms), std::make_shared<CountingSource>(0.75F, 12000),
                      {});
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cued, "live-E5").has_value());
    engine->add_covers("live-E5", {covering(covered)});
    ASSERT_TRUE(f.events.wait(PlayoutEvent::Kind::cancelled, covered.item_id()).has_value());
    f.render_until(kT0 + 4s);

    EXPECT_EQ(first_nonzero(f.heard), frame_of(f, kT0 + 500ms));
    EXPECT_EQ(frames_near(f.heard, 0.5F), 0U);
    const auto aired = f.events.wait(PlayoutEvent::Kind::as_run, covered.item_id());
    ASSERT_TRUE(aired.has_value());
    EXPECT_EQ(aired->record.status(), wire::COMPLETED);
    EXPECT_EQ(aired->record.reason(), "aired live in session E5");
    EXPECT_LE(std::abs(aired->record.started_at_us() - to_unix_us(kT0 + 500ms)), 21);
    EXPECT_EQ(aired->record.ended_at_us() - aired->record.started_at_us(), 250'000);
    EXPECT_EQ(f.store.outbox_depth(), 1U);
}
