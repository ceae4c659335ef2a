#include "monitoring_commands.hpp"

#include "loa/cli/table.hpp"
#include "loa/common/time_format.hpp"

#include <fmt/format.h>
// CLI11's inlined string code trips GCC 12's -Wnull-dereference (a false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include <fstream>
#include <memory>

namespace loa::cli {
namespace {

using nlohmann::json;

// What the monitoring commands show a person (English; Vietnamese words where the data are).
constexpr std::string_view kStatusHelp =
    "Show every station's state: online or offline (since), last heard, clock, disk, version, "
    "and per zone the amplifier, level and dead air; counts per unit";
constexpr std::string_view kUnitHelp = "Only this unit (its code) and everything under it";
constexpr std::string_view kEventsHelp =
    "List a station's events (amplifier faults, dead air, mains, speaker line...), oldest first";
constexpr std::string_view kLimitHelp = "At most this many events (default 200)";
constexpr std::string_view kCoverageHelp =
    "Loudspeaker coverage of households and area per unit (installed and working); import "
    "clusters and hamlets";
constexpr std::string_view kHistoryHelp = "Also show the daily coverage history";
constexpr std::string_view kImportClustersHelp =
    "Import loudspeaker clusters (CSV or GeoJSON); all or nothing";
constexpr std::string_view kImportHamletsHelp =
    "Import residential areas / hamlets (CSV or GeoJSON); all or nothing";
constexpr std::string_view kFileHelp = "The CSV or GeoJSON file";
constexpr std::string_view kComplianceHelp =
    "Scheduled against aired per station and programme over local days, each miss with its "
    "reason";
constexpr std::string_view kFromHelp = "First local day, YYYY-MM-DD";
constexpr std::string_view kToHelp = "Last local day (included), YYYY-MM-DD";
constexpr std::string_view kCsvHelp = "Print the CSV export (UTF-8 with BOM, for a spreadsheet)";
constexpr std::string_view kHtmlHelp =
    "Write the printable monthly report (HTML, Vietnamese) of the month of --from to FILE";
constexpr std::string_view kAlarmHelp = "Alarms: offline stations, faults, low coverage, readiness";
constexpr std::string_view kAlarmListHelp = "List the active and recently cleared alarms";
constexpr std::string_view kNoStations = "no stations";
constexpr std::string_view kNoEvents = "no events";
constexpr std::string_view kNoCoverage = "no coverage data (import clusters and hamlets first)";
constexpr std::string_view kNoAlarms = "no active alarms";

std::string percent(const json& object, std::string_view key) {
    const auto& v = field(object, key);
    if (!v.is_number()) {
        return "-";
    }
    return fmt::format("{:.1f} %", v.get<double>() * 100.0);
}

std::string number(const json& object, std::string_view key) {
    const auto& v = field(object, key);
    if (!v.is_number()) {
        return "-";
    }
    return fmt::format("{:.0f}", v.get<double>());
}

std::string zones_text(const json& station) {
    std::string out;
    const auto& zones = field(station, "zones");
    if (!zones.is_array()) {
        return "-";
    }
    for (const auto& z : zones) {
        std::string amp = field_text(z, "amplifier");
        if (amp.rfind("AMPLIFIER_", 0) == 0) {
            amp = amp.substr(10);
        }
        for (auto& c : amp) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        std::string piece = fmt::format("{}:{}", field_text(z, "zone"), amp);
        const auto fault = field_text(z, "fault");
        if (!fault.empty() && fault != "-") {
            piece += fmt::format(" ({})", fault);
        }
        if (field(z, "dead_air").is_boolean() && field(z, "dead_air").get<bool>()) {
            piece += " DEAD AIR";
        }
        const auto& rms = field(z, "rms_dbfs");
        if (rms.is_number()) {
            piece += fmt::format(" {:.0f} dBFS", rms.get<double>());
        }
        out += out.empty() ? piece : "; " + piece;
    }
    return out.empty() ? "-" : out;
}

// Prints the answer's JSON or calls `show`; handles the failure.
int with_answer(CommandContext& ctx, const Result<ApiAnswer>& answer,
                const std::function<void(const json&)>& show) {
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    show(answer->body);
    return 0;
}

}  // namespace

int status_show(CommandContext& ctx, const std::string& unit) {
    ApiClient::Query query;
    if (!unit.empty()) {
        query["unit"] = unit;
    }
    return with_answer(ctx, ctx.api.get("/api/v1/status", query), [&](const json& body) {
        const auto& totals = field(body, "totals");
        ctx.out << fmt::format("{} stations: {} online, {} offline; {} zone faults, {} dead air\n",
                               field_text(totals, "stations"), field_text(totals, "online"),
                               field_text(totals, "offline"), field_text(totals, "zone_faults"),
                               field_text(totals, "dead_air"));
        const auto& stations = field(body, "stations");
        if (!stations.is_array() || stations.empty()) {
            ctx.out << kNoStations << '\n';
            return;
        }
        Table table{{"STATION", "NAME", "UNIT", "STATE", "SINCE", "LAST HEARD", "CLOCK", "DISK",
                     "VERSION", "ZONES"}};
        for (const auto& s : stations) {
            const bool online = field(s, "online").is_boolean() && field(s, "online").get<bool>();
            std::string clock = "-";
            if (const auto& c = field(s, "clock"); c.is_object()) {
                clock = fmt::format("{:+.1f} ms{}", field(c, "offset_ms").get<double>(),
                                    field(c, "synced").get<bool>() ? "" : " (not synced)");
            }
            table.add_row({field_text(s, "id"), field_text(s, "name"), field_text(s, "unit"),
                           online ? "online" : "OFFLINE",
                           online ? "-" : field_time(s, "offline_since", ctx.zone),
                           field_time(s, "last_heard", ctx.zone), clock,
                           size_text(field(s, "disk_free_bytes")),
                           field_text(s, "software_version"), zones_text(s)});
        }
        table.print(ctx.out);
        const auto& units = field(body, "units");
        if (units.is_array() && !units.empty()) {
            ctx.out << '\n';
            Table counts{{"UNIT", "NAME", "STATIONS", "ONLINE", "OFFLINE", "FAULTS", "DEAD AIR"}};
            for (std::size_t c = 2; c < 7; ++c) {
                counts.align_right(c);
            }
            for (const auto& u : units) {
                counts.add_row({field_text(u, "code"), field_text(u, "name"),
                                field_text(u, "stations"), field_text(u, "online"),
                                field_text(u, "offline"), field_text(u, "zone_faults"),
                                field_text(u, "dead_air")});
            }
            counts.print(ctx.out);
        }
    });
}

int events_list(CommandContext& ctx, const std::string& station, std::optional<int> limit) {
    ApiClient::Query query;
    if (limit) {
        query["limit"] = std::to_string(*limit);
    }
    return print_list(
        ctx, ctx.api.get(fmt::format("/api/v1/stations/{}/events", url_encode(station)), query),
        kNoEvents, [&](const json& list) {
            Table table{{"AT", "KIND", "ZONE", "DETAIL"}};
            for (const auto& e : list) {
                table.add_row({field_time(e, "at", ctx.zone), field_text(e, "kind"),
                               field_text(e, "zone"), field_text(e, "detail")});
            }
            table.print(ctx.out);
        });
}

int coverage_import(CommandContext& ctx, const std::string& file, bool clusters) {
    auto bytes = read_file(file);
    if (!bytes) {
        return fail(ctx, bytes.error().message);
    }
    const auto first = bytes->find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    const bool geojson = first != std::string::npos && (*bytes)[first] == '{';
    const auto answer =
        ctx.api.post_bytes(clusters ? "/api/v1/coverage/clusters" : "/api/v1/coverage/hamlets", {},
                           *bytes, geojson ? "application/geo+json" : "text/csv");
    return with_answer(ctx, answer, [&](const json& body) {
        ctx.out << fmt::format("imported {} {} ({} stored)\n", field_text(body, "imported"),
                               clusters ? "clusters" : "hamlets",
                               field_text(body, clusters ? "clusters" : "hamlets"));
    });
}

int coverage_show(CommandContext& ctx, const std::string& unit, bool history) {
    ApiClient::Query query;
    if (!unit.empty()) {
        query["unit"] = unit;
    }
    if (history) {
        query["history"] = "1";
    }
    return with_answer(ctx, ctx.api.get("/api/v1/coverage", query), [&](const json& body) {
        const auto& units = field(body, "units");
        if (!units.is_array() || units.empty()) {
            ctx.out << kNoCoverage << '\n';
            return;
        }
        Table table{{"UNIT", "NAME", "HOUSEHOLDS", "INSTALLED", "WORKING", "AREA INSTALLED",
                     "AREA WORKING", "HAMLETS"}};
        for (std::size_t c = 2; c < 8; ++c) {
            table.align_right(c);
        }
        for (const auto& u : units) {
            table.add_row({field_text(u, "code"), field_text(u, "name"), number(u, "households"),
                           percent(u, "installed"), percent(u, "working"),
                           percent(u, "area_installed"), percent(u, "area_working"),
                           field_text(u, "hamlets")});
        }
        table.print(ctx.out);
        const auto& offline = field(body, "stations_offline");
        const auto& faulted = field(body, "zones_faulted");
        if (offline.is_array() && !offline.empty()) {
            ctx.out << "stations offline: " << field_list(body, "stations_offline") << '\n';
        }
        if (faulted.is_array() && !faulted.empty()) {
            std::string zones;
            for (const auto& z : faulted) {
                zones += (zones.empty() ? "" : ", ") + field_text(z, "station") + ":" +
                         field_text(z, "zone");
            }
            ctx.out << "zones faulted: " << zones << '\n';
        }
        const auto& rows = field(body, "history");
        if (history && rows.is_array()) {
            ctx.out << '\n';
            Table hist{{"DATE", "UNIT", "INSTALLED", "WORKING", "HOUSEHOLDS WORKING"}};
            for (std::size_t c = 2; c < 5; ++c) {
                hist.align_right(c);
            }
            for (const auto& r : rows) {
                hist.add_row({field_text(r, "date"), field_text(r, "code"), percent(r, "installed"),
                              percent(r, "working"), number(r, "households_working")});
            }
            hist.print(ctx.out);
        }
    });
}

int compliance_show(CommandContext& ctx, const ComplianceOptions& options) {
    const auto query = [&](const std::string& format) {
        std::string q = fmt::format("/api/v1/compliance?from={}&to={}", url_encode(options.from),
                                    url_encode(options.to));
        if (!options.unit.empty()) {
            q += "&unit=" + url_encode(options.unit);
        }
        if (!format.empty()) {
            q += "&format=" + format;
        }
        return q;
    };
    if (!options.html_file.empty()) {
        auto html = ctx.api.get_bytes(query("html"));
        if (!html) {
            return fail(ctx, html.error().message);
        }
        std::ofstream out{options.html_file, std::ios::binary | std::ios::trunc};
        out << *html;
        if (!out.flush()) {
            return fail(ctx, fmt::format("cannot write {}", options.html_file));
        }
        ctx.out << fmt::format("monthly report written to {}\n", options.html_file);
        if (!options.csv) {
            return 0;
        }
    }
    if (options.csv) {
        auto csv = ctx.api.get_bytes(query("csv"));
        if (!csv) {
            return fail(ctx, csv.error().message);
        }
        ctx.out << *csv;
        return 0;
    }
    ApiClient::Query q{{"from", options.from}, {"to", options.to}};
    if (!options.unit.empty()) {
        q["unit"] = options.unit;
    }
    return with_answer(ctx, ctx.api.get("/api/v1/compliance", q), [&](const json& body) {
        const auto& total = field(body, "total");
        ctx.out << fmt::format(
            "{} .. {}: {} scheduled, {} aired, {} partly aired, {} missed, {} "
            "pending; aired {}\n",
            options.from, options.to, field_text(total, "scheduled"), field_text(total, "aired"),
            field_text(total, "partly_aired"), field_text(total, "missed"),
            field_text(total, "pending"), percent(total, "aired_ratio"));
        const auto& stations = field(body, "by_station");
        if (stations.is_object() && !stations.empty()) {
            Table table{{"STATION", "SCHEDULED", "AIRED", "PARTLY", "MISSED", "AIRED TIME"}};
            for (std::size_t c = 1; c < 6; ++c) {
                table.align_right(c);
            }
            for (const auto& [id, t] : stations.items()) {
                table.add_row({id, field_text(t, "scheduled"), field_text(t, "aired"),
                               field_text(t, "partly_aired"), field_text(t, "missed"),
                               percent(t, "aired_ratio")});
            }
            table.print(ctx.out);
        }
        const auto& items = field(body, "items");
        Table misses{{"STATION", "START", "ITEM", "PROGRAMME", "VERDICT", "REASON", "DETAIL"}};
        if (items.is_array()) {
            for (const auto& i : items) {
                if (field_text(i, "verdict") == "aired") {
                    continue;
                }
                misses.add_row({field_text(i, "station"), field_time(i, "start", ctx.zone),
                                field_text(i, "title"), field_text(i, "programme"),
                                field_text(i, "verdict"), field_text(i, "reason"),
                                field_text(i, "detail")});
            }
        }
        if (misses.row_count() > 0) {
            ctx.out << '\n';
            misses.print(ctx.out);
        }
    });
}

int alarm_list(CommandContext& ctx) {
    return with_answer(ctx, ctx.api.get("/api/v1/alarms"), [&](const json& body) {
        const auto print = [&](const json& list, bool cleared) {
            Table table{
                cleared ? std::vector<std::string>{"SEVERITY", "KIND", "WHERE", "SINCE", "CLEARED",
                                                   "TEXT"}
                        : std::vector<std::string>{"SEVERITY", "KIND", "WHERE", "SINCE", "TEXT"}};
            for (const auto& a : list) {
                auto where = field_text(a, "station");
                if (where.empty() || where == "-") {
                    where = field_text(a, "unit");
                }
                const auto zone = field_text(a, "zone");
                if (!zone.empty() && zone != "-") {
                    where += ":" + zone;
                }
                std::vector<std::string> row{field_text(a, "severity"), field_text(a, "kind"),
                                             where, field_time(a, "since", ctx.zone)};
                if (cleared) {
                    row.push_back(field_time(a, "cleared_at", ctx.zone));
                }
                row.push_back(field_text(field(a, "text"), "vi"));
                table.add_row(std::move(row));
            }
            table.print(ctx.out);
        };
        const auto& active = field(body, "active");
        if (!active.is_array() || active.empty()) {
            ctx.out << kNoAlarms << '\n';
        } else {
            print(active, false);
        }
        const auto& cleared = field(body, "cleared");
        if (cleared.is_array() && !cleared.empty()) {
            ctx.out << "\nrecently cleared:\n";
            print(cleared, true);
        }
    });
}

void add_monitoring_commands(CLI::App& app, std::function<int(CommandContext&)>& action) {
    struct Parsed {
        std::string unit;
        std::string station;
        std::string file;
        int limit = 0;
        bool history = false;
        ComplianceOptions compliance;
    };
    auto p = std::make_shared<Parsed>();

    auto* status = app.add_subcommand("status", std::string{kStatusHelp});
    status->add_option("--unit", p->unit, std::string{kUnitHelp})->type_name("CODE");
    status->callback(
        [&action, p] { action = [p](CommandContext& c) { return status_show(c, p->unit); }; });

    auto* events = app.add_subcommand("events", std::string{kEventsHelp});
    events->add_option("station", p->station, "Station id")->required()->type_name("STATION");
    auto* limit = events->add_option("--limit", p->limit, std::string{kLimitHelp})
                      ->type_name("N")
                      ->check(CLI::Range(1, 10000));
    events->callback([&action, p, limit] {
        const auto n = limit->count() > 0 ? std::optional<int>{p->limit} : std::nullopt;
        action = [p, n](CommandContext& c) { return events_list(c, p->station, n); };
    });

    auto* coverage = app.add_subcommand("coverage", std::string{kCoverageHelp});
    coverage->add_option("--unit", p->unit, std::string{kUnitHelp})->type_name("CODE");
    coverage->add_flag("--history", p->history, std::string{kHistoryHelp});
    for (const bool clusters : {true, false}) {
        auto* sub = coverage->add_subcommand(
            clusters ? "import-clusters" : "import-hamlets",
            std::string{clusters ? kImportClustersHelp : kImportHamletsHelp});
        sub->add_option("file", p->file, std::string{kFileHelp})->required()->type_name("FILE");
        sub->callback([&action, p, clusters] {
            action = [p, clusters](CommandContext& c) {
                return coverage_import(c, p->file, clusters);
            };
        });
    }
    coverage->callback([&action, p, coverage] {
        if (coverage->get_subcommands().empty()) {
            action = [p](CommandContext& c) { return coverage_show(c, p->unit, p->history); };
        }
    });

    auto* compliance = app.add_subcommand("compliance", std::string{kComplianceHelp});
    compliance->add_option("--from", p->compliance.from, std::string{kFromHelp})
        ->required()
        ->type_name("DATE");
    compliance->add_option("--to", p->compliance.to, std::string{kToHelp})
        ->required()
        ->type_name("DATE");
    compliance->add_option("--unit", p->compliance.unit, std::string{kUnitHelp})->type_name("CODE");
    compliance->add_flag("--csv", p->compliance.csv, std::string{kCsvHelp});
    compliance->add_option("--html", p->compliance.html_file, std::string{kHtmlHelp})
        ->type_name("FILE");
    compliance->callback([&action, p] {
        action = [p](CommandContext& c) { return compliance_show(c, p->compliance); };
    });

    auto* alarm = app.add_subcommand("alarm", std::string{kAlarmHelp});
    alarm->require_subcommand(1);
    auto* list = alarm->add_subcommand("list", std::string{kAlarmListHelp});
    list->callback([&action] { action = [](CommandContext& c) { return alarm_list(c); }; });
}

}  // namespace loa::cli
