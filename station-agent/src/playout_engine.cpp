#include "loa/agent/playout_engine.hpp"

#include "loa/agent/agent_store.hpp"
#include "loa/agent/asset_cache.hpp"
#include "loa/audio/player.hpp"
#include "loa/common/digest.hpp"
#include "loa/common/time_format.hpp"
#include "loa/protocol/envelope.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

namespace loa::agent {
namespace {

// Frames decoded per read: 100 ms.
constexpr std::size_t kReadFrames = 4800;

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
    bool end_of_stream = false;
    std::vector<float> leftover;  // decoded frames the ring had no room for yet

    TimePoint start() const { return from_unix_us(item.start_at_us()); }
    bool same_item(const wire::TimelineItem& other) const {
        return item.item_id() == other.item_id() && item.start_at_us() == other.start_at_us() &&
               item.asset_id() == other.asset_id();
    }
};

PlayoutEngine::PlayoutEngine(const IClock& clock, audio::Player& player, AgentStore& store,
                             const AssetCache& cache, FrameSourceOpener opener,
                             PlayoutOptions options)
    : clock_{clock},
      player_{player},
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
    thread_ = std::thread{[this] { run(); }};
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

void PlayoutEngine::run() {
    pthread_setname_np(pthread_self(), "loa-feeder");
    for (;;) {
        std::optional<wire::Timeline> incoming;
        {
            std::unique_lock lock{mu_};
            cv_.wait_for(lock, options_.service_interval,
                         [this] { return stop_ || incoming_.has_value(); });
            if (stop_) {
                return;
            }
            incoming.swap(incoming_);
        }
        loops_.fetch_add(1);
        try {
            if (incoming) {
                apply_timeline(*incoming);
            }
            collect_finished();
            schedule(clock_.now());
            for (auto& [tag, r] : runs_) {
                top_up(*r);
            }
        } catch (const std::exception& e) {
            // A failing disk or a broken file must not stop playout of the other items.
            spdlog::error("playout: {}", e.what());
        }
    }
}

void PlayoutEngine::apply_timeline(const wire::Timeline& timeline) {
    // Items no longer in the timeline: drop them, or cancel them when already cued.
    for (auto it = runs_.begin(); it != runs_.end();) {
        auto& r = *it->second;
        const bool kept = std::any_of(timeline.items().begin(), timeline.items().end(),
                                      [&](const auto& item) { return r.same_item(item); });
        if (kept || r.cancelled) {
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
    for (const auto& item : timeline.items()) {
        auto found = std::find_if(runs_.begin(), runs_.end(), [&](const auto& entry) {
            return !entry.second->cancelled && entry.second->same_item(item);
        });
        if (found != runs_.end()) {
            auto& r = *found->second;
            if (r.state == Run::State::pending) {
                r.item = item;
                r.revision = timeline.revision();
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
        runs_.emplace(r->tag, std::move(r));
    }
    spdlog::debug("playout: timeline revision {} applied, {} items tracked", timeline.revision(),
                  runs_.size());
}

void PlayoutEngine::schedule(TimePoint now) {
    std::vector<Run*> pending;
    for (auto& [tag, r] : runs_) {
        if (r->state == Run::State::pending) {
            pending.push_back(r.get());
        }
    }
    std::sort(pending.begin(), pending.end(),
              [](const Run* a, const Run* b) { return a->start() < b->start(); });
    for (Run* r : pending) {
        const auto start = r->start();
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
        const bool ready = cache_.has(r->item.asset_id());
        if (too_late) {
            fail(*r, ready ? "missed start time" : "asset missing");
        } else if (!ready) {
            if (now >= start) {
                fail(*r, "asset missing");
            }
        } else {
            cue(*r, now);
        }
    }
}

void PlayoutEngine::cue(Run& r, TimePoint now) {
    const auto path = cache_.path_of(r.item.asset_id());
    if (!path) {
        return;
    }
    auto source = opener_(*path);
    if (!source) {
        fail(r, "asset cannot be decoded: " + source.error().message);
        return;
    }
    const auto slot = player_.cue(r.tag, r.start());
    if (!slot) {
        if (now >= r.start()) {
            fail(r, "no free player slot");
        }
        return;
    }
    r.slot = *slot;
    r.source = std::move(source).value();
    r.state = Run::State::cued;
    top_up(r);
    spdlog::info("playout: item {} '{}' cued for {} (slot {})", r.item.item_id(), r.item.title(),
                 format_utc(r.start()), r.slot);
    emit({PlayoutEvent::Kind::cued, r.item.item_id(), r.item.start_at_us(), r.slot, {}});
}

void PlayoutEngine::top_up(Run& r) {
    if (r.state != Run::State::cued || r.cancelled || r.end_of_stream || !r.source) {
        return;
    }
    std::size_t room = player_.writable(r.slot);
    if (!r.leftover.empty()) {
        const auto taken = player_.write(r.slot, r.leftover);
        r.leftover.erase(r.leftover.begin(), r.leftover.begin() + static_cast<long>(taken));
        room -= std::min(room, taken);
        if (!r.leftover.empty()) {
            return;
        }
    }
    while (room > 0) {
        const auto n =
            r.source->read(std::span<float>{buffer_.data(), std::min(room, buffer_.size())});
        if (n == 0) {
            player_.end_of_stream(r.slot);
            r.end_of_stream = true;
            return;
        }
        const auto taken = player_.write(r.slot, std::span<const float>{buffer_.data(), n});
        if (taken < n) {
            r.leftover.assign(buffer_.begin() + static_cast<long>(taken),
                              buffer_.begin() + static_cast<long>(n));
            return;
        }
        room -= n;
    }
}

void PlayoutEngine::collect_finished() {
    while (auto f = player_.poll_finished()) {
        auto it = runs_.find(f->tag);
        if (it == runs_.end()) {
            continue;
        }
        auto& r = *it->second;
        const std::int64_t started = f->started ? to_unix_us(f->started_at) : 0;
        const std::int64_t ended = f->started ? to_unix_us(f->ended_at) : 0;
        if (r.cancelled) {
            if (f->started) {
                record(r, wire::INTERRUPTED, "removed from the timeline while playing", started,
                       ended);
            }
            runs_.erase(it);
            continue;
        }
        const std::string decode_error = r.source ? r.source->error() : std::string{};
        if (!f->started) {
            record(r, wire::FAILED,
                   decode_error.empty() ? "asset has no audio" : "decode error: " + decode_error, 0,
                   0);
        } else if (f->completed && decode_error.empty()) {
            record(r, wire::COMPLETED, "", started, ended);
        } else if (f->completed) {
            record(r, wire::INTERRUPTED, "decode error: " + decode_error, started, ended);
        } else {
            record(r, wire::INTERRUPTED, "stopped before its end", started, ended);
        }
        if (f->started) {
            spdlog::info(
                "playout: item {} aired {} -> {}, start error {} frames, {} underrun "
                "frames",
                r.item.item_id(), format_utc(f->started_at), format_utc(f->ended_at),
                f->start_error_frames, f->underrun_frames);
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
        if (!r->cancelled && r->start() <= now) {
            record(*r, wire::INTERRUPTED, "agent stopped while playing", r->item.start_at_us(),
                   to_unix_us(now));
        }
        r->state = Run::State::done;
    }
    runs_.clear();
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
    try {
        if (!store_.record_as_run(record)) {
            spdlog::warn("playout: item {} at {} was already reported; not reported again",
                         r.item.item_id(), format_utc(r.start()));
            return;
        }
    } catch (const StoreError& e) {
        spdlog::error("playout: as-run record of item {} lost: {}", r.item.item_id(), e.what());
        return;
    }
    spdlog::debug("playout: as-run {} {} recorded", r.item.item_id(),
                  protocol::as_run_status_name(status));
    if (outbox_listener_) {
        outbox_listener_();
    }
    emit({PlayoutEvent::Kind::as_run, r.item.item_id(), r.item.start_at_us(), r.slot, record});
}

void PlayoutEngine::emit(const PlayoutEvent& event) {
    if (event_handler_) {
        event_handler_(event);
    }
}

}  // namespace loa::agent
