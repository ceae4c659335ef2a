#include "loa/cli/cli_app.hpp"

#include "commands.hpp"
#include "loa/cli/api_client.hpp"
#include "loa/cli/time_input.hpp"
#include "loa/common/time_format.hpp"
#include "messages.hpp"

#include <fmt/format.h>
// CLI11's inlined string code trips GCC 12's -Wnull-dereference (a false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <functional>

namespace loa::cli {
namespace {

constexpr int kUsageError = 2;

// True when `zone` names a zone file of the system's time zone database.
bool known_zone(std::string_view zone) {
    if (zone.empty() || zone.front() == '/' || zone.find("..") != std::string_view::npos) {
        return false;
    }
    std::ifstream in{std::filesystem::path{"/usr/share/zoneinfo"} / zone, std::ios::binary};
    std::array<char, 4> magic{};
    in.read(magic.data(), magic.size());
    return in && std::string_view{magic.data(), magic.size()} == "TZif";
}

CLI::Validator zone_validator() {
    return CLI::Validator{[](std::string& zone) {
                              return known_zone(zone) ? std::string{}
                                                      : fmt::format(text::kBadZone, zone);
                          },
                          "", "ZONE"};
}

CLI::Validator url_validator() {
    return CLI::Validator{[](std::string& url) { return ApiClient::check_url(url).value_or(""); },
                          "", "URL"};
}

// Checks the form of an air time; the zone (--tz may come later) only matters afterwards.
CLI::Validator time_validator(TimePoint now) {
    return CLI::Validator{[now](std::string& value) {
                              auto t = parse_time_input(value, "UTC", now);
                              return t ? std::string{} : t.error().message;
                          },
                          "", "TIME"};
}

}  // namespace

CliApp::CliApp(std::ostream& out, std::ostream& err, const IClock& clock)
    : out_{out}, err_{err}, clock_{clock} {}

int CliApp::run(int argc, const char* const* argv) {
    const TimePoint now = clock_.now();
    CLI::App app{std::string{text::kProgramHelp}, "loa"};
    app.set_version_flag("--version", std::string{"loa "} + LOA_VERSION,
                         std::string{text::kVersionHelp});
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the command too

    std::string server = kDefaultServer;
    bool json = false;
    std::string zone{kDefaultZone};
    app.add_option("--server", server, std::string{text::kServerHelp})
        ->envname("LOA_SERVER")
        ->type_name("URL")
        ->capture_default_str()
        ->check(url_validator());
    app.add_flag("--json", json, std::string{text::kJsonHelp});
    app.add_option("--tz", zone, std::string{text::kTzHelp})
        ->type_name("ZONE")
        ->capture_default_str()
        ->check(zone_validator());

    std::function<int(CommandContext&)> action;

    // loa station add | list
    auto* station = app.add_subcommand("station", std::string{text::kStationHelp});
    station->require_subcommand(1);
    StationAddOptions station_opts;
    auto* station_add_cmd = station->add_subcommand("add", std::string{text::kStationAddHelp});
    station_add_cmd->add_option("ID", station_opts.id, std::string{text::kStationIdHelp})
        ->required();
    station_add_cmd->add_option("--name", station_opts.name, std::string{text::kStationNameHelp})
        ->type_name("NAME");
    auto* public_key =
        station_add_cmd
            ->add_option("--public-key", station_opts.public_key, std::string{text::kPublicKeyHelp})
            ->type_name("KEY");
    station_add_cmd
        ->add_option("--agent-config", station_opts.agent_config,
                     std::string{text::kAgentConfigHelp})
        ->type_name("FILE")
        ->excludes(public_key);
    station_add_cmd->callback(
        [&] { action = [&](CommandContext& c) { return station_add(c, station_opts); }; });
    station->add_subcommand("list", std::string{text::kStationListHelp})->callback([&] {
        action = [](CommandContext& c) { return station_list(c); };
    });

    // loa asset add | list | tts | show | play-local
    auto* asset = app.add_subcommand("asset", std::string{text::kAssetHelp});
    asset->require_subcommand(1);
    std::vector<std::string> asset_files;
    auto* asset_add_cmd = asset->add_subcommand("add", std::string{text::kAssetAddHelp});
    asset_add_cmd->add_option("FILE", asset_files, std::string{text::kAssetFilesHelp})
        ->required()
        ->type_name("FILE");
    asset_add_cmd->callback(
        [&] { action = [&](CommandContext& c) { return asset_add(c, asset_files); }; });
    asset->add_subcommand("list", std::string{text::kAssetListHelp})->callback([&] {
        action = [](CommandContext& c) { return asset_list(c); };
    });
    AssetTtsOptions tts_opts;
    auto* asset_tts_cmd = asset->add_subcommand("tts", std::string{text::kAssetTtsHelp});
    asset_tts_cmd->add_option("--text", tts_opts.text, std::string{text::kTextHelp})->required();
    asset_tts_cmd->add_option("--voice", tts_opts.voice, std::string{text::kVoiceHelp});
    asset_tts_cmd->add_option("--name", tts_opts.name, std::string{text::kAssetNameHelp});
    asset_tts_cmd->callback(
        [&] { action = [&](CommandContext& c) { return asset_tts(c, tts_opts); }; });
    std::string asset_id;
    auto* asset_show_cmd = asset->add_subcommand("show", std::string{text::kAssetShowHelp});
    asset_show_cmd->add_option("ID", asset_id, std::string{text::kAssetIdHelp})->required();
    asset_show_cmd->callback(
        [&] { action = [&](CommandContext& c) { return asset_show(c, asset_id); }; });
    std::string play_device = "default";
    auto* asset_play_cmd = asset->add_subcommand("play-local", std::string{text::kAssetPlayHelp});
    asset_play_cmd->add_option("ID", asset_id, std::string{text::kAssetIdHelp})->required();
    asset_play_cmd->add_option("--device", play_device, std::string{text::kDeviceHelp});
    asset_play_cmd->callback([&] {
        action = [&](CommandContext& c) { return asset_play_local(c, asset_id, play_device); };
    });

    // loa schedule add | list
    auto* schedule = app.add_subcommand("schedule", std::string{text::kScheduleHelp});
    schedule->require_subcommand(1);
    ScheduleAddOptions schedule_opts;
    auto* schedule_add_cmd = schedule->add_subcommand("add", std::string{text::kScheduleAddHelp});
    schedule_add_cmd->add_option("--asset", schedule_opts.asset, std::string{text::kAssetIdHelp})
        ->required()
        ->type_name("ID");
    schedule_add_cmd->add_option("--at", schedule_opts.at, std::string{text::kAtHelp})
        ->required()
        ->type_name("TIME")
        ->check(time_validator(now));
    schedule_add_cmd
        ->add_option("--stations", schedule_opts.stations, std::string{text::kStationsHelp})
        ->required()
        ->delimiter(',')
        ->type_name("ID[,ID...]");
    schedule_add_cmd->add_option("--title", schedule_opts.title, std::string{text::kTitleHelp})
        ->type_name("TITLE");
    schedule_add_cmd
        ->add_option("--priority", schedule_opts.priority, std::string{text::kPriorityHelp})
        ->type_name("CLASS")
        ->check(CLI::IsMember({"emergency", "province", "district", "commune", "filler"}));
    schedule_add_cmd->callback([&] {
        // CLI11 drops the empty pieces of "a,,b"; "" and "," leave no station or an empty one.
        if (schedule_opts.stations.empty() ||
            std::find(schedule_opts.stations.begin(), schedule_opts.stations.end(), "") !=
                schedule_opts.stations.end()) {
            throw CLI::ValidationError{"--stations", std::string{text::kEmptyStation}};
        }
        action = [&](CommandContext& c) { return schedule_add(c, schedule_opts); };
    });
    schedule->add_subcommand("list", std::string{text::kScheduleListHelp})->callback([&] {
        action = [](CommandContext& c) { return schedule_list(c); };
    });

    // loa asrun list
    auto* asrun = app.add_subcommand("asrun", std::string{text::kAsrunHelp});
    asrun->require_subcommand(1);
    AsrunListOptions asrun_opts;
    int limit = 0;
    auto* asrun_list_cmd = asrun->add_subcommand("list", std::string{text::kAsrunListHelp});
    asrun_list_cmd
        ->add_option("--station", asrun_opts.station, std::string{text::kAsrunStationHelp})
        ->type_name("ID");
    auto* limit_opt =
        asrun_list_cmd->add_option("--limit", limit, std::string{text::kAsrunLimitHelp})
            ->type_name("N")
            ->check(CLI::Range(1, 1'000'000));
    asrun_list_cmd->callback([&] {
        if (limit_opt->count() > 0) {
            asrun_opts.limit = limit;
        }
        action = [&](CommandContext& c) { return asrun_list(c, asrun_opts); };
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e, out_, err_);
        return code == 0 ? 0 : kUsageError;
    }

    try {
        auto api = ApiClient::create(server);
        if (!api) {
            err_ << text::kErrorPrefix << api.error().message << '\n';
            return kUsageError;
        }
        CommandContext ctx{**api, out_, err_, json, zone, now};
        return action ? action(ctx) : kUsageError;
    } catch (const std::exception& e) {
        err_ << text::kErrorPrefix << e.what() << '\n';
        return 1;
    }
}

}  // namespace loa::cli
