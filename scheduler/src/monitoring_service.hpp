#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/coverage/coverage_engine.hpp"
#include "loa/monitoring/alarm_book.hpp"
#include "loa/monitoring/alarm_rules.hpp"
#include "loa/monitoring/compliance_types.hpp"
#include "loa/monitoring/webhook_notifier.hpp"
#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/monitoring_options.hpp"
#include "loa/scheduler/scheduler_store.hpp"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace loa::scheduler {

class Planner;

// The scheduler's view of its stations for monitoring (docs/api.md, Monitoring): status, station
// events, coverage and its daily history, compliance, alarms and metrics, computed from the
// store (its own SchedulerStore connection), the Planner's unit tree and loa::coverage /
// loa::monitoring.
//
// Threads: every public member may be called from any thread (the API's workers and
// "loa-monitor"); they are serialised by one mutex, which guards the store connection, the
// cached CoverageEngine (rebuilt when clusters, hamlets or units change) and the alarm state.
// start() and stop() from the owner's thread. "loa-monitor" evaluates the alarms every
// evaluate_interval, stores the day's coverage snapshot once per local day and prunes the
// monitoring history past its retention once an hour. The alarm book is kept in the store: the
// constructor restores it, so alarms active before a restart keep their raised_at and are not
// sent to the webhook again.
class MonitoringService {
public:
    using StationFilter = std::function<bool(const std::string& station_id)>;
    using UnitFilter = std::function<bool(const std::string& unit_code)>;

    // Start-up: throws StoreError when the store cannot be opened.
    MonitoringService(const std::string& database, MonitoringOptions options,
                      std::chrono::seconds heartbeat_interval, std::string time_zone,
                      Planner& planner, const IClock& clock);
    ~MonitoringService();
    MonitoringService(const MonitoringService&) = delete;
    MonitoringService& operator=(const MonitoringService&) = delete;

    void start();
    void stop();

    // GET /api/v1/status: the stations `visible` lets through, under `unit` when not empty.
    nlohmann::json status(const StationFilter& visible, const UnitFilter& unit_visible,
                          const std::string& unit);
    // GET /api/v1/stations/{id}/events: oldest first within [from, to).
    nlohmann::json events(const std::string& station_id, TimePoint from, TimePoint to,
                          std::size_t limit);
    bool station_exists(const std::string& station_id);

    // POST /api/v1/coverage/clusters and /hamlets: CSV or GeoJSON (by its first character);
    // all or nothing. The error lists every problem (one per line in `errors`).
    struct ImportFailure {
        std::string message;
        std::vector<std::string> errors;
    };
    std::variant<nlohmann::json, ImportFailure> import_clusters(const std::string& body);
    std::variant<nlohmann::json, ImportFailure> import_hamlets(const std::string& body);
    // GET /api/v1/coverage: units `unit_visible` lets through, `unit`'s subtree when not empty.
    Result<nlohmann::json> coverage(const UnitFilter& unit_visible, const std::string& unit,
                                    bool history);
    // Stores today's (local) snapshot of every unit; answers how many units it holds.
    Result<std::size_t> take_snapshot();

    // GET /api/v1/alarms: evaluates the rules now, then the active and recently cleared alarms.
    nlohmann::json alarms(const StationFilter& visible, const UnitFilter& unit_visible);
    // Evaluates the rules and updates the book (and the webhook); answers the events.
    std::vector<monitoring::AlarmEvent> evaluate_alarms();

    // GET /api/v1/compliance: the reconciled items of the stations `visible` lets through over
    // [from, to), with their summary.
    struct ComplianceResult {
        std::vector<monitoring::ItemCompliance> items;
        nlohmann::json json;
    };
    ComplianceResult compliance(const StationFilter& visible, const std::string& unit,
                                TimePoint from, TimePoint to);
    // The monthly report's HTML for the items of ComplianceResult.
    std::string monthly_html(const std::vector<monitoring::ItemCompliance>& items,
                             const UnitFilter& unit_visible, int year, int month);

    // GET /metrics: Prometheus text; `link_counters` adds the link's own lines.
    std::string metrics(const std::string& link_counters);

    // The units of the Planner's tree, in pre-order.
    std::vector<AdminUnit> units();

private:
    struct StationState;
    std::vector<StationState> station_states();
    Result<coverage::CoverageEngine*> engine(const std::vector<AdminUnit>& units);
    coverage::OperatingState operating_state(const std::vector<StationState>& states) const;
    monitoring::AlarmFacts alarm_facts(const std::vector<StationState>& states,
                                       const std::vector<AdminUnit>& units);
    std::vector<monitoring::AlarmEvent> evaluate_locked();
    // Writes the events of one evaluation, and the newest words of ongoing alarms, to the store.
    void persist_alarms(const std::vector<monitoring::AlarmEvent>& events);
    // Deletes monitoring history past its retention, at most once an hour.
    void prune_locked();
    void take_snapshot_locked(bool only_if_missing);
    void run();

    MonitoringOptions options_;
    std::chrono::seconds heartbeat_interval_;
    std::string time_zone_;
    Planner& planner_;
    const IClock& clock_;
    monitoring::AlarmRules rules_;
    monitoring::AlarmBook book_;
    std::unique_ptr<monitoring::IWebhookSender> owned_sender_;
    std::unique_ptr<monitoring::WebhookNotifier> notifier_;

    std::mutex mutex_;  // guards everything below
    SchedulerStore store_;
    std::optional<coverage::CoverageEngine> engine_;
    // The active alarms as last written to the store, by key (to rewrite changed words only).
    std::map<std::string, monitoring::Alarm> stored_active_;
    std::optional<TimePoint> last_prune_;
    std::int64_t engine_version_ = -1;
    coverage::UnitParents engine_parents_;

    std::mutex thread_mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace loa::scheduler
