#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace loa::monitoring {
class IWebhookSender;
}

namespace loa::scheduler {

// How the scheduler watches its stations (docs/api.md, Monitoring): alarm thresholds, the
// webhook, the /metrics switch and the period of the "loa-monitor" thread.
struct MonitoringOptions {
    // How often "loa-monitor" evaluates the alarms (and takes the day's coverage snapshot when
    // the local day has none yet). 0: never on its own (tests; requests still evaluate).
    std::chrono::seconds evaluate_interval{30};
    // [alarms] coverage_threshold: a unit whose working coverage is below it raises
    // coverage_low; none: coverage is not checked. Per unit: coverage_thresholds.
    std::optional<double> coverage_threshold = 0.80;
    std::map<std::string, double> coverage_thresholds;
    // [alarms] webhook_url: raise and clear events are POSTed there as JSON; empty: none.
    std::string webhook_url;
    // Tests: a sender used instead of webhook_url (not owned; must outlive the API).
    monitoring::IWebhookSender* webhook_sender = nullptr;
    // [metrics] require_token: /metrics asks for a bearer token like the API; false: open (it
    // holds counts and station ids only).
    bool metrics_require_token = false;
    // [alarms] history_days: cleared alarms are kept (in the store) this long.
    std::chrono::hours alarm_history_keep{24 * 90};
    // [monitoring] keep_days: how long the log of scheduled items and the clock spells are
    // kept for compliance; "loa-monitor" deletes older rows on each round.
    std::chrono::hours history_keep{24 * 400};
};

}  // namespace loa::scheduler
