#include "monitoring_service.hpp"

#include "loa/common/logging.hpp"
#include "loa/common/sqlite.hpp"
#include "loa/common/time_format.hpp"
#include "loa/coverage/coverage_snapshot.hpp"
#include "loa/coverage/geo_import.hpp"
#include "loa/monitoring/compliance_reconciler.hpp"
#include "loa/monitoring/compliance_summary.hpp"
#include "loa/monitoring/http_webhook_sender.hpp"
#include "loa/monitoring/monthly_report.hpp"
#include "loa/protocol/envelope.hpp"
#include "loa/scheduler/planner.hpp"

#include <pthread.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace loa::scheduler {

using nlohmann::json;

namespace {

constexpr std::size_t kClearedShown = 100;
constexpr std::int64_t kMaxEvents = 10000;
// How far back the start of a fault still showing is looked for among the events.
constexpr auto kFaultLookBack = std::chrono::hours{24 * 30};

json time_or_null(std::int64_t us) {
    return us == 0 ? json(nullptr) : json(format_utc(from_unix_us(us)));
}

json fraction(const std::optional<double>& f) {
    return f ? json(std::round(*f * 10000.0) / 10000.0) : json(nullptr);
}

json rounded(double v) {
    return std::round(v * 100.0) / 100.0;
}

// The local date ("2026-11-27") of `t` in `zone`.
std::string local_day(TimePoint t, const std::string& zone) {
    return format_local(t, zone).substr(0, 10);
}

std::chrono::year_month_day ymd_of(const std::string& day) {
    const int y = std::stoi(day.substr(0, 4));
    const unsigned m = static_cast<unsigned>(std::stoi(day.substr(5, 2)));
    const unsigned d = static_cast<unsigned>(std::stoi(day.substr(8, 2)));
    return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m},
                                       std::chrono::day{d}};
}

std::string day_string(std::chrono::year_month_day d) {
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                       static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
}

// Local midnight starting `day` in `zone`.
TimePoint day_start(const std::string& day, const std::string& zone) {
    auto t = parse_time(day + "T00:00:00", zone);
    return t ? *t : TimePoint{};
}

std::string next_day(const std::string& day) {
    return day_string(std::chrono::sys_days{ymd_of(day)} + std::chrono::days{1});
}

std::string escape_label(const std::string& v) {
    std::string out;
    for (const char c : v) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

template <typename Enum, std::size_t N>
std::optional<Enum> enum_named(const std::string& name, const std::array<Enum, N>& values,
                               std::string_view (*name_of)(Enum)) {
    for (const auto v : values) {
        if (name_of(v) == name) {
            return v;
        }
    }
    return std::nullopt;
}

constexpr std::array<monitoring::AlarmKind, 4> kAlarmKinds{
    monitoring::AlarmKind::station_offline, monitoring::AlarmKind::zone_fault,
    monitoring::AlarmKind::coverage_low, monitoring::AlarmKind::station_not_ready};
constexpr std::array<monitoring::Severity, 4> kSeverities{
    monitoring::Severity::info, monitoring::Severity::warning, monitoring::Severity::major,
    monitoring::Severity::critical};

SchedulerStore::StoredAlarm stored_alarm(const monitoring::AlarmEvent& e) {
    const auto& a = e.alarm;
    SchedulerStore::StoredAlarm out;
    out.key = a.key;
    out.kind = std::string{monitoring::alarm_kind_name(a.kind)};
    out.severity = std::string{monitoring::severity_name(a.severity)};
    out.unit_code = a.unit_code;
    out.station_id = a.station_id;
    out.zone = a.zone;
    out.text_vi = a.text_vi;
    out.text_en = a.text_en;
    out.since_us = to_unix_us(a.since);
    out.raised_at_us = to_unix_us(e.raised_at);
    if (e.cleared_at) {
        out.cleared_at_us = to_unix_us(*e.cleared_at);
    }
    return out;
}

// A stored alarm as the book holds it; nullopt (and a warning) for a row this build cannot read.
std::optional<monitoring::AlarmEvent> alarm_event(const SchedulerStore::StoredAlarm& a) {
    const auto kind = enum_named(a.kind, kAlarmKinds, &monitoring::alarm_kind_name);
    const auto severity = enum_named(a.severity, kSeverities, &monitoring::severity_name);
    if (!kind || !severity) {
        spdlog::warn("monitor: stored alarm {} has an unknown kind '{}' or severity '{}'; skipped",
                     a.key, a.kind, a.severity);
        return std::nullopt;
    }
    monitoring::AlarmEvent e;
    e.type = a.cleared_at_us ? monitoring::AlarmEvent::Type::cleared
                             : monitoring::AlarmEvent::Type::raised;
    e.alarm = monitoring::Alarm{a.key,       *kind,        *severity,
                                a.unit_code, a.station_id, a.zone,
                                a.text_vi,   a.text_en,    from_unix_us(a.since_us)};
    e.raised_at = from_unix_us(a.raised_at_us);
    if (a.cleared_at_us) {
        e.cleared_at = from_unix_us(*a.cleared_at_us);
    }
    return e;
}

// How many cleared alarms the book holds (and restores).
constexpr std::size_t kClearedKept = 1000;
// How often "loa-monitor" prunes the monitoring history.
constexpr auto kPruneEvery = std::chrono::hours{1};

}  // namespace

// A station with its latest telemetry, as the monitoring reads it.
struct MonitoringService::StationState {
    StationRecord station;
    std::optional<StationHealth> health;
    json telemetry = json::object();

    bool online() const { return health && health->online; }
    // Zones whose amplifier reports a fault: (zone, fault text).
    std::vector<std::pair<std::string, std::string>> faults() const {
        std::vector<std::pair<std::string, std::string>> out;
        const auto it = telemetry.find("zones");
        if (it == telemetry.end() || !it->is_array()) {
            return out;
        }
        for (const auto& z : *it) {
            const auto amp = z.value("amplifier", "");
            auto fault = z.value("fault", "");
            if (amp == "AMPLIFIER_FAULTED" || !fault.empty()) {
                out.emplace_back(z.value("zone", ""), fault.empty() ? "faulted" : fault);
            }
        }
        return out;
    }
};

MonitoringService::MonitoringService(const std::string& database, MonitoringOptions options,
                                     std::chrono::seconds heartbeat_interval, std::string time_zone,
                                     Planner& planner, const IClock& clock)
    : options_{std::move(options)},
      heartbeat_interval_{heartbeat_interval},
      time_zone_{std::move(time_zone)},
      planner_{planner},
      clock_{clock},
      rules_{[&] {
          monitoring::AlarmRules::Options o;
          o.thresholds = options_.coverage_thresholds;
          o.default_threshold = options_.coverage_threshold;
          return o;
      }()},
      book_{clock, kClearedKept},
      store_{database} {
    std::vector<monitoring::AlarmEvent> active;
    std::vector<monitoring::AlarmEvent> cleared;
    for (const auto& a : store_.list_active_alarms()) {
        if (auto e = alarm_event(a)) {
            stored_active_.emplace(e->alarm.key, e->alarm);
            active.push_back(std::move(*e));
        }
    }
    for (const auto& a : store_.list_cleared_alarms(kClearedKept)) {
        if (auto e = alarm_event(a)) {
            cleared.push_back(std::move(*e));
        }
    }
    if (!active.empty()) {
        spdlog::info("monitor: {} alarm(s) still active from before the restart", active.size());
    }
    book_.restore(std::move(active), std::move(cleared));
    monitoring::IWebhookSender* sender = options_.webhook_sender;
    if (!sender && !options_.webhook_url.empty()) {
        owned_sender_ = std::make_unique<monitoring::HttpWebhookSender>(options_.webhook_url);
        sender = owned_sender_.get();
    }
    if (sender) {
        notifier_ = std::make_unique<monitoring::WebhookNotifier>(
            *sender, monitoring::WebhookNotifier::Options{});
    }
}

MonitoringService::~MonitoringService() {
    stop();
    if (notifier_) {
        notifier_->stop();
    }
}

void MonitoringService::start() {
    if (thread_.joinable() || options_.evaluate_interval.count() <= 0) {
        return;
    }
    thread_ = std::thread{[this] {
        pthread_setname_np(pthread_self(), "loa-monitor");
        run();
    }};
}

void MonitoringService::stop() {
    {
        std::lock_guard lock{thread_mutex_};
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void MonitoringService::run() {
    std::unique_lock lock{thread_mutex_};
    while (!stopping_) {
        lock.unlock();
        try {
            std::lock_guard guard{mutex_};
            take_snapshot_locked(true);
            evaluate_locked();
            prune_locked();
        } catch (const std::exception& e) {
            spdlog::error("monitor: evaluation failed: {}", e.what());
        }
        lock.lock();
        wake_.wait_for(lock, options_.evaluate_interval, [this] { return stopping_; });
    }
}

std::vector<AdminUnit> MonitoringService::units() {
    return planner_.units("").value_or(std::vector<AdminUnit>{});
}

std::vector<MonitoringService::StationState> MonitoringService::station_states() {
    std::map<std::string, StationHealth> health;
    for (auto& h : store_.list_station_health()) {
        health.emplace(h.station_id, std::move(h));
    }
    std::vector<StationState> out;
    for (auto& s : store_.list_stations()) {
        StationState st;
        st.station = std::move(s);
        if (const auto it = health.find(st.station.id); it != health.end()) {
            st.health = it->second;
            auto j = json::parse(it->second.status_json, nullptr, false);
            if (j.is_object()) {
                st.telemetry = std::move(j);
            }
        }
        out.push_back(std::move(st));
    }
    return out;
}

bool MonitoringService::station_exists(const std::string& station_id) {
    std::lock_guard lock{mutex_};
    return store_.find_station(station_id).has_value();
}

// --- status

json MonitoringService::status(const StationFilter& visible, const UnitFilter& unit_visible,
                               const std::string& unit) {
    const auto all_units = units();
    AdminUnitTree tree;
    tree.merge(all_units);
    std::lock_guard lock{mutex_};
    const auto states = station_states();
    json stations = json::array();
    struct Counts {
        std::size_t stations = 0, online = 0, offline = 0, zone_faults = 0, dead_air = 0;
    };
    std::map<std::string, Counts> counts;
    Counts total;
    for (const auto& st : states) {
        const auto& s = st.station;
        if (!visible(s.id) || (!unit.empty() && !tree.is_within(s.unit_code, unit))) {
            continue;
        }
        const auto& t = st.telemetry;
        json zones = json::array();
        std::size_t faults = 0;
        std::size_t dead = 0;
        if (const auto it = t.find("zones"); it != t.end() && it->is_array()) {
            for (const auto& z : *it) {
                json zone{{"zone", z.value("zone", "")},
                          {"amplifier", z.value("amplifier", "")},
                          {"fault", z.value("fault", "")},
                          {"rms_dbfs", z.value("rms_dbfs", -120.0)},
                          {"peak_dbfs", z.value("peak_dbfs", -120.0)},
                          {"dead_air", z.value("dead_air", false)},
                          {"playing", z.value("playing", false)}};
                for (const auto* key : {"mains_ok", "battery_percent", "temperature_c"}) {
                    if (z.contains(key)) {
                        zone[key] = z[key];
                    }
                }
                faults += zone["amplifier"] == "AMPLIFIER_FAULTED" ||
                                  !zone["fault"].get<std::string>().empty()
                              ? 1
                              : 0;
                dead += zone["dead_air"].get<bool>() ? 1 : 0;
                zones.push_back(std::move(zone));
            }
        }
        const bool online = st.online();
        json clock = nullptr;
        if (st.health && st.health->last_heartbeat_at_us != 0) {
            clock = json{{"offset_ms", static_cast<double>(st.health->clock_offset_us) / 1000.0},
                         {"jitter_ms", static_cast<double>(st.health->clock_jitter_us) / 1000.0},
                         {"synced", st.health->clock_synced}};
        }
        stations.push_back(json{
            {"id", s.id},
            {"name", s.name},
            {"unit", s.unit_code},
            {"online", online},
            {"offline_since",
             st.health && !online ? time_or_null(st.health->online_changed_at_us) : json(nullptr)},
            {"last_heard", s.last_seen_at_us ? time_or_null(*s.last_seen_at_us) : json(nullptr)},
            {"last_heartbeat",
             st.health ? time_or_null(st.health->last_heartbeat_at_us) : json(nullptr)},
            {"clock", clock},
            {"disk_free_bytes", t.contains("disk_free_bytes") ? t["disk_free_bytes"] : json()},
            {"software_version", t.value("software_version", s.software_version)},
            {"config_sha256", t.value("config_sha256", "")},
            {"timeline_revision", s.timeline_revision},
            {"acked_revision", s.acked_revision},
            {"outbox_depth", s.outbox_depth},
            {"assets_missing", s.assets_missing},
            {"zones", zones}});
        // Counts per unit: the station's unit and every ancestor.
        std::vector<std::string> chain;
        if (auto idx = tree.index_of(s.unit_code)) {
            for (auto i = *idx; i != AdminUnitTree::kNoParent; i = tree.parent_index(i)) {
                chain.push_back(tree.unit(i).code);
            }
        } else {
            chain.push_back(s.unit_code);
        }
        const auto add = [&](Counts& c) {
            ++c.stations;
            ++(online ? c.online : c.offline);
            c.zone_faults += faults;
            c.dead_air += dead;
        };
        add(total);
        for (const auto& code : chain) {
            add(counts[code]);
        }
    }
    json unit_counts = json::array();
    for (const auto& u : all_units) {
        const auto it = counts.find(u.code);
        if (it == counts.end() || !unit_visible(u.code)) {
            continue;
        }
        unit_counts.push_back(json{{"code", u.code},
                                   {"name", u.name},
                                   {"level", u.level},
                                   {"stations", it->second.stations},
                                   {"online", it->second.online},
                                   {"offline", it->second.offline},
                                   {"zone_faults", it->second.zone_faults},
                                   {"dead_air", it->second.dead_air}});
    }
    return json{{"as_of", format_utc(clock_.now())},
                {"totals",
                 {{"stations", total.stations},
                  {"online", total.online},
                  {"offline", total.offline},
                  {"zone_faults", total.zone_faults},
                  {"dead_air", total.dead_air}}},
                {"units", unit_counts},
                {"stations", stations}};
}

json MonitoringService::events(const std::string& station_id, TimePoint from, TimePoint to,
                               std::size_t limit) {
    std::lock_guard lock{mutex_};
    json out = json::array();
    for (const auto& e : store_.list_station_events(station_id, to_unix_us(from), to_unix_us(to),
                                                    std::min<std::size_t>(limit, kMaxEvents))) {
        out.push_back(json{{"event_id", e.event_id},
                           {"kind", e.kind},
                           {"zone", e.zone},
                           {"at", format_utc(from_unix_us(e.at_us))},
                           {"detail", e.detail},
                           {"received_at", format_utc(from_unix_us(e.received_at_us))}});
    }
    return out;
}

// --- coverage

namespace {

bool looks_like_json(const std::string& body) {
    const auto first = body.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    return first != std::string::npos && body[first] == '{';
}

std::vector<std::string> error_lines(const std::vector<coverage::ImportError>& errors) {
    std::vector<std::string> out;
    for (const auto& e : errors) {
        out.push_back(e.to_string());
    }
    return out;
}

}  // namespace

std::variant<json, MonitoringService::ImportFailure> MonitoringService::import_clusters(
    const std::string& body) {
    auto parsed = looks_like_json(body) ? coverage::parse_cluster_geojson(body)
                                        : coverage::parse_cluster_csv(body);
    if (!parsed.ok()) {
        return ImportFailure{fmt::format("{} problem(s) in the cluster file; nothing imported",
                                         parsed.errors.size()),
                             error_lines(parsed.errors)};
    }
    std::lock_guard lock{mutex_};
    std::map<std::string, StationRecord> stations;
    for (auto& s : store_.list_stations()) {
        stations.emplace(s.id, std::move(s));
    }
    std::vector<std::string> errors;
    for (std::size_t i = 0; i < parsed.clusters.size(); ++i) {
        const auto& c = parsed.clusters[i];
        const auto it = stations.find(c.station_id);
        if (it == stations.end()) {
            errors.push_back(
                fmt::format("cluster {} ({}): station_id '{}' is not a registered "
                            "station",
                            i + 1, c.id, c.station_id));
        } else if (std::find(it->second.zones.begin(), it->second.zones.end(), c.zone) ==
                   it->second.zones.end()) {
            errors.push_back(fmt::format("cluster {} ({}): zone '{}' is not a zone of station {}",
                                         i + 1, c.id, c.zone, c.station_id));
        }
    }
    if (!errors.empty()) {
        return ImportFailure{
            fmt::format("{} problem(s) in the cluster file; nothing imported", errors.size()),
            errors};
    }
    store_.put_clusters(parsed.clusters);
    return json{{"imported", parsed.clusters.size()}, {"clusters", store_.list_clusters().size()}};
}

std::variant<json, MonitoringService::ImportFailure> MonitoringService::import_hamlets(
    const std::string& body) {
    auto parsed =
        looks_like_json(body) ? coverage::parse_area_geojson(body) : coverage::parse_area_csv(body);
    if (!parsed.ok()) {
        return ImportFailure{
            fmt::format("{} problem(s) in the hamlet file; nothing imported", parsed.errors.size()),
            error_lines(parsed.errors)};
    }
    const auto all_units = units();
    std::set<std::string> codes;
    for (const auto& u : all_units) {
        codes.insert(u.code);
    }
    std::vector<std::string> errors;
    for (std::size_t i = 0; i < parsed.areas.size(); ++i) {
        const auto& a = parsed.areas[i];
        if (codes.count(a.unit_code) == 0) {
            errors.push_back(fmt::format("hamlet {} ({}): unit_code '{}' is not a known unit",
                                         i + 1, a.id, a.unit_code));
        }
    }
    if (!errors.empty()) {
        return ImportFailure{
            fmt::format("{} problem(s) in the hamlet file; nothing imported", errors.size()),
            errors};
    }
    std::lock_guard lock{mutex_};
    store_.put_hamlets(parsed.areas);
    return json{{"imported", parsed.areas.size()}, {"hamlets", store_.list_hamlets().size()}};
}

Result<coverage::CoverageEngine*> MonitoringService::engine(const std::vector<AdminUnit>& units) {
    coverage::UnitParents parents;
    for (const auto& u : units) {
        parents.emplace(u.code, u.parent_code);
    }
    const auto version = store_.coverage_data_version();
    if (!engine_ || version != engine_version_ || parents != engine_parents_) {
        auto built =
            coverage::CoverageEngine::build(store_.list_clusters(), store_.list_hamlets(), parents);
        if (!built) {
            return Error{
                fmt::format("the stored coverage data cannot be used: {}", built.error().message)};
        }
        engine_.emplace(std::move(built).value());
        engine_version_ = version;
        engine_parents_ = std::move(parents);
    }
    return &*engine_;
}

coverage::OperatingState MonitoringService::operating_state(
    const std::vector<StationState>& states) const {
    coverage::OperatingState state;
    for (const auto& st : states) {
        if (!st.online()) {
            state.offline_stations.insert(st.station.id);
            continue;
        }
        for (const auto& [zone, fault] : st.faults()) {
            state.faulty_zones.insert({st.station.id, zone});
        }
    }
    return state;
}

namespace {

json figures_json(const coverage::CoverageFigures& f) {
    return json{{"households", rounded(f.households)},
                {"households_installed", rounded(f.households_installed)},
                {"households_working", rounded(f.households_working)},
                {"installed", fraction(f.installed())},
                {"working", fraction(f.working())},
                {"area_m2", rounded(f.area_m2)},
                {"area_installed_m2", rounded(f.area_installed_m2)},
                {"area_working_m2", rounded(f.area_working_m2)},
                {"area_installed", fraction(f.area_installed())},
                {"area_working", fraction(f.area_working())}};
}

}  // namespace

Result<json> MonitoringService::coverage(const UnitFilter& unit_visible, const std::string& unit,
                                         bool history) {
    const auto all_units = units();
    AdminUnitTree tree;
    tree.merge(all_units);
    std::lock_guard lock{mutex_};
    auto eng = engine(all_units);
    if (!eng) {
        return eng.error();
    }
    const auto states = station_states();
    const auto state = operating_state(states);
    (*eng)->apply(state);
    std::map<std::string, const AdminUnit*> by_code;
    for (const auto& u : all_units) {
        by_code.emplace(u.code, &u);
    }
    const auto shown = [&](const std::string& code) {
        return unit_visible(code) && (unit.empty() || tree.is_within(code, unit));
    };
    json out_units = json::array();
    for (const auto& uc : (*eng)->units()) {
        if (!shown(uc.unit_code)) {
            continue;
        }
        json j = figures_json(uc.figures);
        const auto it = by_code.find(uc.unit_code);
        j["code"] = uc.unit_code;
        j["name"] = it == by_code.end() ? std::string{} : it->second->name;
        j["level"] = it == by_code.end() ? std::string{} : it->second->level;
        j["hamlets"] = uc.hamlets;
        out_units.push_back(std::move(j));
    }
    json offline = json::array();
    for (const auto& id : state.offline_stations) {
        offline.push_back(id);
    }
    json faulty = json::array();
    for (const auto& z : state.faulty_zones) {
        faulty.push_back(json{{"station", z.station_id}, {"zone", z.zone}});
    }
    json out{{"as_of", format_utc(clock_.now())}, {"clusters", (*eng)->cluster_count()},
             {"hamlets", (*eng)->hamlet_count()}, {"units", out_units},
             {"stations_offline", offline},       {"zones_faulted", faulty}};
    if (history) {
        json rows = json::array();
        for (const auto& snap : store_.list_coverage_history("")) {
            if (!shown(snap.unit_code)) {
                continue;
            }
            json j = figures_json(snap.figures);
            j["date"] = day_string(snap.date);
            j["code"] = snap.unit_code;
            rows.push_back(std::move(j));
        }
        out["history"] = rows;
    }
    return out;
}

void MonitoringService::take_snapshot_locked(bool only_if_missing) {
    const auto now = clock_.now();
    const auto today = ymd_of(local_day(now, time_zone_));
    if (only_if_missing && store_.has_coverage_snapshot(today)) {
        return;
    }
    const auto all_units = units();
    auto eng = engine(all_units);
    if (!eng) {
        throw std::runtime_error{eng.error().message};
    }
    (*eng)->apply(operating_state(station_states()));
    const auto snapshots = coverage::daily_snapshots(**eng, today);
    if (!snapshots.empty()) {
        store_.put_coverage_snapshots(snapshots, now);
    }
}

Result<std::size_t> MonitoringService::take_snapshot() {
    const auto all_units = units();
    std::lock_guard lock{mutex_};
    auto eng = engine(all_units);
    if (!eng) {
        return eng.error();
    }
    const auto now = clock_.now();
    (*eng)->apply(operating_state(station_states()));
    const auto snaps = coverage::daily_snapshots(**eng, ymd_of(local_day(now, time_zone_)));
    store_.put_coverage_snapshots(snaps, now);
    return snaps.size();
}

// --- alarms

monitoring::AlarmFacts MonitoringService::alarm_facts(const std::vector<StationState>& states,
                                                      const std::vector<AdminUnit>& units) {
    monitoring::AlarmFacts facts;
    const auto now = clock_.now();
    const auto tomorrow = next_day(local_day(now, time_zone_));
    const auto day_begin = day_start(tomorrow, time_zone_);
    const auto day_end = day_start(next_day(tomorrow), time_zone_);
    for (const auto& st : states) {
        const auto& s = st.station;
        monitoring::StationFacts f;
        f.station_id = s.id;
        f.name = s.name;
        f.unit_code = s.unit_code;
        if (s.last_seen_at_us) {
            f.last_seen = from_unix_us(*s.last_seen_at_us);
        }
        f.heartbeat_interval = heartbeat_interval_;
        facts.stations.push_back(f);
        if (st.online()) {
            // When each fault began: its newest AMPLIFIER_FAULT event, else the heartbeat.
            for (const auto& [zone, fault] : st.faults()) {
                TimePoint since = from_unix_us(st.health->last_heartbeat_at_us);
                const auto events = store_.list_station_events(
                    s.id, to_unix_us(now - kFaultLookBack), to_unix_us(now) + 1,
                    static_cast<std::size_t>(kMaxEvents));
                for (const auto& e : events) {
                    if (e.zone == zone && e.kind == "AMPLIFIER_FAULT") {
                        since = from_unix_us(e.at_us);
                    }
                }
                facts.faults.push_back({s.id, s.unit_code, zone, fault, since});
            }
        }
        // Readiness for the next local day.
        const auto latest = store_.latest_timeline(s.id);
        if (!latest) {
            continue;
        }
        wire::Timeline timeline;
        if (!timeline.ParseFromString(latest->timeline)) {
            continue;
        }
        std::set<std::string> acked_items;
        if (s.acked_revision >= latest->revision) {
            for (const auto& item : timeline.items()) {
                acked_items.insert(item.item_id());
            }
        } else if (const auto acked = store_.timeline_at(s.id, s.acked_revision)) {
            wire::Timeline held;
            if (held.ParseFromString(acked->timeline)) {
                for (const auto& item : held.items()) {
                    acked_items.insert(item.item_id());
                }
            }
        }
        monitoring::StationReadinessFacts r;
        r.station_id = s.id;
        r.name = s.name;
        r.unit_code = s.unit_code;
        for (const auto& item : timeline.items()) {
            const auto start = from_unix_us(item.start_at_us());
            if (start < day_begin || start >= day_end) {
                continue;
            }
            r.items.push_back({item.item_id(), item.title(), start,
                               acked_items.count(item.item_id()) != 0, s.assets_missing == 0});
        }
        if (!r.items.empty()) {
            facts.readiness.push_back(std::move(r));
        }
    }
    if (engine_) {
        std::map<std::string, std::string> names;
        for (const auto& u : units) {
            names.emplace(u.code, u.name);
        }
        for (const auto& uc : engine_->units()) {
            if (const auto w = uc.figures.working()) {
                facts.coverage.push_back({uc.unit_code, names[uc.unit_code], *w});
            }
        }
    }
    return facts;
}

std::vector<monitoring::AlarmEvent> MonitoringService::evaluate_locked() {
    const auto all_units = units();
    const auto states = station_states();
    if (auto eng = engine(all_units)) {
        (*eng)->apply(operating_state(states));
    } else {
        spdlog::warn("monitor: coverage not evaluated: {}", eng.error().message);
    }
    const auto facts = alarm_facts(states, all_units);
    const auto events = book_.update(rules_.evaluate(facts, clock_.now()));
    persist_alarms(events);
    for (const auto& e : events) {
        spdlog::info("monitor: alarm {} {}: {}",
                     e.type == monitoring::AlarmEvent::Type::raised ? "raised" : "cleared",
                     e.alarm.key, e.alarm.text_en);
        if (notifier_) {
            notifier_->notify(e);
        }
    }
    return events;
}

void MonitoringService::persist_alarms(const std::vector<monitoring::AlarmEvent>& events) {
    SchedulerStore::Transaction tx{store_};
    for (const auto& e : events) {
        store_.record_alarm(stored_alarm(e));
        if (e.type == monitoring::AlarmEvent::Type::raised) {
            stored_active_.insert_or_assign(e.alarm.key, e.alarm);
        } else {
            stored_active_.erase(e.alarm.key);
        }
    }
    for (const auto& e : book_.active()) {
        const auto it = stored_active_.find(e.alarm.key);
        if (it != stored_active_.end() && it->second != e.alarm) {
            store_.update_active_alarm(stored_alarm(e));
            it->second = e.alarm;
        }
    }
    tx.commit();
}

void MonitoringService::prune_locked() {
    const auto now = clock_.now();
    if (last_prune_ && now - *last_prune_ < kPruneEvery && now >= *last_prune_) {
        return;
    }
    last_prune_ = now;
    const auto removed = store_.prune_monitoring_history(
        to_unix_us(now - options_.history_keep), to_unix_us(now - options_.alarm_history_keep));
    if (removed > 0) {
        spdlog::info("monitor: pruned {} row(s) of monitoring history past its retention", removed);
    }
}

std::vector<monitoring::AlarmEvent> MonitoringService::evaluate_alarms() {
    std::lock_guard lock{mutex_};
    return evaluate_locked();
}

namespace {

json alarm_json(const monitoring::AlarmEvent& e) {
    const auto& a = e.alarm;
    return json{{"key", a.key},
                {"kind", monitoring::alarm_kind_name(a.kind)},
                {"severity", monitoring::severity_name(a.severity)},
                {"unit", a.unit_code},
                {"station", a.station_id},
                {"zone", a.zone},
                {"text", {{"vi", a.text_vi}, {"en", a.text_en}}},
                {"since", format_utc(a.since)},
                {"raised_at", format_utc(e.raised_at)},
                {"cleared_at", e.cleared_at ? json(format_utc(*e.cleared_at)) : json(nullptr)}};
}

}  // namespace

json MonitoringService::alarms(const StationFilter& visible, const UnitFilter& unit_visible) {
    {
        std::lock_guard lock{mutex_};
        evaluate_locked();
    }
    const auto shown = [&](const monitoring::AlarmEvent& e) {
        return e.alarm.station_id.empty() ? unit_visible(e.alarm.unit_code)
                                          : visible(e.alarm.station_id);
    };
    json active = json::array();
    for (const auto& e : book_.active()) {
        if (shown(e)) {
            active.push_back(alarm_json(e));
        }
    }
    json cleared = json::array();
    for (const auto& e : book_.cleared()) {
        if (cleared.size() < kClearedShown && shown(e)) {
            cleared.push_back(alarm_json(e));
        }
    }
    return json{{"as_of", format_utc(clock_.now())}, {"active", active}, {"cleared", cleared}};
}

// --- compliance

MonitoringService::ComplianceResult MonitoringService::compliance(const StationFilter& visible,
                                                                  const std::string& unit,
                                                                  TimePoint from, TimePoint to) {
    const auto all_units = units();
    AdminUnitTree tree;
    tree.merge(all_units);
    monitoring::ComplianceInput input;
    monitoring::UnitMap unit_map;
    for (const auto& u : all_units) {
        if (!u.parent_code.empty()) {
            unit_map.parent.emplace(u.code, u.parent_code);
        }
    }
    std::lock_guard lock{mutex_};
    const auto now = clock_.now();
    input.as_of = now;
    std::map<std::int64_t, std::string> entry_titles;
    for (const auto& e : store_.list_entries()) {
        entry_titles.emplace(e.entry.id, e.entry.title);
    }
    // What each station was sent (the log of scheduled items): an item counts when a revision
    // holding it was issued by its start and it was not withdrawn before its start.
    std::map<std::string, std::vector<monitoring::ScheduledItem>> sent;
    for (const auto& row : store_.list_scheduled_items(to_unix_us(from), to_unix_us(to))) {
        if (row.issued_at_us > row.start_at_us ||
            (row.withdrawn_at_us && *row.withdrawn_at_us <= row.start_at_us)) {
            continue;
        }
        monitoring::ScheduledItem si;
        si.item_id = row.item_id;
        si.entry_id = row.entry_id ? fmt::format("e{}", *row.entry_id) : row.item_id;
        si.title = row.title;
        si.entry_title = row.title;
        if (row.entry_id) {
            if (const auto it = entry_titles.find(*row.entry_id); it != entry_titles.end()) {
                si.entry_title = it->second;
            }
        }
        // An item without a class plays as commune (the agent's rule).
        si.priority_class = protocol::priority_name(
            row.priority == wire::PRIORITY_CLASS_UNSPECIFIED ? wire::COMMUNE : row.priority);
        si.start = from_unix_us(row.start_at_us);
        si.duration = std::chrono::milliseconds{row.duration_ms};
        si.station_id = row.station_id;
        si.zones = row.zones;
        sent[row.station_id].push_back(std::move(si));
    }
    std::set<std::string> stations;
    for (const auto& s : store_.list_stations()) {
        if (!visible(s.id) || (!unit.empty() && !tree.is_within(s.unit_code, unit))) {
            continue;
        }
        stations.insert(s.id);
        unit_map.station_unit.emplace(s.id, s.unit_code);
        if (const auto it = sent.find(s.id); it != sent.end()) {
            input.items.insert(input.items.end(), it->second.begin(), it->second.end());
        }
    }
    // Records and facts of the period (with a margin for items running over its end).
    const auto margin = std::chrono::hours{24};
    for (const auto& r : store_.list_as_run_between(to_unix_us(from), to_unix_us(to))) {
        if (stations.count(r.station_id) == 0) {
            continue;
        }
        monitoring::AsRun a;
        a.station_id = r.station_id;
        a.item_id = r.item_id;
        a.status = r.status == wire::COMPLETED     ? monitoring::AsRunStatus::completed
                   : r.status == wire::INTERRUPTED ? monitoring::AsRunStatus::interrupted
                                                   : monitoring::AsRunStatus::failed;
        a.reason = r.reason;
        if (r.started_at_us != 0) {
            a.started_at = from_unix_us(r.started_at_us);
        }
        if (r.ended_at_us != 0) {
            a.ended_at = from_unix_us(r.ended_at_us);
        }
        input.as_run.push_back(std::move(a));
    }
    // Offline spells from the liveness log.
    std::map<std::string, std::optional<TimePoint>> offline_from;
    for (const auto& c : store_.list_liveness_changes("", to_unix_us(to + margin))) {
        if (stations.count(c.station_id) == 0) {
            continue;
        }
        auto& open = offline_from[c.station_id];
        if (!c.online && !open) {
            open = from_unix_us(c.at_us);
        } else if (c.online && open) {
            input.offline.push_back({c.station_id, {*open, from_unix_us(c.at_us)}});
            open.reset();
        }
    }
    for (const auto& [id, open] : offline_from) {
        if (open) {
            input.offline.push_back({id, {*open, TimePoint::max()}});
        }
    }
    // Spells with an unsynchronised clock from the clock log.
    std::map<std::string, std::optional<TimePoint>> unsynced_from;
    for (const auto& c : store_.list_clock_changes("", to_unix_us(to + margin))) {
        if (stations.count(c.station_id) == 0) {
            continue;
        }
        auto& open = unsynced_from[c.station_id];
        if (!c.synced && !open) {
            open = from_unix_us(c.at_us);
        } else if (c.synced && open) {
            input.unsynchronised.push_back({c.station_id, {*open, from_unix_us(c.at_us)}});
            open.reset();
        }
    }
    for (const auto& [id, open] : unsynced_from) {
        if (open) {
            input.unsynchronised.push_back({id, {*open, TimePoint::max()}});
        }
    }
    // Fault and dead-air spells from the station events.
    std::map<std::pair<std::string, std::string>, std::pair<TimePoint, std::string>> fault_open;
    std::map<std::pair<std::string, std::string>, TimePoint> dead_open;
    for (const auto& e : store_.list_station_events("", 0, to_unix_us(to + margin),
                                                    static_cast<std::size_t>(kMaxEvents) * 10)) {
        if (stations.count(e.station_id) == 0) {
            continue;
        }
        const auto key = std::make_pair(e.station_id, e.zone);
        const auto at = from_unix_us(e.at_us);
        if (e.kind == "AMPLIFIER_FAULT" && fault_open.count(key) == 0) {
            fault_open.emplace(key, std::make_pair(at, e.detail));
        } else if (e.kind == "AMPLIFIER_FAULT_CLEARED") {
            if (const auto it = fault_open.find(key); it != fault_open.end()) {
                input.faults.push_back(
                    {e.station_id, e.zone, it->second.second, {it->second.first, at}});
                fault_open.erase(it);
            }
        } else if (e.kind == "DEAD_AIR_START" && dead_open.count(key) == 0) {
            dead_open.emplace(key, at);
        } else if (e.kind == "DEAD_AIR_END") {
            if (const auto it = dead_open.find(key); it != dead_open.end()) {
                input.dead_air.push_back({e.station_id, e.zone, {it->second, at}});
                dead_open.erase(it);
            }
        }
    }
    for (const auto& [key, open] : fault_open) {
        input.faults.push_back(
            {key.first, key.second, open.second, {open.first, TimePoint::max()}});
    }
    for (const auto& [key, at] : dead_open) {
        input.dead_air.push_back({key.first, key.second, {at, TimePoint::max()}});
    }

    ComplianceResult result;
    result.items = monitoring::ComplianceReconciler{}.reconcile(input);
    const auto summary = monitoring::summarise(result.items, unit_map, time_zone_);
    const auto totals_json = [](const monitoring::ComplianceTotals& t) {
        json missed = json::object();
        json partly = json::object();
        for (const auto r : monitoring::kMissReasons) {
            if (t.missed_for(r) != 0) {
                missed[std::string{monitoring::reason_name(r)}] = t.missed_for(r);
            }
            if (t.partly_for(r) != 0) {
                partly[std::string{monitoring::reason_name(r)}] = t.partly_for(r);
            }
        }
        return json{{"scheduled", t.scheduled},
                    {"aired", t.aired},
                    {"partly_aired", t.partly_aired},
                    {"missed", t.missed},
                    {"pending", t.pending},
                    {"missed_by_reason", missed},
                    {"partly_by_reason", partly},
                    {"scheduled_seconds", rounded(t.scheduled_seconds)},
                    {"aired_seconds", rounded(t.aired_seconds)},
                    {"aired_ratio", fraction(t.aired_ratio())}};
    };
    const auto map_json = [&](const std::map<std::string, monitoring::ComplianceTotals>& m) {
        json out = json::object();
        for (const auto& [k, t] : m) {
            out[k] = totals_json(t);
        }
        return out;
    };
    json items = json::array();
    for (const auto& ic : result.items) {
        items.push_back(
            json{{"station", ic.item.station_id},
                 {"item_id", ic.item.item_id},
                 {"entry_id", ic.item.entry_id},
                 {"title", ic.item.title},
                 {"programme", ic.item.entry_title},
                 {"class", ic.item.priority_class},
                 {"start", format_utc(ic.item.start)},
                 {"duration_s", std::chrono::duration<double>(ic.item.duration).count()},
                 {"verdict", monitoring::verdict_name(ic.verdict)},
                 {"reason", ic.reason ? json(monitoring::reason_name(*ic.reason)) : json(nullptr)},
                 {"aired_s", rounded(ic.aired_seconds)},
                 {"detail", ic.detail}});
    }
    result.json = json{{"from", format_utc(from)},
                       {"to", format_utc(to)},
                       {"as_of", format_utc(now)},
                       {"total", totals_json(summary.total)},
                       {"by_station", map_json(summary.by_station)},
                       {"by_programme", map_json(summary.by_entry)},
                       {"by_day", map_json(summary.by_day)},
                       {"by_unit", map_json(summary.by_unit)},
                       {"items", items}};
    return result;
}

std::string MonitoringService::monthly_html(const std::vector<monitoring::ItemCompliance>& items,
                                            const UnitFilter& unit_visible, int year, int month) {
    const auto all_units = units();
    monitoring::UnitMap unit_map;
    for (const auto& u : all_units) {
        if (!u.parent_code.empty()) {
            unit_map.parent.emplace(u.code, u.parent_code);
        }
    }
    std::lock_guard lock{mutex_};
    for (const auto& s : store_.list_stations()) {
        unit_map.station_unit.emplace(s.id, s.unit_code);
    }
    const auto summary = monitoring::summarise(items, unit_map, time_zone_);
    std::map<std::string, coverage::CoverageFigures> cover;
    if (auto eng = engine(all_units)) {
        (*eng)->apply(operating_state(station_states()));
        for (const auto& uc : (*eng)->units()) {
            cover.emplace(uc.unit_code, uc.figures);
        }
    }
    std::vector<monitoring::AlarmEvent> events = book_.active();
    const auto cleared = book_.cleared();
    events.insert(events.end(), cleared.begin(), cleared.end());
    const auto page = [&](const AdminUnit& u) {
        monitoring::UnitReport r;
        r.unit_code = u.code;
        r.unit_name = u.name_with_type.empty() ? u.name : u.name_with_type;
        if (const auto it = summary.by_unit.find(u.code); it != summary.by_unit.end()) {
            r.totals = it->second;
        }
        if (const auto it = cover.find(u.code); it != cover.end()) {
            r.coverage_working = it->second.working();
            r.coverage_installed = it->second.installed();
        }
        AdminUnitTree tree;
        tree.merge(all_units);
        for (const auto& e : events) {
            if (tree.is_within(e.alarm.unit_code, u.code)) {
                r.incidents.push_back(monitoring::incident_from(e));
            }
        }
        return r;
    };
    monitoring::MonthlyReportInput input;
    input.year = year;
    input.month = month;
    input.generated_at = clock_.now();
    bool have_province = false;
    for (const auto& u : all_units) {
        if (!unit_visible(u.code)) {
            continue;
        }
        if (!have_province && u.parent_code.empty()) {
            input.province = page(u);
            have_province = true;
        } else if (have_province && u.parent_code == input.province.unit_code) {
            input.districts.push_back(page(u));
        }
    }
    return monitoring::monthly_report_html(input, time_zone_);
}

// --- metrics

std::string MonitoringService::metrics(const std::string& link_counters) {
    std::string out;
    const auto gauge = [&](const char* name, const char* help, const char* type) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    };
    std::lock_guard lock{mutex_};
    const auto states = station_states();
    std::size_t online = 0;
    for (const auto& st : states) {
        online += st.online() ? 1 : 0;
    }
    gauge("loa_stations", "Stations registered.", "gauge");
    out += fmt::format("loa_stations {}\n", states.size());
    gauge("loa_stations_online", "Stations online (heard within 3 heartbeat intervals).", "gauge");
    out += fmt::format("loa_stations_online {}\n", online);
    std::map<std::string, std::size_t> by_status;
    {
        sqlite::Statement s{store_.database(),
                            "SELECT status, count(*) FROM as_run GROUP BY status"};
        while (s.step()) {
            by_status[s.text(0)] = static_cast<std::size_t>(s.int64(1));
        }
    }
    gauge("loa_items_total", "As-run records received, by status (aired = completed).", "counter");
    for (const auto* st : {"completed", "interrupted", "failed"}) {
        out += fmt::format("loa_items_total{{status=\"{}\"}} {}\n", st, by_status[st]);
    }
    gauge("loa_items_aired_total", "Items aired in full (completed as-run records).", "counter");
    out += fmt::format("loa_items_aired_total {}\n", by_status["completed"]);
    gauge("loa_items_missed_total", "Items not aired (failed as-run records).", "counter");
    out += fmt::format("loa_items_missed_total {}\n", by_status["failed"]);
    gauge("loa_station_online", "1 when the station is online.", "gauge");
    for (const auto& st : states) {
        out += fmt::format("loa_station_online{{station=\"{}\"}} {}\n", escape_label(st.station.id),
                           st.online() ? 1 : 0);
    }
    gauge("loa_station_outbox_depth", "As-run records queued on the station (last heartbeat).",
          "gauge");
    for (const auto& st : states) {
        out += fmt::format("loa_station_outbox_depth{{station=\"{}\"}} {}\n",
                           escape_label(st.station.id), st.station.outbox_depth);
    }
    gauge("loa_station_assets_missing", "Assets the station still lacks (last heartbeat).",
          "gauge");
    for (const auto& st : states) {
        out += fmt::format("loa_station_assets_missing{{station=\"{}\"}} {}\n",
                           escape_label(st.station.id), st.station.assets_missing);
    }
    gauge("loa_station_timeline_lag", "Timeline revisions the station has not acknowledged.",
          "gauge");
    for (const auto& st : states) {
        const auto lag = st.station.timeline_revision > st.station.acked_revision
                             ? st.station.timeline_revision - st.station.acked_revision
                             : 0;
        out += fmt::format("loa_station_timeline_lag{{station=\"{}\"}} {}\n",
                           escape_label(st.station.id), lag);
    }
    gauge("loa_station_clock_offset_seconds", "The station clock's offset from the scheduler's.",
          "gauge");
    for (const auto& st : states) {
        if (st.health && st.health->last_heartbeat_at_us != 0) {
            out += fmt::format("loa_station_clock_offset_seconds{{station=\"{}\"}} {}\n",
                               escape_label(st.station.id),
                               static_cast<double>(st.health->clock_offset_us) / 1e6);
        }
    }
    gauge("loa_station_zone_faulted", "1 when a zone's amplifier reports a fault.", "gauge");
    for (const auto& st : states) {
        for (const auto& [zone, fault] : st.faults()) {
            out += fmt::format("loa_station_zone_faulted{{station=\"{}\",zone=\"{}\"}} 1\n",
                               escape_label(st.station.id), escape_label(zone));
        }
    }
    std::map<std::string, std::size_t> severities;
    for (const auto& e : book_.active()) {
        ++severities[std::string{monitoring::severity_name(e.alarm.severity)}];
    }
    gauge("loa_alarms_active", "Alarms active, by severity.", "gauge");
    for (const auto* sev : {"info", "warning", "major", "critical"}) {
        out += fmt::format("loa_alarms_active{{severity=\"{}\"}} {}\n", sev, severities[sev]);
    }
    if (notifier_) {
        gauge("loa_webhook_delivered_total", "Alarm events delivered to the webhook.", "counter");
        out += fmt::format("loa_webhook_delivered_total {}\n", notifier_->delivered());
        gauge("loa_webhook_dropped_total", "Alarm events dropped after retries.", "counter");
        out += fmt::format("loa_webhook_dropped_total {}\n", notifier_->dropped());
    }
    out += link_counters;
    return out;
}

}  // namespace loa::scheduler
