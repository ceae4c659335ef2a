#include "commands.hpp"
#include "loa/cli/table.hpp"
#include "messages.hpp"

#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace loa::cli {
namespace {

std::size_t count_of(const nlohmann::json& object, std::string_view key) {
    const auto& v = field(object, key);
    if (v.is_number_unsigned() || v.is_number_integer()) {
        return v.get<std::size_t>();
    }
    return v.is_array() ? v.size() : 0;
}

// Sends a CSV file to an import endpoint and prints what it did, or every line the scheduler
// refused (its error lists them).
int import_csv(CommandContext& ctx, const std::string& file, std::string_view path,
               const ApiClient::Query& query) {
    auto bytes = read_file(file);
    if (!bytes) {
        return fail(ctx, bytes.error().message);
    }
    auto answer = ctx.api.post_bytes(path, query, *bytes, "text/csv; charset=utf-8");
    if (!answer) {
        return fail(ctx, fmt::format(text::kFileUpload, file, answer.error().message));
    }
    const auto& o = answer->body;
    if (ctx.json) {
        print_json(ctx, o);
        return 0;
    }
    ctx.out << fmt::format(text::kImported, count_of(o, "units"), count_of(o, "stations"),
                           count_of(o, "stations_created"), count_of(o, "changed_stations"))
            << '\n';
    const auto& problems = field(o, "problems");
    if (problems.is_array()) {
        for (const auto& p : problems) {
            ctx.out << fmt::format(text::kImportProblem,
                                   p.is_string() ? p.get<std::string>() : p.dump())
                    << '\n';
        }
    }
    return 0;
}

// Depth-first through the unit tree as the scheduler listed it, children in the order given.
void add_unit_rows(Table& table, const nlohmann::json& units,
                   const std::multimap<std::string, std::size_t>& children, std::size_t index,
                   std::size_t depth, std::set<std::size_t>& shown) {
    if (!shown.insert(index).second) {
        return;  // a cycle in a bad answer: show each unit once
    }
    const auto& u = units[index];
    auto name = field_text(u, "name_with_type");
    if (name == text::kNone || name.empty()) {
        name = field_text(u, "name");
    }
    table.add_row({std::string(depth * 2, ' ') + name, field_text(u, "code"),
                   field_text(u, "unit_type"), field_list(u, "stations")});
    const auto code = field_text(u, "code");
    const auto [begin, end] = children.equal_range(code);
    for (auto it = begin; it != end; ++it) {
        add_unit_rows(table, units, children, it->second, depth + 1, shown);
    }
}

}  // namespace

int unit_import(CommandContext& ctx, const std::string& file, bool default_stations) {
    ApiClient::Query query;
    if (!default_stations) {
        query["stations"] = "none";
    }
    return import_csv(ctx, file, "/api/v1/units/import", query);
}

int station_import(CommandContext& ctx, const std::string& file) {
    return import_csv(ctx, file, "/api/v1/stations/import", {});
}

int unit_list(CommandContext& ctx, const std::string& under) {
    ApiClient::Query query;
    if (!under.empty()) {
        query["under"] = under;
    }
    return print_list(
        ctx, ctx.api.get("/api/v1/units", query), text::kNoUnits, [&](const nlohmann::json& units) {
            std::set<std::string> codes;
            for (const auto& u : units) {
                codes.insert(field_text(u, "code"));
            }
            // Roots: units whose parent is not in the list.
            std::multimap<std::string, std::size_t> children;
            std::vector<std::size_t> roots;
            for (std::size_t i = 0; i < units.size(); ++i) {
                const auto parent = field_text(units[i], "parent_code");
                if (codes.count(parent) != 0 && parent != text::kNone) {
                    children.emplace(parent, i);
                } else {
                    roots.push_back(i);
                }
            }
            Table table{{std::string{text::kColUnit}, std::string{text::kColCode},
                         std::string{text::kColType}, std::string{text::kColStations}}};
            std::set<std::size_t> shown;
            for (const auto root : roots) {
                add_unit_rows(table, units, children, root, 0, shown);
            }
            table.print(ctx.out);
        });
}

namespace {

Table programme_table() {
    Table table{{std::string{text::kColId}, std::string{text::kColTitle},
                 std::string{text::kColItems}, std::string{text::kColDuration},
                 std::string{text::kColAssets}}};
    table.align_right(2);
    table.align_right(3);
    return table;
}

void add_programme_row(Table& table, const nlohmann::json& p) {
    const auto& assets = field(p, "assets");
    std::string ids;
    if (assets.is_array()) {
        for (const auto& a : assets) {
            ids += ids.empty() ? "" : ",";
            ids += short_id(field_text(a, "asset_id"));
        }
    }
    table.add_row({field_text(p, "id"), field_text(p, "title"),
                   std::to_string(assets.is_array() ? assets.size() : 0),
                   duration_text(field(p, "duration_ms")),
                   ids.empty() ? std::string{text::kNone} : ids});
}

}  // namespace

int programme_add(CommandContext& ctx, const std::string& title,
                  const std::vector<std::string>& assets) {
    auto answer = ctx.api.post_json("/api/v1/programmes",
                                    nlohmann::json{{"title", title}, {"assets", assets}});
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    auto table = programme_table();
    add_programme_row(table, answer->body);
    table.print(ctx.out);
    return 0;
}

int programme_list(CommandContext& ctx) {
    return print_list(ctx, ctx.api.get("/api/v1/programmes"), text::kNoProgrammes,
                      [&](const nlohmann::json& list) {
                          auto table = programme_table();
                          for (const auto& p : list) {
                              add_programme_row(table, p);
                          }
                          table.print(ctx.out);
                      });
}

}  // namespace loa::cli
