#include "commands.hpp"
#include "loa/cli/table.hpp"
#include "loa/cli/time_input.hpp"
#include "loa/common/time_format.hpp"
#include "messages.hpp"

#include <fmt/format.h>

namespace loa::cli {
namespace {

Table entry_table() {
    return Table{{std::string{text::kColId}, std::string{text::kColStart},
                  std::string{text::kColPriority}, std::string{text::kColTitle},
                  std::string{text::kColStations}, std::string{text::kColAsset}}};
}

void add_entry(Table& table, const nlohmann::json& entry, std::string_view zone) {
    std::string stations;
    const auto& list = field(entry, "stations");
    if (list.is_array()) {
        for (const auto& s : list) {
            if (!stations.empty()) {
                stations += ',';
            }
            stations += s.is_string() ? s.get<std::string>() : s.dump();
        }
    }
    auto title = field_text(entry, "title");
    table.add_row({field_text(entry, "id"), field_time(entry, "start_at", zone),
                   field_text(entry, "priority"), title.empty() ? std::string{text::kNone} : title,
                   stations.empty() ? std::string{text::kNone} : stations,
                   short_id(field_text(entry, "asset_id"))});
}

}  // namespace

int schedule_add(CommandContext& ctx, const ScheduleAddOptions& options) {
    const auto at = parse_time_input(options.at, ctx.zone, ctx.now);
    if (!at) {
        return fail(ctx, fmt::format(text::kBadTime, at.error().message));
    }
    nlohmann::json request = {{"asset_id", options.asset},
                              {"at", format_local(*at, ctx.zone)},
                              {"stations", options.stations}};
    if (!options.title.empty()) {
        request["title"] = options.title;
    }
    if (!options.priority.empty()) {
        request["priority"] = options.priority;
    }
    auto answer = ctx.api.post_json("/api/v1/schedule", request);
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    auto table = entry_table();
    add_entry(table, answer->body, ctx.zone);
    table.print(ctx.out);
    return 0;
}

int schedule_list(CommandContext& ctx) {
    auto answer = ctx.api.get("/api/v1/schedule");
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    const auto& entries = answer->body;
    if (ctx.json) {
        print_json(ctx, entries);
        return 0;
    }
    if (!entries.is_array()) {
        return fail(ctx, fmt::format(text::kUnexpectedAnswer, entries.dump()));
    }
    if (entries.empty()) {
        ctx.out << text::kNoEntries << '\n';
        return 0;
    }
    auto table = entry_table();
    for (const auto& entry : entries) {
        add_entry(table, entry, ctx.zone);
    }
    table.print(ctx.out);
    return 0;
}

}  // namespace loa::cli
