#include "loa/agent/live_receiver.hpp"

#include "loa/agent/playout_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace loa::agent {

namespace {
constexpr std::uint32_t kMinDelayMs = 100;
constexpr std::uint32_t kMaxDelayMs = 10000;
constexpr std::size_t kMaxSessions = 16;
}  // namespace

LiveReceiver::LiveReceiver(const IClock& clock, PlayoutEngine& engine, LiveSourceOptions defaults,
                           LiveFaults faults)
    : clock_{clock},
      engine_{engine},
      defaults_{defaults},
      faults_{faults},
      drop_{std::clamp(faults.drop_frames_percent, 0.0, 100.0) / 100.0},
      drop_rng_{faults.seed} {
    if (faults_.drop_frames_percent > 0.0) {
        spdlog::warn("live: fault drill: {}% of live frames are dropped on arrival (seed {})",
                     faults_.drop_frames_percent, faults_.seed);
    }
}

std::shared_ptr<LiveFrameSource> LiveReceiver::open(
    const std::string& session_id, wire::PriorityClass priority, std::uint32_t delay_ms,
    std::int64_t first_capture_us, const std::string& title, const CoveredItems& covers) {
    if (auto it = sessions_.find(session_id); it != sessions_.end()) {
        return it->second;
    }
    if (session_id.empty() || delay_ms < kMinDelayMs || delay_ms > kMaxDelayMs ||
        first_capture_us <= 0) {
        spdlog::warn("live: session '{}' refused: delay {} ms (allowed {}..{}), first capture {}",
                     session_id, delay_ms, kMinDelayMs, kMaxDelayMs, first_capture_us);
        return nullptr;
    }
    if (sessions_.size() >= kMaxSessions) {
        // Forget the oldest ended-or-not session record; its source lives on in the engine.
        dropped_.erase(sessions_.begin()->first);
        covers_given_.erase(sessions_.begin()->first);
        sessions_.erase(sessions_.begin());
    }
    LiveSourceOptions options = defaults_;
    options.first_capture = from_unix_us(first_capture_us);
    options.delay = std::chrono::milliseconds{delay_ms};
    auto source = std::make_shared<LiveFrameSource>(clock_, options);
    sessions_[session_id] = source;
    wire::TimelineItem item;
    item.set_item_id("live-" + session_id);
    item.set_start_at_us(first_capture_us + static_cast<std::int64_t>(delay_ms) * 1000);
    item.set_priority(priority == wire::PRIORITY_CLASS_UNSPECIFIED ? wire::DISTRICT : priority);
    item.set_preempt_policy(wire::PAUSE_RESUME);
    item.set_title(title.empty() ? "live " + session_id : title);
    spdlog::info("live: session {} ({} ms delay) joins{}", session_id, delay_ms,
                 covers.empty() ? std::string{}
                                : fmt::format(", airing {} timeline item(s)", covers.size()));
    engine_.play_live(item, source, {covers.begin(), covers.end()});
    covers_given_[session_id] = static_cast<std::size_t>(covers.size());
    return source;
}

void LiveReceiver::on_message(const wire::Envelope& envelope) {
    std::lock_guard lock{mu_};
    switch (envelope.body_case()) {
        case wire::Envelope::kLiveStart: {
            const auto& m = envelope.live_start();
            open(m.session_id(), m.priority(), m.delay_ms(), m.first_capture_us(), m.title(),
                 m.covers());
            return;
        }
        case wire::Envelope::kLiveFrame: {
            const auto& m = envelope.live_frame();
            if (m.opus().empty()) {
                spdlog::warn("live: frame {} of session '{}' without audio ignored", m.index(),
                             m.session_id());
                return;
            }
            auto source = open(m.session_id(), m.priority(), m.delay_ms(), m.first_capture_us(), {},
                               m.covers());
            if (source &&
                static_cast<std::size_t>(m.covers_size()) > covers_given_[m.session_id()]) {
                // Named after the session began (an emergency's entries were committed).
                covers_given_[m.session_id()] = static_cast<std::size_t>(m.covers_size());
                engine_.add_covers("live-" + m.session_id(),
                                   {m.covers().begin(), m.covers().end()});
            }
            if (source && faults_.drop_frames_percent > 0.0 && drop_(drop_rng_)) {
                ++dropped_[m.session_id()];
                spdlog::debug("live: frame {} of session {} dropped (fault drill)", m.index(),
                              m.session_id());
                return;
            }
            if (source) {
                source->push(m.index(), m.opus());
            }
            return;
        }
        case wire::Envelope::kLiveStop: {
            const auto& m = envelope.live_stop();
            auto it = sessions_.find(m.session_id());
            if (it == sessions_.end()) {
                return;
            }
            const auto stats = it->second->stats();
            spdlog::info(
                "live: session {} stops after frame {} ({}): {} received, {} late, {} played, {} "
                "recovered by FEC, {} concealed, {} dropped by the fault drill",
                m.session_id(), m.last_index(), m.reason(), stats.received, stats.late,
                stats.played, stats.recovered, stats.concealed, dropped_[m.session_id()]);
            it->second->end_after(m.last_index());
            return;
        }
        default:
            return;
    }
}

std::vector<LiveSessionInfo> LiveReceiver::sessions() const {
    std::lock_guard lock{mu_};
    std::vector<LiveSessionInfo> out;
    for (const auto& [id, source] : sessions_) {
        const auto dropped = dropped_.find(id);
        out.push_back({id, source->options().first_capture, source->options().delay,
                       source->stats(), dropped == dropped_.end() ? 0 : dropped->second});
    }
    return out;
}

}  // namespace loa::agent
