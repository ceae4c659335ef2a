#pragma once

#include "commands.hpp"

#include <functional>

namespace CLI {
class App;
}

namespace loa::cli {

// Adds `loa status`, `loa events`, `loa coverage ...`, `loa compliance` and `loa alarm list`
// (docs/operator-guide, Monitoring) to `app`; the parsed command sets `action`. Every command
// needs the operator's token and has --json (the global flag).
void add_monitoring_commands(CLI::App& app, std::function<int(CommandContext&)>& action);

struct ComplianceOptions {
    std::string from;
    std::string to;
    std::string unit;
    bool csv = false;
    std::string html_file;  // write the monthly HTML report here
};

int status_show(CommandContext& ctx, const std::string& unit);
int events_list(CommandContext& ctx, const std::string& station, std::optional<int> limit);
int coverage_import(CommandContext& ctx, const std::string& file, bool clusters);
int coverage_show(CommandContext& ctx, const std::string& unit, bool history);
int compliance_show(CommandContext& ctx, const ComplianceOptions& options);
int alarm_list(CommandContext& ctx);

}  // namespace loa::cli
