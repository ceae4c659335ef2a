#include "commands.hpp"
#include "loa/cli/table.hpp"
#include "loa/cli/time_input.hpp"
#include "loa/common/time_format.hpp"
#include "messages.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace loa::cli {
namespace {

Table entry_table() {
    return Table{{std::string{text::kColId}, std::string{text::kColState},
                  std::string{text::kColClass}, std::string{text::kColWhen},
                  std::string{text::kColTitle}, std::string{text::kColTargets},
                  std::string{text::kColContent}}};
}

// "units 883; stations 30280,30281; zones 30280:chợ".
std::string targets_text(const nlohmann::json& entry) {
    std::string out;
    const auto add = [&](std::string_view label, std::string_view key) {
        const auto list = field_list(entry, key);
        if (list != text::kNone) {
            out += out.empty() ? "" : "; ";
            out += fmt::format("{} {}", label, list);
        }
    };
    add(text::kUnitsLabel, "units");
    add(text::kStationsLabel, "stations");
    add(text::kZonesLabel, "zones");
    return out.empty() ? std::string{text::kNone} : out;
}

// A one-off entry's start in `zone`; a recurring one's DTSTART and rule, in its own zone.
std::string when_text(const nlohmann::json& entry, std::string_view zone) {
    const auto rrule = field_text(entry, "rrule");
    if (rrule == text::kNone) {
        return field_time(entry, "start_at", zone);
    }
    auto out =
        fmt::format("{} {} {}", field_text(entry, "dtstart"), field_text(entry, "tz"), rrule);
    const auto& exdates = field(entry, "exdates");
    if (exdates.is_array() && !exdates.empty()) {
        out += fmt::format(text::kExceptDates, exdates.size());
    }
    return out;
}

std::string content_text(const nlohmann::json& entry) {
    const auto programme = field_text(entry, "programme_id");
    if (programme != text::kNone) {
        return fmt::format(text::kProgrammeContent, programme);
    }
    return short_id(field_text(entry, "asset_id"));
}

void add_entry(Table& table, const nlohmann::json& entry, std::string_view zone) {
    auto title = field_text(entry, "title");
    auto state = field_text(entry, "state");
    table.add_row({field_text(entry, "id"), state, field_text(entry, "priority"),
                   when_text(entry, zone), title.empty() ? std::string{text::kNone} : title,
                   targets_text(entry), content_text(entry)});
}

// Every conflict of a change (an added, approved or retired entry), never silently.
void print_conflicts(CommandContext& ctx, const nlohmann::json& change) {
    const auto& conflicts = field(change, "conflicts");
    if (!conflicts.is_array() || conflicts.empty()) {
        ctx.out << text::kNoConflicts << '\n';
        return;
    }
    ctx.out << fmt::format(text::kConflictCount, conflicts.size()) << '\n';
    for (const auto& c : conflicts) {
        ctx.out << "  " << field_text(c, "description") << '\n';
    }
}

// The answer of a change: the entry's row, the stations whose timeline changed, the conflicts.
int print_change(CommandContext& ctx, const Result<ApiAnswer>& answer) {
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
    const auto& changed = field(answer->body, "changed_stations");
    if (changed.is_array()) {
        ctx.out << fmt::format(text::kTimelinesChanged, changed.size()) << '\n';
    }
    print_conflicts(ctx, answer->body);
    return 0;
}

// A time for the scheduler: the instant with the offset it has in `zone`.
Result<std::string> time_for_request(std::string_view option, const std::string& value,
                                     const CommandContext& ctx) {
    auto t = parse_time_input(value, ctx.zone, ctx.now);
    if (!t) {
        return Error{fmt::format("{}: {}", option, t.error().message)};
    }
    return format_local(*t, ctx.zone);
}

// An EXDATE as the scheduler wants it: wall-clock time in the entry's zone, no offset. A date
// alone, or text that is no time, goes as typed (the scheduler names what is wrong).
std::string exdate_for_request(const std::string& value, const CommandContext& ctx) {
    if (value.size() <= 10) {
        return value;
    }
    auto t = parse_time(value, ctx.zone);
    return t ? format_local(*t, ctx.zone).substr(0, 19) : value;
}

std::string action_text(const nlohmann::json& c, std::string_view zone) {
    const auto action = field_text(c, "action");
    if (action == "moved") {
        return fmt::format(text::kMovedTo, field_time(c, "start", zone));
    }
    if (action == "shortened") {
        return fmt::format(text::kShortenedTo, duration_text(field(c, "duration_ms")));
    }
    return action;
}

}  // namespace

int schedule_add(CommandContext& ctx, const ScheduleAddOptions& options) {
    nlohmann::json request = nlohmann::json::object();
    if (!options.asset.empty()) {
        request["asset_id"] = options.asset;
    } else {
        request["programme_id"] = options.programme;
    }
    auto at = time_for_request("--at", options.at, ctx);
    if (!at) {
        return fail(ctx, at.error().message);
    }
    request["at"] = *at;
    if (!options.stations.empty()) {
        request["stations"] = options.stations;
    }
    if (!options.units.empty()) {
        request["units"] = options.units;
    }
    if (!options.zones.empty()) {
        request["zones"] = options.zones;
    }
    if (!options.title.empty()) {
        request["title"] = options.title;
    }
    if (!options.priority.empty()) {
        request["priority"] = options.priority;
    }
    if (!options.policy.empty()) {
        request["cut_policy"] = options.policy;
    }
    if (options.draft) {
        request["state"] = "draft";
    }
    if (!options.rrule.empty()) {
        request["rrule"] = options.rrule;
        request["tz"] = ctx.zone;
        if (!options.exdates.empty()) {
            auto& exdates = request["exdates"] = nlohmann::json::array();
            for (const auto& x : options.exdates) {
                exdates.push_back(exdate_for_request(x, ctx));
            }
        }
    }
    for (const auto& [option, value, key] :
         {std::tuple{"--valid-from", &options.valid_from, "valid_from"},
          std::tuple{"--valid-until", &options.valid_until, "valid_until"}}) {
        if (!value->empty()) {
            auto t = time_for_request(option, *value, ctx);
            if (!t) {
                return fail(ctx, t.error().message);
            }
            request[key] = *t;
        }
    }
    return print_change(ctx, ctx.api.post_json("/api/v1/schedule", request));
}

int schedule_set_state(CommandContext& ctx, const std::string& id, const std::string& action) {
    return print_change(ctx, ctx.api.post_json("/api/v1/schedule/" + url_encode(id) + "/" + action,
                                               nlohmann::json::object()));
}

int schedule_list(CommandContext& ctx) {
    return print_list(ctx, ctx.api.get("/api/v1/schedule"), text::kNoEntries,
                      [&](const nlohmann::json& entries) {
                          auto table = entry_table();
                          for (const auto& entry : entries) {
                              add_entry(table, entry, ctx.zone);
                          }
                          table.print(ctx.out);
                      });
}

int schedule_check(CommandContext& ctx, const std::string& station, const std::string& unit) {
    ApiClient::Query query;
    if (!station.empty()) {
        query["station"] = station;
    }
    if (!unit.empty()) {
        query["unit"] = unit;
    }
    auto answer = ctx.api.get("/api/v1/schedule/check", query);
    const int code = print_list(ctx, answer, text::kNoConflicts, [&](const nlohmann::json& list) {
        Table table{{std::string{text::kColStation}, std::string{text::kColEntry},
                     std::string{text::kColClass}, std::string{text::kColAt},
                     std::string{text::kColLostTo}, std::string{text::kColOutcome}}};
        for (const auto& c : list) {
            table.add_row({field_text(c, "station_id"), field_text(c, "entry_id"),
                           field_text(c, "priority"), field_time(c, "occurrence", ctx.zone),
                           fmt::format(text::kLostTo, field_text(c, "winner_entry_id"),
                                       field_text(c, "winner_priority")),
                           action_text(c, ctx.zone)});
        }
        table.print(ctx.out);
        ctx.out << fmt::format(text::kConflictTotal, list.size()) << '\n';
    });
    if (code != 0) {
        return code;
    }
    return answer->body.is_array() && !answer->body.empty() ? 1 : 0;
}

int schedule_readiness(CommandContext& ctx, std::optional<int> hours) {
    ApiClient::Query query;
    if (hours) {
        query["hours"] = std::to_string(*hours);
    }
    return print_list(
        ctx, ctx.api.get("/api/v1/schedule/readiness", query), text::kNothingUpcoming,
        [&](const nlohmann::json& items) {
            Table table{{std::string{text::kColStart}, std::string{text::kColEntry},
                         std::string{text::kColClass}, std::string{text::kColTitle},
                         std::string{text::kColReady}, std::string{text::kColNotReady}}};
            table.align_right(4);
            for (const auto& r : items) {
                const auto& not_ready = field(r, "not_ready");
                std::string missing;
                if (not_ready.is_array()) {
                    constexpr std::size_t kShown = 8;
                    for (std::size_t i = 0; i < not_ready.size() && i < kShown; ++i) {
                        missing += missing.empty() ? "" : ",";
                        const auto& s = not_ready[i];
                        missing += s.is_string() ? s.get<std::string>() : s.dump();
                    }
                    if (not_ready.size() > kShown) {
                        missing += fmt::format(text::kAndMore, not_ready.size() - kShown);
                    }
                }
                table.add_row(
                    {field_time(r, "start", ctx.zone), field_text(r, "entry_id"),
                     field_text(r, "priority"), field_text(r, "title"),
                     fmt::format("{}/{}", field_text(r, "ready"), field_text(r, "stations")),
                     missing.empty() ? std::string{text::kNone} : missing});
            }
            table.print(ctx.out);
        });
}

}  // namespace loa::cli
