#include "loa/config/config.hpp"

#include "loa/common/logging.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/transport/curve_keys.hpp"
#include "toml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

namespace loa::config {
namespace {

constexpr std::int64_t kMaxHeartbeatS = 3600;
constexpr std::int64_t kMaxHorizonHours = std::int64_t{24} * 31;

std::string read_file(const std::filesystem::path& path) {
    const auto fail = [&](int error) {
        return ConfigError{fmt::format("{}: cannot read: {}", path.string(),
                                       std::generic_category().message(error))};
    };
    errno = 0;
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::fopen(path.c_str(), "rb"),
                                                               &std::fclose};
    if (!file) {
        throw fail(errno);
    }
    std::string text;
    std::array<char, 8192> buffer{};
    while (true) {
        const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
        text.append(buffer.data(), n);
        if (n < buffer.size()) {
            break;
        }
    }
    if (std::ferror(file.get()) != 0) {
        throw fail(errno != 0 ? errno : EIO);
    }
    return text;
}

bool all_digits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Checks "host:port" (an IPv6 host in brackets). `wildcard_port` allows "*" (ZeroMQ binds an
// ephemeral port); `min_port` is 0 for listening, 1 for dialling. Returns what is wrong.
std::optional<std::string> check_host_port(std::string_view text, bool wildcard_port,
                                           int min_port) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return std::string{"has no port: use host:port"};
    }
    const auto host = text.substr(0, colon);
    const auto port = text.substr(colon + 1);
    if (host.empty() || host == "[]") {
        return std::string{"has no host: use host:port"};
    }
    if (host.front() == '[' && host.back() != ']') {
        return std::string{"has an unclosed '[' around the host"};
    }
    if (wildcard_port && port == "*") {
        return std::nullopt;
    }
    const int number = all_digits(port) && port.size() <= 5 ? std::stoi(std::string{port}) : -1;
    if (number < min_port || number > 65535) {
        return fmt::format("the port must be a number from {} to 65535, not '{}'", min_port, port);
    }
    return std::nullopt;
}

void check_listen(const TomlReader& reader, std::string_view section, std::string_view key,
                  const std::string& value) {
    if (auto what = check_host_port(value, false, 0)) {
        reader.fail(section, key, fmt::format("'{}' {}, e.g. 127.0.0.1:8640", value, *what));
    }
}

// A ZeroMQ TCP endpoint; `bind` for a listening socket (a "*" port is allowed).
void check_endpoint(const TomlReader& reader, std::string_view section, std::string_view key,
                    const std::string& value, bool bind) {
    constexpr std::string_view kScheme = "tcp://";
    if (!value.starts_with(kScheme)) {
        reader.fail(section, key,
                    fmt::format("must be a ZeroMQ endpoint starting with tcp://, not '{}'", value));
    }
    const auto rest = std::string_view{value}.substr(kScheme.size());
    if (auto what = check_host_port(rest, bind, bind ? 0 : 1)) {
        reader.fail(section, key,
                    fmt::format("'{}' {}, e.g. tcp://{}:8641", value, *what,
                                bind ? "0.0.0.0" : "scheduler.example.org"));
    }
    if (!bind && rest.starts_with("*:")) {
        reader.fail(section, key, fmt::format("'{}' names no host to dial", value));
    }
}

// True when `zone` names a zone file in the system's time zone database.
bool known_zone(std::string_view zone) {
    if (zone.empty() || zone.front() == '/' || zone.find("..") != std::string_view::npos) {
        return false;
    }
    const auto file = std::filesystem::path{"/usr/share/zoneinfo"} / zone;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        return false;
    }
    std::ifstream in{file, std::ios::binary};
    std::array<char, 4> magic{};
    in.read(magic.data(), magic.size());
    return in && std::string_view{magic.data(), magic.size()} == "TZif";
}

bool valid_station_id(std::string_view id) {
    if (id.empty() || id.size() > 64) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

std::filesystem::path read_state_dir(const TomlReader& reader, std::filesystem::path fallback) {
    if (auto dir = reader.string("store", "state_dir")) {
        if (dir->empty()) {
            reader.fail("store", "state_dir", "must not be empty");
        }
        return *dir;
    }
    return fallback;
}

std::string read_log_level(const TomlReader& reader, std::string fallback) {
    if (auto level = reader.string("log", "level")) {
        if (!loa::log::valid_level(*level)) {
            reader.fail("log", "level",
                        fmt::format("must be trace, debug, info, warn, error, critical or off, "
                                    "not \"{}\"",
                                    *level));
        }
        return *level;
    }
    return fallback;
}

std::chrono::seconds read_heartbeat(const TomlReader& reader, std::chrono::seconds fallback) {
    if (auto s = reader.integer_in("link", "heartbeat_interval_s", 1, kMaxHeartbeatS)) {
        return std::chrono::seconds{*s};
    }
    return fallback;
}

// A TOML basic string: quotes, backslashes and control characters escaped, UTF-8 kept.
std::string quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    out += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

// --- agent: zones, playout, chimes ---

const std::vector<std::string_view> kZoneKeys{"name",
                                              "amplifier",
                                              "volume_db",
                                              "lead_time_ms",
                                              "hold_time_s",
                                              "gpio_chip",
                                              "gpio_line",
                                              "gpio_active_low",
                                              "power_on_command",
                                              "power_off_command",
                                              "simulated_fault_file"};

std::vector<std::string_view> playout_keys() {
    // Views into static strings: kept for the life of the program.
    static const std::vector<std::string> volume_keys = [] {
        std::vector<std::string> keys;
        for (const auto name : kPriorityClassNames) {
            keys.push_back(fmt::format("{}_volume_db", name));
        }
        return keys;
    }();
    std::vector<std::string_view> keys{"fade_ms", "duck_db"};
    keys.insert(keys.end(), volume_keys.begin(), volume_keys.end());
    return keys;
}

std::vector<std::string_view> chime_keys() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> keys;
        for (const auto name : kPriorityClassNames) {
            keys.push_back(fmt::format("{}_before", name));
            keys.push_back(fmt::format("{}_after", name));
        }
        return keys;
    }();
    return {names.begin(), names.end()};
}

bool valid_zone_name(std::string_view name) {
    return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

std::string_view amplifier_name(AmplifierKind kind) {
    switch (kind) {
        case AmplifierKind::gpio:
            return "gpio";
        case AmplifierKind::command:
            return "command";
        case AmplifierKind::simulated:
            break;
    }
    return "simulated";
}

ZoneConfig read_zone(const TomlReader& reader, std::size_t index) {
    const std::string section = fmt::format("zones[{}]", index);
    ZoneConfig zone;
    if (auto name = reader.string(section, "name")) {
        if (!valid_zone_name(*name)) {
            reader.fail(section, "name",
                        fmt::format("\"{}\" is not a zone name (1 to 32 letters, digits, '-' or "
                                    "'_')",
                                    *name));
        }
        zone.name = *name;
    }
    if (auto kind = reader.string(section, "amplifier")) {
        if (*kind == "simulated") {
            zone.amplifier = AmplifierKind::simulated;
        } else if (*kind == "gpio") {
            zone.amplifier = AmplifierKind::gpio;
        } else if (*kind == "command") {
            zone.amplifier = AmplifierKind::command;
        } else {
            reader.fail(
                section, "amplifier",
                fmt::format(R"(must be "simulated", "gpio" or "command", not "{}")", *kind));
        }
    }
    if (auto db = reader.number_in(section, "volume_db", -60.0, 6.0)) {
        zone.volume_db = *db;
    }
    if (auto ms = reader.integer_in(section, "lead_time_ms", 0, 60'000)) {
        zone.lead_time = std::chrono::milliseconds{*ms};
    }
    if (auto s = reader.integer_in(section, "hold_time_s", 0, 3600)) {
        zone.hold_time = std::chrono::seconds{*s};
    }
    if (auto chip = reader.string(section, "gpio_chip")) {
        if (chip->empty()) {
            reader.fail(section, "gpio_chip", "must not be empty");
        }
        zone.gpio_chip = *chip;
    }
    if (auto line = reader.integer_in(section, "gpio_line", 0, 1023)) {
        zone.gpio_line = static_cast<unsigned>(*line);
    }
    if (auto low = reader.boolean(section, "gpio_active_low")) {
        zone.gpio_active_low = *low;
    }
    for (const auto key : {"power_on_command", "power_off_command"}) {
        if (auto argv = reader.strings(section, key)) {
            if (argv->empty() || argv->front().empty()) {
                reader.fail(section, key, "must name a program: [\"/usr/local/bin/amp\", \"on\"]");
            }
            (std::string_view{key} == "power_on_command" ? zone.power_on_command
                                                         : zone.power_off_command) = *argv;
        }
    }
    if (auto file = reader.string(section, "simulated_fault_file")) {
        if (file->empty()) {
            reader.fail(section, "simulated_fault_file", "must not be empty");
        }
        zone.simulated_fault_file = *file;
    }
    if (zone.amplifier == AmplifierKind::gpio && zone.gpio_chip.empty()) {
        reader.fail(section, "gpio_chip", R"(missing: required when amplifier = "gpio")");
    }
    if (zone.amplifier == AmplifierKind::command) {
        for (const auto key : {"power_on_command", "power_off_command"}) {
            const auto& argv = std::string_view{key} == "power_on_command" ? zone.power_on_command
                                                                           : zone.power_off_command;
            if (argv.empty()) {
                reader.fail(section, key, R"(missing: required when amplifier = "command")");
            }
        }
    }
    return zone;
}

void read_playout(const TomlReader& reader, AgentConfig& config) {
    if (const std::size_t n = reader.count("zones"); n > 0) {
        if (n > 1) {
            reader.fail("zones[1]", "name",
                        fmt::format("this agent drives one zone; {} [[zones]] are given", n));
        }
        config.zones.clear();
        for (std::size_t i = 0; i < n; ++i) {
            config.zones.push_back(read_zone(reader, i));
        }
    }
    if (auto ms = reader.integer_in("playout", "fade_ms", 1, 100)) {
        config.fade = std::chrono::milliseconds{*ms};
    }
    if (auto db = reader.number_in("playout", "duck_db", -60.0, 0.0)) {
        config.duck_db = *db;
    }
    if (auto db = reader.number_in("monitor", "dead_air_db", -120.0, 0.0)) {
        config.monitor.dead_air_db = *db;
    }
    if (auto s = reader.integer_in("monitor", "dead_air_s", 1, 3600)) {
        config.monitor.dead_air = std::chrono::seconds{*s};
    }
    if (auto n = reader.integer_in("monitor", "clip_samples", 0, 48000)) {
        config.monitor.clip_samples = static_cast<std::uint32_t>(*n);
    }
    constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
    if (auto ms = reader.integer_in("clock", "simulated_offset_ms", -kDayMs, kDayMs)) {
        config.clock.simulated_offset = std::chrono::milliseconds{*ms};
    }
    if (auto pct = reader.number_in("faults", "drop_live_frames_percent", 0.0, 100.0)) {
        config.faults.drop_live_frames_percent = *pct;
    }
    if (auto seed =
            reader.integer_in("faults", "seed", 0, std::numeric_limits<std::int64_t>::max())) {
        config.faults.seed = static_cast<std::uint64_t>(*seed);
    }
    for (std::size_t i = 0; i < kPriorityClassNames.size(); ++i) {
        const auto name = kPriorityClassNames[i];
        if (auto db = reader.number_in("playout", fmt::format("{}_volume_db", name), -60.0, 6.0)) {
            config.class_volume_db[i] = *db;
        }
        for (const bool before : {true, false}) {
            const auto key = fmt::format("{}_{}", name, before ? "before" : "after");
            if (auto path = reader.string("chimes", key)) {
                if (path->empty()) {
                    reader.fail("chimes", key, "must not be empty (leave the key out for none)");
                }
                (before ? config.chimes[i].before : config.chimes[i].after) = *path;
            }
        }
    }
}

void read_aircheck(const TomlReader& reader, AirCheckConfig& config) {
    if (auto enabled = reader.boolean("aircheck", "enabled")) {
        config.enabled = *enabled;
    }
    if (auto dir = reader.string("aircheck", "dir")) {
        if (dir->empty()) {
            reader.fail("aircheck", "dir",
                        "must not be empty (leave the key out for <state_dir>/aircheck)");
        }
        config.dir = *dir;
    }
    if (auto days = reader.integer_in("aircheck", "keep_days", 1, 3660)) {
        config.keep_days = static_cast<int>(*days);
    }
    if (auto format = reader.string("aircheck", "format")) {
        if (*format == "opus") {
            config.format = AirCheckFormat::opus;
        } else if (*format == "flac") {
            config.format = AirCheckFormat::flac;
        } else {
            reader.fail("aircheck", "format",
                        fmt::format(R"(must be "opus" or "flac", not "{}")", *format));
        }
    }
    if (auto kbps = reader.integer_in("aircheck", "bitrate_kbps", 6, 64)) {
        config.bitrate_kbps = static_cast<int>(*kbps);
    }
}

std::string toml_string_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += (i == 0 ? "" : ", ") + quote(items[i]);
    }
    return out + "]";
}

IngestConfig read_ingest(const TomlReader& reader, IngestConfig config) {
    if (auto v = reader.number_in("ingest", "target_lufs", -40.0, -5.0)) {
        config.target_lufs = *v;
    }
    if (auto v = reader.number_in("ingest", "true_peak_dbtp", -12.0, 0.0)) {
        config.true_peak_dbtp = *v;
    }
    if (auto v = reader.integer_in("ingest", "max_duration_minutes", 1, 1440)) {
        config.max_duration_minutes = static_cast<int>(*v);
    }
    if (auto v = reader.integer_in("ingest", "bitrate_kbps", 6, 256)) {
        config.bitrate_kbps = static_cast<int>(*v);
    }
    if (auto v = reader.integer_in("ingest", "opus_complexity", 0, 10)) {
        config.complexity = static_cast<int>(*v);
    }
    if (auto band = reader.string("ingest", "bandwidth")) {
        static constexpr std::array<std::pair<std::string_view, int>, 5> kBands{
            {{"narrowband", 4000},
             {"mediumband", 6000},
             {"wideband", 8000},
             {"superwideband", 12000},
             {"fullband", 20000}}};
        const auto it = std::find_if(kBands.begin(), kBands.end(),
                                     [&](const auto& b) { return b.first == *band; });
        if (it == kBands.end()) {
            reader.fail("ingest", "bandwidth",
                        fmt::format("must be narrowband, mediumband, wideband, superwideband or "
                                    "fullband, not \"{}\"",
                                    *band));
        }
        config.bandwidth_hz = it->second;
    }
    if (auto v = reader.number_in("ingest", "codec_headroom_db", 0.0, 6.0)) {
        config.codec_headroom_db = *v;
    }
    if (auto voice = reader.string("ingest", "tts_voice")) {
        if (voice->empty() || voice->size() > 64) {
            reader.fail("ingest", "tts_voice", "must be an espeak-ng voice name such as \"vi\"");
        }
        config.voice = *voice;
    }
    return config;
}

bool valid_unit_code(std::string_view code) {
    return !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    });
}

AlarmsConfig read_alarms(const TomlReader& reader, AlarmsConfig config) {
    if (auto url = reader.string("alarms", "webhook_url")) {
        const std::string_view u{*url};
        const auto scheme_end = u.find("://");
        const auto scheme =
            scheme_end == std::string_view::npos ? u.substr(0, 0) : u.substr(0, scheme_end);
        if (!u.empty() && scheme != "http" && scheme != "https") {
            reader.fail("alarms", "webhook_url",
                        fmt::format("'{}' must start with http:// or https:// (or be empty for "
                                    "no webhook)",
                                    *url));
        }
        if (!u.empty()) {
            const auto rest = u.substr(scheme_end + 3);
            const auto host = rest.substr(0, rest.find('/'));
            if (host.empty()) {
                reader.fail(
                    "alarms", "webhook_url",
                    fmt::format("'{}' has no host, e.g. https://alerts.example.org/loa", *url));
            }
        }
        config.webhook_url = *url;
    }
    if (reader.is_string("alarms", "coverage_threshold")) {
        if (const auto text = reader.string("alarms", "coverage_threshold"); *text != "none") {
            reader.fail("alarms", "coverage_threshold",
                        fmt::format(R"(must be a number from 0 to 1, or "none", not "{}")", *text));
        }
        config.coverage_threshold.reset();
    } else if (auto v = reader.number_in("alarms", "coverage_threshold", 0.0, 1.0)) {
        config.coverage_threshold = *v;
    }
    if (auto table = reader.number_table("alarms", "coverage_thresholds")) {
        for (const auto& [code, v] : *table) {
            const auto key = fmt::format("coverage_thresholds.{}", code);
            if (!valid_unit_code(code)) {
                reader.fail("alarms", key,
                            "is not a unit code (1 to 64 letters, digits, '-', '_' or '.')");
            }
            if (!(v >= 0.0 && v <= 1.0)) {
                reader.fail("alarms", key, fmt::format("must be between 0 and 1, not {}", v));
            }
        }
        config.coverage_thresholds = std::move(*table);
    }
    if (auto s = reader.integer_in("alarms", "evaluate_interval_s", 1, 3600)) {
        config.evaluate_interval = std::chrono::seconds{*s};
    }
    if (auto days = reader.integer_in("alarms", "history_days", 1, 3660)) {
        config.history_days = static_cast<int>(*days);
    }
    return config;
}

}  // namespace

SchedulerConfig parse_scheduler_config(std::string_view toml, const std::string& origin) {
    const TomlReader reader{
        toml,
        origin,
        {{"store", {"state_dir"}},
         {"api", {"listen"}},
         {"link", {"listen", "public_endpoint", "heartbeat_interval_s"}},
         {"schedule", {"horizon_hours", "time_zone", "recompile_interval_s"}},
         {"ingest",
          {"target_lufs", "true_peak_dbtp", "max_duration_minutes", "bitrate_kbps",
           "opus_complexity", "bandwidth", "codec_headroom_db", "tts_voice"}},
         {"auth", {"approval_required_for", "session_days"}},
         {"bulletins", {"emergency_delay_s"}},
         {"emergency", {"lead_s", "allow_operators", "live_delay_ms"}},
         {"alerts", {"test_stations"}},
         {"alarms",
          {"webhook_url", "coverage_threshold", "coverage_thresholds", "evaluate_interval_s",
           "history_days"}},
         {"metrics", {"require_token"}},
         {"monitoring", {"keep_days"}},
         {"log", {"level"}}}};
    SchedulerConfig config;
    config.state_dir = read_state_dir(reader, config.state_dir);
    if (auto listen = reader.string("api", "listen")) {
        check_listen(reader, "api", "listen", *listen);
        config.api_listen = *listen;
    }
    if (auto listen = reader.string("link", "listen")) {
        check_endpoint(reader, "link", "listen", *listen, true);
        config.link_listen = *listen;
    }
    if (auto endpoint = reader.string("link", "public_endpoint")) {
        check_endpoint(reader, "link", "public_endpoint", *endpoint, false);
        config.link_public_endpoint = *endpoint;
    }
    config.heartbeat_interval = read_heartbeat(reader, config.heartbeat_interval);
    if (auto hours = reader.integer_in("schedule", "horizon_hours", 1, kMaxHorizonHours)) {
        config.horizon = std::chrono::hours{*hours};
    }
    if (auto seconds = reader.integer_in("schedule", "recompile_interval_s", 1, 3600)) {
        config.recompile_interval = std::chrono::seconds{*seconds};
    }
    if (auto zone = reader.string("schedule", "time_zone")) {
        if (!known_zone(*zone)) {
            reader.fail("schedule", "time_zone",
                        fmt::format("unknown time zone \"{}\" (an IANA name such as "
                                    "Asia/Ho_Chi_Minh, found under /usr/share/zoneinfo)",
                                    *zone));
        }
        config.time_zone = *zone;
    }
    config.ingest = read_ingest(reader, config.ingest);
    if (auto roles = reader.strings("auth", "approval_required_for")) {
        for (const auto& role : *roles) {
            if (role != "admin" && role != "district-operator" && role != "commune-operator" &&
                role != "viewer") {
                reader.fail("auth", "approval_required_for",
                            fmt::format("\"{}\" is not a role (admin, district-operator, "
                                        "commune-operator or viewer)",
                                        role));
            }
        }
        config.approval_required_for = *roles;
    }
    if (auto days = reader.integer_in("auth", "session_days", 1, 3650)) {
        config.session_days = static_cast<int>(*days);
    }
    if (auto seconds = reader.integer_in("bulletins", "emergency_delay_s", 1, 300)) {
        config.emergency_delay = std::chrono::seconds{*seconds};
    }
    if (auto seconds = reader.integer_in("emergency", "lead_s", 1, 60)) {
        config.emergency_lead = std::chrono::seconds{*seconds};
    }
    if (auto allow = reader.boolean("emergency", "allow_operators")) {
        config.emergency_allow_operators = *allow;
    }
    if (auto ms = reader.integer_in("emergency", "live_delay_ms", 150, 2000)) {
        config.emergency_live_delay = std::chrono::milliseconds{*ms};
    }
    if (auto stations = reader.strings("alerts", "test_stations")) {
        for (const auto& id : *stations) {
            const bool valid =
                !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' ||
                           c == '_' || c == '.';
                });
            if (!valid) {
                reader.fail("alerts", "test_stations",
                            fmt::format("\"{}\" is not a station id (1 to 64 letters, digits, "
                                        "'-', '_' or '.')",
                                        id));
            }
        }
        config.alert_test_stations = *stations;
    }
    config.alarms = read_alarms(reader, config.alarms);
    if (auto require = reader.boolean("metrics", "require_token")) {
        config.metrics_require_token = *require;
    }
    if (auto days = reader.integer_in("monitoring", "keep_days", 1, 3660)) {
        config.monitoring_keep_days = static_cast<int>(*days);
    }
    config.log_level = read_log_level(reader, config.log_level);
    return config;
}

AgentConfig parse_agent_config(std::string_view toml, const std::string& origin) {
    const TomlReader reader{
        toml,
        origin,
        {{"store", {"state_dir"}},
         {"station", {"id"}},
         {"scheduler", {"endpoint", "public_key", "signing_key"}},
         {"keys", {"secret_key"}},
         {"link", {"heartbeat_interval_s"}},
         {"audio", {"output", "device", "host_api", "file"}},
         {"log", {"level"}},
         {"playout", playout_keys()},
         {"monitor", {"dead_air_db", "dead_air_s", "clip_samples"}},
         {"aircheck", {"enabled", "dir", "keep_days", "format", "bitrate_kbps"}},
         {"clock", {"simulated_offset_ms"}},
         {"faults", {"drop_live_frames_percent", "seed"}},
         {"metrics", {"listen"}},
         {"chimes", chime_keys()},
         {"zones", kZoneKeys, true}}};
    AgentConfig config;
    config.state_dir = read_state_dir(reader, config.state_dir);
    if (auto id = reader.string("station", "id")) {
        if (!valid_station_id(*id)) {
            reader.fail("station", "id",
                        fmt::format("\"{}\" is not a station id (1 to 64 letters, digits, '-', "
                                    "'_' or '.')",
                                    *id));
        }
        config.station_id = *id;
    }
    if (auto endpoint = reader.string("scheduler", "endpoint")) {
        check_endpoint(reader, "scheduler", "endpoint", *endpoint, false);
        config.scheduler_endpoint = *endpoint;
    }
    if (auto key = reader.string("scheduler", "public_key")) {
        if (auto status = loa::transport::check_curve_key(*key, "not valid"); !status) {
            reader.fail("scheduler", "public_key", status.message());
        }
        config.scheduler_public_key = *key;
    } else {
        reader.fail("scheduler", "public_key",
                    "missing: the scheduler's CURVE public key (Z85) is required; "
                    "GET /api/v1/link shows it");
    }
    if (auto key = reader.string("scheduler", "signing_key")) {
        if (auto status = loa::protocol::check_signing_public_key(*key, "not valid"); !status) {
            reader.fail("scheduler", "signing_key", status.message());
        }
        config.scheduler_signing_key = *key;
    } else {
        reader.fail("scheduler", "signing_key",
                    "missing: the scheduler's Ed25519 signing key (hex) is required; "
                    "GET /api/v1/link shows it");
    }
    if (auto key = reader.string("keys", "secret_key")) {
        if (auto status = loa::transport::check_curve_key(*key, "not valid"); !status) {
            reader.fail("keys", "secret_key", status.message());
        }
        config.secret_key = *key;
    }
    config.heartbeat_interval = read_heartbeat(reader, config.heartbeat_interval);
    if (auto output = reader.string("audio", "output")) {
        if (*output == "portaudio") {
            config.output = OutputKind::portaudio;
        } else if (*output == "file") {
            config.output = OutputKind::file;
        } else if (*output == "null") {
            config.output = OutputKind::null;
        } else {
            reader.fail("audio", "output",
                        fmt::format(R"(must be "portaudio", "file" or "null", not "{}")", *output));
        }
    }
    if (auto device = reader.string("audio", "device")) {
        if (device->empty()) {
            reader.fail("audio", "device",
                        "must not be empty (\"default\" is the system's default device)");
        }
        config.device = *device;
    }
    if (auto host_api = reader.string("audio", "host_api")) {
        config.host_api = *host_api;
    }
    if (auto file = reader.string("audio", "file")) {
        if (file->empty()) {
            reader.fail("audio", "file", "must not be empty");
        }
        config.output_file = *file;
    }
    if (config.output == OutputKind::file && config.output_file.empty()) {
        reader.fail("audio", "file", "missing: required when audio.output = \"file\"");
    }
    config.log_level = read_log_level(reader, config.log_level);
    read_playout(reader, config);
    read_aircheck(reader, config.aircheck);
    if (auto listen = reader.string("metrics", "listen")) {
        if (!listen->empty()) {
            check_listen(reader, "metrics", "listen", *listen);
        }
        config.metrics_listen = *listen;
    }
    return config;
}

SchedulerConfig load_scheduler_config(const std::filesystem::path& path) {
    return parse_scheduler_config(read_file(path), path.string());
}

AgentConfig load_agent_config(const std::filesystem::path& path) {
    return parse_agent_config(read_file(path), path.string());
}

namespace {

// The [playout], [chimes] and [[zones]] part of a rendered agent config.
void render_playout(const AgentConfig& config, std::string& out) {
    const auto line = [&out](std::string_view text) {
        out += text;
        out += '\n';
    };
    const auto number = [&out](std::string_view name, double value) {
        out += fmt::format("{} = {}\n", name, value);
    };
    line("");
    line("[playout]");
    line(
        "# Fades at cuts (ms), the level of a ducked item (dB) and the volume of each class (dB).");
    out += fmt::format("fade_ms = {}\n", config.fade.count());
    number("duck_db", config.duck_db);
    for (std::size_t i = 0; i < kPriorityClassNames.size(); ++i) {
        number(fmt::format("{}_volume_db", kPriorityClassNames[i]), config.class_volume_db[i]);
    }
    line("");
    line("[monitor]");
    line("# Dead air: RMS below dead_air_db (dBFS) for dead_air_s seconds while an item plays.");
    line("# Clipping: more than clip_samples clipped samples in one second.");
    number("dead_air_db", config.monitor.dead_air_db);
    out += fmt::format("dead_air_s = {}\n", config.monitor.dead_air.count());
    out += fmt::format("clip_samples = {}\n", config.monitor.clip_samples);
    line("");
    line("[aircheck]");
    line("# A recording of what the zone aired, one file per zone per UTC hour, kept keep_days");
    line("# days: \"opus\" (Ogg Opus at bitrate_kbps) or \"flac\" (lossless, larger).");
    out += fmt::format("enabled = {}\n", config.aircheck.enabled);
    if (config.aircheck.dir.empty()) {
        line("# dir = \"/var/lib/loa/aircheck\"  (default: <state_dir>/aircheck)");
    } else {
        out += fmt::format("dir = {}\n", quote(config.aircheck.dir.string()));
    }
    out += fmt::format("keep_days = {}\n", config.aircheck.keep_days);
    out += fmt::format("format = {}\n",
                       quote(config.aircheck.format == AirCheckFormat::flac ? "flac" : "opus"));
    out += fmt::format("bitrate_kbps = {}\n", config.aircheck.bitrate_kbps);
    if (config.clock.simulated_offset != std::chrono::milliseconds::zero()) {
        line("");
        line("[clock]");
        line("# A testing aid: this agent's own clock is made wrong by this many milliseconds.");
        out += fmt::format("simulated_offset_ms = {}\n", config.clock.simulated_offset.count());
    }
    if (!config.metrics_listen.empty()) {
        line("");
        line("[metrics]");
        line("# The agent's own Prometheus text at http://<listen>/metrics.");
        out += fmt::format("listen = {}\n", quote(config.metrics_listen));
    }
    if (config.faults != FaultsConfig{}) {
        line("");
        line("[faults]");
        line("# A fault drill: live frames dropped on arrival, at random (never in production).");
        out +=
            fmt::format("drop_live_frames_percent = {}\n", config.faults.drop_live_frames_percent);
        out += fmt::format("seed = {}\n", config.faults.seed);
    }
    line("");
    line("[chimes]");
    line("# Ogg Opus files played right before / right after the items of a class, e.g.");
    line("# emergency_before = \"/etc/loa/chimes/emergency.opus\". None by default.");
    for (std::size_t i = 0; i < kPriorityClassNames.size(); ++i) {
        if (!config.chimes[i].before.empty()) {
            out += fmt::format("{}_before = {}\n", kPriorityClassNames[i],
                               quote(config.chimes[i].before.string()));
        }
        if (!config.chimes[i].after.empty()) {
            out += fmt::format("{}_after = {}\n", kPriorityClassNames[i],
                               quote(config.chimes[i].after.string()));
        }
    }
    for (const auto& zone : config.zones) {
        line("");
        line("[[zones]]");
        line(R"(# An amplifier output: "simulated", "gpio" (libgpiod line) or "command".)");
        out += fmt::format("name = {}\n", quote(zone.name));
        out += fmt::format("amplifier = {}\n", quote(amplifier_name(zone.amplifier)));
        number("volume_db", zone.volume_db);
        line("# Amplifier on this long before an item, and off this long after the last one.");
        out += fmt::format("lead_time_ms = {}\n", zone.lead_time.count());
        out += fmt::format("hold_time_s = {}\n", zone.hold_time.count());
        if (!zone.gpio_chip.empty()) {
            out += fmt::format("gpio_chip = {}\n", quote(zone.gpio_chip));
            out += fmt::format("gpio_line = {}\n", zone.gpio_line);
            out += fmt::format("gpio_active_low = {}\n", zone.gpio_active_low);
        }
        if (!zone.power_on_command.empty()) {
            out += fmt::format("power_on_command = {}\n", toml_string_array(zone.power_on_command));
        }
        if (!zone.power_off_command.empty()) {
            out +=
                fmt::format("power_off_command = {}\n", toml_string_array(zone.power_off_command));
        }
        if (!zone.simulated_fault_file.empty()) {
            out += fmt::format("simulated_fault_file = {}\n",
                               quote(zone.simulated_fault_file.string()));
        }
    }
}

}  // namespace

std::string render_agent_config(const AgentConfig& config) {
    std::string out;
    const auto line = [&out](std::string_view text) {
        out += text;
        out += '\n';
    };
    const auto key = [&out](std::string_view name, std::string_view value) {
        out += fmt::format("{} = {}\n", name, quote(value));
    };
    line("# Loa station agent configuration. Keep this file private: it holds the agent's");
    line("# secret key (chmod 600, owned by the loa user).");
    line("");
    line("[store]");
    line("# Where the agent keeps its timeline, asset cache and outbox.");
    key("state_dir", config.state_dir.string());
    line("");
    line("[station]");
    line("# This station's id at the scheduler.");
    if (config.station_id.empty()) {
        line("# id = \"30280\"");
    } else {
        key("id", config.station_id);
    }
    line("");
    line("[scheduler]");
    line("# The scheduler's ZeroMQ endpoint, its CURVE public key (Z85) and the Ed25519 key");
    line("# (hex) that signs timelines. The agent plays nothing that key did not sign.");
    key("endpoint", config.scheduler_endpoint);
    key("public_key", config.scheduler_public_key);
    key("signing_key", config.scheduler_signing_key);
    line("");
    line("[keys]");
    line("# This agent's CURVE secret key (Z85). Without it the agent makes one on first start");
    line("# and keeps it in <state_dir>/agent.key.");
    if (config.secret_key.empty()) {
        line("# secret_key = \"\"");
    } else {
        key("secret_key", config.secret_key);
    }
    line("");
    line("[link]");
    line("# Seconds between heartbeats to the scheduler (1 to 3600).");
    out += fmt::format("heartbeat_interval_s = {}\n", config.heartbeat_interval.count());
    line("");
    line("[audio]");
    line(R"(# "portaudio" plays to a sound device; "file" writes the audio to `file`; "null")");
    line(R"(# paces and drops it (tests, demos).)");
    key("output", config.output == OutputKind::file   ? "file"
                  : config.output == OutputKind::null ? "null"
                                                      : "portaudio");
    line(R"(# PortAudio device and host API names ("default" and "" take the system's).)");
    key("device", config.device);
    key("host_api", config.host_api);
    if (config.output_file.empty()) {
        line("# file = \"/var/lib/loa/air.wav\"");
    } else {
        key("file", config.output_file.string());
    }
    line("");
    line("[log]");
    line("# trace, debug, info, warn, error, critical or off.");
    key("level", config.log_level);
    render_playout(config, out);
    return out;
}

}  // namespace loa::config
