#include "commands.hpp"
#include "loa/cli/table.hpp"
#include "loa/cli/time_input.hpp"
#include "loa/common/time_format.hpp"
#include "messages.hpp"

#include <fmt/format.h>

namespace loa::cli {
namespace {

Table delivery_table() {
    return Table{{std::string{text::kColStation}, std::string{text::kColState},
                  std::string{text::kColAirAt}, std::string{text::kColEntry},
                  std::string{text::kColDecidedBy}, std::string{text::kColDecidedAt},
                  std::string{text::kColDecisionNote}}};
}

std::string entry_text(const nlohmann::json& delivery) {
    const auto& id = field(delivery, "entry_id");
    return id.is_null() || (id.is_number() && id.get<double>() == 0)
               ? std::string{text::kNone}
               : field_text(delivery, "entry_id");
}

std::string note_text(const nlohmann::json& delivery) {
    auto note = field_text(delivery, "note");
    return note.empty() ? std::string{text::kNone} : note;
}

// The scheduler names a delivery's station "station".
std::string station_text(const nlohmann::json& delivery) {
    auto station = field_text(delivery, "station");
    return station == text::kNone ? field_text(delivery, "station_id") : station;
}

void add_delivery(Table& table, const nlohmann::json& d, std::string_view zone) {
    auto by = field_text(d, "decided_by");
    table.add_row({station_text(d), field_text(d, "state"), field_time(d, "air_at", zone),
                   entry_text(d), by.empty() ? std::string{text::kNone} : by,
                   field_time(d, "decided_at", zone), note_text(d)});
}

void print_deliveries(CommandContext& ctx, const nlohmann::json& bulletin) {
    const auto& deliveries = field(bulletin, "deliveries");
    if (!deliveries.is_array() || deliveries.empty()) {
        ctx.out << text::kNoDeliveries << '\n';
        return;
    }
    auto table = delivery_table();
    for (const auto& d : deliveries) {
        add_delivery(table, d, ctx.zone);
    }
    table.print(ctx.out);
}

// Prints a decision's answer (the delivery, or the bulletin holding it).
int print_decision(CommandContext& ctx, const Result<ApiAnswer>& answer, std::string_view done) {
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    ctx.out << done << '\n';
    if (field(answer->body, "deliveries").is_array()) {
        print_deliveries(ctx, answer->body);
    } else if (answer->body.is_object()) {
        auto table = delivery_table();
        add_delivery(table, answer->body, ctx.zone);
        table.print(ctx.out);
    }
    return 0;
}

std::string delivery_path(const std::string& id, const std::string& station,
                          std::string_view action) {
    return fmt::format("/api/v1/bulletins/{}/deliveries/{}/{}", url_encode(id), url_encode(station),
                       action);
}

}  // namespace

int bulletin_send(CommandContext& ctx, const BulletinSendOptions& options) {
    auto answer = ctx.api.post_json("/api/v1/bulletins", nlohmann::json{{"kind", options.kind},
                                                                        {"title", options.title},
                                                                        {"asset_id", options.asset},
                                                                        {"units", options.units}});
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    const auto& deliveries = field(answer->body, "deliveries");
    ctx.out << fmt::format(text::kBulletinSent, field_text(answer->body, "id"), options.kind,
                           deliveries.is_array() ? deliveries.size() : 0)
            << '\n';
    print_deliveries(ctx, answer->body);
    return 0;
}

int bulletin_list(CommandContext& ctx) {
    return print_list(
        ctx, ctx.api.get("/api/v1/bulletins"), text::kNoBulletins, [&](const nlohmann::json& list) {
            Table table{{std::string{text::kColId}, std::string{text::kColKind},
                         std::string{text::kColTitle}, std::string{text::kColFrom},
                         std::string{text::kColBy}, std::string{text::kColCreated},
                         std::string{text::kColAsset}}};
            for (const auto& b : list) {
                table.add_row({field_text(b, "id"), field_text(b, "kind"), field_text(b, "title"),
                               field_text(b, "from_unit"), field_text(b, "created_by"),
                               field_time(b, "created_at", ctx.zone),
                               short_id(field_text(b, "asset_id"))});
            }
            table.print(ctx.out);
        });
}

int bulletin_show(CommandContext& ctx, const std::string& id) {
    auto answer = ctx.api.get("/api/v1/bulletins/" + url_encode(id));
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    const auto& b = answer->body;
    if (ctx.json) {
        print_json(ctx, b);
        return 0;
    }
    const std::pair<std::string_view, std::string> lines[] = {
        {text::kShowId, field_text(b, "id")},
        {text::kShowKind, field_text(b, "kind")},
        {text::kShowTitle, field_text(b, "title")},
        {text::kShowAsset, field_text(b, "asset_id")},
        {text::kShowFrom, field_text(b, "from_unit")},
        {text::kShowBy, field_text(b, "created_by")},
        {text::kShowCreated, field_time(b, "created_at", ctx.zone)},
    };
    std::size_t width = 0;
    for (const auto& [label, value] : lines) {
        width = std::max(width, display_width(label));
    }
    for (const auto& [label, value] : lines) {
        ctx.out << label << ':' << std::string(width - display_width(label) + 2, ' ') << value
                << '\n';
    }
    ctx.out << '\n';
    print_deliveries(ctx, b);
    return 0;
}

int bulletin_inbox(CommandContext& ctx, const std::string& station, bool pending) {
    ApiClient::Query query;
    if (pending) {
        query["pending"] = "1";
    }
    return print_list(
        ctx, ctx.api.get("/api/v1/stations/" + url_encode(station) + "/inbox", query),
        pending ? text::kNoPending : text::kEmptyInbox, [&](const nlohmann::json& list) {
            Table table{{std::string{text::kColBulletin}, std::string{text::kColKind},
                         std::string{text::kColTitle}, std::string{text::kColState},
                         std::string{text::kColAirAt}, std::string{text::kColDecidedBy},
                         std::string{text::kColDecisionNote}}};
            for (const auto& d : list) {
                // The bulletin's fields sit beside the delivery's, or in a "bulletin" object.
                const auto& nested = field(d, "bulletin");
                const auto& b = nested.is_object() ? nested : d;
                auto id = field_text(d, "bulletin_id");
                if (id == text::kNone) {
                    id = field_text(b, "id");
                }
                auto by = field_text(d, "decided_by");
                table.add_row({id, field_text(b, "kind"), field_text(b, "title"),
                               field_text(d, "state"), field_time(d, "air_at", ctx.zone),
                               by.empty() ? std::string{text::kNone} : by, note_text(d)});
            }
            table.print(ctx.out);
        });
}

int bulletin_air(CommandContext& ctx, const std::string& id, const std::string& station,
                 const std::string& at) {
    auto t = parse_time_input(at, ctx.zone, ctx.now);
    if (!t) {
        return fail(ctx, fmt::format(text::kBadTime, t.error().message));
    }
    const auto local = format_local(*t, ctx.zone);
    return print_decision(
        ctx,
        ctx.api.post_json(delivery_path(id, station, "schedule"), nlohmann::json{{"at", local}}),
        fmt::format(text::kBulletinScheduled, id, station, local));
}

int bulletin_decline(CommandContext& ctx, const std::string& id, const std::string& station,
                     const std::string& note) {
    return print_decision(
        ctx,
        ctx.api.post_json(delivery_path(id, station, "decline"), nlohmann::json{{"note", note}}),
        fmt::format(text::kBulletinDeclined, id, station));
}

}  // namespace loa::cli
