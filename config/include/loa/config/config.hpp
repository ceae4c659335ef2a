#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace loa::config {

// A config file that cannot be used. what() names the file, the key and what is wrong:
// "/etc/loa/agent.toml: audio.output: must be \"portaudio\", \"file\" or \"null\", not \"alsa\"".
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// [ingest]: how uploads and typed notices become assets.
struct IngestConfig {
    double target_lufs = -16.0;      // target_lufs: integrated loudness, -40 to -5
    double true_peak_dbtp = -1.0;    // true_peak_dbtp: ceiling of the asset's peaks, -12 to 0
    int max_duration_minutes = 180;  // max_duration_minutes: longer input is refused, 1 to 1440
    int bitrate_kbps = 32;           // bitrate_kbps: Opus, 6 to 256
    int complexity = 1;              // opus_complexity: 0 to 10 (speed against quality)
    int bandwidth_hz = 8000;         // bandwidth: "narrowband" 4000 ... "fullband" 20000
    double codec_headroom_db = 2.0;  // codec_headroom_db: room left for Opus's peaks, 0 to 6
    std::string voice = "vi";        // tts_voice: espeak-ng voice for typed notices

    friend bool operator==(const IngestConfig&, const IngestConfig&) = default;
};

// [alarms]: the scheduler's alarm rules and where their raise and clear events go.
struct AlarmsConfig {
    // webhook_url: raise and clear events are POSTed there as JSON (http:// or https://);
    // empty: none.
    std::string webhook_url;
    // coverage_threshold: a unit whose working coverage falls below it raises coverage_low,
    // 0 to 1; "none" (nullopt): coverage is not checked, except for units of the table below.
    std::optional<double> coverage_threshold = 0.80;
    // [alarms.coverage_thresholds]: unit code = threshold (0 to 1) for units that differ.
    std::map<std::string, double> coverage_thresholds;
    // evaluate_interval_s: how often the rules are evaluated on their own, 1 to 3600.
    std::chrono::seconds evaluate_interval{30};
    // history_days: cleared alarms are kept this many days, 1 to 3660.
    int history_days = 90;

    friend bool operator==(const AlarmsConfig&, const AlarmsConfig&) = default;
};

struct SchedulerConfig {
    std::filesystem::path state_dir = "/var/lib/loa";  // [store] state_dir
    std::string api_listen = "127.0.0.1:8640";         // [api] listen, host:port
    std::string link_listen = "tcp://0.0.0.0:8641";    // [link] listen, ZeroMQ endpoint
    // [link] public_endpoint: the address agents dial, written into agent configs.
    std::string link_public_endpoint = "tcp://127.0.0.1:8641";
    std::chrono::seconds heartbeat_interval{10};  // [link] heartbeat_interval_s
    std::chrono::hours horizon{24 * 7};           // [schedule] horizon_hours
    std::string time_zone = "Asia/Ho_Chi_Minh";   // [schedule] time_zone
    // [schedule] recompile_interval_s: how often the horizon rolls (every timeline recompiled).
    std::chrono::seconds recompile_interval{60};
    std::string log_level = "info";  // [log] level
    IngestConfig ingest;             // [ingest]
    // [auth] approval_required_for: the roles ("admin", "district-operator",
    // "commune-operator", "viewer") whose schedule entries are drafts until approved.
    std::vector<std::string> approval_required_for;
    int session_days = 30;  // [auth] session_days: lifetime of a login's token, 1 to 3650
    // [bulletins] emergency_delay_s: an emergency bulletin airs this long after it is sent, 1 to
    // 300 (time for the timelines to reach the stations).
    std::chrono::seconds emergency_delay{5};
    // [emergency] lead_s: an emergency session (POST /api/v1/emergency, CAP alerts) starts this
    // long after it is asked for, 1 to 60: time for the agents to fetch the asset.
    std::chrono::seconds emergency_lead{3};
    // [emergency] allow_operators: a district operator may start (and stop) an emergency on the
    // stations within its scope; otherwise only an admin may.
    bool emergency_allow_operators = false;
    // [emergency] live_delay_ms: the first airing of a session goes out at once as a live
    // session of class emergency played this long after capture, 150 to 2000.
    std::chrono::milliseconds emergency_live_delay{200};
    // [alerts] test_stations: the station ids where CAP alerts of status Exercise or Test air.
    std::vector<std::string> alert_test_stations;
    AlarmsConfig alarms;  // [alarms]
    // [metrics] require_token: GET /metrics asks for a bearer token like the API.
    bool metrics_require_token = false;
    // [monitoring] keep_days: how many days of monitoring history (the log of scheduled items,
    // clock spells) are kept for compliance, 1 to 3660.
    int monitoring_keep_days = 400;

    friend bool operator==(const SchedulerConfig&, const SchedulerConfig&) = default;
};

enum class OutputKind { portaudio, file, null };

// How a zone's amplifier is switched.
enum class AmplifierKind {
    simulated,  // in memory only (tests, demo); faults can be injected
    gpio,       // a GPIO line through libgpiod drives the amplifier's power relay
    command,    // an external program is run to switch it
};

// One amplifier output of the station: a [[zones]] entry.
struct ZoneConfig {
    std::string name = "main";                           // name: 1 to 32 of [A-Za-z0-9_-]
    AmplifierKind amplifier = AmplifierKind::simulated;  // amplifier: "simulated"|"gpio"|"command"
    double volume_db = 0.0;                              // volume_db: -60 to +6
    std::chrono::milliseconds lead_time{3000};  // lead_time_ms: on this long before an item
    std::chrono::seconds hold_time{30};         // hold_time_s: on this long after the last item
    // amplifier = "gpio": the chip ("gpiochip0", "/dev/gpiochip0" or "0"), the line offset, and
    // whether a low line switches the amplifier on.
    std::string gpio_chip;
    unsigned gpio_line = 0;
    bool gpio_active_low = false;
    // amplifier = "command": argv of the programs that switch it on and off (no shell); exit
    // status 0 means done.
    std::vector<std::string> power_on_command;
    std::vector<std::string> power_off_command;
    // amplifier = "simulated": while this file exists the amplifier is faulted, its first line
    // being the fault (to show a fault in a demo). Empty: faults only come from tests.
    std::filesystem::path simulated_fault_file;

    friend bool operator==(const ZoneConfig&, const ZoneConfig&) = default;
};

// The priority classes as config keys name them, low to high; settings per class are arrays in
// this order (index = loa.wire.PriorityClass - 1).
inline constexpr std::array<std::string_view, 5> kPriorityClassNames{
    "filler", "commune", "district", "province", "emergency"};

// Attention signals played right before and right after the items of one class: Ogg Opus files.
struct ChimeFiles {
    std::filesystem::path before;
    std::filesystem::path after;

    friend bool operator==(const ChimeFiles&, const ChimeFiles&) = default;
};

// [monitor]: output monitoring (levels measured after the mixer).
struct MonitorConfig {
    double dead_air_db = -50.0;        // dead_air_db: RMS below this while an item plays, -120 to 0
    std::chrono::seconds dead_air{5};  // dead_air_s: for this long or longer is dead air, 1 to 3600
    std::uint32_t clip_samples = 10;   // clip_samples: more clipped samples in a second, 0 to 48000

    friend bool operator==(const MonitorConfig&, const MonitorConfig&) = default;
};

// How air-check files are compressed.
enum class AirCheckFormat {
    opus,  // Ogg Opus (libsndfile), low bitrate: about 7 MB per hour at 16 kbit/s
    flac,  // FLAC, lossless: about 10 to 40 MB per hour of speech, less for silence
};

// [aircheck]: a recording of what each zone aired (the samples after the mixer), one file per
// zone per UTC hour: <dir>/<zone>/<YYYY-MM-DDTHHZ>.opus (or .flac) with <file>.json beside it
// stating the wall-clock time of the first sample.
struct AirCheckConfig {
    bool enabled = false;                          // enabled
    std::filesystem::path dir;                     // dir: empty means <state_dir>/aircheck
    int keep_days = 31;                            // keep_days: older files are deleted, 1 to 3660
    AirCheckFormat format = AirCheckFormat::opus;  // format: "opus" | "flac"
    int bitrate_kbps = 16;                         // bitrate_kbps: Opus only, 6 to 64

    friend bool operator==(const AirCheckConfig&, const AirCheckConfig&) = default;
};

// [clock]: the agent's own clock.
struct ClockConfig {
    // simulated_offset_ms: makes the agent's own clock wrong by this much on purpose (a testing
    // aid for the clock synchronisation: agents whose clocks are seconds apart must still play
    // in step). Whole milliseconds, at most a day either way; 0 (the default) in production.
    std::chrono::milliseconds simulated_offset{0};

    friend bool operator==(const ClockConfig&, const ClockConfig&) = default;
};

// [faults]: fault drills and tests only; everything off by default, never set in production.
struct FaultsConfig {
    // drop_live_frames_percent: live frames thrown away on arrival, at random, before they reach
    // the jitter buffer (as if lost on the way), 0 to 100; 0 (the default) drops none.
    double drop_live_frames_percent = 0.0;
    // seed: of the random choice of the frames dropped (from the agent's start, the same seed
    // drops the same frames of the same live frames received), 0 to 2^63 - 1.
    std::uint64_t seed = 1;

    friend bool operator==(const FaultsConfig&, const FaultsConfig&) = default;
};

struct AgentConfig {
    std::filesystem::path state_dir = "/var/lib/loa";         // [store] state_dir
    std::string station_id;                                   // [station] id (for logs; optional)
    std::string scheduler_endpoint = "tcp://127.0.0.1:8641";  // [scheduler] endpoint
    std::string scheduler_public_key;   // [scheduler] public_key: CURVE, Z85 (required)
    std::string scheduler_signing_key;  // [scheduler] signing_key: Ed25519, hex (required)
    // [keys] secret_key: this agent's CURVE secret key, Z85. Empty: generated on first start and
    // kept in <state_dir>/agent.key.
    std::string secret_key;
    std::chrono::seconds heartbeat_interval{10};  // [link] heartbeat_interval_s
    OutputKind output = OutputKind::portaudio;    // [audio] output: "portaudio" | "file" | "null"
    std::string device = "default";               // [audio] device (PortAudio device name)
    std::string host_api;                         // [audio] host_api (PortAudio host API name)
    std::filesystem::path output_file;            // [audio] file (required for output = "file")
    std::string log_level = "info";               // [log] level
    std::vector<ZoneConfig> zones{ZoneConfig{}};  // [[zones]]: one zone for now
    std::chrono::milliseconds fade{10};           // [playout] fade_ms: ramps at cuts, 1 to 100
    double duck_db = -15.0;                       // [playout] duck_db: ducked level, -60 to 0
    std::array<double, 5> class_volume_db{};      // [playout] <class>_volume_db: -60 to +6
    std::array<ChimeFiles, 5> chimes;             // [chimes] <class>_before, <class>_after
    MonitorConfig monitor;                        // [monitor]
    AirCheckConfig aircheck;                      // [aircheck]
    ClockConfig clock;                            // [clock]
    FaultsConfig faults;                          // [faults]
    // [metrics] listen: host:port of the agent's own Prometheus /metrics (port 0: any free
    // port); empty (the default): no metrics endpoint.
    std::string metrics_listen;

    friend bool operator==(const AgentConfig&, const AgentConfig&) = default;
};

// Thread safety: these functions share no state; any thread may call them.

// Read and validate a TOML file. Every key is checked: an unknown key, a wrong type or a bad
// value throws ConfigError naming file and key. A missing file throws too.
SchedulerConfig load_scheduler_config(const std::filesystem::path& path);
AgentConfig load_agent_config(const std::filesystem::path& path);

// The same from TOML text (tests); `origin` stands for the file name in errors.
SchedulerConfig parse_scheduler_config(std::string_view toml, const std::string& origin);
AgentConfig parse_agent_config(std::string_view toml, const std::string& origin);

// TOML text for an agent config, as `loa station add --agent-config` writes it.
std::string render_agent_config(const AgentConfig& config);

}  // namespace loa::config
