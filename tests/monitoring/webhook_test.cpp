#include "loa/common/time_format.hpp"
#include "loa/monitoring/http_webhook_sender.hpp"
#include "loa/monitoring/webhook_notifier.hpp"
#include "loa/monitoring/webhook_payload.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace loa::monitoring {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = *parse_time("2026-11-27T00:00:00Z");

AlarmEvent raised(std::string key) {
    Alarm a{std::move(key),
            AlarmKind::zone_fault,
            Severity::major,
            "30001",
            "ST-A",
            "z1",
            "Trạm ST-A, vùng z1: lỗi \"bộ khuếch đại\"",
            "Station ST-A, zone z1: amplifier fault",
            kT0};
    return {AlarmEvent::Type::raised, a, kT0 + 2s, std::nullopt};
}

// A sender that fails its first `failures` posts, then succeeds; or blocks until released.
class FakeSender final : public IWebhookSender {
public:
    explicit FakeSender(int failures) : failures_{failures} {}

    Status post(const std::string& body) override {
        std::unique_lock lock{mutex_};
        bodies_.push_back(body);
        changed_.notify_all();
        changed_.wait(lock, [this] { return !blocked_; });
        if (failures_ > 0) {
            --failures_;
            return Error{"HTTP 503"};
        }
        return Status::success();
    }

    // Waits until `n` posts were made (or 5 s passed); returns the bodies seen.
    std::vector<std::string> wait_for_posts(std::size_t n) {
        std::unique_lock lock{mutex_};
        changed_.wait_for(lock, 5s, [&] { return bodies_.size() >= n; });
        return bodies_;
    }

    void block(bool b) {
        std::lock_guard lock{mutex_};
        blocked_ = b;
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> bodies_;
    int failures_;
    bool blocked_ = false;
};

TEST(WebhookPayload, RaiseAndClearBodies) {
    auto event = raised("fault/ST-A/z1");
    auto body = nlohmann::json::parse(webhook_payload(event));
    EXPECT_EQ(body["event"], "raised");
    EXPECT_EQ(body["key"], "fault/ST-A/z1");
    EXPECT_EQ(body["kind"], "zone_fault");
    EXPECT_EQ(body["severity"], "major");
    EXPECT_EQ(body["unit"], "30001");
    EXPECT_EQ(body["station"], "ST-A");
    EXPECT_EQ(body["zone"], "z1");
    EXPECT_EQ(body["text"]["vi"], "Trạm ST-A, vùng z1: lỗi \"bộ khuếch đại\"");
    EXPECT_EQ(body["text"]["en"], "Station ST-A, zone z1: amplifier fault");
    EXPECT_EQ(body["since"], "2026-11-27T00:00:00.000Z");
    EXPECT_EQ(body["raised_at"], "2026-11-27T00:00:02.000Z");
    EXPECT_TRUE(body["cleared_at"].is_null());

    event.type = AlarmEvent::Type::cleared;
    event.cleared_at = kT0 + 1h;
    event.alarm.text_en = "bad \xff byte";  // invalid UTF-8 from outside must not throw
    body = nlohmann::json::parse(webhook_payload(event));
    EXPECT_EQ(body["event"], "cleared");
    EXPECT_EQ(body["cleared_at"], "2026-11-27T01:00:00.000Z");
    EXPECT_EQ(body["text"]["en"], "bad \xEF\xBF\xBD byte");
}

TEST(WebhookNotifier, RetriesWithBackoffThenDelivers) {
    FakeSender sender{2};
    WebhookNotifier notifier{
        sender, {.max_attempts = 5, .initial_backoff = 1ms, .max_backoff = 4ms, .queue_limit = 10}};
    notifier.notify(raised("a"));
    notifier.notify(raised("b"));
    const auto bodies = sender.wait_for_posts(4);
    notifier.stop();
    ASSERT_EQ(bodies.size(), 4u);
    // The first body three times (two failures), then the second, in order.
    EXPECT_EQ(nlohmann::json::parse(bodies[0])["key"], "a");
    EXPECT_EQ(bodies[1], bodies[0]);
    EXPECT_EQ(bodies[2], bodies[0]);
    EXPECT_EQ(nlohmann::json::parse(bodies[3])["key"], "b");
    EXPECT_EQ(notifier.delivered(), 2u);
    EXPECT_EQ(notifier.failed_attempts(), 2u);
    EXPECT_EQ(notifier.dropped(), 0u);
}

TEST(WebhookNotifier, GivesUpAfterMaxAttempts) {
    FakeSender sender{100};
    WebhookNotifier notifier{
        sender, {.max_attempts = 3, .initial_backoff = 1ms, .max_backoff = 1ms, .queue_limit = 10}};
    notifier.notify(raised("a"));
    notifier.notify(raised("b"));
    EXPECT_EQ(sender.wait_for_posts(6).size(), 6u);
    notifier.stop();
    EXPECT_EQ(notifier.delivered(), 0u);
    EXPECT_EQ(notifier.failed_attempts(), 6u);
    EXPECT_EQ(notifier.dropped(), 2u);
}

TEST(WebhookNotifier, NeverBlocksTheCallerAndDropsTheOldestWhenFull) {
    FakeSender sender{0};
    sender.block(true);
    WebhookNotifier notifier{
        sender, {.max_attempts = 1, .initial_backoff = 1ms, .max_backoff = 1ms, .queue_limit = 2}};
    notifier.notify(raised("a"));
    ASSERT_EQ(sender.wait_for_posts(1).size(), 1u);  // "a" is in flight, the sender is stuck
    const auto before = std::chrono::steady_clock::now();
    for (const char* key : {"b", "c", "d"}) {
        notifier.notify(raised(key));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
    EXPECT_EQ(notifier.dropped(), 1u);  // "b" made room for "d"
    sender.block(false);
    const auto bodies = sender.wait_for_posts(3);
    notifier.stop();
    ASSERT_EQ(bodies.size(), 3u);
    EXPECT_EQ(nlohmann::json::parse(bodies[1])["key"], "c");
    EXPECT_EQ(nlohmann::json::parse(bodies[2])["key"], "d");
    EXPECT_EQ(notifier.delivered(), 3u);
}

TEST(WebhookNotifier, StopInterruptsABackoff) {
    FakeSender sender{100};
    WebhookNotifier notifier{
        sender, {.max_attempts = 5, .initial_backoff = 60s, .max_backoff = 60s, .queue_limit = 10}};
    notifier.notify(raised("a"));
    ASSERT_EQ(sender.wait_for_posts(1).size(), 1u);
    const auto before = std::chrono::steady_clock::now();
    notifier.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
    EXPECT_EQ(notifier.dropped(), 1u);
}

TEST(HttpWebhookSender, RefusesBadUrls) {
    EXPECT_THROW(HttpWebhookSender{"ftp://example.org/x"}, std::invalid_argument);
    EXPECT_THROW(HttpWebhookSender{"127.0.0.1:80/x"}, std::invalid_argument);
    EXPECT_THROW(HttpWebhookSender{"http:///x"}, std::invalid_argument);
}

TEST(HttpWebhookSender, PostsToARealLocalServerAndRetriesItsErrors) {
    httplib::Server server;
    std::mutex mutex;
    std::condition_variable arrived;
    std::vector<std::string> bodies;
    std::vector<std::string> types;
    server.Post("/hooks/loa", [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock{mutex};
        bodies.push_back(req.body);
        types.push_back(req.get_header_value("Content-Type"));
        res.status = bodies.size() == 1 ? 503 : 204;  // the first attempt fails
        arrived.notify_all();
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    std::thread listener{[&] { server.listen_after_bind(); }};

    HttpWebhookSender direct{"http://127.0.0.1:" + std::to_string(port) + "/hooks/loa", 2s};
    const Status first = direct.post("{}");
    EXPECT_FALSE(first);
    EXPECT_NE(first.message().find("HTTP 503"), std::string::npos) << first.message();

    {
        WebhookNotifier notifier{
            direct,
            {.max_attempts = 3, .initial_backoff = 1ms, .max_backoff = 1ms, .queue_limit = 10}};
        notifier.notify(raised("fault/ST-A/z1"));
        std::unique_lock lock{mutex};
        ASSERT_TRUE(arrived.wait_for(lock, 5s, [&] { return bodies.size() >= 2; }));
        lock.unlock();
        notifier.stop();
        EXPECT_EQ(notifier.delivered(), 1u);
    }
    server.stop();
    listener.join();

    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_EQ(types[1], "application/json");
    const auto body = nlohmann::json::parse(bodies[1]);
    EXPECT_EQ(body["key"], "fault/ST-A/z1");
    EXPECT_EQ(body["text"]["vi"], "Trạm ST-A, vùng z1: lỗi \"bộ khuếch đại\"");

    // Nobody listens any more: a clear error, no exception.
    const Status gone = direct.post("{}");
    EXPECT_FALSE(gone);
    EXPECT_NE(gone.message().find("webhook http://127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace loa::monitoring
