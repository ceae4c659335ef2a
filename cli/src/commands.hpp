#pragma once

#include "loa/cli/api_client.hpp"
#include "loa/common/clock.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

// The commands of `loa`, one function each, called by CliApp once the command line is parsed.
// Each returns the process exit code (0, or 1 after printing "loa: <why>" to err).
namespace loa::cli {

struct CommandContext {
    ApiClient& api;
    std::ostream& out;
    std::ostream& err;
    bool json = false;  // print the scheduler's JSON instead of tables
    std::string zone;   // IANA zone for times shown and typed
    TimePoint now;      // for relative times
};

struct StationAddOptions {
    std::string id;
    std::string name;
    std::string public_key;
    std::string agent_config;  // file to write the returned agent config to
};

struct ScheduleAddOptions {
    std::string asset;
    std::string at;
    std::vector<std::string> stations;
    std::string title;
    std::string priority;
};

struct AsrunListOptions {
    std::string station;
    std::optional<int> limit;
};

int station_add(CommandContext& ctx, const StationAddOptions& options);
int station_list(CommandContext& ctx);
int asset_add(CommandContext& ctx, const std::vector<std::string>& files);
int asset_list(CommandContext& ctx);

struct AssetTtsOptions {
    std::string text;
    std::string voice;  // empty: the scheduler's default
    std::string name;   // empty: the scheduler names it
};

int asset_tts(CommandContext& ctx, const AssetTtsOptions& options);
int asset_show(CommandContext& ctx, const std::string& id);
// Downloads the asset's Opus file, decodes it and plays it through PortAudio on `device`.
int asset_play_local(CommandContext& ctx, const std::string& id, const std::string& device);
int schedule_add(CommandContext& ctx, const ScheduleAddOptions& options);
int schedule_list(CommandContext& ctx);
int asrun_list(CommandContext& ctx, const AsrunListOptions& options);

// Shared by the commands (output_format.cpp).

// Prints "loa: <message>" to err; returns 1.
int fail(CommandContext& ctx, std::string_view message);
// Pretty-printed JSON, UTF-8 kept.
void print_json(CommandContext& ctx, const nlohmann::json& value);
// A field of an object; null when absent or when `object` is no object.
const nlohmann::json& field(const nlohmann::json& object, std::string_view key);
// A field as text: strings as they are, numbers, yes/no, "-" when absent or null.
std::string field_text(const nlohmann::json& object, std::string_view key);
// A UTC time field shown in `zone`; "-" when absent or null, the raw text when not a time.
// `milliseconds` adds the fraction (as-run times, where milliseconds matter).
std::string field_time(const nlohmann::json& object, std::string_view key, std::string_view zone,
                       bool milliseconds = false);
// "3:25.4" from milliseconds; "1:02:03.0" past an hour.
std::string duration_text(const nlohmann::json& milliseconds);
// "512 B", "48.2 kB", "3.1 MB".
std::string size_text(const nlohmann::json& bytes);
// The first 12 characters of a long id, which is enough to tell assets apart.
std::string short_id(std::string_view id);

}  // namespace loa::cli
