#include "loa/scheduler/http_api.hpp"
#include "loa/scheduler/auth_store.hpp"
#include "loa/scheduler/planner.hpp"

#include "loa/common/digest.hpp"
#include "loa/config/config.hpp"
#include "loa/scheduler/scheduler_store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Records what the API told the link.
class RecordingLink final : public ILinkEvents {
public:
    void station_registered(const std::string& station_id, const std::string& public_key) override {
        std::lock_guard lock{mutex_};
        registered_.emplace_back(station_id, public_key);
    }
    void timelines_changed(const std::vector<std::string>& station_ids) override {
        std::lock_guard lock{mutex_};
        changed_.push_back(station_ids);
    }
    std::vector<std::pair<std::string, std::string>> registered() {
        std::lock_guard lock{mutex_};
        return registered_;
    }
    std::vector<std::vector<std::string>> changed() {
        std::lock_guard lock{mutex_};
        return changed_;
    }

private:
    std::mutex mutex_;
    std::vector<std::pair<std::string, std::string>> registered_;
    std::vector<std::vector<std::string>> changed_;
};

class HttpApiTest : public ::testing::Test {
protected:
    HttpApiTest() : assets{dir.path()} {
        HttpApiOptions options;
        options.listen = "127.0.0.1:0";
        options.database = db_path();
        options.link_public_endpoint = "tcp://203.0.113.5:8641";
        options.heartbeat_interval = 10s;
        options.horizon = std::chrono::hours{24 * 7};
        options.time_zone = "Asia/Ho_Chi_Minh";
        options.auth = cheap_auth();
        PlannerOptions plan;
        plan.database = db_path();
        plan.horizon = options.horizon;
        planner = std::make_unique<Planner>(plan, clock, link);
        api = std::make_unique<HttpApi>(options, keys, assets, link, *planner, clock);
        api->start();
        client = std::make_unique<httplib::Client>("127.0.0.1", api->port());
        client->set_read_timeout(20, 0);
        admin_token = make_user("root", Role::admin, "");
        client->set_bearer_token_auth(admin_token);
    }

    // argon2id at its lowest cost: the tests check the rules, not the hash's strength.
    static AuthOptions cheap_auth() {
        AuthOptions o;
        o.pwhash_opslimit = 1;
        o.pwhash_memlimit = 8192;
        return o;
    }

    // Adds a user straight to the database and answers an API token for it.
    std::string make_user(const std::string& name, Role role, const std::string& scope) {
        AuthStore auth{db_path(), clock, cheap_auth()};
        NewUser u;
        u.name = name;
        u.role = role;
        u.scope = scope;
        const auto added = auth.add_user(u, "", Actor{"test", "local"});
        EXPECT_TRUE(added) << added.error().message;
        const auto token = auth.issue_api_token(name, "test", std::nullopt, Actor{"test", "local"});
        EXPECT_TRUE(token) << token.error().message;
        return token ? token->token : std::string{};
    }

    std::string db_path() const { return (dir.path() / "scheduler.db").string(); }

    // The answer's status and parsed body.
    std::pair<int, json> get(const std::string& path) {
        const auto res = client->Get(path.c_str());
        EXPECT_TRUE(res) << "no answer to GET " << path;
        if (!res) {
            return {0, {}};
        }
        return {res->status, json::parse(res->body)};
    }
    std::pair<int, json> post(const std::string& path, const std::string& body,
                              const char* type = "application/json") {
        const auto res = client->Post(path.c_str(), body, type);
        EXPECT_TRUE(res) << "no answer to POST " << path;
        if (!res) {
            return {0, {}};
        }
        EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
        return {res->status, json::parse(res->body)};
    }
    std::pair<int, json> add_station(const std::string& id, const std::string& key = "") {
        json body{{"id", id}, {"name", "Mỹ Bình"}};
        if (!key.empty()) {
            body["public_key"] = key;
        }
        return post("/api/v1/stations", body.dump());
    }
    std::string upload_tone() {
        const auto [status, asset] =
            post("/api/v1/assets?name=tone.wav", test::sine_wav(1.0), "audio/wav");
        EXPECT_EQ(status, 201) << asset.dump();
        return asset.value("id", "");
    }

    // Expects a 4xx answer whose error names `field`.
    static void expect_error(const std::pair<int, json>& answer, int status,
                             const std::string& field) {
        EXPECT_EQ(answer.first, status) << answer.second.dump();
        ASSERT_TRUE(answer.second.contains("error")) << answer.second.dump();
        EXPECT_NE(answer.second["error"].get<std::string>().find(field), std::string::npos)
            << answer.second.dump();
    }

    test::TempDir dir;
    FakeClock clock{test::test_epoch()};
    SchedulerKeys keys{transport::CurveKeyPair::generate(), protocol::SigningKeyPair::generate()};
    RecordingLink link;
    AssetLibrary assets;
    std::unique_ptr<Planner> planner;
    std::unique_ptr<HttpApi> api;
    std::unique_ptr<httplib::Client> client;
    std::string admin_token;
};

}  // namespace

TEST_F(HttpApiTest, ListensOnAnEphemeralPort) {
    EXPECT_GT(api->port(), 0);
    EXPECT_EQ(api->url(), "http://127.0.0.1:" + std::to_string(api->port()));
    const auto [status, health] = get("/api/v1/health");
    EXPECT_EQ(status, 200);
    EXPECT_EQ(health["status"], "ok");
    EXPECT_EQ(health["stations"], 0);
    EXPECT_EQ(health["online"], 0);
    EXPECT_FALSE(health["version"].get<std::string>().empty());
}

TEST_F(HttpApiTest, LinkInfoNamesTheSchedulerKeys) {
    const auto [status, info] = get("/api/v1/link");
    EXPECT_EQ(status, 200);
    EXPECT_EQ(info["endpoint"], "tcp://203.0.113.5:8641");
    EXPECT_EQ(info["public_key"], keys.curve.public_key);
    EXPECT_EQ(info["signing_key"], keys.signing.public_key);
}

TEST_F(HttpApiTest, StationsAreAddedAndListed) {
    const auto key = transport::CurveKeyPair::generate().public_key;
    const auto [status, station] = add_station("30280", key);
    ASSERT_EQ(status, 201) << station.dump();
    EXPECT_EQ(station["id"], "30280");
    EXPECT_EQ(station["name"], "Mỹ Bình");
    EXPECT_EQ(station["public_key"], key);
    EXPECT_EQ(station["online"], false);
    EXPECT_TRUE(station["last_seen_at"].is_null());
    EXPECT_EQ(station["timeline_revision"], 1);
    EXPECT_EQ(station["acked_revision"], 0);
    EXPECT_EQ(station["created_at"], "2026-11-27T00:00:00.000Z");
    EXPECT_FALSE(station.contains("agent_config"));
    EXPECT_EQ(link.registered(),
              (std::vector<std::pair<std::string, std::string>>{{"30280", key}}));

    ASSERT_EQ(add_station("30281").first, 201);
    const auto [list_status, list] = get("/api/v1/stations");
    EXPECT_EQ(list_status, 200);
    ASSERT_EQ(list.size(), 2U);
    EXPECT_EQ(list[0]["id"], "30280");
    EXPECT_EQ(list[1]["id"], "30281");
    const auto [one_status, one] = get("/api/v1/stations/30281");
    EXPECT_EQ(one_status, 200);
    EXPECT_EQ(one["id"], "30281");
    expect_error(get("/api/v1/stations/nope"), 404, "nope");

    // Online follows the last time the station was heard from (3 heartbeat intervals).
    {
        SchedulerStore store{db_path()};
        store.record_hello("30280", "agent", clock.now());
    }
    EXPECT_EQ(get("/api/v1/stations/30280").second["online"], true);
    EXPECT_EQ(get("/api/v1/health").second["online"], 1);
    clock.advance(31s);
    EXPECT_EQ(get("/api/v1/stations/30280").second["online"], false);
}

TEST_F(HttpApiTest, AGeneratedAgentConfigParsesAndItsSecretIsNotKept) {
    const auto [status, station] = add_station("30280");
    ASSERT_EQ(status, 201) << station.dump();
    ASSERT_TRUE(station["agent_config"].is_string());
    const auto config =
        config::parse_agent_config(station["agent_config"].get<std::string>(), "agent_config");
    EXPECT_EQ(config.station_id, "30280");
    EXPECT_EQ(config.scheduler_endpoint, "tcp://203.0.113.5:8641");
    EXPECT_EQ(config.scheduler_public_key, keys.curve.public_key);
    EXPECT_EQ(config.scheduler_signing_key, keys.signing.public_key);
    EXPECT_EQ(config.output, config::OutputKind::portaudio);
    const auto derived = transport::CurveKeyPair::from_secret(config.secret_key);
    ASSERT_TRUE(derived.ok());
    EXPECT_EQ(derived->public_key, station["public_key"]);

    // The secret is in no file of the state folder.
    for (const auto& entry : std::filesystem::recursive_directory_iterator{dir.path()}) {
        if (entry.is_regular_file()) {
            EXPECT_EQ(test::read_file(entry.path()).find(config.secret_key), std::string::npos)
                << entry.path();
        }
    }
}

TEST_F(HttpApiTest, BadStationRequestsAreRefusedAndStoreNothing) {
    expect_error(post("/api/v1/stations", "{not json"), 400, "JSON");
    expect_error(post("/api/v1/stations", "[1,2]"), 400, "object");
    expect_error(post("/api/v1/stations", R"({"name":"x"})"), 400, "id");
    expect_error(post("/api/v1/stations", R"({"id":"a b","name":"x"})"), 400, "id");
    expect_error(post("/api/v1/stations", R"({"id":7,"name":"x"})"), 400, "id");
    expect_error(post("/api/v1/stations", R"({"id":"a"})"), 400, "name");
    expect_error(post("/api/v1/stations", R"({"id":"a","name":"x","public_key":"short"})"), 400,
                 "public_key");
    expect_error(post("/api/v1/stations", R"({"id":"a","name":"x","colour":"red"})"), 400,
                 "colour");
    EXPECT_TRUE(get("/api/v1/stations").second.empty());
    EXPECT_TRUE(link.registered().empty());

    const auto key = transport::CurveKeyPair::generate().public_key;
    ASSERT_EQ(add_station("a", key).first, 201);
    expect_error(add_station("a"), 409, "id");
    expect_error(add_station("b", key), 409, "public_key");
    EXPECT_EQ(get("/api/v1/stations").second.size(), 1U);
    expect_error(get("/api/v1/nothing-here"), 404, "/api/v1/nothing-here");
}

TEST_F(HttpApiTest, AnUploadedWavBecomesAnOpusAsset) {
    const auto wav = test::sine_wav(1.0);
    const auto [status, asset] = post("/api/v1/assets?name=tone.wav", wav, "audio/wav");
    ASSERT_EQ(status, 201) << asset.dump();
    const std::string id = asset["id"];
    EXPECT_TRUE(is_sha256_hex(id));
    EXPECT_EQ(asset["name"], "tone.wav");
    EXPECT_NEAR(asset["duration_ms"].get<double>(), 1000.0, 30.0);
    const auto file = dir.path() / "assets" / (id + ".opus");
    ASSERT_TRUE(std::filesystem::exists(file));
    EXPECT_EQ(*sha256_file_hex(file), id);
    EXPECT_EQ(asset["size_bytes"], std::filesystem::file_size(file));
    EXPECT_EQ(test::read_file(file).substr(0, 4), "OggS");

    // The same content again is the same asset.
    const auto [again_status, again] = post("/api/v1/assets?name=copy.wav", wav, "audio/wav");
    EXPECT_EQ(again_status, 200);
    EXPECT_EQ(again["id"], id);
    EXPECT_EQ(test::files_in(dir.path() / "assets"), std::vector<std::string>{id + ".opus"});
    EXPECT_TRUE(test::files_in(dir.path() / "tmp").empty());

    const auto [list_status, list] = get("/api/v1/assets");
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(get("/api/v1/assets/" + id).second["id"], id);
    expect_error(get("/api/v1/assets/" + std::string(64, '0')), 404, std::string(64, '0'));
}

TEST_F(HttpApiTest, AGarbageUploadIsRefusedAndLeavesNoFile) {
    const auto answer =
        post("/api/v1/assets?name=junk.wav",
             "this is certainly not audio, just some text\n" + std::string(4000, 'x'), "audio/wav");
    EXPECT_EQ(answer.first, 400) << answer.second.dump();
    ASSERT_TRUE(answer.second.contains("error"));
    EXPECT_FALSE(answer.second["error"].get<std::string>().empty());
    EXPECT_TRUE(test::files_in(dir.path() / "assets").empty());
    EXPECT_TRUE(test::files_in(dir.path() / "tmp").empty());
    EXPECT_TRUE(get("/api/v1/assets").second.empty());
    expect_error(post("/api/v1/assets?name=empty.wav", "", "audio/wav"), 400, "body");
}

TEST_F(HttpApiTest, AScheduleEntryIsStoredAndThePushIsAsked) {
    ASSERT_EQ(add_station("30280").first, 201);
    ASSERT_EQ(add_station("30281").first, 201);
    const auto asset_id = upload_tone();
    // Without an offset the time is read in Asia/Ho_Chi_Minh (UTC+7).
    const json body{{"asset_id", asset_id},
                    {"at", "2026-11-27T17:00:00"},
                    {"stations", {"30280"}},
                    {"title", "Evening news"},
                    {"priority", "district"}};
    const auto [status, entry] = post("/api/v1/schedule", body.dump());
    ASSERT_EQ(status, 201) << entry.dump();
    EXPECT_EQ(entry["start_at"], "2026-11-27T10:00:00.000Z");
    EXPECT_EQ(entry["asset_id"], asset_id);
    EXPECT_EQ(entry["title"], "Evening news");
    EXPECT_EQ(entry["priority"], "district");
    EXPECT_EQ(entry["stations"], json({"30280"}));
    EXPECT_EQ(link.changed(), (std::vector<std::vector<std::string>>{{"30280"}}));

    EXPECT_EQ(get("/api/v1/stations/30280").second["timeline_revision"], 2);
    EXPECT_EQ(get("/api/v1/stations/30281").second["timeline_revision"], 1);
    const auto [list_status, list] = get("/api/v1/schedule");
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["id"], entry["id"]);

    // Defaults: the asset's name as title, commune priority.
    const auto [s2, e2] = post("/api/v1/schedule", json{{"asset_id", asset_id},
                                                        {"at", "2026-11-27T03:00:00Z"},
                                                        {"stations", {"30280", "30281", "30280"}}}
                                                       .dump());
    ASSERT_EQ(s2, 201) << e2.dump();
    EXPECT_EQ(e2["title"], "tone.wav");
    EXPECT_EQ(e2["priority"], "commune");
    EXPECT_EQ(e2["stations"], json({"30280", "30281"}));
}

TEST_F(HttpApiTest, BadScheduleRequestsAreRefusedAndStoreNothing) {
    ASSERT_EQ(add_station("30280").first, 201);
    const auto asset_id = upload_tone();
    const auto entry = [&](json changes) {
        json body{{"asset_id", asset_id}, {"at", "2026-11-27T03:00:00Z"}, {"stations", {"30280"}}};
        for (const auto& [k, v] : changes.items()) {
            if (v.is_null()) {
                body.erase(k);
            } else {
                body[k] = v;
            }
        }
        return post("/api/v1/schedule", body.dump());
    };
    expect_error(post("/api/v1/schedule", "{\"asset_id\": "), 400, "JSON");
    expect_error(entry({{"asset_id", std::string(64, 'e')}}), 400, "asset_id");
    expect_error(entry({{"asset_id", nullptr}}), 400, "asset_id");
    expect_error(entry({{"stations", {"30280", "99999"}}}), 400, "99999");
    expect_error(entry({{"stations", json::array()}}), 400, "stations");
    expect_error(entry({{"stations", "30280"}}), 400, "stations");
    expect_error(entry({{"at", "yesterday"}}), 400, "at");
    expect_error(entry({{"at", nullptr}}), 400, "at");
    // The fake clock is at 2026-11-27T00:00:00Z: 10 s ago is too old, 3 s ago is accepted.
    expect_error(entry({{"at", "2026-11-26T23:59:50Z"}}), 400, "at");
    expect_error(entry({{"priority", "urgent"}}), 400, "priority");
    expect_error(entry({{"title", ""}}), 400, "title");
    expect_error(entry({{"when", "now"}}), 400, "when");

    EXPECT_TRUE(get("/api/v1/schedule").second.empty());
    EXPECT_EQ(get("/api/v1/stations/30280").second["timeline_revision"], 1);
    EXPECT_TRUE(link.changed().empty());

    EXPECT_EQ(entry({{"at", "2026-11-26T23:59:57Z"}}).first, 201);
}

TEST_F(HttpApiTest, AsRunRecordsAreListedNewestFirst) {
    ASSERT_EQ(add_station("30280").first, 201);
    ASSERT_EQ(add_station("30281").first, 201);
    {
        SchedulerStore store{db_path()};
        for (int i = 0; i < 3; ++i) {
            AsRunRow r;
            r.record_id = "r" + std::to_string(i);
            r.station_id = i == 2 ? "30281" : "30280";
            r.item_id = "e1";
            r.asset_id = std::string(64, 'a');
            r.scheduled_at_us = to_unix_us(clock.now() + std::chrono::hours{i});
            r.started_at_us = i == 1 ? 0 : r.scheduled_at_us + 1500;
            r.ended_at_us = i == 1 ? 0 : r.scheduled_at_us + 60'000'000;
            r.status = i == 1 ? wire::FAILED : wire::COMPLETED;
            r.reason = i == 1 ? "asset missing" : "";
            r.received_at_us = to_unix_us(clock.now());
            ASSERT_TRUE(store.add_as_run(r));
        }
    }
    const auto [status, all] = get("/api/v1/asrun");
    EXPECT_EQ(status, 200);
    ASSERT_EQ(all.size(), 3U);
    EXPECT_EQ(all[0]["record_id"], "r2");
    const auto [s1, mine] = get("/api/v1/asrun?station=30280");
    ASSERT_EQ(mine.size(), 2U);
    EXPECT_EQ(mine[0]["record_id"], "r1");
    EXPECT_EQ(mine[0]["status"], "failed");
    EXPECT_EQ(mine[0]["reason"], "asset missing");
    EXPECT_TRUE(mine[0]["started_at"].is_null());
    EXPECT_TRUE(mine[0]["start_error_ms"].is_null());
    EXPECT_EQ(mine[1]["record_id"], "r0");
    EXPECT_EQ(mine[1]["scheduled_at"], "2026-11-27T00:00:00.000Z");
    EXPECT_EQ(mine[1]["started_at"], "2026-11-27T00:00:00.001Z");
    EXPECT_DOUBLE_EQ(mine[1]["start_error_ms"].get<double>(), 1.5);
    EXPECT_EQ(get("/api/v1/asrun?station=30280&limit=1").second.size(), 1U);
    expect_error(get("/api/v1/asrun?limit=0"), 400, "limit");
    expect_error(get("/api/v1/asrun?limit=ten"), 400, "limit");
    expect_error(get("/api/v1/asrun?station=nope"), 404, "nope");
}

namespace {

TEST_F(HttpApiTest, AnUploadIsLoudnessNormalisedAndItsFiguresKept) {
    const auto [status, asset] =
        post("/api/v1/assets?name=tone.wav", test::sine_wav(2.0, 44100), "audio/wav");
    ASSERT_EQ(status, 201) << asset.dump();
    // A 0.5 sine of 440 Hz reads about -9.7 LUFS: brought down to the -16 LUFS target.
    EXPECT_NEAR(asset["loudness_lufs"].get<double>(), -16.0, 0.2);
    EXPECT_LE(asset["true_peak_dbtp"].get<double>(), -1.0);
    EXPECT_EQ(asset["source_format"], "WAV (Uncompressed 16-bit PCM audio)");
    const auto& ingest = asset["ingest"];
    EXPECT_NEAR(ingest["input_loudness_lufs"].get<double>(), -9.7, 0.3);
    EXPECT_NEAR(ingest["gain_db"].get<double>(), -6.3, 0.3);
    EXPECT_EQ(ingest["limiter_reduction_db"], 0.0);
    EXPECT_GT(ingest["speed"].get<double>(), 1.0);
    EXPECT_GT(ingest["seconds"].get<double>(), 0.0);
    // Kept in the store: the list and the asset show the same figures (no ingest section).
    const auto [s2, stored] = get("/api/v1/assets/" + asset["id"].get<std::string>());
    EXPECT_EQ(stored["loudness_lufs"], asset["loudness_lufs"]);
    EXPECT_EQ(stored["true_peak_dbtp"], asset["true_peak_dbtp"]);
    EXPECT_EQ(stored["source_format"], asset["source_format"]);
    EXPECT_FALSE(stored.contains("ingest"));
    SchedulerStore store{db_path()};
    const auto row = store.find_asset(asset["id"]);
    ASSERT_TRUE(row);
    ASSERT_TRUE(row->loudness_lufs);
    EXPECT_NEAR(*row->loudness_lufs, -16.0, 0.2);
}

TEST_F(HttpApiTest, TheAudioOfAnAssetIsServed) {
    const auto id = upload_tone();
    const auto res = client->Get(("/api/v1/assets/" + id + "/audio").c_str());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "audio/ogg");
    EXPECT_EQ(res->body, test::read_file(dir.path() / "assets" / (id + ".opus")));
    EXPECT_EQ(sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(res->body.data()),
                                   res->body.size()}),
              id);
    expect_error(get("/api/v1/assets/" + std::string(64, 'f') + "/audio"), 404,
                 std::string(64, 'f'));
}

TEST_F(HttpApiTest, ATypedNoticeIsSpokenInVietnamese) {
    const json body{{"text", "Thông báo: chiều nay họp tổ dân phố lúc 15 giờ."}};
    const auto [status, asset] = post("/api/v1/assets/tts", body.dump());
    ASSERT_EQ(status, 201) << asset.dump();
    EXPECT_EQ(asset["source_format"], "speech (espeak-ng, vi)");
    EXPECT_EQ(asset["name"], "Thông báo: chiều nay họp tổ dân phố lúc 15 giờ.");
    EXPECT_GT(asset["duration_ms"].get<int>(), 2000);
    EXPECT_NEAR(asset["loudness_lufs"].get<double>(), -16.0, 0.25);
    EXPECT_LE(asset["true_peak_dbtp"].get<double>(), -3.0 + 0.05);  // -1 dBTP less the headroom
    const std::string id = asset["id"];
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "assets" / (id + ".opus")));
    // The same text in the same voice is the same asset.
    const auto [again_status, again] = post("/api/v1/assets/tts", body.dump());
    EXPECT_EQ(again_status, 200);
    EXPECT_EQ(again["id"], id);
    // Another voice and a name of one's own.
    const auto [s3, south] =
        post("/api/v1/assets/tts",
             json{{"text", body["text"]}, {"voice", "vi-vn-x-south"}, {"name", "họp tổ"}}.dump());
    ASSERT_EQ(s3, 201) << south.dump();
    EXPECT_EQ(south["name"], "họp tổ");
    EXPECT_EQ(south["source_format"], "speech (espeak-ng, vi-vn-x-south)");
    EXPECT_NE(south["id"], id);
    EXPECT_EQ(get("/api/v1/assets").second.size(), 2U);
}

TEST_F(HttpApiTest, ALongNoticeIsNamedByItsStart) {
    const std::string text =
        "Kính thưa bà con, Ủy ban nhân dân xã thông báo lịch tiêm phòng cho trẻ em dưới năm "
        "tuổi vào sáng thứ bảy tuần này tại trạm y tế xã.";
    const auto [status, asset] = post("/api/v1/assets/tts", json{{"text", text}}.dump());
    ASSERT_EQ(status, 201) << asset.dump();
    const std::string name = asset["name"];
    EXPECT_TRUE(name.starts_with("Kính thưa bà con, Ủy ban nhân dân xã")) << name;
    EXPECT_TRUE(name.ends_with("…")) << name;
    EXPECT_LT(name.size(), text.size());
}

TEST_F(HttpApiTest, BadNoticesAreRefusedAndStoreNothing) {
    const auto unknown = post("/api/v1/assets/tts", R"({"text": "xin chào", "voice": "xx"})");
    expect_error(unknown, 400, "voice: unknown voice 'xx' (available: vi");
    expect_error(post("/api/v1/assets/tts", R"({"voice": "vi"})"), 400, "text: required");
    expect_error(post("/api/v1/assets/tts", R"({"text": "  \n "})"), 400, "text: required");
    expect_error(post("/api/v1/assets/tts", R"({"text": 5})"), 400, "text: must be a string");
    expect_error(post("/api/v1/assets/tts", R"({"text": "a", "speed": 2})"), 400,
                 "unknown field 'speed'");
    expect_error(post("/api/v1/assets/tts", json{{"text", std::string(20001, 'a')}}.dump()), 400,
                 "text: 20001 bytes is too long");
    expect_error(post("/api/v1/assets/tts", "not json"), 400, "JSON");
    EXPECT_TRUE(get("/api/v1/assets").second.empty());
    EXPECT_TRUE(test::files_in(dir.path() / "assets").empty());
    EXPECT_TRUE(test::files_in(dir.path() / "tmp").empty());
}

TEST_F(HttpApiTest, BadUploadsSayWhatIsWrongAndStoreNothing) {
    // Text renamed to .mp3.
    const auto text = post("/api/v1/assets?name=notice.mp3",
                           "Thông báo họp tổ dân phố lúc 15 giờ chiều nay.\n", "audio/mpeg");
    expect_error(text, 400, "notice.mp3: not audio: ");
    // A WAV cut off in transfer: the header promises 2 s, the body holds half.
    auto wav = test::sine_wav(2.0);
    wav.resize(wav.size() / 2);
    expect_error(post("/api/v1/assets?name=cut.wav", wav, "audio/wav"), 400,
                 "cut.wav: truncated: its data chunk announces");
    // Silence.
    auto silent = test::sine_wav(2.0);
    std::fill(silent.begin() + 44, silent.end(), '\0');
    expect_error(post("/api/v1/assets?name=quiet.wav", silent, "audio/wav"), 400,
                 "quiet.wav: silent: ");
    EXPECT_TRUE(get("/api/v1/assets").second.empty());
    EXPECT_TRUE(test::files_in(dir.path() / "assets").empty());
    EXPECT_TRUE(test::files_in(dir.path() / "tmp").empty());
}

}  // namespace

namespace {

TEST_F(HttpApiTest, ImportingAnGiangGives168Stations) {
    const auto csv =
        test::read_file(std::string{LOA_SOURCE_DIR} + "/data/angiang-2019-admin-units.csv");
    const auto [status, answer] = post("/api/v1/units/import", csv, "text/csv");
    ASSERT_EQ(status, 200) << answer.dump();
    EXPECT_EQ(answer["units"], 168);
    EXPECT_EQ(answer["stations_created"], 168);
    EXPECT_EQ(get("/api/v1/stations").second.size(), 168U);
    const auto [s2, units] = get("/api/v1/units?under=883");
    ASSERT_EQ(s2, 200);
    EXPECT_EQ(units[0]["code"], "883");
    expect_error(get("/api/v1/units?under=nope"), 404, "nope");
}

TEST_F(HttpApiTest, ABadImportLineChangesNothing) {
    const auto [status, answer] = post(
        "/api/v1/units/import", "code,parent_code,name\nP,,Province\nC,Q,Commune\n", "text/csv");
    EXPECT_EQ(status, 400) << answer.dump();
    EXPECT_NE(answer["error"].get<std::string>().find("line 3"), std::string::npos)
        << answer.dump();
    EXPECT_TRUE(get("/api/v1/units").second.empty());
    EXPECT_TRUE(get("/api/v1/stations").second.empty());
}

TEST_F(HttpApiTest, EntriesAnswerTheirConflicts) {
    ASSERT_EQ(post("/api/v1/units/import", "code,parent_code,name\nP,,Province\nC,P,Commune\n",
                   "text/csv")
                  .first,
              200);
    const auto asset_id = upload_tone();
    const auto [s1, high] = post("/api/v1/schedule", json{{"asset_id", asset_id},
                                                          {"at", "2026-11-27T10:00:00Z"},
                                                          {"units", {"P"}},
                                                          {"priority", "province"}}
                                                         .dump());
    ASSERT_EQ(s1, 201) << high.dump();
    EXPECT_EQ(high["changed_stations"], json({"P", "C"}));
    const auto [s2, low] = post("/api/v1/schedule", json{{"asset_id", asset_id},
                                                         {"at", "2026-11-27T10:00:00Z"},
                                                         {"stations", {"C"}},
                                                         {"cut_policy", "drop"}}
                                                        .dump());
    ASSERT_EQ(s2, 201) << low.dump();
    ASSERT_EQ(low["conflicts"].size(), 1U) << low.dump();
    EXPECT_EQ(low["conflicts"][0]["action"], "dropped");
    EXPECT_EQ(get("/api/v1/schedule/check?unit=P").second.size(), 1U);
    expect_error(
        post(
            "/api/v1/schedule",
            json{{"asset_id", asset_id}, {"at", "2026-11-27T10:00:00Z"}, {"units", {"ZZ"}}}.dump()),
        400, "ZZ");
    const auto id = std::to_string(low["id"].get<int>());
    const auto [s3, retired] = post("/api/v1/schedule/" + id + "/retire", "");
    ASSERT_EQ(s3, 200) << retired.dump();
    EXPECT_EQ(retired["state"], "retired");
    EXPECT_TRUE(get("/api/v1/schedule/check").second.empty());
    expect_error(post("/api/v1/schedule/999/approve", ""), 404, "999");
}

}  // namespace
