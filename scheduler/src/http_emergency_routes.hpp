#pragma once

#include "emergency_store.hpp"
#include "live_session_manager.hpp"
#include "loa/alerting/cap_parser.hpp"
#include "loa/common/clock.hpp"
#include "loa/scheduler/asset_library.hpp"
#include "loa/scheduler/audit_log.hpp"
#include "loa/scheduler/http_api.hpp"
#include "loa/scheduler/link_events.hpp"
#include "loa/scheduler/planner.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/scheduler/users.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace loa::scheduler {

// What the emergency and alert endpoints use of the HTTP API (HttpApi::Impl owns all of it).
struct EmergencyRoutesContext {
    httplib::Server& server;
    std::mutex& store_mutex;  // guards `store`
    SchedulerStore& store;    // the API's connection
    const AuditLog& audit;
    const AssetLibrary& assets;
    Planner& planner;
    const IClock& clock;
    EmergencyOptions options;
    // The user the request comes from, or nullopt once a 401 was sent.
    std::function<std::optional<User>(const httplib::Request&, httplib::Response&)> authenticate;
    // The link live sessions go out on; null: no live first airing (the timeline entries only).
    ILinkEvents* link = nullptr;
};

// The endpoints of emergency broadcasts and CAP alerts (docs/api.md, docs/alerts.md):
//   POST /api/v1/emergency, GET /api/v1/emergency, GET /api/v1/emergency/{id},
//   POST /api/v1/emergency/{id}/stop, POST /api/v1/alerts, GET /api/v1/alerts.
// A session is a set of approved EMERGENCY entries (one per airing) made in one Planner
// transaction with its row in emergency_sessions and its audit row; stopping retires the entries
// that have not ended, with the session's stopped_at and an audit row, in one transaction.
//
// A session's first airing also goes out at once as a live session of class emergency (the
// asset's audio, [emergency] live_delay_ms), started before the Planner's transaction (which
// recompiles every target's timeline) so that it does not delay the first sample; once the
// transaction committed, the session's frames name the first airing's timeline items (covers):
// an agent that plays it skips them and reports them aired with the live session's start and
// end; an agent that missed it airs the timeline item lead_s later. A refused transaction stops
// the live session at once. A session started with "live" (a FILE, mic[:DEVICE] or URL
// source) has no timeline entry: its one airing is the live session; stopping the session stops
// the live session too.
//
// Threads: constructed (it migrates the "emergency" schema part on the API's connection and
// registers its routes) by the HttpApi's owning thread before the server listens; the handlers
// run on httplib's worker threads. It must outlive the server's listening loop.
class EmergencyRoutes {
public:
    explicit EmergencyRoutes(EmergencyRoutesContext context);
    EmergencyRoutes(const EmergencyRoutes&) = delete;
    EmergencyRoutes& operator=(const EmergencyRoutes&) = delete;

private:
    struct Failure {
        int status;
        std::string message;
    };
    // What one session airs, where and how often.
    struct SessionPlan {
        std::string title;
        AssetRecord asset;
        std::string text;
        std::vector<std::string> units;
        std::vector<std::string> stations;
        std::string live_source;  // "live": relayed from this source, no timeline entry
        int repeat = 1;
        Duration every{};
        // Runs in the session's transaction once its row exists (a CAP alert stores itself).
        std::function<void(sqlite::Database&, std::int64_t session_id)> also;
    };
    struct Stopped {
        EmergencySession session;
        PlanChange change;
    };

    using Handler = void (EmergencyRoutes::*)(const httplib::Request&, httplib::Response&,
                                              const User&);
    std::function<void(const httplib::Request&, httplib::Response&)> authed(Handler handler);

    void start(const httplib::Request& req, httplib::Response& res, const User& user);
    void stop(const httplib::Request& req, httplib::Response& res, const User& user);
    void list(const httplib::Request& req, httplib::Response& res, const User& user);
    void get(const httplib::Request& req, httplib::Response& res, const User& user);
    void receive_alert(const httplib::Request& req, httplib::Response& res, const User& user);
    void list_alerts(const httplib::Request& req, httplib::Response& res, const User& user);

    // The stations the targets reach (sorted, unique); an error names an unknown target.
    static Result<std::vector<std::string>> resolve_targets(const PlanNetwork& network,
                                                            const std::vector<std::string>& units,
                                                            const std::vector<std::string>& ids);
    // May `user` start or stop an emergency on `stations`?
    Status may_broadcast(const User& user, const PlanNetwork& network,
                         const std::vector<std::string>& stations) const;
    // The same without stations yet: the role's part only.
    Status may_broadcast_at_all(const User& user) const;

    std::variant<EmergencySession, Failure> start_session(const User& user, const Actor& who,
                                                          SessionPlan plan);
    std::variant<Stopped, Failure> stop_session(const User& user, const Actor& who,
                                                const EmergencySession& session);
    std::optional<EmergencySession> find_session(std::int64_t id);
    // Starts the live session `id` of `session`'s first airing from `source` (on its stations,
    // class emergency, [emergency] live_delay_ms); answers its id, or why it could not start.
    Result<std::string> start_live(const std::string& id, const EmergencySession& session,
                                   const std::string& source);
    // A --live session: its row and audit row in one transaction, then its live session.
    std::variant<EmergencySession, Failure> start_live_session(const User& user, const Actor& who,
                                                               SessionPlan plan);
    // The session as JSON, its state taken from its live session when it has one.
    nlohmann::json to_json(const EmergencySession& session, TimePoint now) const;

    // A typed notice spoken with `voice` (its language), or the stored asset of the same text.
    Result<AssetRecord> speech_asset(const std::string& text, const std::string& voice,
                                     const Actor& who);
    Result<AssetRecord> audio_asset(std::span<const std::uint8_t> bytes, const std::string& name,
                                    const Actor& who);
    Result<AssetRecord> install(AssetLibrary::Pending& pending, const std::string& name,
                                const Actor& who);

    EmergencyRoutesContext ctx_;
    EmergencyStore emergency_store_;
    alerting::CapParser parser_;
    std::unique_ptr<LiveSessionManager> live_;  // null without a link
};

}  // namespace loa::scheduler
