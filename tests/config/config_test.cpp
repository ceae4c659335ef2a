#include "loa/config/config.hpp"

#include "loa/protocol/signing.hpp"
#include "loa/transport/curve_keys.hpp"

#include "loa/test/temp_dir.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <fstream>
#include <map>
#include <optional>
#include <string>

using loa::config::AgentConfig;
using loa::config::ConfigError;
using loa::config::OutputKind;
using loa::config::SchedulerConfig;
using namespace std::chrono_literals;

namespace {

const std::string kCurvePublic = "ZS}<4[O!6RB*#aar[@H4cF:}D8Qqo]=PK{KBZl!9";
const std::string kCurveSecret = "9YrxLae<Xs@%OrUK3zk/BeiqY6p3o({HGWwo?&Uc";
const std::string kSigning = "6515356b7b4e2bcc6339c6f87326fb4b691411703a2e70fdb9a36a723ecc08a7";

// The two keys an agent config cannot do without.
std::string required_agent_keys() {
    return "[scheduler]\npublic_key = \"" + kCurvePublic + "\"\nsigning_key = \"" + kSigning +
           "\"\n";
}

// The message of the ConfigError `f` throws; fails the test when it throws none.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no ConfigError thrown";
    return {};
}

std::string scheduler_error(const std::string& toml) {
    return error_of([&] { (void)loa::config::parse_scheduler_config(toml, "sched.toml"); });
}

std::string agent_error(const std::string& toml) {
    return error_of([&] { (void)loa::config::parse_agent_config(toml, "agent.toml"); });
}

using loa::test_support::TempDir;

}  // namespace

TEST(SchedulerConfig, ReadsEveryKey) {
    const auto config = loa::config::parse_scheduler_config(R"(
[store]
state_dir = "/srv/loa"
[api]
listen = "0.0.0.0:9000"
[link]
listen = "tcp://*:9001"
public_endpoint = "tcp://loa.angiang.example:9001"
heartbeat_interval_s = 30
[schedule]
horizon_hours = 48
time_zone = "Europe/Paris"
[log]
level = "debug"
)",
                                                            "sched.toml");
    EXPECT_EQ(config.state_dir, "/srv/loa");
    EXPECT_EQ(config.api_listen, "0.0.0.0:9000");
    EXPECT_EQ(config.link_listen, "tcp://*:9001");
    EXPECT_EQ(config.link_public_endpoint, "tcp://loa.angiang.example:9001");
    EXPECT_EQ(config.heartbeat_interval, 30s);
    EXPECT_EQ(config.horizon, 48h);
    EXPECT_EQ(config.time_zone, "Europe/Paris");
    EXPECT_EQ(config.log_level, "debug");
}

TEST(SchedulerConfig, AbsentKeysKeepTheirDefaults) {
    EXPECT_EQ(loa::config::parse_scheduler_config("", "sched.toml"), SchedulerConfig{});
    const auto config =
        loa::config::parse_scheduler_config("[link]\nheartbeat_interval_s = 5\n", "sched.toml");
    SchedulerConfig expected;
    expected.heartbeat_interval = 5s;
    EXPECT_EQ(config, expected);
}

TEST(SchedulerConfig, AcceptsIpv6AndEphemeralPorts) {
    const auto config = loa::config::parse_scheduler_config(
        "[api]\nlisten = \"[::1]:0\"\n[link]\nlisten = \"tcp://127.0.0.1:*\"\n", "sched.toml");
    EXPECT_EQ(config.api_listen, "[::1]:0");
    EXPECT_EQ(config.link_listen, "tcp://127.0.0.1:*");
}

TEST(SchedulerConfig, BadValuesNameFileAndKey) {
    struct Case {
        std::string toml;
        std::string expected;
    };
    const Case cases[] = {
        {"[store]\nstate_dir = \"\"", "sched.toml: store.state_dir: must not be empty"},
        {"[store]\nstate_dir = 5", "sched.toml: store.state_dir: must be a string, not an integer"},
        {"[api]\nlisten = \"localhost\"", "sched.toml: api.listen: 'localhost' has no port"},
        {"[api]\nlisten = \":8640\"", "sched.toml: api.listen: ':8640' has no host"},
        {"[api]\nlisten = \"h:65536\"",
         "sched.toml: api.listen: 'h:65536' the port must be a number from 0 to 65535"},
        {"[api]\nlisten = \"h:80x\"", "sched.toml: api.listen: 'h:80x' the port must be"},
        {"[api]\nlisten = \"h:*\"", "sched.toml: api.listen: 'h:*' the port must be"},
        {"[link]\nlisten = \"udp://0.0.0.0:1\"",
         "sched.toml: link.listen: must be a ZeroMQ endpoint starting with tcp://"},
        {"[link]\npublic_endpoint = \"tcp://h:*\"",
         "sched.toml: link.public_endpoint: 'tcp://h:*' the port must be a number from 1"},
        {"[link]\npublic_endpoint = \"tcp://h:0\"", "sched.toml: link.public_endpoint:"},
        {"[link]\npublic_endpoint = \"h:1\"", "sched.toml: link.public_endpoint: must be a ZeroMQ"},
        {"[link]\nheartbeat_interval_s = 0",
         "sched.toml: link.heartbeat_interval_s: must be between 1 and 3600, not 0"},
        {"[link]\nheartbeat_interval_s = 3601", "link.heartbeat_interval_s: must be between"},
        {"[link]\nheartbeat_interval_s = \"10\"",
         "sched.toml: link.heartbeat_interval_s: must be an integer, not a string"},
        {"[link]\nheartbeat_interval_s = 1.5",
         "link.heartbeat_interval_s: must be an integer, not a floating-point number"},
        {"[schedule]\nhorizon_hours = 745",
         "sched.toml: schedule.horizon_hours: must be between 1 and 744, not 745"},
        {"[schedule]\nhorizon_hours = true",
         "schedule.horizon_hours: must be an integer, not a "
         "boolean"},
        {"[schedule]\ntime_zone = \"Mars/Olympus\"",
         "sched.toml: schedule.time_zone: unknown time zone \"Mars/Olympus\""},
        {"[schedule]\ntime_zone = \"Asia\"", "schedule.time_zone: unknown time zone \"Asia\""},
        {"[schedule]\ntime_zone = \"../../../etc/passwd\"", "schedule.time_zone: unknown time"},
        {"[schedule]\ntime_zone = \"zone.tab\"", "schedule.time_zone: unknown time zone"},
        {"[log]\nlevel = \"loud\"",
         "sched.toml: log.level: must be trace, debug, info, warn, error, critical or off, not "
         "\"loud\""},
    };
    for (const auto& c : cases) {
        EXPECT_NE(scheduler_error(c.toml).find(c.expected), std::string::npos)
            << c.toml << "\n  gave: " << scheduler_error(c.toml);
        EXPECT_EQ(scheduler_error(c.toml).rfind("sched.toml: ", 0), 0U) << c.toml;
    }
}

TEST(SchedulerConfig, ReadsIngestKeys) {
    const auto config = loa::config::parse_scheduler_config(R"(
[ingest]
target_lufs = -23
true_peak_dbtp = -2.5
codec_headroom_db = 1.5
max_duration_minutes = 60
bitrate_kbps = 24
opus_complexity = 5
bandwidth = "fullband"
tts_voice = "vi-vn-x-south"
)",
                                                            "sched.toml");
    EXPECT_EQ(config.ingest.target_lufs, -23.0);
    EXPECT_EQ(config.ingest.true_peak_dbtp, -2.5);
    EXPECT_EQ(config.ingest.codec_headroom_db, 1.5);
    EXPECT_EQ(config.ingest.max_duration_minutes, 60);
    EXPECT_EQ(config.ingest.bitrate_kbps, 24);
    EXPECT_EQ(config.ingest.complexity, 5);
    EXPECT_EQ(config.ingest.bandwidth_hz, 20000);
    EXPECT_EQ(config.ingest.voice, "vi-vn-x-south");
    const auto defaults = loa::config::parse_scheduler_config("", "sched.toml").ingest;
    EXPECT_EQ(defaults.target_lufs, -16.0);
    EXPECT_EQ(defaults.true_peak_dbtp, -1.0);
    EXPECT_EQ(defaults.max_duration_minutes, 180);
    EXPECT_EQ(defaults.bitrate_kbps, 32);
    EXPECT_EQ(defaults.bandwidth_hz, 8000);
    EXPECT_EQ(defaults.voice, "vi");
}

TEST(SchedulerConfig, BadIngestValuesNameTheKey) {
    const std::pair<std::string, std::string> cases[] = {
        {"target_lufs = -3", "sched.toml: ingest.target_lufs: must be between -40"},
        {"true_peak_dbtp = 1", "sched.toml: ingest.true_peak_dbtp: must be between -12"},
        {"max_duration_minutes = 0",
         "ingest.max_duration_minutes: must be between 1 and 1440, not 0"},
        {"opus_complexity = 11", "ingest.opus_complexity: must be between 0 and 10"},
        {"bandwidth = \"hifi\"",
         "ingest.bandwidth: must be narrowband, mediumband, wideband, superwideband or "
         "fullband, not \"hifi\""},
        {"tts_voice = \"\"", "ingest.tts_voice: must be an espeak-ng voice"},
        {"target = -16", "unknown key 'ingest.target'"},
    };
    for (const auto& [toml, expected] : cases) {
        const auto error = scheduler_error("[ingest]\n" + toml);
        EXPECT_NE(error.find(expected), std::string::npos) << toml << "\n  gave: " << error;
    }
}

TEST(SchedulerConfig, UnknownSectionsAndKeysAreErrors) {
    EXPECT_EQ(scheduler_error("[api]\nlisen = \"h:1\""),
              "sched.toml: unknown key 'api.lisen' (did you mean 'listen'?) (keys in [api]: "
              "listen)");
    EXPECT_EQ(
        scheduler_error("[shedule]\nhorizon_hours = 1"),
        "sched.toml: unknown section '[shedule]' (did you mean 'schedule'?) (sections: "
        "store, api, link, schedule, ingest, auth, bulletins, emergency, alerts, alarms, metrics, "
        "monitoring, log)");
    EXPECT_NE(scheduler_error("state_dir = \"/x\"").find("unknown key 'state_dir'"),
              std::string::npos);
    EXPECT_EQ(scheduler_error("api = 5"),
              "sched.toml: api: must be a table ([api]), not an "
              "integer");
    EXPECT_NE(scheduler_error("[api.extra]\nx = 1").find("unknown key 'api.extra'"),
              std::string::npos);
}

TEST(SchedulerConfig, ReadsAlarmsMetricsAndMonitoring) {
    const auto config = loa::config::parse_scheduler_config(R"(
[alarms]
webhook_url = "https://alerts.angiang.example/loa?x=1"
coverage_threshold = 0.75
evaluate_interval_s = 15
history_days = 30
[alarms.coverage_thresholds]
30001 = 0.9
D-1 = 0
[metrics]
require_token = true
[monitoring]
keep_days = 800
)",
                                                            "sched.toml");
    EXPECT_EQ(config.alarms.webhook_url, "https://alerts.angiang.example/loa?x=1");
    ASSERT_TRUE(config.alarms.coverage_threshold.has_value());
    EXPECT_DOUBLE_EQ(*config.alarms.coverage_threshold, 0.75);
    EXPECT_EQ(config.alarms.coverage_thresholds,
              (std::map<std::string, double>{{"30001", 0.9}, {"D-1", 0.0}}));
    EXPECT_EQ(config.alarms.evaluate_interval, 15s);
    EXPECT_EQ(config.alarms.history_days, 30);
    EXPECT_TRUE(config.metrics_require_token);
    EXPECT_EQ(config.monitoring_keep_days, 800);

    const auto defaults = loa::config::parse_scheduler_config("", "sched.toml");
    EXPECT_EQ(defaults.alarms.webhook_url, "");
    EXPECT_EQ(defaults.alarms.coverage_threshold, std::optional<double>{0.80});
    EXPECT_TRUE(defaults.alarms.coverage_thresholds.empty());
    EXPECT_EQ(defaults.alarms.evaluate_interval, 30s);
    EXPECT_EQ(defaults.alarms.history_days, 90);
    EXPECT_FALSE(defaults.metrics_require_token);
    EXPECT_EQ(defaults.monitoring_keep_days, 400);

    // "none": coverage is not checked (but for the units of the table); 1 is a number too.
    const auto none = loa::config::parse_scheduler_config(
        "[alarms]\ncoverage_threshold = \"none\"\n[alarms.coverage_thresholds]\nP = 1\n",
        "sched.toml");
    EXPECT_FALSE(none.alarms.coverage_threshold.has_value());
    EXPECT_EQ(none.alarms.coverage_thresholds.at("P"), 1.0);
    EXPECT_EQ(loa::config::parse_scheduler_config("[alarms]\nwebhook_url = \"\"\n", "s.toml")
                  .alarms.webhook_url,
              "");
}

TEST(SchedulerConfig, BadAlarmsMetricsAndMonitoringValuesNameTheKey) {
    struct Case {
        std::string toml;
        std::string expected;
    };
    const Case cases[] = {
        {"[alarms]\nwebhook_url = \"ftp://x/y\"",
         "sched.toml: alarms.webhook_url: 'ftp://x/y' must start with http:// or https://"},
        {"[alarms]\nwebhook_url = \"alerts.example\"",
         "alarms.webhook_url: 'alerts.example' must start with http://"},
        {"[alarms]\nwebhook_url = \"http:///loa\"",
         "sched.toml: alarms.webhook_url: 'http:///loa' has no host"},
        {"[alarms]\nwebhook_url = 5", "alarms.webhook_url: must be a string, not an integer"},
        {"[alarms]\ncoverage_threshold = 1.2",
         "sched.toml: alarms.coverage_threshold: must be between 0 and 1, not 1.2"},
        {"[alarms]\ncoverage_threshold = -0.1", "alarms.coverage_threshold: must be between"},
        {"[alarms]\ncoverage_threshold = \"off\"",
         "sched.toml: alarms.coverage_threshold: must be a number from 0 to 1, or \"none\", not "
         "\"off\""},
        {"[alarms]\ncoverage_threshold = true",
         "alarms.coverage_threshold: must be a number, not a boolean"},
        {"[alarms.coverage_thresholds]\nP = 80",
         "sched.toml: alarms.coverage_thresholds.P: must be between 0 and 1, not 80"},
        {"[alarms.coverage_thresholds]\nP = \"high\"",
         "sched.toml: alarms.coverage_thresholds.P: must be a number, not a string"},
        {"[alarms.coverage_thresholds]\n\"a b\" = 0.5",
         "alarms.coverage_thresholds.a b: is not a unit code"},
        {"[alarms]\ncoverage_thresholds = 0.5",
         "sched.toml: alarms.coverage_thresholds: must be a table ([alarms.coverage_thresholds]) "
         "of numbers, not a floating-point number"},
        {"[alarms]\nevaluate_interval_s = 0",
         "sched.toml: alarms.evaluate_interval_s: must be between 1 and 3600, not 0"},
        {"[alarms]\nhistory_days = 0", "alarms.history_days: must be between 1 and 3660"},
        {"[metrics]\nrequire_token = \"yes\"",
         "sched.toml: metrics.require_token: must be true or false, not a string"},
        {"[monitoring]\nkeep_days = 0",
         "sched.toml: monitoring.keep_days: must be between 1 and 3660, not 0"},
        {"[monitoring]\nkeep_days = 3661", "monitoring.keep_days: must be between"},
    };
    for (const auto& [toml, expected] : cases) {
        const auto error = scheduler_error(toml);
        EXPECT_NE(error.find(expected), std::string::npos) << toml << "\n  gave: " << error;
    }
    EXPECT_EQ(scheduler_error("[alarms]\nwebhook = \"http://x\""),
              "sched.toml: unknown key 'alarms.webhook' (keys in "
              "[alarms]: webhook_url, coverage_threshold, coverage_thresholds, "
              "evaluate_interval_s, history_days)");
    EXPECT_NE(scheduler_error("[metrics]\nrequire = true").find("unknown key 'metrics.require'"),
              std::string::npos);
}

TEST(SchedulerConfig, SyntaxErrorsNameFileAndLine) {
    const auto message = scheduler_error("[store]\nstate_dir = \"/x\"\nlisten = = 3\n");
    EXPECT_EQ(message.rfind("sched.toml:3: ", 0), 0U) << message;
    EXPECT_GT(message.size(), std::string{"sched.toml:3: "}.size());
    const auto unterminated = scheduler_error("\n\n\n[api]\nlisten = \"127.0.0.1:1\n");
    EXPECT_EQ(unterminated.rfind("sched.toml:5: ", 0), 0U) << unterminated;
    const auto duplicate = scheduler_error("[log]\nlevel = \"info\"\nlevel = \"debug\"\n");
    EXPECT_EQ(duplicate.rfind("sched.toml:3: ", 0), 0U) << duplicate;
}

TEST(AgentConfig, RequiredKeysAloneGiveDefaults) {
    const auto config = loa::config::parse_agent_config(required_agent_keys(), "agent.toml");
    AgentConfig expected;
    expected.scheduler_public_key = kCurvePublic;
    expected.scheduler_signing_key = kSigning;
    EXPECT_EQ(config, expected);
    EXPECT_EQ(config.output, OutputKind::portaudio);
    EXPECT_EQ(config.device, "default");
    EXPECT_TRUE(config.secret_key.empty());
}

TEST(AgentConfig, ReadsEveryKey) {
    const auto config = loa::config::parse_agent_config(
        "[store]\nstate_dir = \"/srv/agent\"\n[station]\nid = \"30280\"\n" + required_agent_keys() +
            "endpoint = \"tcp://10.0.0.1:7000\"\n[keys]\nsecret_key = \"" + kCurveSecret +
            "\"\n[link]\nheartbeat_interval_s = 3600\n[audio]\noutput = \"file\"\n"
            "device = \"hw:1\"\nhost_api = \"ALSA\"\nfile = \"/tmp/air.wav\"\n"
            "[log]\nlevel = \"warn\"\n",
        "agent.toml");
    EXPECT_EQ(config.state_dir, "/srv/agent");
    EXPECT_EQ(config.station_id, "30280");
    EXPECT_EQ(config.scheduler_endpoint, "tcp://10.0.0.1:7000");
    EXPECT_EQ(config.scheduler_public_key, kCurvePublic);
    EXPECT_EQ(config.scheduler_signing_key, kSigning);
    EXPECT_EQ(config.secret_key, kCurveSecret);
    EXPECT_EQ(config.heartbeat_interval, 3600s);
    EXPECT_EQ(config.output, OutputKind::file);
    EXPECT_EQ(config.device, "hw:1");
    EXPECT_EQ(config.host_api, "ALSA");
    EXPECT_EQ(config.output_file, "/tmp/air.wav");
    EXPECT_EQ(config.log_level, "warn");
}

TEST(AgentConfig, BadValuesNameFileAndKey) {
    const std::string req = required_agent_keys();
    struct Case {
        std::string toml;
        std::string expected;
    };
    const Case cases[] = {
        {"[log]\nlevel = \"info\"", "agent.toml: scheduler.public_key: missing"},
        {"[scheduler]\npublic_key = \"" + kCurvePublic + "\"",
         "agent.toml: scheduler.signing_key: missing"},
        {"[scheduler]\npublic_key = \"short\"\nsigning_key = \"" + kSigning + "\"",
         "agent.toml: scheduler.public_key: not valid: a CURVE key is 40 Z85 characters, this "
         "one has 5"},
        {"[scheduler]\npublic_key = \"" + kCurvePublic + "\"\nsigning_key = \"abc\"",
         "agent.toml: scheduler.signing_key: not valid: a signing public key is 64 hex digits"},
        {"[scheduler]\npublic_key = 1",
         "agent.toml: scheduler.public_key: must be a string, not "
         "an integer"},
        {req + "endpoint = \"tcp://*:8641\"", "agent.toml: scheduler.endpoint:"},
        {req + "endpoint = \"ipc:///run/loa\"",
         "agent.toml: scheduler.endpoint: must be a ZeroMQ endpoint starting with tcp://"},
        {req + "[keys]\nsecret_key = \"" + std::string(40, ' ') + "\"",
         "agent.toml: keys.secret_key: not valid"},
        {req + "[station]\nid = \"Mỹ Bình\"",
         "agent.toml: station.id: \"Mỹ Bình\" is not a "
         "station id"},
        {req + "[station]\nid = \"\"", "agent.toml: station.id:"},
        {req + "[link]\nheartbeat_interval_s = -1",
         "agent.toml: link.heartbeat_interval_s: must "
         "be between 1 and 3600, not -1"},
        {req + "[audio]\noutput = \"alsa\"",
         "agent.toml: audio.output: must be \"portaudio\", \"file\" or \"null\", not \"alsa\""},
        {req + "[audio]\noutput = \"file\"",
         "agent.toml: audio.file: missing: required when audio.output = \"file\""},
        {req + "[audio]\ndevice = \"\"", "agent.toml: audio.device: must not be empty"},
        {req + "[audio]\nhost_api = [\"ALSA\"]",
         "agent.toml: audio.host_api: must be a string, "
         "not an array"},
        {req + "[log]\nlevel = 3", "agent.toml: log.level: must be a string, not an integer"},
    };
    for (const auto& c : cases) {
        EXPECT_NE(agent_error(c.toml).find(c.expected), std::string::npos)
            << c.toml << "\n  gave: " << agent_error(c.toml);
    }
}

TEST(AgentConfig, ReadsMonitorKeys) {
    const auto config = loa::config::parse_agent_config(
        required_agent_keys() +
            "[monitor]\ndead_air_db = -60.0\ndead_air_s = 8\nclip_samples = 0\n",
        "agent.toml");
    EXPECT_DOUBLE_EQ(config.monitor.dead_air_db, -60.0);
    EXPECT_EQ(config.monitor.dead_air, 8s);
    EXPECT_EQ(config.monitor.clip_samples, 0U);
    EXPECT_EQ(loa::config::parse_agent_config(required_agent_keys(), "agent.toml").monitor,
              loa::config::MonitorConfig{});
    EXPECT_NE(agent_error(required_agent_keys() + "[monitor]\ndead_air_s = 0\n")
                  .find("agent.toml: monitor.dead_air_s: must be between 1 and 3600"),
              std::string::npos);
    EXPECT_NE(agent_error(required_agent_keys() + "[monitor]\ndead_air_db = 3.0\n")
                  .find("agent.toml: monitor.dead_air_db:"),
              std::string::npos);
}

TEST(AgentConfig, ReadsAirCheckKeys) {
    const auto defaults = loa::config::parse_agent_config(required_agent_keys(), "agent.toml");
    EXPECT_EQ(defaults.aircheck, loa::config::AirCheckConfig{});
    EXPECT_FALSE(defaults.aircheck.enabled);
    EXPECT_EQ(defaults.aircheck.keep_days, 31);
    EXPECT_EQ(defaults.aircheck.format, loa::config::AirCheckFormat::opus);

    const auto config = loa::config::parse_agent_config(
        required_agent_keys() +
            "[aircheck]\nenabled = true\ndir = \"/srv/air\"\nkeep_days = 90\n"
            "format = \"flac\"\nbitrate_kbps = 12\n",
        "agent.toml");
    EXPECT_TRUE(config.aircheck.enabled);
    EXPECT_EQ(config.aircheck.dir, "/srv/air");
    EXPECT_EQ(config.aircheck.keep_days, 90);
    EXPECT_EQ(config.aircheck.format, loa::config::AirCheckFormat::flac);
    EXPECT_EQ(config.aircheck.bitrate_kbps, 12);
}

TEST(AgentConfig, BadAirCheckKeysAreNamed) {
    const auto format = agent_error(required_agent_keys() + "[aircheck]\nformat = \"mp3\"\n");
    EXPECT_NE(format.find(R"(agent.toml: aircheck.format: must be "opus" or "flac", not "mp3")"),
              std::string::npos)
        << format;
    const auto days = agent_error(required_agent_keys() + "[aircheck]\nkeep_days = -3\n");
    EXPECT_NE(days.find("agent.toml: aircheck.keep_days: must be between 1 and 3660, not -3"),
              std::string::npos)
        << days;
    EXPECT_NE(agent_error(required_agent_keys() + "[aircheck]\nenabled = \"yes\"\n")
                  .find("agent.toml: aircheck.enabled:"),
              std::string::npos);
    EXPECT_NE(agent_error(required_agent_keys() + "[aircheck]\ndir = \"\"\n")
                  .find("agent.toml: aircheck.dir: must not be empty"),
              std::string::npos);
    EXPECT_NE(agent_error(required_agent_keys() + "[aircheck]\nbitrate_kbps = 500\n")
                  .find("agent.toml: aircheck.bitrate_kbps: must be between 6 and 64"),
              std::string::npos);
}

TEST(AgentConfig, ReadsTheClockTable) {
    EXPECT_EQ(loa::config::parse_agent_config(required_agent_keys(), "agent.toml").clock,
              loa::config::ClockConfig{});
    for (const auto ms : {-2000, 0, 1500, -86400000, 86400000}) {
        const auto config = loa::config::parse_agent_config(
            required_agent_keys() + fmt::format("[clock]\nsimulated_offset_ms = {}\n", ms),
            "agent.toml");
        EXPECT_EQ(config.clock.simulated_offset, std::chrono::milliseconds{ms});
        // Rendered and read back unchanged.
        EXPECT_EQ(
            loa::config::parse_agent_config(loa::config::render_agent_config(config), "agent.toml"),
            config);
    }
    const auto too_far =
        agent_error(required_agent_keys() + "[clock]\nsimulated_offset_ms = 86400001\n");
    EXPECT_NE(too_far.find("agent.toml: clock.simulated_offset_ms: must be between -86400000 "
                           "and 86400000, not 86400001"),
              std::string::npos)
        << too_far;
    EXPECT_NE(agent_error(required_agent_keys() + "[clock]\nsimulated_offset_ms = 1.5\n")
                  .find("agent.toml: clock.simulated_offset_ms:"),
              std::string::npos);
    EXPECT_NE(
        agent_error(required_agent_keys() + "[clock]\noffset_ms = 5\n").find("clock.offset_ms"),
        std::string::npos);
}

TEST(AgentConfig, ReadsTheMetricsTable) {
    const auto defaults = loa::config::parse_agent_config(required_agent_keys(), "agent.toml");
    EXPECT_EQ(defaults.metrics_listen, "");  // off
    EXPECT_EQ(loa::config::render_agent_config(defaults).find("[metrics]"), std::string::npos);
    for (const auto* listen : {"127.0.0.1:9641", "0.0.0.0:0", "[::1]:9641", ""}) {
        const auto config = loa::config::parse_agent_config(
            required_agent_keys() + fmt::format("[metrics]\nlisten = \"{}\"\n", listen),
            "agent.toml");
        EXPECT_EQ(config.metrics_listen, listen);
        EXPECT_EQ(
            loa::config::parse_agent_config(loa::config::render_agent_config(config), "agent.toml"),
            config);
    }
    const auto no_port = agent_error(required_agent_keys() + "[metrics]\nlisten = \"9641\"\n");
    EXPECT_NE(no_port.find("agent.toml: metrics.listen: '9641' has no port"), std::string::npos)
        << no_port;
    EXPECT_NE(agent_error(required_agent_keys() + "[metrics]\nlisten = \"127.0.0.1:70000\"\n")
                  .find("metrics.listen: '127.0.0.1:70000' the port must be a number"),
              std::string::npos);
    EXPECT_NE(agent_error(required_agent_keys() + "[metrics]\nlisten = 9641\n")
                  .find("agent.toml: metrics.listen:"),
              std::string::npos);
    EXPECT_NE(agent_error(required_agent_keys() + "[metrics]\nport = 9641\n").find("metrics.port"),
              std::string::npos);
}

TEST(AgentConfig, ReadsTheFaultsTable) {
    const auto defaults = loa::config::parse_agent_config(required_agent_keys(), "agent.toml");
    EXPECT_EQ(defaults.faults.drop_live_frames_percent, 0.0);
    EXPECT_EQ(defaults.faults.seed, 1U);
    EXPECT_EQ(loa::config::render_agent_config(defaults).find("[faults]"), std::string::npos);
    for (const auto* pct : {"10", "12.5", "0", "100"}) {
        const auto config = loa::config::parse_agent_config(
            required_agent_keys() +
                fmt::format("[faults]\ndrop_live_frames_percent = {}\nseed = 42\n", pct),
            "agent.toml");
        EXPECT_EQ(config.faults.drop_live_frames_percent, std::stod(pct));
        EXPECT_EQ(config.faults.seed, 42U);
        EXPECT_EQ(
            loa::config::parse_agent_config(loa::config::render_agent_config(config), "agent.toml"),
            config);
    }
    const auto too_many =
        agent_error(required_agent_keys() + "[faults]\ndrop_live_frames_percent = 101\n");
    EXPECT_NE(too_many.find("agent.toml: faults.drop_live_frames_percent: must be between 0 and "
                            "100, not 101"),
              std::string::npos)
        << too_many;
    EXPECT_NE(agent_error(required_agent_keys() + "[faults]\ndrop_live_frames_percent = \"10\"\n")
                  .find("agent.toml: faults.drop_live_frames_percent: must be a number"),
              std::string::npos);
    EXPECT_NE(agent_error(required_agent_keys() + "[faults]\nseed = -1\n").find("faults.seed"),
              std::string::npos);
    EXPECT_NE(agent_error(required_agent_keys() + "[faults]\ndrop_percent = 5\n")
                  .find("faults.drop_percent"),
              std::string::npos);
}

TEST(AgentConfig, MisspeltKeyIsNamed) {
    const auto message = agent_error(required_agent_keys() + "[audio]\noutptu = \"file\"\n");
    EXPECT_NE(message.find("agent.toml: unknown key 'audio.outptu' (did you mean 'output'?)"),
              std::string::npos)
        << message;
    // A key of the scheduler's file is no key of the agent's.
    EXPECT_NE(agent_error(required_agent_keys() + "[api]\nlisten = \"h:1\"\n")
                  .find("unknown section '[api]'"),
              std::string::npos);
}

TEST(AgentConfig, RenderThenParseGivesTheSameConfig) {
    AgentConfig full;
    full.state_dir = "/srv/loa \"agent\" \\ Mỹ Bình";
    full.station_id = "an-giang.30280";
    full.scheduler_endpoint = "tcp://[2001:db8::1]:8641";
    full.scheduler_public_key = kCurvePublic;
    full.scheduler_signing_key = kSigning;
    full.secret_key = kCurveSecret;
    full.heartbeat_interval = 25s;
    full.output = OutputKind::file;
    full.device = "USB Audio: #1\t(hw:1,0)";
    full.host_api = "ALSA";
    full.output_file = "/var/lib/loa/air.wav";
    full.log_level = "trace";
    full.monitor.dead_air_db = -42.5;
    full.monitor.dead_air = 12s;
    full.monitor.clip_samples = 3;
    full.aircheck.enabled = true;
    full.aircheck.dir = "/srv/loa/aircheck";
    full.aircheck.keep_days = 7;
    full.aircheck.format = loa::config::AirCheckFormat::flac;
    full.aircheck.bitrate_kbps = 24;
    const auto text = loa::config::render_agent_config(full);
    EXPECT_EQ(loa::config::parse_agent_config(text, "rendered.toml"), full) << text;
    EXPECT_NE(text.find("\n# "), std::string::npos) << "the rendered file explains its keys";

    AgentConfig minimal;
    minimal.scheduler_public_key = kCurvePublic;
    minimal.scheduler_signing_key = kSigning;
    EXPECT_EQ(
        loa::config::parse_agent_config(loa::config::render_agent_config(minimal), "rendered.toml"),
        minimal);
}

TEST(AgentConfig, RenderedKeysFromARealKeyPairParse) {
    const auto curve = loa::transport::CurveKeyPair::generate();
    const auto agent = loa::transport::CurveKeyPair::generate();
    const auto signing = loa::protocol::SigningKeyPair::generate();
    AgentConfig config;
    config.station_id = "30280";
    config.scheduler_public_key = curve.public_key;
    config.scheduler_signing_key = signing.public_key;
    config.secret_key = agent.secret_key;
    EXPECT_EQ(loa::config::parse_agent_config(loa::config::render_agent_config(config), "new.toml"),
              config);
}

TEST(ConfigFiles, ExamplesAreValid) {
    const std::filesystem::path examples =
        std::filesystem::path{LOA_SOURCE_DIR} / "config" / "examples";
    EXPECT_EQ(loa::config::load_scheduler_config(examples / "scheduler.toml"), SchedulerConfig{});
    const auto agent = loa::config::load_agent_config(examples / "agent.toml");
    EXPECT_EQ(agent.station_id, "30280");
    EXPECT_EQ(agent.scheduler_signing_key, kSigning);
    EXPECT_EQ(agent.output, OutputKind::portaudio);
}

TEST(ConfigFiles, LoadsFromDiskAndNamesTheFileInErrors) {
    TempDir dir;
    const auto good = dir.path() / "agent.toml";
    std::ofstream{good} << required_agent_keys() << "[station]\nid = \"30281\"\n";
    EXPECT_EQ(loa::config::load_agent_config(good).station_id, "30281");

    const auto bad = dir.path() / "scheduler.toml";
    std::ofstream{bad} << "[link]\nheartbeat_interval_s = 0\n";
    EXPECT_EQ(error_of([&] { (void)loa::config::load_scheduler_config(bad); }),
              bad.string() + ": link.heartbeat_interval_s: must be between 1 and 3600, not 0");
}

TEST(ConfigFiles, MissingOrUnreadableFileIsAnError) {
    TempDir dir;
    const auto missing = dir.path() / "nope.toml";
    EXPECT_EQ(error_of([&] { (void)loa::config::load_scheduler_config(missing); }),
              missing.string() + ": cannot read: No such file or directory");
    EXPECT_EQ(error_of([&] { (void)loa::config::load_agent_config(dir.path()); }),
              dir.path().string() + ": cannot read: Is a directory");
}

// --- agent: zones, playout, chimes ---

TEST(AgentConfig, DefaultIsOneSimulatedZoneWithoutChimes) {
    const auto config = loa::config::parse_agent_config(required_agent_keys(), "agent.toml");
    ASSERT_EQ(config.zones.size(), 1U);
    const auto& zone = config.zones[0];
    EXPECT_EQ(zone.name, "main");
    EXPECT_EQ(zone.amplifier, loa::config::AmplifierKind::simulated);
    EXPECT_EQ(zone.volume_db, 0.0);
    EXPECT_EQ(zone.lead_time, 3s);
    EXPECT_EQ(zone.hold_time, 30s);
    EXPECT_EQ(config.fade, 10ms);
    EXPECT_EQ(config.duck_db, -15.0);
    for (std::size_t i = 0; i < loa::config::kPriorityClassNames.size(); ++i) {
        EXPECT_EQ(config.class_volume_db[i], 0.0);
        EXPECT_TRUE(config.chimes[i].before.empty() && config.chimes[i].after.empty());
    }
}

TEST(AgentConfig, ReadsZonesPlayoutAndChimes) {
    const auto config = loa::config::parse_agent_config(
        required_agent_keys() +
            "[playout]\nfade_ms = 20\nduck_db = -12.5\nfiller_volume_db = -6\n"
            "emergency_volume_db = 3.0\n"
            "[chimes]\nemergency_before = \"/etc/loa/siren.opus\"\n"
            "emergency_after = \"/etc/loa/siren-end.opus\"\ndistrict_before = "
            "\"/etc/loa/ding.opus\"\n"
            "[[zones]]\nname = \"loa-1\"\namplifier = \"gpio\"\nvolume_db = -3\n"
            "lead_time_ms = 5000\nhold_time_s = 60\ngpio_chip = \"gpiochip1\"\ngpio_line = 17\n"
            "gpio_active_low = true\n",
        "agent.toml");
    EXPECT_EQ(config.fade, 20ms);
    EXPECT_EQ(config.duck_db, -12.5);
    EXPECT_EQ(config.class_volume_db[0], -6.0);  // filler
    EXPECT_EQ(config.class_volume_db[4], 3.0);   // emergency
    EXPECT_EQ(config.chimes[4].before, "/etc/loa/siren.opus");
    EXPECT_EQ(config.chimes[4].after, "/etc/loa/siren-end.opus");
    EXPECT_EQ(config.chimes[2].before, "/etc/loa/ding.opus");
    EXPECT_TRUE(config.chimes[2].after.empty());
    ASSERT_EQ(config.zones.size(), 1U);
    const auto& zone = config.zones[0];
    EXPECT_EQ(zone.name, "loa-1");
    EXPECT_EQ(zone.amplifier, loa::config::AmplifierKind::gpio);
    EXPECT_EQ(zone.volume_db, -3.0);
    EXPECT_EQ(zone.lead_time, 5s);
    EXPECT_EQ(zone.hold_time, 60s);
    EXPECT_EQ(zone.gpio_chip, "gpiochip1");
    EXPECT_EQ(zone.gpio_line, 17U);
    EXPECT_TRUE(zone.gpio_active_low);

    const auto command = loa::config::parse_agent_config(
        required_agent_keys() +
            "[[zones]]\namplifier = \"command\"\n"
            "power_on_command = [\"/usr/local/bin/amp\", \"--zone\", \"1\", \"on\"]\n"
            "power_off_command = [\"/usr/local/bin/amp\", \"off\"]\n",
        "agent.toml");
    EXPECT_EQ(command.zones.at(0).name, "main");
    EXPECT_EQ(command.zones.at(0).power_on_command,
              (std::vector<std::string>{"/usr/local/bin/amp", "--zone", "1", "on"}));
    EXPECT_EQ(command.zones.at(0).power_off_command,
              (std::vector<std::string>{"/usr/local/bin/amp", "off"}));
}

TEST(AgentConfig, BadZonePlayoutAndChimeValuesNameTheKey) {
    const std::string req = required_agent_keys();
    struct Case {
        std::string toml;
        std::string expected;
    };
    const Case cases[] = {
        {req + "[[zones]]\namplifier = \"relay\"",
         "agent.toml: zones[0].amplifier: must be \"simulated\", \"gpio\" or \"command\", not "
         "\"relay\""},
        {req + "[[zones]]\nname = \"zone 1\"",
         "agent.toml: zones[0].name: \"zone 1\" is not a zone"},
        {req + "[[zones]]\nvolume_db = 10",
         "agent.toml: zones[0].volume_db: must be between -60 "
         "and 6, not 10"},
        {req + "[[zones]]\nvolume_db = \"loud\"",
         "agent.toml: zones[0].volume_db: must be a number, not a string"},
        {req + "[[zones]]\nlead_time_ms = -5",
         "agent.toml: zones[0].lead_time_ms: must be between"},
        {req + "[[zones]]\nhold_time_s = 7200",
         "agent.toml: zones[0].hold_time_s: must be between"},
        {req + "[[zones]]\namplifier = \"gpio\"",
         "agent.toml: zones[0].gpio_chip: missing: required when amplifier = \"gpio\""},
        {req + "[[zones]]\ngpio_chip = \"gpiochip0\"\ngpio_active_low = 1",
         "agent.toml: zones[0].gpio_active_low: must be true or false, not an integer"},
        {req + "[[zones]]\namplifier = \"command\"\npower_on_command = [\"/bin/true\"]",
         "agent.toml: zones[0].power_off_command: missing: required when amplifier = "
         "\"command\""},
        {req + "[[zones]]\npower_on_command = \"/bin/amp on\"",
         "agent.toml: zones[0].power_on_command: must be an array of strings, not a string"},
        {req + "[[zones]]\npower_on_command = []",
         "agent.toml: zones[0].power_on_command: must "
         "name a program"},
        {req + "[[zones]]\npower_on_command = [\"/bin/amp\", 1]",
         "agent.toml: zones[0].power_on_command: must be an array of strings; element 1 is an "
         "integer"},
        {req + "[[zones]]\nname = \"a\"\n[[zones]]\nname = \"b\"",
         "agent.toml: zones[1].name: this agent drives one zone; 2 [[zones]] are given"},
        {req + "[[zones]]\nvolum_db = 1",
         "agent.toml: unknown key 'zones[0].volum_db' (did you mean 'volume_db'?)"},
        {req + "[zones]\nname = \"main\"",
         "agent.toml: zones: must be an array of tables ([[zones]]), not a table"},
        {req + "[playout]\nfade_ms = 0", "agent.toml: playout.fade_ms: must be between 1 and 100"},
        {req + "[playout]\nduck_db = 3", "agent.toml: playout.duck_db: must be between -60 and 0"},
        {req + "[playout]\nemergency_volume_db = 7.5",
         "agent.toml: playout.emergency_volume_db: must be between -60 and 6, not 7.5"},
        {req + "[chimes]\nemergency_before = \"\"",
         "agent.toml: chimes.emergency_before: must "
         "not be empty"},
        {req + "[chimes]\nemergncy_before = \"/x.opus\"",
         "agent.toml: unknown key 'chimes.emergncy_before' (did you mean 'emergency_before'?)"},
    };
    for (const auto& c : cases) {
        EXPECT_NE(agent_error(c.toml).find(c.expected), std::string::npos)
            << c.toml << "\n  gave: " << agent_error(c.toml);
    }
}

TEST(AgentConfig, RenderKeepsZonesPlayoutAndChimes) {
    AgentConfig config;
    config.scheduler_public_key = kCurvePublic;
    config.scheduler_signing_key = kSigning;
    config.fade = 25ms;
    config.duck_db = -20.5;
    config.class_volume_db = {-6.0, 0.0, -1.5, 0.0, 3.0};
    config.chimes[4] = {"/etc/loa/siren \"1\".opus", "/etc/loa/end.opus"};
    config.chimes[1].after = "/etc/loa/ding.opus";
    loa::config::ZoneConfig zone;
    zone.name = "north";
    zone.amplifier = loa::config::AmplifierKind::command;
    zone.volume_db = -2.25;
    zone.lead_time = 1500ms;
    zone.hold_time = 45s;
    zone.power_on_command = {"/usr/local/bin/amp", "on", "north side"};
    zone.power_off_command = {"/usr/local/bin/amp", "off"};
    config.zones = {zone};
    const auto text = loa::config::render_agent_config(config);
    EXPECT_EQ(loa::config::parse_agent_config(text, "rendered.toml"), config) << text;

    loa::config::ZoneConfig gpio;
    gpio.amplifier = loa::config::AmplifierKind::gpio;
    gpio.gpio_chip = "/dev/gpiochip2";
    gpio.gpio_line = 5;
    gpio.gpio_active_low = true;
    gpio.simulated_fault_file = "/run/loa/amp-fault";
    config.zones = {gpio};
    const auto gpio_text = loa::config::render_agent_config(config);
    EXPECT_EQ(loa::config::parse_agent_config(gpio_text, "rendered.toml"), config) << gpio_text;
}

TEST(SchedulerConfig, ReadsTheEmergencyLiveDelay) {
    EXPECT_EQ(loa::config::parse_scheduler_config("", "sched.toml").emergency_live_delay, 200ms);
    EXPECT_EQ(
        loa::config::parse_scheduler_config("[emergency]\nlive_delay_ms = 350\n", "sched.toml")
            .emergency_live_delay,
        350ms);
    EXPECT_NE(scheduler_error("[emergency]\nlive_delay_ms = 100\n").find("emergency.live_delay_ms"),
              std::string::npos);
    EXPECT_NE(
        scheduler_error("[emergency]\nlive_delay_ms = 5000\n").find("emergency.live_delay_ms"),
        std::string::npos);
}
