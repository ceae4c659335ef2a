#include "live_session_manager.hpp"

#include "loa/audio/live_source.hpp"
#include "loa/protocol/envelope.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

namespace loa::scheduler {

struct LiveSessionManager::Session {
    LiveSessionInfo info;                   // guarded by the manager's mu_
    bool stop = false;                      // guarded by the manager's mu_
    std::vector<wire::CoveredItem> covers;  // guarded by the manager's mu_
    std::unique_ptr<audio::ILiveSource> pump;
    std::thread thread;
};

LiveSessionManager::LiveSessionManager(ILinkEvents& link, const IClock& clock,
                                       audio::LiveSourceOptions source_options)
    : link_{link}, clock_{clock}, source_options_{std::move(source_options)} {}

LiveSessionManager::~LiveSessionManager() {
    {
        std::lock_guard lock{mu_};
        for (auto& [id, s] : sessions_) {
            s->stop = true;
        }
    }
    cv_.notify_all();
    for (auto& [id, s] : sessions_) {
        if (s->thread.joinable()) {
            s->thread.join();
        }
    }
}

Result<LiveSessionInfo> LiveSessionManager::start(LiveSessionRequest request) {
    if (request.delay < kLiveMinDelay || request.delay > kLiveMaxDelay) {
        return Error{fmt::format("delay_ms: {} is outside {}..{}", request.delay.count(),
                                 kLiveMinDelay.count(), kLiveMaxDelay.count())};
    }
    if (request.stations.empty()) {
        return Error{"targets: no station"};
    }
    if (request.source.empty()) {
        return Error{"source: give a FILE, an http(s) URL, \"mic\" or \"mic:DEVICE\""};
    }
    // Opened (a file decoded, a stream connected and its first audio received, a device started)
    // before the session counts as started; frame 0 is captured from then on.
    auto pump = audio::open_live_source(request.source, clock_, source_options_);
    if (!pump) {
        return Error{"source: " + pump.error().message};
    }
    auto session = std::make_unique<Session>();
    const TimePoint first = clock_.now();
    session->pump = std::move(pump).value();
    session->pump->set_first_capture(first);
    LiveSessionInfo& info = session->info;
    info.source = request.source;
    info.stations = request.stations;
    info.delay = request.delay;
    info.priority = request.priority;
    info.started_by = request.started_by;
    info.first_capture_us = to_unix_us(first);
    info.state = "live";
    info.total_frames = session->pump->total_frames();
    session->covers = std::move(request.covers);
    std::lock_guard lock{mu_};
    if (!request.id.empty() && sessions_.count(request.id) != 0) {
        return Error{fmt::format("live session '{}' exists already", request.id)};
    }
    info.id = request.id.empty() ? fmt::format("L{}", next_id_++) : request.id;
    info.title = request.title.empty() ? "live " + info.id : request.title;
    Session& s = *session;
    auto [it, inserted] = sessions_.emplace(info.id, std::move(session));
    (void)inserted;
    s.thread = std::thread{[this, &s] { run(s); }};
    spdlog::info("live: session {} '{}' from {} to {} stations, delay {} ms, started by {}",
                 s.info.id, s.info.title, s.info.source, s.info.stations.size(),
                 s.info.delay.count(), s.info.started_by);
    return it->second->info;
}

void LiveSessionManager::run(Session& s) {
    pthread_setname_np(pthread_self(), "loa-live");
    std::string id;
    std::vector<std::string> stations;
    wire::PriorityClass priority{};
    std::uint32_t delay_ms = 0;
    std::int64_t first_us = 0;
    std::vector<wire::CoveredItem> covers;  // a copy of s.covers, taken under mu_
    {
        std::lock_guard lock{mu_};
        id = s.info.id;
        stations = s.info.stations;
        priority = s.info.priority;
        delay_ms = static_cast<std::uint32_t>(s.info.delay.count());
        first_us = s.info.first_capture_us;
        auto env = protocol::make_envelope(0, clock_.now());
        auto* m = env.mutable_live_start();
        m->set_session_id(id);
        m->set_priority(priority);
        m->set_delay_ms(delay_ms);
        m->set_first_capture_us(first_us);
        m->set_title(s.info.title);
        covers = s.covers;
        for (const auto& c : covers) {
            *m->add_covers() = c;
        }
        link_.send_live(stations, env);
    }
    std::uint64_t sent = 0;
    std::string reason = "source ended";
    bool stopped = false;
    for (;;) {
        auto frames = s.pump->poll(clock_.now());
        if (!frames) {
            reason = frames.error().message;
            spdlog::error("live: session {}: {}", id, reason);
            break;
        }
        if (!frames->empty()) {
            std::lock_guard lock{mu_};
            covers = s.covers;  // named late for an emergency (set_covers)
        }
        for (auto& f : *frames) {
            auto env = protocol::make_envelope(f.index, clock_.now());
            auto* m = env.mutable_live_frame();
            m->set_session_id(id);
            m->set_index(f.index);
            m->set_capture_us(to_unix_us(f.capture));
            m->set_opus(std::move(f.opus));
            m->set_priority(priority);
            m->set_delay_ms(delay_ms);
            m->set_first_capture_us(first_us);
            for (const auto& c : covers) {
                *m->add_covers() = c;
            }
            link_.send_live(stations, env);
            ++sent;
        }
        std::unique_lock lock{mu_};
        s.info.frames_sent = sent;
        if (s.stop) {
            stopped = true;
            reason = s.info.stop_reason;
            break;
        }
        if (s.pump->finished()) {
            break;
        }
        const auto wait = s.pump->next_due() - clock_.now();
        if (wait > Duration::zero()) {
            cv_.wait_for(lock, wait, [&] { return s.stop; });
        }
    }
    auto env = protocol::make_envelope(sent, clock_.now());
    auto* m = env.mutable_live_stop();
    m->set_session_id(id);
    m->set_last_index(sent == 0 ? 0 : sent - 1);
    m->set_reason(reason);
    link_.send_live(stations, env);
    // Lets go of the source at once: a device or a stream connection is not held by a session
    // that is over.
    s.pump.reset();
    std::lock_guard lock{mu_};
    s.info.state = stopped ? "stopped" : "ended";
    s.info.stop_reason = reason;
    s.info.ended_at_us = to_unix_us(clock_.now());
    spdlog::info("live: session {} {} after {} frames ({})", id, s.info.state, sent, reason);
    cv_.notify_all();
}

Result<LiveSessionInfo> LiveSessionManager::stop(const std::string& id, const std::string& reason) {
    {
        std::lock_guard lock{mu_};
        auto it = sessions_.find(id);
        if (it == sessions_.end()) {
            return Error{fmt::format("live session '{}' does not exist", id)};
        }
        if (it->second->info.state != "live") {
            return it->second->info;
        }
        it->second->stop = true;
        it->second->info.stop_reason = reason;
    }
    cv_.notify_all();
    std::unique_lock lock{mu_};
    Session& s = *sessions_.at(id);
    cv_.wait(lock, [&] { return s.info.state != "live"; });
    return s.info;
}

Status LiveSessionManager::set_covers(const std::string& id,
                                      std::vector<wire::CoveredItem> covers) {
    std::lock_guard lock{mu_};
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return Error{fmt::format("live session '{}' does not exist", id)};
    }
    it->second->covers = std::move(covers);
    return Status::success();
}

std::vector<LiveSessionInfo> LiveSessionManager::list() const {
    std::lock_guard lock{mu_};
    std::vector<LiveSessionInfo> out;
    for (const auto& [id, s] : sessions_) {
        out.push_back(s->info);
    }
    return out;
}

std::optional<LiveSessionInfo> LiveSessionManager::find(const std::string& id) const {
    std::lock_guard lock{mu_};
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return std::nullopt;
    }
    return it->second->info;
}

}  // namespace loa::scheduler
