#include "emergency_commands.hpp"

#include "loa/cli/table.hpp"

#include <fmt/format.h>
// CLI11's inlined string code trips GCC 12's -Wnull-dereference (a false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include <memory>

namespace loa::cli {
namespace {

constexpr std::string_view kEmergencyHelp =
    "Emergency broadcasts: preempt every programme on the target stations";
constexpr std::string_view kStartHelp =
    "Start an emergency broadcast now (admin, or an operator within its scope when allowed)";
constexpr std::string_view kStopHelp =
    "Stop an emergency: what airs is cut and the stations return to their timelines";
constexpr std::string_view kListHelp = "List emergency broadcasts";
constexpr std::string_view kAlertHelp = "CAP 1.2 alerts";
constexpr std::string_view kAlertSendHelp =
    "Send a CAP 1.2 alert (XML file): Alert starts, Update replaces, Cancel stops its broadcast";
constexpr std::string_view kAlertListHelp = "List the CAP alerts received";
constexpr std::string_view kNoSessions = "no emergency broadcast";
constexpr std::string_view kNoAlerts = "no CAP alert received";

std::string stations_text(const nlohmann::json& object) {
    const auto& list = field(object, "stations");
    if (!list.is_array() || list.empty()) {
        return "-";
    }
    if (list.size() <= 4) {
        return field_list(object, "stations");
    }
    return fmt::format("{} stations", list.size());
}

// How many times it airs, or "live" for a session relayed from a live source.
std::string airings_text(const nlohmann::json& s) {
    return s.contains("live_source") ? std::string{"live"} : field_text(s, "repeat");
}

void print_session(CommandContext& ctx, const nlohmann::json& s) {
    Table table{{"ID", "STATE", "TITLE", "STARTS AT", "ENDS AT", "AIRINGS", "STATIONS", "BY"}};
    table.add_row({field_text(s, "id"), field_text(s, "state"), field_text(s, "title"),
                   field_time(s, "starts_at", ctx.zone), field_time(s, "ends_at", ctx.zone),
                   airings_text(s), stations_text(s), field_text(s, "started_by")});
    table.print(ctx.out);
}

}  // namespace

int emergency_start(CommandContext& ctx, const EmergencyStartOptions& o) {
    nlohmann::json body{{"units", o.units}, {"stations", o.stations}};
    if (o.live.empty()) {
        body["repeat"] = o.repeat;
    }
    if (!o.asset.empty()) {
        body["asset_id"] = o.asset;
    } else if (!o.live.empty()) {
        body["live"] = o.live;
    } else {
        body["text"] = o.text;
        if (!o.voice.empty()) {
            body["voice"] = o.voice;
        }
    }
    if (o.every_min > 0) {
        body["every_min"] = o.every_min;
    }
    if (!o.title.empty()) {
        body["title"] = o.title;
    }
    auto answer = ctx.api.post_json("/api/v1/emergency", body);
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    const auto& stations = field(answer->body, "stations");
    ctx.out << fmt::format("emergency {} started: {} station(s) from {}",
                           field_text(answer->body, "id"),
                           stations.is_array() ? stations.size() : 0,
                           field_time(answer->body, "starts_at", ctx.zone))
            << '\n';
    print_session(ctx, answer->body);
    return 0;
}

int emergency_stop(CommandContext& ctx, const std::string& id) {
    auto answer = ctx.api.post_json("/api/v1/emergency/" + url_encode(id) + "/stop",
                                    nlohmann::json::object());
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    const auto& retired = field(answer->body, "retired");
    ctx.out << fmt::format(
                   "emergency {} stopped: {} airing(s) retired; the stations return to "
                   "their timelines",
                   id, retired.is_array() ? retired.size() : 0)
            << '\n';
    return 0;
}

int emergency_list(CommandContext& ctx) {
    return print_list(
        ctx, ctx.api.get("/api/v1/emergency"), kNoSessions, [&](const nlohmann::json& list) {
            Table table{
                {"ID", "STATE", "TITLE", "STARTS AT", "AIRINGS", "STATIONS", "BY", "STOPPED BY"}};
            for (const auto& s : list) {
                table.add_row({field_text(s, "id"), field_text(s, "state"), field_text(s, "title"),
                               field_time(s, "starts_at", ctx.zone), airings_text(s),
                               stations_text(s), field_text(s, "started_by"),
                               field_text(s, "stopped_by")});
            }
            table.print(ctx.out);
        });
}

int alert_send(CommandContext& ctx, const std::string& file) {
    auto xml = read_file(file);
    if (!xml) {
        return fail(ctx, xml.error().message);
    }
    auto answer = ctx.api.post_bytes("/api/v1/alerts", {}, *xml, "application/cap+xml");
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    const auto& alert = field(answer->body, "alert");
    ctx.out << fmt::format("alert {} ({} {}) received", field_text(alert, "identifier"),
                           field_text(alert, "status"), field_text(alert, "msg_type"))
            << '\n';
    const auto& session = field(answer->body, "session");
    if (session.is_object()) {
        print_session(ctx, session);
    }
    const auto& stopped = field(alert, "stopped_sessions");
    if (stopped.is_array() && !stopped.empty()) {
        ctx.out << "stopped emergency " << field_list(alert, "stopped_sessions") << '\n';
    }
    const auto& notes = field(answer->body, "notes");
    if (notes.is_array()) {
        for (const auto& n : notes) {
            if (n.is_string()) {
                ctx.out << "note: " << n.get_ref<const std::string&>() << '\n';
            }
        }
    }
    return 0;
}

int alert_list(CommandContext& ctx) {
    return print_list(
        ctx, ctx.api.get("/api/v1/alerts"), kNoAlerts, [&](const nlohmann::json& list) {
            Table table{{"ID", "IDENTIFIER", "SENDER", "STATUS", "TYPE", "RECEIVED", "STATIONS",
                         "EMERGENCY"}};
            for (const auto& a : list) {
                table.add_row({field_text(a, "id"), field_text(a, "identifier"),
                               field_text(a, "sender"), field_text(a, "status"),
                               field_text(a, "msg_type"), field_time(a, "received_at", ctx.zone),
                               stations_text(a), field_text(a, "session_id")});
            }
            table.print(ctx.out);
        });
}

void add_emergency_commands(CLI::App& app, std::function<int(CommandContext&)>& action) {
    struct Parsed {
        EmergencyStartOptions start;
        std::string id;
        std::string file;
    };
    auto p = std::make_shared<Parsed>();

    auto* emergency = app.add_subcommand("emergency", std::string{kEmergencyHelp});
    emergency->require_subcommand(1);
    auto* start = emergency->add_subcommand("start", std::string{kStartHelp});
    start->add_option("--unit", p->start.units, "A unit: every station in its subtree")
        ->type_name("CODE");
    start->add_option("--station", p->start.stations, "A station")->type_name("ID");
    auto* asset = start->add_option("--asset", p->start.asset, "The asset to air")->type_name("ID");
    auto* text = start->add_option("--text", p->start.text, "Text to speak (text-to-speech)")
                     ->type_name("TEXT");
    auto* live = start
                     ->add_option("--live", p->start.live,
                                  "Relay a live source: FILE, mic[:DEVICE] or an http(s) URL "
                                  "(airs once, stopped by 'loa emergency stop')")
                     ->type_name("SOURCE");
    asset->excludes(text);
    live->excludes(asset);
    live->excludes(text);
    start->add_option("--voice", p->start.voice, "Voice for --text (default vi)")
        ->type_name("VOICE")
        ->needs(text);
    start->add_option("--title", p->start.title, "Title shown in timelines and as-run")
        ->type_name("TITLE");
    auto* repeat =
        start->add_option("--repeat", p->start.repeat, "How many times it airs (default 1)")
            ->type_name("N")
            ->check(CLI::Range(1, 24));
    auto* every =
        start->add_option("--every", p->start.every_min, "Minutes between airings' starts")
            ->type_name("MIN")
            ->check(CLI::Range(1, 1440));
    live->excludes(repeat);
    live->excludes(every);
    start->callback([&action, p, asset, text, live] {
        if (p->start.units.empty() && p->start.stations.empty()) {
            throw CLI::ValidationError{"--unit/--station", "give at least one target"};
        }
        if (asset->count() == 0 && text->count() == 0 && live->count() == 0) {
            throw CLI::ValidationError{"--asset/--text/--live",
                                       "give the asset, the text or the live source to air"};
        }
        if (p->start.repeat > 1 && p->start.every_min == 0) {
            throw CLI::ValidationError{"--every", "required with --repeat more than 1"};
        }
        action = [p](CommandContext& c) { return emergency_start(c, p->start); };
    });
    auto* stop = emergency->add_subcommand("stop", std::string{kStopHelp});
    stop->add_option("ID", p->id, "The emergency's id")->required();
    stop->callback(
        [&action, p] { action = [p](CommandContext& c) { return emergency_stop(c, p->id); }; });
    emergency->add_subcommand("list", std::string{kListHelp})->callback([&action] {
        action = [](CommandContext& c) { return emergency_list(c); };
    });

    auto* alert = app.add_subcommand("alert", std::string{kAlertHelp});
    alert->require_subcommand(1);
    auto* send = alert->add_subcommand("send", std::string{kAlertSendHelp});
    send->add_option("FILE", p->file, "The CAP 1.2 XML file")->required();
    send->callback(
        [&action, p] { action = [p](CommandContext& c) { return alert_send(c, p->file); }; });
    alert->add_subcommand("list", std::string{kAlertListHelp})->callback([&action] {
        action = [](CommandContext& c) { return alert_list(c); };
    });
}

}  // namespace loa::cli
