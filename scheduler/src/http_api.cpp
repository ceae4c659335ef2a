#include "loa/scheduler/http_api.hpp"

#include "loa/common/logging.hpp"
#include "loa/common/time_format.hpp"
#include "loa/config/config.hpp"
#include "loa/protocol/envelope.hpp"
#include "loa/scheduler/listen_address.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "loa/transport/curve_keys.hpp"

#include <httplib.h>
#include <pthread.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <initializer_list>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>
#include <variant>

#ifndef LOA_VERSION
#define LOA_VERSION "0.0.0"
#endif

namespace loa::scheduler {
namespace {

using nlohmann::json;

// A start time this much in the past is still accepted (the operator's clock, the request's
// trip); anything older is refused.
constexpr Duration kPastTolerance = std::chrono::seconds{5};
constexpr std::size_t kMaxUploadBytes = 512ULL * 1024 * 1024;
constexpr std::size_t kMaxNameLength = 200;
constexpr std::size_t kDefaultAsRunLimit = 100;
constexpr std::size_t kMaxAsRunLimit = 10000;
// A typed notice: at most this much text, and its first characters name the asset.
constexpr std::size_t kMaxSpeechBytes = 20000;
constexpr std::size_t kNoticeNameCharacters = 60;

// An answer that is not 2xx: the status and the message for {"error": ...}.
struct Failure {
    int status;
    std::string message;
};

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(dump(body), "application/json");
}

void reply_error(httplib::Response& res, const Failure& f) {
    reply(res, f.status, json{{"error", f.message}});
}

json time_or_null(const std::optional<std::int64_t>& us) {
    if (!us || *us == 0) {
        return nullptr;
    }
    return format_utc(from_unix_us(*us));
}

bool valid_station_id(std::string_view id) {
    if (id.empty() || id.size() > 64) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-' || c == '_' || c == '.';
    });
}

bool valid_name(std::string_view name) {
    return !name.empty() && name.size() <= kMaxNameLength &&
           std::none_of(name.begin(), name.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

// The body as a JSON object with no fields but `allowed`.
std::variant<json, Failure> parse_object(const std::string& body,
                                         std::initializer_list<std::string_view> allowed) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) {
        return Failure{400, "request body is not valid JSON"};
    }
    if (!j.is_object()) {
        return Failure{400, "request body must be a JSON object"};
    }
    for (const auto& [key, value] : j.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string names;
            for (const auto a : allowed) {
                names += names.empty() ? "" : ", ";
                names += a;
            }
            return Failure{400, fmt::format("unknown field '{}' (expected {})", key, names)};
        }
    }
    return j;
}

// A string field: absent gives nullopt, anything but a string a Failure.
std::variant<std::optional<std::string>, Failure> string_field(const json& j,
                                                               const std::string& key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::optional<std::string>{};
    }
    if (!it->is_string()) {
        return Failure{400, fmt::format("{}: must be a string", key)};
    }
    return std::optional<std::string>{it->get<std::string>()};
}

}  // namespace

struct HttpApi::Impl {
    HttpApiOptions options;
    SchedulerKeys keys;
    const AssetLibrary& assets;
    ILinkEvents& link;
    const IClock& clock;

    std::mutex store_mutex;
    SchedulerStore store;

    httplib::Server server;
    ListenAddress address;
    std::thread thread;
    std::mutex listen_mutex;
    std::condition_variable listen_done_cv;
    bool listen_done = false;

    Impl(HttpApiOptions o, const SchedulerKeys& k, const AssetLibrary& a, ILinkEvents& l,
         const IClock& c)
        : options{std::move(o)}, keys{k}, assets{a}, link{l}, clock{c}, store{options.database} {
        auto parsed = ListenAddress::parse(options.listen, "api listen address");
        if (!parsed) {
            throw std::runtime_error{parsed.error().message};
        }
        address = std::move(parsed).value();
        routes();
        if (address.port == 0) {
            const int port = server.bind_to_any_port(address.host);
            if (port <= 0) {
                throw std::runtime_error{
                    fmt::format("cannot listen on {} (API): bind failed", options.listen)};
            }
            address.port = port;
        } else if (!server.bind_to_port(address.host, address.port)) {
            throw std::runtime_error{fmt::format(
                "cannot listen on {} (API): address in use or not available", options.listen)};
        }
    }

    bool online(const StationRecord& s, TimePoint now) const {
        return s.last_seen_at_us &&
               now - from_unix_us(*s.last_seen_at_us) <= 3 * options.heartbeat_interval;
    }

    json station_json(const StationRecord& s, TimePoint now) const {
        return json{{"id", s.id},
                    {"name", s.name},
                    {"public_key", s.public_key},
                    {"created_at", format_utc(from_unix_us(s.created_at_us))},
                    {"online", online(s, now)},
                    {"last_seen_at", time_or_null(s.last_seen_at_us)},
                    {"timeline_revision", s.timeline_revision},
                    {"acked_revision", s.acked_revision},
                    {"software_version", s.software_version},
                    {"outbox_depth", s.outbox_depth},
                    {"assets_missing", s.assets_missing},
                    {"underruns", s.underruns}};
    }

    static json asset_json(const AssetRecord& a) {
        const auto one_decimal = [](const std::optional<double>& v) -> json {
            if (!v || !std::isfinite(*v)) {
                return nullptr;
            }
            return std::round(*v * 100.0) / 100.0;
        };
        return json{{"id", a.id},
                    {"name", a.name},
                    {"duration_ms", a.duration_ms},
                    {"size_bytes", a.size_bytes},
                    {"created_at", format_utc(from_unix_us(a.created_at_us))},
                    {"loudness_lufs", one_decimal(a.loudness_lufs)},
                    {"true_peak_dbtp", one_decimal(a.true_peak_dbtp)},
                    {"source_format", a.source_format}};
    }

    // What the ingest of a new asset measured and how fast it went (201 answers only).
    static json ingest_json(const IngestFigures& f) {
        const auto rounded = [](double v, double scale) -> json {
            return std::isfinite(v) ? json(std::round(v * scale) / scale) : json(nullptr);
        };
        return json{{"input_loudness_lufs", rounded(f.input_lufs, 100.0)},
                    {"input_true_peak_dbtp", rounded(f.input_true_peak_dbtp, 100.0)},
                    {"gain_db", rounded(f.gain_db, 100.0)},
                    {"limiter_reduction_db", rounded(f.limiter_reduction_db, 100.0)},
                    {"seconds", rounded(f.seconds, 1000.0)},
                    {"speed", rounded(f.speed, 10.0)}};
    }

    static json entry_json(const EntryRecord& e) {
        return json{{"id", e.id},
                    {"asset_id", e.asset_id},
                    {"title", e.title},
                    {"priority", protocol::priority_name(e.priority)},
                    {"start_at", format_utc(from_unix_us(e.start_at_us))},
                    {"stations", e.station_ids},
                    {"created_at", format_utc(from_unix_us(e.created_at_us))}};
    }

    static json record_json(const AsRunRow& r) {
        json start_error = nullptr;
        if (r.started_at_us != 0) {
            start_error = static_cast<double>(r.started_at_us - r.scheduled_at_us) / 1000.0;
        }
        return json{{"record_id", r.record_id},
                    {"station_id", r.station_id},
                    {"item_id", r.item_id},
                    {"asset_id", r.asset_id},
                    {"scheduled_at", format_utc(from_unix_us(r.scheduled_at_us))},
                    {"started_at", time_or_null(r.started_at_us)},
                    {"ended_at", time_or_null(r.ended_at_us)},
                    {"status", protocol::as_run_status_name(r.status)},
                    {"reason", r.reason},
                    {"timeline_revision", r.timeline_revision},
                    {"received_at", format_utc(from_unix_us(r.received_at_us))},
                    {"start_error_ms", start_error}};
    }

    void routes() {
        server.set_payload_max_length(kMaxUploadBytes);
        server.set_keep_alive_timeout(2);
        server.set_exception_handler(
            [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
                std::string what = "unknown error";
                try {
                    std::rethrow_exception(std::move(ep));
                } catch (const std::exception& e) {
                    what = e.what();
                } catch (...) {
                }
                spdlog::error("api: {} {} failed: {}", req.method, req.path, what);
                reply_error(res, {500, fmt::format("internal error: {}", what)});
            });
        server.set_error_handler(httplib::Server::HandlerWithResponse{
            [](const httplib::Request& req, httplib::Response& res) {
                if (!res.body.empty()) {
                    return httplib::Server::HandlerResponse::Unhandled;
                }
                reply_error(
                    res, {res.status, res.status == 404
                                          ? fmt::format("no such path: {} {}", req.method, req.path)
                                          : fmt::format("HTTP {}", res.status)});
                return httplib::Server::HandlerResponse::Handled;
            }});
        server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
            spdlog::debug("api: {} {} -> {}", req.method, req.path, res.status);
        });

        server.Get("/api/v1/health", [this](const auto& req, auto& res) { health(req, res); });
        server.Get("/api/v1/link", [this](const auto& req, auto& res) { link_info(req, res); });
        server.Post("/api/v1/stations", [this](const httplib::Request& req,
                                               httplib::Response& res) { add_station(req, res); });
        server.Get("/api/v1/stations",
                   [this](const auto& req, auto& res) { list_stations(req, res); });
        server.Get(R"(/api/v1/stations/([^/]+))",
                   [this](const auto& req, auto& res) { get_station(req, res); });
        server.Post("/api/v1/assets", [this](const httplib::Request& req, httplib::Response& res) {
            add_asset(req, res);
        });
        server.Get("/api/v1/assets", [this](const auto& req, auto& res) { list_assets(req, res); });
        server.Post("/api/v1/assets/tts", [this](const httplib::Request& req,
                                                 httplib::Response& res) { add_speech(req, res); });
        server.Get(R"(/api/v1/assets/([^/]+))",
                   [this](const auto& req, auto& res) { get_asset(req, res); });
        server.Get(R"(/api/v1/assets/([^/]+)/audio)",
                   [this](const auto& req, auto& res) { get_asset_audio(req, res); });
        server.Post("/api/v1/schedule", [this](const httplib::Request& req,
                                               httplib::Response& res) { add_entry(req, res); });
        server.Get("/api/v1/schedule",
                   [this](const auto& req, auto& res) { list_entries(req, res); });
        server.Get("/api/v1/asrun", [this](const auto& req, auto& res) { list_as_run(req, res); });
    }

    void health(const httplib::Request&, httplib::Response& res) {
        const auto now = clock.now();
        std::lock_guard lock{store_mutex};
        const auto stations = store.list_stations();
        const auto n_online = std::count_if(stations.begin(), stations.end(),
                                            [&](const auto& s) { return online(s, now); });
        reply(res, 200,
              json{{"status", "ok"},
                   {"version", LOA_VERSION},
                   {"stations", stations.size()},
                   {"online", n_online}});
    }

    void link_info(const httplib::Request&, httplib::Response& res) {
        reply(res, 200,
              json{{"endpoint", options.link_public_endpoint},
                   {"public_key", keys.curve.public_key},
                   {"signing_key", keys.signing.public_key}});
    }

    void add_station(const httplib::Request& req, httplib::Response& res) {
        auto body = parse_object(req.body, {"id", "name", "public_key"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        const json& j = std::get<json>(body);
        auto id = string_field(j, "id");
        auto name = string_field(j, "name");
        auto key = string_field(j, "public_key");
        for (auto* field : {&id, &name, &key}) {
            if (auto* f = std::get_if<Failure>(field)) {
                return reply_error(res, *f);
            }
        }
        const auto& id_value = std::get<0>(id);
        const auto& name_value = std::get<0>(name);
        const auto& key_value = std::get<0>(key);
        if (!id_value) {
            return reply_error(res, {400, "id: required (the station's id, e.g. \"30280\")"});
        }
        if (!valid_station_id(*id_value)) {
            return reply_error(res, {400, fmt::format("id: '{}' must be 1-64 letters, digits, "
                                                      "'-', '_' or '.'",
                                                      *id_value)});
        }
        if (!name_value) {
            return reply_error(res, {400, "name: required (the station's name)"});
        }
        if (!valid_name(*name_value)) {
            return reply_error(res, {400, fmt::format("name: must be 1-{} characters without "
                                                      "control characters",
                                                      kMaxNameLength)});
        }
        std::optional<transport::CurveKeyPair> generated;
        std::string public_key;
        if (key_value) {
            if (auto s = transport::check_curve_key(*key_value, "public_key"); !s) {
                return reply_error(res, {400, s.message()});
            }
            public_key = *key_value;
        } else {
            generated = transport::CurveKeyPair::generate();
            public_key = generated->public_key;
        }
        const auto now = clock.now();
        StationRecord station;
        station.id = *id_value;
        station.name = *name_value;
        station.public_key = public_key;
        station.created_at_us = to_unix_us(now);
        std::optional<StationRecord> stored;
        {
            std::lock_guard lock{store_mutex};
            if (auto s = store.add_station(station); !s) {
                return reply_error(res, {409, s.message()});
            }
            stored = store.find_station(station.id);
        }
        link.station_registered(station.id, public_key);
        spdlog::info("api: station {} ({}) registered", station.id, station.name);
        json answer = station_json(*stored, now);
        if (generated) {
            config::AgentConfig agent;
            agent.station_id = station.id;
            agent.scheduler_endpoint = options.link_public_endpoint;
            agent.scheduler_public_key = keys.curve.public_key;
            agent.scheduler_signing_key = keys.signing.public_key;
            agent.secret_key = generated->secret_key;
            agent.heartbeat_interval = options.heartbeat_interval;
            answer["agent_config"] = config::render_agent_config(agent);
        }
        reply(res, 201, answer);
    }

    void list_stations(const httplib::Request&, httplib::Response& res) {
        const auto now = clock.now();
        json out = json::array();
        std::lock_guard lock{store_mutex};
        for (const auto& s : store.list_stations()) {
            out.push_back(station_json(s, now));
        }
        reply(res, 200, out);
    }

    void get_station(const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        const auto now = clock.now();
        std::lock_guard lock{store_mutex};
        const auto s = store.find_station(id);
        if (!s) {
            return reply_error(res, {404, fmt::format("station '{}' is not registered", id)});
        }
        reply(res, 200, station_json(*s, now));
    }

    void add_asset(const httplib::Request& req, httplib::Response& res) {
        const std::string name =
            req.has_param("name") ? req.get_param_value("name") : std::string{"unnamed"};
        if (!valid_name(name)) {
            return reply_error(res, {400, fmt::format("name: must be 1-{} characters without "
                                                      "control characters",
                                                      kMaxNameLength)});
        }
        if (req.body.empty()) {
            return reply_error(res, {400, "body: empty (send the audio file's bytes)"});
        }
        const std::span<const std::uint8_t> bytes{
            reinterpret_cast<const std::uint8_t*>(req.body.data()), req.body.size()};
        {
            std::lock_guard lock{store_mutex};
            const auto known = store.find_asset_by_source(AssetLibrary::source_digest(bytes));
            if (known && std::filesystem::exists(assets.path_of(known->id))) {
                return reply(res, 200, asset_json(*known));
            }
        }
        spdlog::info("api: ingesting '{}' ({} bytes)", name, bytes.size());
        auto pending = assets.transcode(bytes, name);
        if (!pending) {
            spdlog::warn("api: upload '{}' refused: {}", name, pending.error().message);
            return reply_error(res, {400, pending.error().message});
        }
        store_pending(*pending, name, res);
    }

    // Installs an ingested asset and records it; answers 201 with the asset and the ingest's
    // figures, or 200 with the asset when the same audio is known already.
    void store_pending(AssetLibrary::Pending& pending, const std::string& name,
                       httplib::Response& res) {
        std::lock_guard lock{store_mutex};
        if (const auto known = store.find_asset(pending.id()); known) {
            return reply(res, 200, asset_json(*known));
        }
        if (auto s = assets.install(pending); !s) {
            return reply_error(res, {500, s.message()});
        }
        AssetRecord asset;
        asset.id = pending.id();
        asset.name = name;
        asset.duration_ms = pending.duration_ms();
        asset.size_bytes = pending.size_bytes();
        asset.created_at_us = to_unix_us(clock.now());
        asset.source_sha256 = pending.source_sha256();
        asset.loudness_lufs = pending.loudness_lufs();
        asset.true_peak_dbtp = pending.true_peak_dbtp();
        asset.source_format = pending.source_format();
        try {
            store.add_asset(asset);
        } catch (...) {
            assets.remove(asset.id);
            throw;
        }
        const auto& f = pending.figures();
        spdlog::info(
            "api: asset {} '{}' ({} ms, {} bytes, {}) added: {:.1f} LUFS, {:.1f} dBTP "
            "(input {:.1f} LUFS), ingested in {:.2f} s ({:.0f}x real time)",
            asset.id, asset.name, asset.duration_ms, asset.size_bytes, asset.source_format,
            pending.loudness_lufs(), pending.true_peak_dbtp(), f.input_lufs, f.seconds, f.speed);
        json answer = asset_json(asset);
        answer["ingest"] = ingest_json(f);
        reply(res, 201, answer);
    }

    void add_speech(const httplib::Request& req, httplib::Response& res) {
        auto body = parse_object(req.body, {"text", "voice", "name"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        const json& j = std::get<json>(body);
        auto text = string_field(j, "text");
        auto voice = string_field(j, "voice");
        auto name = string_field(j, "name");
        for (auto* field : {&text, &voice, &name}) {
            if (auto* f = std::get_if<Failure>(field)) {
                return reply_error(res, *f);
            }
        }
        const auto& text_value = std::get<0>(text);
        const auto& voice_value = std::get<0>(voice);
        const auto& name_value = std::get<0>(name);
        if (!text_value || std::all_of(text_value->begin(), text_value->end(), [](char c) {
                return std::isspace(static_cast<unsigned char>(c)) != 0;
            })) {
            return reply_error(res, {400, "text: required (the notice to speak)"});
        }
        if (text_value->size() > kMaxSpeechBytes) {
            return reply_error(res, {400, fmt::format("text: {} bytes is too long (at most {})",
                                                      text_value->size(), kMaxSpeechBytes)});
        }
        if (name_value && !valid_name(*name_value)) {
            return reply_error(res, {400, fmt::format("name: must be 1-{} characters without "
                                                      "control characters",
                                                      kMaxNameLength)});
        }
        const std::string voice_name = voice_value ? *voice_value : assets.ingest_config().voice;
        const auto language = assets.find_voice(voice_name);
        if (!language) {
            return reply_error(res, {400, fmt::format("voice: {}", language.error().message)});
        }
        {
            std::lock_guard lock{store_mutex};
            const auto known =
                store.find_asset_by_source(AssetLibrary::speech_digest(*text_value, *language));
            if (known && std::filesystem::exists(assets.path_of(known->id))) {
                return reply(res, 200, asset_json(*known));
            }
        }
        const std::string asset_name = name_value ? *name_value : notice_name(*text_value);
        spdlog::info("api: speaking a notice of {} bytes with voice '{}'", text_value->size(),
                     voice_name);
        auto pending = assets.speak(*text_value, *language);
        if (!pending) {
            spdlog::warn("api: notice refused: {}", pending.error().message);
            return reply_error(res, {400, fmt::format("text: {}", pending.error().message)});
        }
        store_pending(*pending, asset_name, res);
    }

    // "Thông báo họp tổ dân phố lúc 15 giờ…": the notice's start, for its asset name.
    static std::string notice_name(const std::string& text) {
        std::string out;
        std::size_t characters = 0;
        bool space = false;
        for (std::size_t i = 0; i < text.size() && characters < kNoticeNameCharacters; ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (std::isspace(c) != 0 || c < 0x20) {
                space = !out.empty();
                continue;
            }
            if (space) {
                out += ' ';
                ++characters;
                space = false;
            }
            out += text[i];
            // Count UTF-8 characters by their first byte.
            if ((c & 0xC0U) != 0x80U) {
                ++characters;
            }
        }
        // Finish a multi-byte character cut at the end.
        for (std::size_t i = out.size(); i < text.size(); ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if ((c & 0xC0U) != 0x80U) {
                break;
            }
            out += text[i];
        }
        return out.size() < text.size() ? out + "…" : out;
    }

    void get_asset_audio(const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        {
            std::lock_guard lock{store_mutex};
            if (!store.find_asset(id)) {
                return reply_error(res, {404, fmt::format("asset '{}' does not exist", id)});
            }
        }
        const auto path = assets.path_of(id);
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        std::ifstream in{path, std::ios::binary};
        std::string bytes(ec ? 0 : static_cast<std::size_t>(size), '\0');
        if (ec || !in || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
            return reply_error(
                res, {404, fmt::format("asset '{}' has no audio file on this scheduler", id)});
        }
        res.status = 200;
        res.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}.opus\"", id));
        res.set_content(std::move(bytes), "audio/ogg");
    }

    void list_assets(const httplib::Request&, httplib::Response& res) {
        json out = json::array();
        std::lock_guard lock{store_mutex};
        for (const auto& a : store.list_assets()) {
            out.push_back(asset_json(a));
        }
        reply(res, 200, out);
    }

    void get_asset(const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        std::lock_guard lock{store_mutex};
        const auto a = store.find_asset(id);
        if (!a) {
            return reply_error(res, {404, fmt::format("asset '{}' does not exist", id)});
        }
        reply(res, 200, asset_json(*a));
    }

    void add_entry(const httplib::Request& req, httplib::Response& res) {
        auto body = parse_object(req.body, {"asset_id", "at", "stations", "title", "priority"});
        if (auto* f = std::get_if<Failure>(&body)) {
            return reply_error(res, *f);
        }
        const json& j = std::get<json>(body);
        auto asset_id = string_field(j, "asset_id");
        auto at = string_field(j, "at");
        auto title = string_field(j, "title");
        auto priority = string_field(j, "priority");
        for (auto* field : {&asset_id, &at, &title, &priority}) {
            if (auto* f = std::get_if<Failure>(field)) {
                return reply_error(res, *f);
            }
        }
        const auto& asset_value = std::get<0>(asset_id);
        const auto& at_value = std::get<0>(at);
        const auto& title_value = std::get<0>(title);
        const auto& priority_value = std::get<0>(priority);
        if (!asset_value) {
            return reply_error(res, {400, "asset_id: required (the id of an uploaded asset)"});
        }
        if (!at_value) {
            return reply_error(res, {400,
                                     "at: required (the start time, e.g. "
                                     "2026-11-27T17:00:00+07:00)"});
        }
        const auto stations_it = j.find("stations");
        if (stations_it == j.end() || !stations_it->is_array() || stations_it->empty()) {
            return reply_error(res, {400, "stations: required, a non-empty array of station ids"});
        }
        NewEntry entry;
        std::set<std::string> seen;
        for (const auto& s : *stations_it) {
            if (!s.is_string()) {
                return reply_error(res, {400,
                                         "stations: every element must be a station id "
                                         "string"});
            }
            if (seen.insert(s.get<std::string>()).second) {
                entry.station_ids.push_back(s.get<std::string>());
            }
        }
        auto start = parse_time(*at_value, options.time_zone);
        if (!start) {
            return reply_error(res, {400, fmt::format("at: {}", start.error().message)});
        }
        const auto now = clock.now();
        if (*start < now - kPastTolerance) {
            return reply_error(res, {400, fmt::format("at: {} is in the past (now is {})",
                                                      format_utc(*start), format_utc(now))});
        }
        entry.priority = wire::COMMUNE;
        if (priority_value) {
            auto p = protocol::parse_priority(*priority_value);
            if (!p) {
                return reply_error(res, {400, fmt::format("priority: {}", p.error().message)});
            }
            entry.priority = *p;
        }
        if (title_value && !valid_name(*title_value)) {
            return reply_error(res, {400, fmt::format("title: must be 1-{} characters without "
                                                      "control characters",
                                                      kMaxNameLength)});
        }
        entry.asset_id = *asset_value;
        entry.start_at_us = to_unix_us(*start);
        EntryRecord stored;
        {
            std::lock_guard lock{store_mutex};
            const auto asset = store.find_asset(entry.asset_id);
            if (!asset) {
                return reply_error(
                    res, {400, fmt::format("asset_id: asset '{}' does not exist", entry.asset_id)});
            }
            for (const auto& id : entry.station_ids) {
                if (!store.find_station(id)) {
                    return reply_error(
                        res, {400, fmt::format("stations: station '{}' is not registered", id)});
                }
            }
            entry.title = title_value ? *title_value : asset->name;
            stored = store.add_entry(entry, now, options.horizon);
        }
        link.timelines_changed(stored.station_ids);
        spdlog::info("api: entry {} '{}' at {} for {} station(s)", stored.id, stored.title,
                     format_utc(*start), stored.station_ids.size());
        reply(res, 201, entry_json(stored));
    }

    void list_entries(const httplib::Request&, httplib::Response& res) {
        json out = json::array();
        std::lock_guard lock{store_mutex};
        for (const auto& e : store.list_entries()) {
            out.push_back(entry_json(e));
        }
        reply(res, 200, out);
    }

    void list_as_run(const httplib::Request& req, httplib::Response& res) {
        std::size_t limit = kDefaultAsRunLimit;
        if (req.has_param("limit")) {
            const std::string text = req.get_param_value("limit");
            std::size_t value = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
                value == 0 || value > kMaxAsRunLimit) {
                return reply_error(res, {400, fmt::format("limit: '{}' is not a number from 1 "
                                                          "to {}",
                                                          text, kMaxAsRunLimit)});
            }
            limit = value;
        }
        const std::string station = req.has_param("station") ? req.get_param_value("station") : "";
        json out = json::array();
        std::lock_guard lock{store_mutex};
        if (!station.empty() && !store.find_station(station)) {
            return reply_error(res, {404, fmt::format("station: '{}' is not registered", station)});
        }
        for (const auto& r : store.list_as_run(station, limit)) {
            out.push_back(record_json(r));
        }
        reply(res, 200, out);
    }
};

HttpApi::HttpApi(HttpApiOptions options, const SchedulerKeys& keys, const AssetLibrary& assets,
                 ILinkEvents& link, const IClock& clock)
    : impl_{std::make_unique<Impl>(std::move(options), keys, assets, link, clock)} {}

HttpApi::~HttpApi() {
    stop();
}

int HttpApi::port() const {
    return impl_->address.port;
}

std::string HttpApi::url() const {
    return "http://" + impl_->address.to_string();
}

void HttpApi::start() {
    if (impl_->thread.joinable()) {
        return;
    }
    impl_->thread = std::thread{[impl = impl_.get()] {
        pthread_setname_np(pthread_self(), "loa-api");
        if (!impl->server.listen_after_bind()) {
            spdlog::debug("api: listening loop ended");
        }
        std::lock_guard lock{impl->listen_mutex};
        impl->listen_done = true;
        impl->listen_done_cv.notify_all();
    }};
}

void HttpApi::stop() {
    if (!impl_->thread.joinable()) {
        return;
    }
    {
        // httplib's stop() does nothing until its loop has started: repeat until it ended.
        std::unique_lock lock{impl_->listen_mutex};
        while (!impl_->listen_done) {
            impl_->server.stop();
            impl_->listen_done_cv.wait_for(lock, std::chrono::milliseconds{20});
        }
    }
    impl_->thread.join();
}

}  // namespace loa::scheduler
