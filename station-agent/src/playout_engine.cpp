#include "loa/agent/playout_engine.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/agent/amplifier_sequencer.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/agent/log_context.hpp"
#include "loa/audio/format.hpp"
#include "loa/audio/frame_time.hpp"
#include "loa/audio/player.hpp"
#include "loa/common/digest.hpp"
#include "loa/common/time_format.hpp"
#include "loa/protocol/envelope.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

namespace loa::agent {
namespace {

// Frames decoded per read: 100 ms.
constexpr std::size_t kReadFrames = 4800;
// Labels of preempting items kept for as-run reasons.
constexpr std::size_t kMaxLabels = 256;
// An asset longer than its item by no more than this plays whole: duration_ms is the asset's
// length rounded to the millisecond.
constexpr std::size_t kCutTolerance = audio::kSampleRate / 1000;

// The class an item plays as: an unspecified or unknown class plays as COMMUNE.
wire::PriorityClass effective_class(const wire::TimelineItem& item) {
    const auto c = item.priority();
    return c >= wire::FILLER && c <= wire::EMERGENCY ? c : wire::COMMUNE;
}

// What a higher class does to this item: its own policy, else STOP for filler and
// PAUSE_RESUME for the others.
audio::Preemption preemption_of(const wire::TimelineItem& item) {
    switch (item.preempt_policy()) {
        case wire::PAUSE_RESUME:
            return audio::Preemption::pause_resume;
        case wire::STOP:
            return audio::Preemption::stop;
        case wire::DUCK:
            return audio::Preemption::duck;
        default:
            return effective_class(item) == wire::FILLER ? audio::Preemption::stop
                                                         : audio::Preemption::pause_resume;
    }
}

double frames_to_seconds(std::uint64_t frames) {
    return static_cast<double>(frames) / audio::kSampleRate;
}

}  // namespace

// One timeline item as the feeder sees it.
struct PlayoutEngine::Run {
    enum class State { pending, cued, done };

    std::uint64_t tag = 0;
    wire::TimelineItem item;
    std::uint64_t revision = 0;
    State state = State::pending;
    bool checked = false;    // the first look at it has happened
    bool cancelled = false;  // removed from the timeline while cued
    std::size_t slot = 0;
    std::unique_ptr<IFrameSource> source;
    std::shared_ptr<IFrameSource> live;  // a live session's source, fed by the link
    bool end_of_stream = false;
    std::vector<float> leftover;      // decoded frames not yet written to the ring
    std::size_t content_limit = 0;    // frames of the asset the item plays (duration_ms); 0: all
    std::size_t content_read = 0;     // frames decoded so far
    std::size_t content_written = 0;  // frames of the asset written to the ring
    bool source_ended = false;        // the asset's last frame was decoded
    bool cut = false;  // the asset runs past the item's end: it stops there with a fade-out
    std::size_t before_frames = 0;          // length of the before-chime
    std::size_t head_pos = 0;               // frames of the before-chime written
    bool content_ended = false;             // the asset's last frame is written and marked
    std::size_t tail_pos = 0;               // frames of the after-chime written
    std::string abort_reason;               // why the engine cancelled it (amplifier fault)
    std::vector<wire::CoveredItem> covers;  // a live run: the timeline items it airs instead
    std::uint64_t covered_by = 0;           // a timeline run: the live run airing it instead
    // A live run, once over: what its record said (for covered items named after it ended).
    wire::AsRunStatus aired_status = wire::COMPLETED;
    std::string aired_reason;
    std::int64_t aired_started_us = 0;  // 0: it never aired
    std::int64_t aired_ended_us = 0;
    std::uint64_t paused_ms = 0;  // for the as-run record
    std::string preempted_by;

    TimePoint start() const { return from_unix_us(item.start_at_us()); }
    // When its first sample (the before-chime's, if any) is heard.
    TimePoint first_sample() const {
        return start() - audio::frames_to_duration(static_cast<std::int64_t>(before_frames));
    }
    bool same_item(const wire::TimelineItem& other) const {
        return item.item_id() == other.item_id() && item.start_at_us() == other.start_at_us() &&
               item.asset_id() == other.asset_id();
    }
};

PlayoutEngine::PlayoutEngine(const IClock& clock, audio::Player& player,
                             AmplifierSequencer& amplifier, AgentStore& store,
                             const AssetCache& cache, FrameSourceOpener opener,
                             PlayoutOptions options)
    : clock_{clock},
      player_{player},
      amplifier_{amplifier},
      store_{store},
      cache_{cache},
      opener_{std::move(opener)},
      options_{options},
      buffer_(kReadFrames) {}

PlayoutEngine::~PlayoutEngine() {
    stop();
}

void PlayoutEngine::set_outbox_listener(std::function<void()> listener) {
    outbox_listener_ = std::move(listener);
}

void PlayoutEngine::set_event_handler(EventHandler handler) {
    event_handler_ = std::move(handler);
}

void PlayoutEngine::start() {
    if (thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock{mu_};
        stop_ = false;
    }
    started_at_ = clock_.now();
    thread_ = std::thread{for_this_station([this] { run(); })};
}

void PlayoutEngine::stop() {
    if (!thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock{mu_};
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    finalize(clock_.now());
}

void PlayoutEngine::set_timeline(const wire::Timeline& timeline) {
    {
        std::lock_guard lock{mu_};
        incoming_ = timeline;
    }
    cv_.notify_all();
}

namespace {

// Lets the engine own a live source that the link still feeds.
class SharedFrameSource final : public IFrameSource {
public:
    explicit SharedFrameSource(std::shared_ptr<IFrameSource> source) : source_{std::move(source)} {}
    std::size_t read(std::span<float> out) override { return source_->read(out); }
    std::string error() const override { return source_->error(); }
    bool pending() const override { return source_->pending(); }

private:
    std::shared_ptr<IFrameSource> source_;
};

}  // namespace

void PlayoutEngine::play_live(const wire::TimelineItem& item,
                              std::shared_ptr<IFrameSource> source) {
    play_live(item, std::move(source), {});
}

void PlayoutEngine::play_live(const wire::TimelineItem& item, std::shared_ptr<IFrameSource> source,
                              std::vector<wire::CoveredItem> covers) {
    {
        std::lock_guard lock{mu_};
        incoming_live_.push_back(LiveCue{item, std::move(source), std::move(covers)});
    }
    cv_.notify_all();
}

void PlayoutEngine::add_live(LiveCue cue) {
    auto r = std::make_unique<Run>();
    r->tag = next_tag_++;
    r->item = std::move(cue.item);
    r->live = std::move(cue.source);
    r->before_frames = class_of(r->item).chime_before.size();
    spdlog::info("playout: live session {} '{}' to start at {}", r->item.item_id(), r->item.title(),
                 format_utc(r->start()));
    const std::uint64_t tag = r->tag;
    runs_.emplace(tag, std::move(r));
    if (!cue.covers.empty()) {
        apply_covers(tag, std::move(cue.covers));
    }
}

void PlayoutEngine::apply_covers(std::uint64_t tag, std::vector<wire::CoveredItem> covers) {
    Run& live = *runs_.at(tag);
    std::vector<wire::CoveredItem> added;
    for (auto& c : covers) {
        const bool known = std::any_of(live.covers.begin(), live.covers.end(), [&](const auto& k) {
            return k.item_id() == c.item_id() && k.start_at_us() == c.start_at_us();
        });
        if (!known) {
            added.push_back(c);
            live.covers.push_back(std::move(c));
        }
    }
    if (added.empty()) {
        return;
    }
    spdlog::info("playout: live session {} airs {} timeline item(s) instead (first {})",
                 live.item.item_id(), added.size(), added.front().item_id());
    if (live.state == Run::State::done) {
        // Over already (a very short session): what it aired is reported now.
        if (live.aired_started_us != 0) {
            record_covered(live, added, 0);
        }
        return;
    }
    const TimePoint now = clock_.now();
    for (const auto& c : added) {
        covered_[{c.item_id(), c.start_at_us()}] = tag;
    }
    std::vector<std::unique_ptr<Run>> withdrawn;
    for (auto& [t, other] : runs_) {
        if (other->live || other->cancelled || other->state == Run::State::done) {
            continue;
        }
        if (other->state == Run::State::cued) {
            const auto key = std::make_pair(other->item.item_id(), other->item.start_at_us());
            const auto found = covered_.find(key);
            if (found == covered_.end() || found->second != tag) {
                continue;
            }
            if (other->first_sample() <= now) {
                // Already on air from the timeline: it stays, the session does not cover it.
                covered_.erase(found);
                continue;
            }
            // Cued from the timeline but not on air yet: withdrawn, kept as a covered item.
            spdlog::info("playout: item {} withdrawn: live session {} airs it", key.first,
                         live.item.item_id());
            player_.cancel(other->slot);
            other->cancelled = true;
            emit({PlayoutEvent::Kind::cancelled,
                  other->item.item_id(),
                  other->item.start_at_us(),
                  other->slot,
                  {}});
            auto copy = std::make_unique<Run>();
            copy->tag = next_tag_++;
            copy->item = other->item;
            copy->revision = other->revision;
            copy->checked = true;
            copy->before_frames = other->before_frames;
            copy->covered_by = tag;
            withdrawn.push_back(std::move(copy));
        } else {
            cover_if_covered(*other);
        }
    }
    for (auto& w : withdrawn) {
        const std::uint64_t t = w->tag;
        runs_.emplace(t, std::move(w));
    }
}

void PlayoutEngine::add_covers(const std::string& live_item_id,
                               std::vector<wire::CoveredItem> covers) {
    {
        std::lock_guard lock{mu_};
        incoming_covers_.emplace_back(live_item_id, std::move(covers));
    }
    cv_.notify_all();
}

void PlayoutEngine::cover_if_covered(Run& r) {
    if (r.live || r.state != Run::State::pending) {
        return;
    }
    const auto it = covered_.find({r.item.item_id(), r.item.start_at_us()});
    if (it != covered_.end()) {
        r.covered_by = it->second;
        r.checked = true;  // seen in time: if released late, it fails as "missed start time"
    }
}

void PlayoutEngine::run() {
    pthread_setname_np(pthread_self(), "loa-feeder");
    for (;;) {
        std::optional<wire::Timeline> incoming;
        std::vector<LiveCue> live;
        std::vector<std::pair<std::string, std::vector<wire::CoveredItem>>> covers;
        {
            std::unique_lock lock{mu_};
            cv_.wait_for(lock, options_.service_interval, [this] {
                return stop_ || incoming_.has_value() || !incoming_live_.empty() ||
                       !incoming_covers_.empty();
            });
            if (stop_) {
                return;
            }
            incoming.swap(incoming_);
            live.swap(incoming_live_);
            covers.swap(incoming_covers_);
        }
        loops_.fetch_add(1);
        try {
            if (incoming) {
                apply_timeline(*incoming);
            }
            for (auto& cue : live) {
                add_live(std::move(cue));
            }
            for (auto& [id, items] : covers) {
                // The newest live run of that session.
                const auto it = std::find_if(runs_.rbegin(), runs_.rend(), [&](const auto& e) {
                    return e.second->live && e.second->item.item_id() == id;
                });
                if (it != runs_.rend()) {
                    apply_covers(it->first, std::move(items));
                }
            }
            collect_finished();
            const TimePoint now = clock_.now();
            drive_amplifier(now);
            schedule(now);
            for (auto& [tag, r] : runs_) {
                top_up(*r);
            }
        } catch (const std::exception& e) {
            // A failing disk or a broken file must not stop playout of the other items.
            spdlog::error("playout: {}", e.what());
        }
    }
}

bool PlayoutEngine::for_this_zone(const wire::TimelineItem& item) const {
    return item.zones().empty() || std::find(item.zones().begin(), item.zones().end(),
                                             amplifier_.zone()) != item.zones().end();
}

void PlayoutEngine::apply_timeline(const wire::Timeline& timeline) {
    // Items no longer in the timeline (or no longer for this zone): drop them, or cancel them
    // when already cued.
    for (auto it = runs_.begin(); it != runs_.end();) {
        auto& r = *it->second;
        const bool kept =
            std::any_of(timeline.items().begin(), timeline.items().end(),
                        [&](const auto& item) { return r.same_item(item) && for_this_zone(item); });
        if (kept || r.cancelled || r.live) {
            ++it;
            continue;
        }
        if (r.state == Run::State::cued) {
            spdlog::info("playout: item {} at {} removed by timeline revision {}: cancelled",
                         r.item.item_id(), format_utc(r.start()), timeline.revision());
            player_.cancel(r.slot);
            r.cancelled = true;
            emit({PlayoutEvent::Kind::cancelled,
                  r.item.item_id(),
                  r.item.start_at_us(),
                  r.slot,
                  {}});
            ++it;
        } else {
            it = runs_.erase(it);
        }
    }
    // New items; those still there keep their state and take the new revision if not cued.
    // Items for other zones of the station are not this engine's: never played, never reported.
    for (const auto& item : timeline.items()) {
        if (!for_this_zone(item)) {
            continue;
        }
        auto found = std::find_if(runs_.begin(), runs_.end(), [&](const auto& entry) {
            return !entry.second->cancelled && entry.second->same_item(item);
        });
        if (found != runs_.end()) {
            auto& r = *found->second;
            if (r.state == Run::State::pending) {
                r.item = item;
                r.revision = timeline.revision();
                r.before_frames = class_of(item).chime_before.size();
            }
            continue;
        }
        bool handled = false;
        try {
            handled = store_.item_handled(item.item_id(), item.start_at_us());
        } catch (const StoreError& e) {
            spdlog::error("playout: {}", e.what());
        }
        if (handled) {
            continue;
        }
        auto r = std::make_unique<Run>();
        r->tag = next_tag_++;
        r->item = item;
        r->revision = timeline.revision();
        r->before_frames = class_of(item).chime_before.size();
        cover_if_covered(*r);
        runs_.emplace(r->tag, std::move(r));
    }
    spdlog::debug("playout: timeline revision {} applied, {} items tracked", timeline.revision(),
                  runs_.size());
}

void PlayoutEngine::schedule(TimePoint now) {
    std::vector<Run*> pending;
    for (auto& [tag, r] : runs_) {
        if (r->state == Run::State::pending && r->covered_by == 0) {
            pending.push_back(r.get());
        }
    }
    std::sort(pending.begin(), pending.end(),
              [](const Run* a, const Run* b) { return a->first_sample() < b->first_sample(); });
    for (Run* r : pending) {
        const auto start = r->first_sample();
        const bool too_late = now > start + options_.late_start_tolerance;
        if (!r->checked) {
            r->checked = true;
            if (too_late) {
                fail(*r, start < started_at_ ? "agent was not running at start time"
                                             : "timeline arrived after start time");
                continue;
            }
        }
        if (now < start - options_.cue_lead) {
            break;  // sorted by start: nothing later is due either
        }
        const bool ready = r->live || cache_.has(r->item.asset_id());
        if (too_late) {
            fail(*r, ready ? "missed start time" : "asset missing");
        } else if (!ready) {
            if (now >= start) {
                fail(*r, "asset missing");
            }
        } else if (!amplifier_.ready() && !(r->live && !amplifier_.amplifier().state().faulted)) {
            // A live session starts at short notice: it is cued while the amplifier warms up.
            // Never into a zone whose amplifier is faulted or off: a fault fails the item at
            // once; an amplifier that is merely not on yet has until the start.
            const auto state = amplifier_.amplifier().state();
            if (state.faulted) {
                fail(*r, "amplifier fault: " + state.fault);
            } else if (now >= start) {
                fail(*r, "amplifier off at start time");
            }
        } else {
            cue(*r, now);
        }
    }
}

void PlayoutEngine::drive_amplifier(TimePoint now) {
    const auto& timing = amplifier_.timing();
    // Items due within the lead (and a second more) whose audio is here ask for the amplifier.
    const TimePoint horizon = now + timing.lead + timing.margin + std::chrono::seconds{1};
    AmplifierDemand demand;
    for (auto& [tag, r] : runs_) {
        if (r->state == Run::State::cued) {
            demand.playing = true;
        } else if (r->state == Run::State::pending && r->covered_by == 0 &&
                   r->first_sample() <= horizon &&
                   (!demand.next_start || r->first_sample() < *demand.next_start) &&
                   now <= r->first_sample() + options_.late_start_tolerance &&
                   (r->live || cache_.has(r->item.asset_id()))) {
            demand.next_start = r->first_sample();
        }
    }
    amplifier_.update(demand);
    if (!demand.playing || amplifier_.ready()) {
        return;
    }
    // The amplifier faulted (or went off) under items cued or playing: stop them.
    const std::string reason = amplifier_.not_ready_reason();
    for (auto& [tag, r] : runs_) {
        if (r->state != Run::State::cued || r->cancelled || !r->abort_reason.empty()) {
            continue;
        }
        if (r->live && !amplifier_.amplifier().state().faulted) {
            continue;  // a live session goes on while the amplifier warms up
        }
        spdlog::error("playout: item {} '{}' stopped: zone {}: {}", r->item.item_id(),
                      r->item.title(), amplifier_.zone(), reason);
        player_.cancel(r->slot);
        r->abort_reason = reason;
    }
}

void PlayoutEngine::cue(Run& r, TimePoint now) {
    Result<std::unique_ptr<IFrameSource>> source{std::unique_ptr<IFrameSource>{}};
    if (r.live) {
        source = std::unique_ptr<IFrameSource>{std::make_unique<SharedFrameSource>(r.live)};
    } else {
        const auto path = cache_.path_of(r.item.asset_id());
        if (!path) {
            return;
        }
        source = opener_(*path);
    }
    if (!source) {
        fail(r, "asset cannot be decoded: " + source.error().message);
        return;
    }
    const auto cls = effective_class(r.item);
    audio::Player::Cue c;
    c.tag = r.tag;
    c.start = r.first_sample();
    c.priority = static_cast<int>(cls);
    c.preemption = preemption_of(r.item);
    c.gain = class_of(r.item).gain;
    c.content_offset = r.before_frames;
    const auto slot = player_.cue(c);
    if (!slot) {
        if (now >= r.first_sample()) {
            fail(r, "no free player slot");
        }
        return;
    }
    r.slot = *slot;
    r.source = std::move(source).value();
    r.content_limit = static_cast<std::size_t>(r.item.duration_ms()) * audio::kSampleRate / 1000;
    r.state = Run::State::cued;
    labels_[r.tag] = {protocol::priority_name(cls) + " " + r.item.item_id(), r.item.item_id()};
    while (labels_.size() > kMaxLabels) {
        labels_.erase(labels_.begin());
    }
    top_up(r);
    spdlog::info("playout: item {} '{}' ({}) cued for {} (slot {})", r.item.item_id(),
                 r.item.title(), protocol::priority_name(cls), format_utc(r.start()), r.slot);
    const auto& timing = amplifier_.timing();
    if (const auto on = amplifier_.on_since(); on && r.first_sample() - *on < timing.lead) {
        spdlog::warn(
            "playout: item {}: the amplifier of zone {} was switched on only {} ms "
            "before it (lead time {} ms)",
            r.item.item_id(), amplifier_.zone(),
            std::chrono::duration_cast<std::chrono::milliseconds>(r.first_sample() - *on).count(),
            std::chrono::duration_cast<std::chrono::milliseconds>(timing.lead).count());
    }
    emit({PlayoutEvent::Kind::cued, r.item.item_id(), r.item.start_at_us(), r.slot, {}});
}

void PlayoutEngine::top_up(Run& r) {
    if (r.state != Run::State::cued || r.cancelled || r.end_of_stream || !r.source) {
        return;
    }
    const auto& cls = class_of(r.item);
    // The before-chime, then the asset, then the after-chime, then the end of the stream.
    if (r.head_pos < cls.chime_before.size()) {
        r.head_pos +=
            player_.write(r.slot, std::span<const float>{cls.chime_before}.subspan(r.head_pos));
        if (r.head_pos < cls.chime_before.size()) {
            return;
        }
    }
    if (!r.content_ended && !write_content(r)) {
        return;
    }
    if (r.tail_pos < cls.chime_after.size()) {
        r.tail_pos +=
            player_.write(r.slot, std::span<const float>{cls.chime_after}.subspan(r.tail_pos));
        if (r.tail_pos < cls.chime_after.size()) {
            return;
        }
    }
    player_.end_of_stream(r.slot);
    r.end_of_stream = true;
}

bool PlayoutEngine::write_content(Run& r) {
    const std::size_t fade = std::min(player_.options().fade_frames, r.content_limit);
    for (;;) {
        std::size_t may = r.leftover.size();
        if (r.content_limit > 0 && !r.cut && !r.source_ended) {
            // Until it is known whether the asset runs past the item's end, the frames that a
            // fade-out would touch are held back.
            const std::size_t safe = r.content_limit - fade;
            may = std::min(may, safe > r.content_written ? safe - r.content_written : 0);
        }
        if (may > 0) {
            const auto taken =
                player_.write(r.slot, std::span<const float>{r.leftover.data(), may});
            r.leftover.erase(r.leftover.begin(), r.leftover.begin() + static_cast<long>(taken));
            r.content_written += taken;
            if (taken < may) {
                return false;  // the ring is full
            }
        }
        if ((r.source_ended || r.cut) && r.leftover.empty()) {
            player_.mark_content_end(r.slot);
            r.content_ended = true;
            return true;
        }
        const std::size_t room = player_.writable(r.slot);
        if (room == 0) {
            return false;
        }
        const auto n =
            r.source->read(std::span<float>{buffer_.data(), std::min(room, buffer_.size())});
        if (n == 0) {
            if (r.source->pending()) {
                return false;  // a live source: its next frame is not due yet
            }
            r.source_ended = true;
            continue;
        }
        r.leftover.insert(r.leftover.end(), buffer_.begin(),
                          buffer_.begin() + static_cast<long>(n));
        r.content_read += n;
        if (r.content_limit > 0 && r.content_read > r.content_limit + kCutTolerance) {
            // Shortened by the scheduler: the item ends at start + duration_ms, its last frames
            // ramping down as the player's own cuts do.
            r.cut = true;
            const std::size_t keep = r.content_limit - r.content_written;
            r.leftover.resize(keep);
            for (std::size_t i = 0; i < keep; ++i) {
                const std::size_t pos = r.content_written + i;
                if (pos + fade >= r.content_limit) {
                    r.leftover[i] *=
                        static_cast<float>(r.content_limit - pos) / static_cast<float>(fade);
                }
            }
            spdlog::debug("playout: item {} ends after {} ms of its asset (fade {} frames)",
                          r.item.item_id(), r.item.duration_ms(), fade);
        }
    }
}

void PlayoutEngine::collect_finished() {
    while (auto f = player_.poll_finished()) {
        auto it = runs_.find(f->tag);
        if (it == runs_.end()) {
            continue;
        }
        auto& r = *it->second;
        // The item proper: its chimes are not part of what the as-run reports.
        const bool started = f->content_started;
        const std::int64_t started_us = started ? to_unix_us(f->content_started_at) : 0;
        const std::int64_t ended_us = started ? to_unix_us(f->content_ended_at) : 0;
        if (r.cancelled) {
            if (started) {
                record(r, wire::INTERRUPTED, "removed from the timeline while playing", started_us,
                       ended_us);
            }
            runs_.erase(it);
            continue;
        }
        const std::string by = f->preempted_by != 0 ? label(f->preempted_by) : std::string{};
        r.paused_ms = f->paused_frames * 1000 / audio::kSampleRate;
        const auto preemptor = labels_.find(f->preempted_by);
        r.preempted_by = preemptor != labels_.end() ? preemptor->second.second : std::string{};
        const std::string decode_error = r.source ? r.source->error() : std::string{};
        if (!r.abort_reason.empty()) {
            record(r, started ? wire::INTERRUPTED : wire::FAILED, r.abort_reason, started_us,
                   ended_us);
        } else if (!started && f->stopped) {
            record(r, wire::FAILED, "preempted by " + by + " before its start", 0, 0);
        } else if (!started) {
            record(r, wire::FAILED,
                   decode_error.empty() ? "asset has no audio" : "decode error: " + decode_error, 0,
                   0);
        } else if (f->content_completed && decode_error.empty()) {
            std::string reason;
            if (f->paused_frames > 0) {
                reason =
                    fmt::format("paused {:.1f} s by {}", frames_to_seconds(f->paused_frames), by);
            } else if (f->ducked_frames > 0) {
                reason = fmt::format("ducked {:.1f} s under {}",
                                     frames_to_seconds(f->ducked_frames), by);
            } else if (f->preempted_by != 0 && f->start_error_frames > 0) {
                reason = fmt::format(
                    "delayed {:.1f} s by {}",
                    frames_to_seconds(static_cast<std::uint64_t>(f->start_error_frames)), by);
            }
            record(r, wire::COMPLETED, reason, started_us, ended_us);
        } else if (f->content_completed) {
            record(r, wire::INTERRUPTED, "decode error: " + decode_error, started_us, ended_us);
        } else if (f->stopped) {
            record(r, wire::INTERRUPTED, "preempted by " + by, started_us, ended_us);
        } else {
            record(r, wire::INTERRUPTED, "stopped before its end", started_us, ended_us);
        }
        if (started) {
            spdlog::info(
                "playout: item {} aired {} -> {}, start error {} frames, {} underrun frames{}",
                r.item.item_id(), format_utc(f->content_started_at),
                format_utc(f->content_ended_at), f->start_error_frames, f->underrun_frames,
                f->preempted_by != 0 ? fmt::format(", preempted by {} ({} s paused)", by,
                                                   frames_to_seconds(f->paused_frames))
                                     : std::string{});
        }
    }
}

void PlayoutEngine::finalize(TimePoint now) {
    try {
        collect_finished();
    } catch (const std::exception& e) {
        spdlog::error("playout: {}", e.what());
    }
    for (auto& [tag, r] : runs_) {
        if (r->state != Run::State::cued) {
            continue;
        }
        player_.cancel(r->slot);
        if (!r->cancelled && r->first_sample() <= now) {
            record(*r, wire::INTERRUPTED, "agent stopped while playing", r->item.start_at_us(),
                   to_unix_us(now));
        }
        r->state = Run::State::done;
    }
    runs_.clear();
    amplifier_.shutdown();
}

void PlayoutEngine::fail(Run& r, const std::string& reason) {
    spdlog::warn("playout: item {} '{}' at {} failed: {}", r.item.item_id(), r.item.title(),
                 format_utc(r.start()), reason);
    record(r, wire::FAILED, reason, 0, 0);
}

void PlayoutEngine::record(Run& r, wire::AsRunStatus status, const std::string& reason,
                           std::int64_t started_at_us, std::int64_t ended_at_us) {
    r.state = Run::State::done;
    r.source.reset();
    if (r.live) {
        r.aired_status = status;
        r.aired_reason = reason;
        r.aired_started_us = started_at_us;
        r.aired_ended_us = ended_at_us;
    }
    if (!r.covers.empty()) {
        const bool aired = started_at_us != 0;
        for (const auto& c : r.covers) {
            covered_.erase({c.item_id(), c.start_at_us()});
        }
        std::uint64_t revision = 0;
        for (auto& [tag, other] : runs_) {
            if (other->covered_by != r.tag) {
                continue;
            }
            other->covered_by = 0;
            revision = other->revision;
            if (aired) {
                other->state = Run::State::done;
            }
        }
        if (aired) {
            // The session aired the covered items: they are reported, the session is not.
            record_covered(r, r.covers, revision);
            return;
        }
        spdlog::warn(
            "playout: live session {} did not air: its {} covered item(s) play from "
            "the timeline",
            r.item.item_id(), r.covers.size());
    }
    wire::AsRunRecord record;
    record.set_record_id(random_id());
    record.set_item_id(r.item.item_id());
    record.set_asset_id(r.item.asset_id());
    record.set_scheduled_at_us(r.item.start_at_us());
    record.set_started_at_us(started_at_us);
    record.set_ended_at_us(ended_at_us);
    record.set_status(status);
    record.set_reason(reason);
    record.set_timeline_revision(r.revision);
    record.set_paused_ms(r.paused_ms);
    record.set_preempted_by(r.preempted_by);
    write_record(record, r);
}

void PlayoutEngine::record_covered(const Run& live, const std::vector<wire::CoveredItem>& covers,
                                   std::uint64_t revision) {
    const std::string& id = live.item.item_id();
    const std::string session = id.starts_with("live-") ? id.substr(5) : id;
    for (const auto& c : covers) {
        wire::AsRunRecord covered;
        covered.set_record_id(random_id());
        covered.set_item_id(c.item_id());
        covered.set_asset_id(c.asset_id());
        covered.set_scheduled_at_us(c.start_at_us());
        covered.set_started_at_us(live.aired_started_us);
        covered.set_ended_at_us(live.aired_ended_us);
        covered.set_status(live.aired_status);
        covered.set_reason(
            live.aired_reason.empty()
                ? fmt::format("aired live in session {}", session)
                : fmt::format("aired live in session {}; {}", session, live.aired_reason));
        covered.set_timeline_revision(revision);
        covered.set_paused_ms(live.paused_ms);
        covered.set_preempted_by(live.preempted_by);
        write_record(covered, live);
    }
}

void PlayoutEngine::write_record(const wire::AsRunRecord& record, const Run& r) {
    try {
        if (!store_.record_as_run(record)) {
            spdlog::warn("playout: item {} at {} was already reported; not reported again",
                         record.item_id(), format_utc(from_unix_us(record.scheduled_at_us())));
            return;
        }
    } catch (const StoreError& e) {
        spdlog::error("playout: as-run record of item {} lost: {}", record.item_id(), e.what());
        return;
    }
    spdlog::debug("playout: as-run {} {} recorded", record.item_id(),
                  protocol::as_run_status_name(record.status()));
    switch (record.status()) {
        case wire::COMPLETED:
            items_completed_.fetch_add(1);
            break;
        case wire::INTERRUPTED:
            items_interrupted_.fetch_add(1);
            break;
        default:
            items_failed_.fetch_add(1);
            break;
    }
    if (outbox_listener_) {
        outbox_listener_();
    }
    emit({PlayoutEvent::Kind::as_run, record.item_id(), record.scheduled_at_us(), r.slot, record});
}

const ClassPlayout& PlayoutEngine::class_of(const wire::TimelineItem& item) const {
    return options_.classes[static_cast<std::size_t>(effective_class(item))];
}

std::string PlayoutEngine::label(std::uint64_t tag) const {
    const auto it = labels_.find(tag);
    return it != labels_.end() ? it->second.first : std::string{"a higher-priority item"};
}

void PlayoutEngine::emit(const PlayoutEvent& event) {
    if (event_handler_) {
        event_handler_(event);
    }
}

}  // namespace loa::agent
