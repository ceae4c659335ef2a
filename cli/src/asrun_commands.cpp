#include "commands.hpp"
#include "loa/cli/table.hpp"
#include "messages.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace loa::cli {
namespace {

// "+12.3 ms", "-0.1 ms": how far from the scheduled instant the item started.
std::string start_error_text(const nlohmann::json& ms) {
    if (!ms.is_number()) {
        return std::string{text::kNone};
    }
    return fmt::format("{:+.1f} ms", ms.get<double>());
}

}  // namespace

int asrun_list(CommandContext& ctx, const AsrunListOptions& options) {
    ApiClient::Query query;
    if (!options.station.empty()) {
        query["station"] = options.station;
    }
    if (options.limit) {
        query["limit"] = std::to_string(*options.limit);
    }
    auto answer = ctx.api.get("/api/v1/asrun", query);
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    const auto& records = answer->body;
    if (ctx.json) {
        print_json(ctx, records);
        return 0;
    }
    if (!records.is_array()) {
        return fail(ctx, fmt::format(text::kUnexpectedAnswer, records.dump()));
    }
    if (records.empty()) {
        ctx.out << text::kNoRecords << '\n';
        return 0;
    }
    Table table{{std::string{text::kColScheduled}, std::string{text::kColStation},
                 std::string{text::kColStatus}, std::string{text::kColStarted},
                 std::string{text::kColStartError}, std::string{text::kColAsset},
                 std::string{text::kColReason}}};
    table.align_right(4);
    for (const auto& r : records) {
        auto reason = field_text(r, "reason");
        table.add_row({field_time(r, "scheduled_at", ctx.zone), field_text(r, "station_id"),
                       field_text(r, "status"), field_time(r, "started_at", ctx.zone, true),
                       start_error_text(field(r, "start_error_ms")),
                       short_id(field_text(r, "asset_id")),
                       reason.empty() ? std::string{text::kNone} : reason});
    }
    table.print(ctx.out);
    return 0;
}

}  // namespace loa::cli
