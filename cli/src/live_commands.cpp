#include "live_commands.hpp"

#include "loa/cli/table.hpp"

#include <fmt/format.h>
// CLI11's inlined string code trips GCC 12's -Wnull-dereference (a false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include <filesystem>
#include <memory>
#include <system_error>

namespace loa::cli {
namespace {

constexpr std::string_view kLiveHelp =
    "Live sessions: a source played in step on every target loudspeaker";
constexpr std::string_view kStartHelp = "Start a live session now; prints its id";
constexpr std::string_view kStopHelp = "Stop a live session";
constexpr std::string_view kListHelp = "List live sessions";
constexpr std::string_view kNoSessions = "no live session";

std::string where_of(const std::string& source) {
    if (source.find("://") != std::string::npos || source.starts_with("mic")) {
        return source;
    }
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(source, ec);
    return ec ? source : absolute.string();
}

}  // namespace

int live_start(CommandContext& ctx, const LiveStartOptions& o) {
    nlohmann::json body{{"source", where_of(o.source)},
                        {"units", o.units},
                        {"stations", o.stations},
                        {"delay_ms", o.delay_ms},
                        {"class", o.priority}};
    if (!o.title.empty()) {
        body["title"] = o.title;
    }
    auto answer = ctx.api.post_json("/api/v1/live", body);
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    ctx.out << field_text(answer->body, "id") << '\n';
    return 0;
}

int live_stop(CommandContext& ctx, const std::string& id) {
    auto answer =
        ctx.api.post_json("/api/v1/live/" + url_encode(id) + "/stop", nlohmann::json::object());
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    ctx.out << fmt::format("live session {} {} after {} frames", id,
                           field_text(answer->body, "state"),
                           field_text(answer->body, "frames_sent"))
            << '\n';
    return 0;
}

int live_list(CommandContext& ctx) {
    return print_list(
        ctx, ctx.api.get("/api/v1/live"), kNoSessions, [&](const nlohmann::json& list) {
            Table table{{"ID", "STATE", "TITLE", "CLASS", "DELAY MS", "STATIONS", "FRAMES", "BY"}};
            for (const auto& s : list) {
                table.add_row({field_text(s, "id"), field_text(s, "state"), field_text(s, "title"),
                               field_text(s, "class"), field_text(s, "delay_ms"),
                               field_list(s, "stations"), field_text(s, "frames_sent"),
                               field_text(s, "started_by")});
            }
            table.print(ctx.out);
        });
}

void add_live_commands(CLI::App& app, std::function<int(CommandContext&)>& action) {
    struct Parsed {
        LiveStartOptions start;
        std::string id;
    };
    auto p = std::make_shared<Parsed>();
    auto* live = app.add_subcommand("live", std::string{kLiveHelp});
    live->require_subcommand(1);
    auto* start = live->add_subcommand("start", std::string{kStartHelp});
    start
        ->add_option("--source", p->start.source,
                     "mic[:DEVICE] (the scheduler host's input), an http(s) stream URL, or a FILE")
        ->type_name("SOURCE")
        ->required();
    start->add_option("--unit", p->start.units, "A unit: every station in its subtree")
        ->type_name("CODE");
    start->add_option("--station", p->start.stations, "A station")->type_name("ID");
    start->add_option("--delay-ms", p->start.delay_ms, "Playout delay (default 500)")
        ->type_name("MS")
        ->check(CLI::Range(150, 10000));
    start->add_option("--class", p->start.priority, "Priority class (default district)")
        ->check(CLI::IsMember({"emergency", "province", "district", "commune", "filler"}));
    start->add_option("--title", p->start.title, "Title shown in as-run")->type_name("TITLE");
    start->callback([&action, p] {
        if (p->start.units.empty() && p->start.stations.empty()) {
            throw CLI::ValidationError{"--unit/--station", "give at least one target"};
        }
        action = [p](CommandContext& c) { return live_start(c, p->start); };
    });
    auto* stop = live->add_subcommand("stop", std::string{kStopHelp});
    stop->add_option("ID", p->id, "The live session's id")->required();
    stop->callback(
        [&action, p] { action = [p](CommandContext& c) { return live_stop(c, p->id); }; });
    live->add_subcommand("list", std::string{kListHelp})->callback([&action] {
        action = [](CommandContext& c) { return live_list(c); };
    });
}

}  // namespace loa::cli
