#include "commands.hpp"
#include "loa/cli/table.hpp"
#include "messages.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace loa::cli {
namespace {

// The file an agent config goes to: created (mode 0600, never over an existing file) before the
// station is registered, and removed again unless the config was written to it.
class AgentConfigFile {
public:
    explicit AgentConfigFile(std::string path) : path_{std::move(path)} {}
    ~AgentConfigFile() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        if (created_ && !kept_) {
            ::unlink(path_.c_str());
        }
    }
    AgentConfigFile(const AgentConfigFile&) = delete;
    AgentConfigFile& operator=(const AgentConfigFile&) = delete;

    // What went wrong, or empty.
    std::string create() {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd_ < 0) {
            return errno == EEXIST ? fmt::format(text::kFileExists, path_)
                                   : fmt::format(text::kCannotWrite, path_,
                                                 std::generic_category().message(errno));
        }
        created_ = true;
        return {};
    }

    // Writes `content`, flushes it to disk and keeps the file. What went wrong, or empty.
    std::string write(std::string_view content) {
        while (!content.empty()) {
            const auto n = ::write(fd_, content.data(), content.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return fmt::format(text::kCannotWrite, path_,
                                   std::generic_category().message(errno));
            }
            content.remove_prefix(static_cast<std::size_t>(n));
        }
        if (::fsync(fd_) != 0 || ::close(std::exchange(fd_, -1)) != 0) {
            return fmt::format(text::kCannotWrite, path_, std::generic_category().message(errno));
        }
        kept_ = true;
        return {};
    }

private:
    std::string path_;
    int fd_ = -1;
    bool created_ = false;
    bool kept_ = false;
};

}  // namespace

int station_add(CommandContext& ctx, const StationAddOptions& options) {
    std::optional<AgentConfigFile> file;
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

}  // namespace loa::cli
