#include "loa/cli/cli_app.hpp"

#include "commands.hpp"
#include "credentials.hpp"
#include "emergency_commands.hpp"
#include "live_commands.hpp"
#include "loa/cli/api_client.hpp"
#include "loa/cli/time_input.hpp"
#include "loa/common/time_format.hpp"
#include "messages.hpp"
#include "monitoring_commands.hpp"

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

CLI::Validator zone_target_validator() {
    return CLI::Validator{[](std::string& value) {
                              const auto colon = value.find(':');
                              return colon == std::string::npos || colon == 0 ||
                                             colon + 1 == value.size()
                                         ? fmt::format(text::kBadZoneTarget, value)
                                         : std::string{};
                          },
                          "", "STATION:ZONE"};
}

CLI::Validator endpoint_validator() {
    return CLI::Validator{[](std::string& value) {
                              const auto colon = value.rfind(':');
                              return value.starts_with("tcp://") && colon > 6 &&
                                             colon + 1 < value.size()
                                         ? std::string{}
                                         : fmt::format("'{}' is not tcp://HOST:PORT", value);
                          },
                          "", "tcp://HOST:PORT"};
}

// CLI11 drops the empty pieces of "a,,b"; "" and "," leave no station or an empty one.
bool has_empty(const std::vector<std::string>& values) {
    return std::find(values.begin(), values.end(), "") != values.end();
}

std::string help(std::string_view text) {
    return std::string{text};
}

using Action = std::function<int(CommandContext&)>;

// Every option of every command, filled by CLI11 while it parses.
struct Options {
    StationAddOptions station_add;
    StationProvisionOptions provision;
    std::string file;
    bool no_stations = false;
    std::string under;
    std::vector<std::string> asset_files;
    AssetTtsOptions tts;
    std::string id;
    std::string play_device = "default";
    std::string title;
    std::vector<std::string> assets;
    ScheduleAddOptions schedule;
    std::vector<std::string> station_targets;  // --station, merged into schedule.stations
    std::string station;
    std::string unit;
    int number = 0;
    AsrunListOptions asrun;
    LoginOptions login;
    UserAddOptions user_add;
    AuditOptions audit;
    BulletinSendOptions bulletin;
    bool pending = false;
    std::string at;
    std::string note;
    bool needs_token = true;
};

void add_station_commands(CLI::App& app, Options& o, Action& action) {
    auto* station = app.add_subcommand("station", help(text::kStationHelp));
    station->require_subcommand(1);
    auto* add = station->add_subcommand("add", help(text::kStationAddHelp));
    add->add_option("ID", o.station_add.id, help(text::kStationIdHelp))->required();
    add->add_option("--name", o.station_add.name, help(text::kStationNameHelp))->type_name("NAME");
    auto* public_key =
        add->add_option("--public-key", o.station_add.public_key, help(text::kPublicKeyHelp))
            ->type_name("KEY");
    add->add_option("--agent-config", o.station_add.agent_config, help(text::kAgentConfigHelp))
        ->type_name("FILE")
        ->excludes(public_key);
    add->callback(
        [&] { action = [&](CommandContext& c) { return station_add(c, o.station_add); }; });
    station->add_subcommand("list", help(text::kStationListHelp))->callback([&] {
        action = [](CommandContext& c) { return station_list(c); };
    });
    auto* import_cmd = station->add_subcommand("import", help(text::kStationImportHelp));
    import_cmd->add_option("FILE", o.file, help(text::kUnitFileHelp))
        ->required()
        ->type_name("FILE");
    import_cmd->callback(
        [&] { action = [&](CommandContext& c) { return station_import(c, o.file); }; });

    auto* provision = station->add_subcommand("provision", help(text::kStationProvisionHelp));
    auto* ids = provision->add_option("ID", o.provision.ids, help(text::kProvisionIdsHelp))
                    ->type_name("ID");
    provision->add_flag("--all", o.provision.all, help(text::kProvisionAllHelp))->excludes(ids);
    provision->add_option("--out", o.provision.out_dir, help(text::kOutDirHelp))
        ->required()
        ->type_name("DIR");
    provision
        ->add_option("--scheduler-endpoint", o.provision.scheduler_endpoint,
                     help(text::kEndpointHelp))
        ->type_name("tcp://HOST:PORT")
        ->check(endpoint_validator());
    provision->callback([&] {
        if (o.provision.ids.empty() == !o.provision.all) {
            throw CLI::ValidationError{"ID", std::string{text::kIdsOrAll}};
        }
        action = [&](CommandContext& c) { return station_provision(c, o.provision); };
    });
}

void add_unit_commands(CLI::App& app, Options& o, Action& action) {
    auto* unit = app.add_subcommand("unit", help(text::kUnitHelp));
    unit->require_subcommand(1);
    auto* import_cmd = unit->add_subcommand("import", help(text::kUnitImportHelp));
    import_cmd->add_option("FILE", o.file, help(text::kUnitFileHelp))
        ->required()
        ->type_name("FILE");
    import_cmd->add_flag("--no-stations", o.no_stations, help(text::kNoStationsHelp));
    import_cmd->callback([&] {
        action = [&](CommandContext& c) { return unit_import(c, o.file, !o.no_stations); };
    });
    auto* list = unit->add_subcommand("list", help(text::kUnitListHelp));
    list->add_option("--under", o.under, help(text::kUnderHelp))->type_name("CODE");
    list->callback([&] { action = [&](CommandContext& c) { return unit_list(c, o.under); }; });
}

void add_asset_commands(CLI::App& app, Options& o, Action& action) {
    auto* asset = app.add_subcommand("asset", help(text::kAssetHelp));
    asset->require_subcommand(1);
    auto* add = asset->add_subcommand("add", help(text::kAssetAddHelp));
    add->add_option("FILE", o.asset_files, help(text::kAssetFilesHelp))
        ->required()
        ->type_name("FILE");
    add->callback([&] { action = [&](CommandContext& c) { return asset_add(c, o.asset_files); }; });
    asset->add_subcommand("list", help(text::kAssetListHelp))->callback([&] {
        action = [](CommandContext& c) { return asset_list(c); };
    });
    auto* tts = asset->add_subcommand("tts", help(text::kAssetTtsHelp));
    tts->add_option("--text", o.tts.text, help(text::kTextHelp))->required();
    tts->add_option("--voice", o.tts.voice, help(text::kVoiceHelp));
    tts->add_option("--name", o.tts.name, help(text::kAssetNameHelp));
    tts->callback([&] { action = [&](CommandContext& c) { return asset_tts(c, o.tts); }; });
    auto* show = asset->add_subcommand("show", help(text::kAssetShowHelp));
    show->add_option("ID", o.id, help(text::kAssetIdHelp))->required();
    show->callback([&] { action = [&](CommandContext& c) { return asset_show(c, o.id); }; });
    auto* play = asset->add_subcommand("play-local", help(text::kAssetPlayHelp));
    play->add_option("ID", o.id, help(text::kAssetIdHelp))->required();
    play->add_option("--device", o.play_device, help(text::kDeviceHelp));
    play->callback([&] {
        action = [&](CommandContext& c) { return asset_play_local(c, o.id, o.play_device); };
    });
}

void add_programme_commands(CLI::App& app, Options& o, Action& action) {
    auto* programme = app.add_subcommand("programme", help(text::kProgrammeHelp));
    programme->require_subcommand(1);
    auto* add = programme->add_subcommand("add", help(text::kProgrammeAddHelp));
    add->add_option("--title", o.title, help(text::kProgrammeTitleHelp))
        ->required()
        ->type_name("TITLE");
    add->add_option("ASSET_ID", o.assets, help(text::kProgrammeAssetsHelp))
        ->required()
        ->type_name("ASSET_ID");
    add->callback(
        [&] { action = [&](CommandContext& c) { return programme_add(c, o.title, o.assets); }; });
    programme->add_subcommand("list", help(text::kProgrammeListHelp))->callback([&] {
        action = [](CommandContext& c) { return programme_list(c); };
    });
}

void add_schedule_add(CLI::App& schedule, Options& o, Action& action, TimePoint now) {
    auto& s = o.schedule;
    auto* add = schedule.add_subcommand("add", help(text::kScheduleAddHelp));
    auto* asset = add->add_option("--asset", s.asset, help(text::kAssetIdHelp))->type_name("ID");
    add->add_option("--programme", s.programme, help(text::kProgrammeIdHelp))
        ->type_name("ID")
        ->excludes(asset);
    add->add_option("--unit", s.units, help(text::kUnitTargetHelp))->type_name("CODE");
    add->add_option("--station", o.station_targets, help(text::kStationTargetHelp))
        ->type_name("ID");
    add->add_option("--stations", s.stations, help(text::kStationsHelp))
        ->delimiter(',')
        ->type_name("ID[,ID...]");
    add->add_option("--zone", s.zones, help(text::kZoneTargetHelp))
        ->type_name("STATION:ZONE")
        ->check(zone_target_validator());
    add->add_option("--at", s.at, help(text::kAtHelp))
        ->required()
        ->type_name("TIME")
        ->check(time_validator(now));
    auto* rrule = add->add_option("--rrule", s.rrule, help(text::kRruleHelp))->type_name("RULE");
    add->add_option("--exdate", s.exdates, help(text::kExdateHelp))
        ->type_name("TIME")
        ->needs(rrule);
    add->add_option("--title", s.title, help(text::kTitleHelp))->type_name("TITLE");
    add->add_option("--class,--priority", s.priority, help(text::kPriorityHelp))
        ->type_name("CLASS")
        ->check(CLI::IsMember({"emergency", "province", "district", "commune", "filler"}));
    add->add_option("--policy", s.policy, help(text::kPolicyHelp))
        ->type_name("POLICY")
        ->check(CLI::IsMember({"shorten", "move", "drop"}));
    add->add_option("--valid-from", s.valid_from, help(text::kValidFromHelp))
        ->type_name("TIME")
        ->check(time_validator(now));
    add->add_option("--valid-until", s.valid_until, help(text::kValidUntilHelp))
        ->type_name("TIME")
        ->check(time_validator(now));
    add->add_flag("--draft", s.draft, help(text::kDraftHelp));
    auto* stations = add->get_option("--stations");
    add->callback([&, stations] {
        if (s.asset.empty() && s.programme.empty()) {
            throw CLI::ValidationError{"--asset", std::string{text::kAssetOrProgramme}};
        }
        if (stations->count() > 0 && (s.stations.empty() || has_empty(s.stations))) {
            throw CLI::ValidationError{"--stations", std::string{text::kEmptyStation}};
        }
        if (has_empty(o.station_targets) || has_empty(s.units)) {
            throw CLI::ValidationError{"--station/--unit", std::string{text::kEmptyStation}};
        }
        for (auto& id : o.station_targets) {
            if (std::find(s.stations.begin(), s.stations.end(), id) == s.stations.end()) {
                s.stations.push_back(id);
            }
        }
        if (s.stations.empty() && s.units.empty() && s.zones.empty()) {
            throw CLI::ValidationError{"--station", std::string{text::kNoTarget}};
        }
        action = [&](CommandContext& c) { return schedule_add(c, s); };
    });
}

void add_schedule_commands(CLI::App& app, Options& o, Action& action, TimePoint now) {
    auto* schedule = app.add_subcommand("schedule", help(text::kScheduleHelp));
    schedule->require_subcommand(1);
    add_schedule_add(*schedule, o, action, now);
    for (const auto* verb : {"approve", "retire"}) {
        const std::string name{verb};
        auto* cmd = schedule->add_subcommand(
            name, help(name == "approve" ? text::kScheduleApproveHelp : text::kScheduleRetireHelp));
        cmd->add_option("ID", o.id, help(text::kEntryIdHelp))->required();
        cmd->callback([&, name] {
            action = [&, name](CommandContext& c) { return schedule_set_state(c, o.id, name); };
        });
    }
    schedule->add_subcommand("list", help(text::kScheduleListHelp))->callback([&] {
        action = [](CommandContext& c) { return schedule_list(c); };
    });
    auto* check = schedule->add_subcommand("check", help(text::kScheduleCheckHelp));
    auto* station =
        check->add_option("--station", o.station, help(text::kCheckStationHelp))->type_name("ID");
    check->add_option("--unit", o.unit, help(text::kCheckUnitHelp))
        ->type_name("CODE")
        ->excludes(station);
    check->callback(
        [&] { action = [&](CommandContext& c) { return schedule_check(c, o.station, o.unit); }; });
    auto* readiness = schedule->add_subcommand("readiness", help(text::kReadinessHelp));
    auto* hours = readiness->add_option("--hours", o.number, help(text::kHoursHelp))
                      ->type_name("N")
                      ->check(CLI::Range(1, 744));
    readiness->callback([&, hours] {
        const std::optional<int> n =
            hours->count() > 0 ? std::optional<int>{o.number} : std::nullopt;
        action = [&, n](CommandContext& c) { return schedule_readiness(c, n); };
    });
}

void add_asrun_commands(CLI::App& app, Options& o, Action& action) {
    auto* asrun = app.add_subcommand("asrun", help(text::kAsrunHelp));
    asrun->require_subcommand(1);
    auto* list = asrun->add_subcommand("list", help(text::kAsrunListHelp));
    list->add_option("--station", o.asrun.station, help(text::kAsrunStationHelp))->type_name("ID");
    auto* limit = list->add_option("--limit", o.number, help(text::kAsrunLimitHelp))
                      ->type_name("N")
                      ->check(CLI::Range(1, 1'000'000));
    list->callback([&, limit] {
        if (limit->count() > 0) {
            o.asrun.limit = o.number;
        }
        action = [&](CommandContext& c) { return asrun_list(c, o.asrun); };
    });
}

void add_auth_commands(CLI::App& app, Options& o, Action& action, TimePoint now) {
    auto* login_cmd = app.add_subcommand("login", help(text::kLoginHelp));
    login_cmd->add_option("--user", o.login.user, help(text::kLoginUserHelp))->type_name("NAME");
    login_cmd->add_option("--password-file", o.login.password_file, help(text::kPasswordFileHelp))
        ->type_name("FILE");
    login_cmd->callback([&] {
        o.needs_token = false;
        action = [&](CommandContext& c) { return login(c, o.login); };
    });
    app.add_subcommand("logout", help(text::kLogoutHelp))->callback([&] {
        action = [&](CommandContext& c) { return logout(c, o.login.token_file); };
    });

    auto* user = app.add_subcommand("user", help(text::kUserHelp));
    user->require_subcommand(1);
    auto* add = user->add_subcommand("add", help(text::kUserAddHelp));
    add->add_option("NAME", o.user_add.name, help(text::kUserNameHelp))->required();
    add->add_option("--role", o.user_add.role, help(text::kRoleHelp))
        ->required()
        ->type_name("ROLE")
        ->check(CLI::IsMember({"admin", "district-operator", "commune-operator", "viewer"}));
    add->add_option("--scope", o.user_add.scope, help(text::kScopeHelp))->type_name("CODE");
    add->add_option("--display-name", o.user_add.display_name, help(text::kDisplayNameHelp))
        ->type_name("NAME");
    add->add_option("--password-file", o.user_add.password_file, help(text::kPasswordFileHelp))
        ->type_name("FILE");
    add->callback([&] { action = [&](CommandContext& c) { return user_add(c, o.user_add); }; });
    user->add_subcommand("list", help(text::kUserListHelp))->callback([&] {
        action = [](CommandContext& c) { return user_list(c); };
    });
    auto* disable = user->add_subcommand("disable", help(text::kUserDisableHelp));
    disable->add_option("NAME", o.id, help(text::kUserNameHelp))->required();
    disable->callback([&] { action = [&](CommandContext& c) { return user_disable(c, o.id); }; });

    auto* token = app.add_subcommand("token", help(text::kTokenHelp));
    token->require_subcommand(1);
    auto* issue = token->add_subcommand("issue", help(text::kTokenIssueHelp));
    issue->add_option("--label", o.title, help(text::kLabelHelp))->required()->type_name("LABEL");
    issue->add_option("--user", o.user_add.name, help(text::kTokenUserHelp))->type_name("NAME");
    auto* days = issue->add_option("--days", o.number, help(text::kDaysHelp))
                     ->type_name("N")
                     ->check(CLI::Range(1, 3660));
    issue->callback([&, days] {
        const std::optional<int> n =
            days->count() > 0 ? std::optional<int>{o.number} : std::nullopt;
        action = [&, n](CommandContext& c) { return token_issue(c, o.title, o.user_add.name, n); };
    });
    auto* revoke = token->add_subcommand("revoke", help(text::kTokenRevokeHelp));
    revoke->add_option("ID", o.id, help(text::kTokenIdHelp))->required();
    revoke->callback([&] { action = [&](CommandContext& c) { return token_revoke(c, o.id); }; });

    auto* audit = app.add_subcommand("audit", help(text::kAuditHelp));
    audit->add_option("--from", o.audit.from, help(text::kFromHelp))
        ->type_name("TIME")
        ->check(time_validator(now));
    audit->add_option("--until", o.audit.until, help(text::kUntilHelp))
        ->type_name("TIME")
        ->check(time_validator(now));
    audit->add_option("--user", o.audit.user, help(text::kAuditUserHelp))->type_name("NAME");
    audit->add_option("--kind", o.audit.kind, help(text::kAuditKindHelp))->type_name("KIND");
    audit->add_option("--object", o.audit.object, help(text::kAuditObjectHelp))->type_name("ID");
    auto* limit = audit->add_option("--limit", o.number, help(text::kAuditLimitHelp))
                      ->type_name("N")
                      ->check(CLI::Range(1, 100'000));
    audit->callback([&, limit] {
        if (limit->count() > 0) {
            o.audit.limit = o.number;
        }
        action = [&](CommandContext& c) { return audit_list(c, o.audit); };
    });
}

void add_bulletin_commands(CLI::App& app, Options& o, Action& action, TimePoint now) {
    auto* bulletin = app.add_subcommand("bulletin", help(text::kBulletinHelp));
    bulletin->require_subcommand(1);
    auto* send = bulletin->add_subcommand("send", help(text::kBulletinSendHelp));
    send->add_option("--kind", o.bulletin.kind, help(text::kKindHelp))
        ->required()
        ->type_name("KIND")
        ->check(CLI::IsMember({"normal", "priority", "emergency"}));
    send->add_option("--title", o.bulletin.title, help(text::kBulletinTitleHelp))
        ->required()
        ->type_name("TITLE");
    send->add_option("--asset", o.bulletin.asset, help(text::kAssetIdHelp))
        ->required()
        ->type_name("ID");
    send->add_option("--unit", o.bulletin.units, help(text::kBulletinUnitHelp))
        ->required()
        ->type_name("CODE");
    send->callback([&] {
        if (has_empty(o.bulletin.units)) {
            throw CLI::ValidationError{"--unit", std::string{text::kEmptyStation}};
        }
        action = [&](CommandContext& c) { return bulletin_send(c, o.bulletin); };
    });
    bulletin->add_subcommand("list", help(text::kBulletinListHelp))->callback([&] {
        action = [](CommandContext& c) { return bulletin_list(c); };
    });
    auto* show = bulletin->add_subcommand("show", help(text::kBulletinShowHelp));
    show->add_option("ID", o.id, help(text::kBulletinIdHelp))->required();
    show->callback([&] { action = [&](CommandContext& c) { return bulletin_show(c, o.id); }; });
    auto* inbox = bulletin->add_subcommand("inbox", help(text::kInboxHelp));
    inbox->add_option("STATION", o.station, help(text::kInboxStationHelp))->required();
    inbox->add_flag("--pending", o.pending, help(text::kPendingHelp));
    inbox->callback([&] {
        action = [&](CommandContext& c) { return bulletin_inbox(c, o.station, o.pending); };
    });
    auto* air = bulletin->add_subcommand("air", help(text::kBulletinAirHelp));
    air->add_option("ID", o.id, help(text::kBulletinIdHelp))->required();
    air->add_option("--station", o.station, help(text::kDeliveryStationHelp))
        ->required()
        ->type_name("ID");
    air->add_option("--at", o.at, help(text::kAtHelp))
        ->required()
        ->type_name("TIME")
        ->check(time_validator(now));
    air->callback([&] {
        action = [&](CommandContext& c) { return bulletin_air(c, o.id, o.station, o.at); };
    });
    auto* decline = bulletin->add_subcommand("decline", help(text::kBulletinDeclineHelp));
    decline->add_option("ID", o.id, help(text::kBulletinIdHelp))->required();
    decline->add_option("--station", o.station, help(text::kDeliveryStationHelp))
        ->required()
        ->type_name("ID");
    decline->add_option("--note", o.note, help(text::kNoteHelp))->required()->type_name("TEXT");
    decline->callback([&] {
        action = [&](CommandContext& c) { return bulletin_decline(c, o.id, o.station, o.note); };
    });
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
    Options o;
    app.add_option("--server", server, help(text::kServerHelp))
        ->envname("LOA_SERVER")
        ->type_name("URL")
        ->capture_default_str()
        ->check(url_validator());
    app.add_flag("--json", json, help(text::kJsonHelp));
    app.add_option("--tz", zone, help(text::kTzHelp))
        ->type_name("ZONE")
        ->capture_default_str()
        ->check(zone_validator());
    app.add_option("--token-file", o.login.token_file, help(text::kTokenFileHelp))
        ->type_name("FILE");

    Action action;
    add_station_commands(app, o, action);
    add_unit_commands(app, o, action);
    add_asset_commands(app, o, action);
    add_programme_commands(app, o, action);
    add_schedule_commands(app, o, action, now);
    add_asrun_commands(app, o, action);
    add_auth_commands(app, o, action, now);
    add_bulletin_commands(app, o, action, now);
    add_monitoring_commands(app, action);
    add_emergency_commands(app, action);
    add_live_commands(app, action);

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
        if (o.needs_token) {
            auto token = find_token(o.login.token_file);
            if (!token) {
                err_ << text::kErrorPrefix << token.error().message << '\n';
                return 1;
            }
            (*api)->set_token(*token);
        }
        CommandContext ctx{**api, out_, err_, json, zone, now};
        return action ? action(ctx) : kUsageError;
    } catch (const std::exception& e) {
        err_ << text::kErrorPrefix << e.what() << '\n';
        return 1;
    }
}

}  // namespace loa::cli
