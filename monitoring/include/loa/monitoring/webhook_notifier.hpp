#pragma once

#include "loa/monitoring/alarm.hpp"
#include "loa/monitoring/webhook_sender.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace loa::monitoring {

// Sends alarm events to a webhook without ever blocking the caller: notify() queues the body
// and returns; a thread "loa-webhook" posts the bodies in order, retrying a failed one with
// exponential backoff (initial_backoff, doubled up to max_backoff) up to max_attempts times,
// then drops it and goes on. A full queue drops its oldest body. stop() (and the destructor)
// wakes the thread out of any backoff and joins it; bodies still queued are dropped.
//
// Threads: notify() and the counters from any thread; stop() from the owner's thread.
class WebhookNotifier {
public:
    struct Options {
        std::size_t max_attempts = 5;
        std::chrono::milliseconds initial_backoff{1000};
        std::chrono::milliseconds max_backoff{60000};
        std::size_t queue_limit = 1000;
    };

    WebhookNotifier(IWebhookSender& sender, Options options);
    ~WebhookNotifier();
    WebhookNotifier(const WebhookNotifier&) = delete;
    WebhookNotifier& operator=(const WebhookNotifier&) = delete;

    void notify(const AlarmEvent& event);
    void stop();

    std::uint64_t delivered() const { return delivered_.load(); }
    std::uint64_t failed_attempts() const { return failed_attempts_.load(); }
    std::uint64_t dropped() const { return dropped_.load(); }

private:
    void run();

    IWebhookSender& sender_;
    Options options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::string> queue_;
    bool stopping_ = false;
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> failed_attempts_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::thread thread_;
};

}  // namespace loa::monitoring
