#include "commands.hpp"
#include "loa/cli/table.hpp"
#include "loa/config/config.hpp"
#include "loa/transport/curve_keys.hpp"
#include "messages.hpp"
#include "private_file.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

namespace loa::cli {
namespace {

// A station id that is also a safe file name (ids are letters, digits, '-', '_', '.').
bool valid_station_id(std::string_view id) {
    if (id.empty() || id.size() > 64 || id == "." || id == "..") {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-' || c == '_' || c == '.';
    });
}

// The stations to provision: the ids given, or with `all` every registered station that has no
// public key yet.
Result<std::vector<std::string>> stations_to_provision(CommandContext& ctx,
                                                       const StationProvisionOptions& options) {
    std::vector<std::string> ids;
    if (!options.all) {
        for (const auto& id : options.ids) {
            if (!valid_station_id(id)) {
                return Error{fmt::format(text::kBadStationId, id)};
            }
            if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
                ids.push_back(id);
            }
        }
        return ids;
    }
    auto answer = ctx.api.get("/api/v1/stations");
    if (!answer) {
        return answer.error();
    }
    if (!answer->body.is_array()) {
        return Error{fmt::format(text::kUnexpectedAnswer, answer->body.dump())};
    }
    for (const auto& s : answer->body) {
        const auto& key = field(s, "public_key");
        if (key.is_null() || (key.is_string() && key.get<std::string>().empty())) {
            const auto id = field_text(s, "id");
            if (!valid_station_id(id)) {
                return Error{fmt::format(text::kBadStationId, id)};
            }
            ids.push_back(id);
        }
    }
    return ids;
}

// The output folder, made (mode 0700: it will hold secret keys) when missing.
Status prepare_out_dir(const std::string& dir) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) {
        return {};
    }
    if (std::filesystem::exists(dir, ec)) {
        return Error{fmt::format(text::kNotAFolder, dir)};
    }
    if (::mkdir(dir.c_str(), 0700) != 0) {
        return Error{fmt::format(text::kCannotWrite, dir, std::generic_category().message(errno))};
    }
    return {};
}

// Flushes the files just written in `dir` (and the folder's entries) to disk.
Status sync_folder(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return Error{fmt::format(text::kCannotWrite, dir, std::generic_category().message(errno))};
    }
    const int rc = ::syncfs(fd);
    const int code = errno;
    ::close(fd);
    if (rc != 0) {
        return Error{fmt::format(text::kCannotWrite, dir, std::generic_category().message(code))};
    }
    return {};
}

}  // namespace

int station_add(CommandContext& ctx, const StationAddOptions& options) {
    std::optional<PrivateFile> file;
    if (!options.agent_config.empty()) {
        file.emplace(options.agent_config);
        if (auto what = file->create(); !what.empty()) {
            return fail(ctx, what);
        }
    }
    nlohmann::json request = {{"id", options.id},
                              {"name", options.name.empty() ? options.id : options.name}};
    if (!options.public_key.empty()) {
        request["public_key"] = options.public_key;
    }
    auto answer = ctx.api.post_json("/api/v1/stations", request);
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    nlohmann::json station = std::move(answer->body);
    const auto agent_config = station.is_object() && station.contains("agent_config") &&
                                      station["agent_config"].is_string()
                                  ? station["agent_config"].get<std::string>()
                                  : std::string{};
    const auto id = field_text(station, "id");
    if (file) {
        if (agent_config.empty()) {
            return fail(ctx, fmt::format(text::kNoAgentConfig, id, options.agent_config));
        }
        if (auto what = file->write(agent_config); !what.empty()) {
            // The secret key exists nowhere else: show it rather than lose it.
            ctx.out << agent_config;
            return fail(ctx, what);
        }
        station.erase("agent_config");
    }
    if (ctx.json) {
        print_json(ctx, station);
        return 0;
    }
    const auto added = fmt::format(text::kStationAdded, id, field_text(station, "name"));
    if (file) {
        ctx.out << added << '\n'
                << fmt::format(text::kAgentConfigWritten, options.agent_config) << '\n';
    } else if (!agent_config.empty()) {
        // stdout holds only the config, so `loa station add ID > agent.toml` works.
        ctx.out << agent_config;
        ctx.err << added << '\n' << text::kAgentConfigPrinted << '\n';
    } else {
        ctx.out << added << '\n';
    }
    return 0;
}

int station_list(CommandContext& ctx) {
    auto answer = ctx.api.get("/api/v1/stations");
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    const auto& stations = answer->body;
    if (ctx.json) {
        print_json(ctx, stations);
        return 0;
    }
    if (!stations.is_array()) {
        return fail(ctx, fmt::format(text::kUnexpectedAnswer, stations.dump()));
    }
    if (stations.empty()) {
        ctx.out << text::kNoStations << '\n';
        return 0;
    }
    Table table{{std::string{text::kColId}, std::string{text::kColName},
                 std::string{text::kColOnline}, std::string{text::kColLastSeen},
                 std::string{text::kColRevision}, std::string{text::kColAcked},
                 std::string{text::kColVersion}}};
    table.align_right(4);
    table.align_right(5);
    for (const auto& s : stations) {
        auto last_seen = field_time(s, "last_seen_at", ctx.zone);
        if (last_seen == text::kNone) {
            last_seen = text::kNever;
        }
        table.add_row({field_text(s, "id"), field_text(s, "name"), field_text(s, "online"),
                       last_seen, field_text(s, "timeline_revision"),
                       field_text(s, "acked_revision"), field_text(s, "software_version")});
    }
    table.print(ctx.out);
    return 0;
}

int station_provision(CommandContext& ctx, const StationProvisionOptions& options) {
    auto ids = stations_to_provision(ctx, options);
    if (!ids) {
        return fail(ctx, ids.error().message);
    }
    auto link = ctx.api.get("/api/v1/link");
    if (!link) {
        return fail(ctx, link.error().message);
    }
    config::AgentConfig agent;
    agent.scheduler_endpoint = options.scheduler_endpoint.empty()
                                   ? field_text(link->body, "endpoint")
                                   : options.scheduler_endpoint;
    agent.scheduler_public_key = field_text(link->body, "public_key");
    agent.scheduler_signing_key = field_text(link->body, "signing_key");
    if (!transport::check_curve_key(agent.scheduler_public_key, "public_key") ||
        agent.scheduler_signing_key == text::kNone || agent.scheduler_endpoint == text::kNone) {
        return fail(ctx, fmt::format(text::kUnexpectedAnswer, link->body.dump()));
    }
    if (ids->empty()) {
        if (ctx.json) {
            print_json(ctx, nlohmann::json::array());
        } else {
            ctx.out << text::kNothingToProvision << '\n';
        }
        return 0;
    }
    if (auto s = prepare_out_dir(options.out_dir); !s) {
        return fail(ctx, s.message());
    }
    // Every file is checked before any key changes: an existing one stops the whole run.
    const std::filesystem::path dir{options.out_dir};
    for (const auto& id : *ids) {
        std::error_code ec;
        const auto file = (dir / (id + ".toml")).string();
        if (std::filesystem::exists(file, ec)) {
            return fail(ctx, fmt::format(text::kFileExists, file));
        }
    }
    // Every secret is on disk (one sync for the batch) before the scheduler trusts its key.
    std::vector<std::unique_ptr<PrivateFile>> files;
    std::vector<std::string> public_keys;
    for (const auto& id : *ids) {
        files.push_back(std::make_unique<PrivateFile>((dir / (id + ".toml")).string()));
        if (auto what = files.back()->create(); !what.empty()) {
            return fail(ctx, fmt::format(text::kProvisionStopped, 0, ids->size(), what));
        }
        const auto keys = transport::CurveKeyPair::generate();
        agent.station_id = id;
        agent.secret_key = keys.secret_key;
        if (auto what = files.back()->write(config::render_agent_config(agent), false);
            !what.empty()) {
            return fail(ctx, fmt::format(text::kProvisionStopped, 0, ids->size(), what));
        }
        public_keys.push_back(keys.public_key);
    }
    if (auto s = sync_folder(options.out_dir); !s) {
        for (auto& f : files) {
            f->discard();
        }
        return fail(ctx, fmt::format(text::kProvisionStopped, 0, ids->size(), s.message()));
    }
    nlohmann::json done = nlohmann::json::array();
    for (std::size_t i = 0; i < ids->size(); ++i) {
        const auto& id = (*ids)[i];
        auto answer = ctx.api.put_json("/api/v1/stations/" + url_encode(id) + "/key",
                                       nlohmann::json{{"public_key", public_keys[i]}});
        if (!answer) {
            // This station's key and those not sent yet are of no use: their files go.
            for (std::size_t k = i; k < files.size(); ++k) {
                files[k]->discard();
            }
            return fail(ctx,
                        fmt::format(text::kProvisionStopped, done.size(), ids->size(),
                                    fmt::format(text::kStationFailed, id, answer.error().message)));
        }
        done.push_back(nlohmann::json{
            {"station_id", id}, {"file", files[i]->path()}, {"public_key", public_keys[i]}});
    }
    if (ctx.json) {
        print_json(ctx, done);
    } else {
        ctx.out << fmt::format(text::kProvisioned, done.size(), options.out_dir,
                               agent.scheduler_endpoint)
                << '\n';
    }
    return 0;
}

}  // namespace loa::cli
