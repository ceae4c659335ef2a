#pragma once

#include "commands.hpp"

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace loa::cli {

// Adds `loa live start|stop|list` (docs/operator-guide, Live) to `app`; the parsed command sets
// `action`. Every command needs the operator's token and has --json (the global flag).
void add_live_commands(CLI::App& app, std::function<int(CommandContext&)>& action);

struct LiveStartOptions {
    std::string source;  // FILE (made absolute when it exists here) or URL
    std::vector<std::string> units;
    std::vector<std::string> stations;
    int delay_ms = 500;
    std::string priority = "district";
    std::string title;
};

int live_start(CommandContext& ctx, const LiveStartOptions& options);
int live_stop(CommandContext& ctx, const std::string& id);
int live_list(CommandContext& ctx);

}  // namespace loa::cli
