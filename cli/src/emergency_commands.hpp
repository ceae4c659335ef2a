#pragma once

#include "commands.hpp"

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace loa::cli {

// Adds `loa emergency start|stop|list` and `loa alert send|list` (docs/operator-guide,
// Emergency) to `app`; the parsed command sets `action`. Every command needs the operator's
// token and has --json (the global flag).
void add_emergency_commands(CLI::App& app, std::function<int(CommandContext&)>& action);

struct EmergencyStartOptions {
    std::vector<std::string> units;
    std::vector<std::string> stations;
    std::string asset;
    std::string text;
    std::string live;   // a live source: FILE, mic[:DEVICE] or URL (no repeats)
    std::string voice;  // empty: the scheduler's default (vi)
    std::string title;
    int repeat = 1;
    int every_min = 0;
};

int emergency_start(CommandContext& ctx, const EmergencyStartOptions& options);
int emergency_stop(CommandContext& ctx, const std::string& id);
int emergency_list(CommandContext& ctx);
// Sends the CAP 1.2 file to POST /api/v1/alerts.
int alert_send(CommandContext& ctx, const std::string& file);
int alert_list(CommandContext& ctx);

}  // namespace loa::cli
