#include "loa/monitoring/webhook_notifier.hpp"

#include "loa/monitoring/webhook_payload.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace loa::monitoring {

WebhookNotifier::WebhookNotifier(IWebhookSender& sender, Options options)
    : sender_{sender}, options_{options} {
    thread_ = std::thread{[this] { run(); }};
}

WebhookNotifier::~WebhookNotifier() {
    stop();
}

void WebhookNotifier::notify(const AlarmEvent& event) {
    std::string body = webhook_payload(event);
    {
        std::lock_guard lock{mutex_};
        if (stopping_) {
            dropped_.fetch_add(1);
            return;
        }
        while (!queue_.empty() && queue_.size() >= std::max<std::size_t>(options_.queue_limit, 1)) {
            queue_.pop_front();
            dropped_.fetch_add(1);
        }
        queue_.push_back(std::move(body));
    }
    wake_.notify_one();
}

void WebhookNotifier::stop() {
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void WebhookNotifier::run() {
    pthread_setname_np(pthread_self(), "loa-webhook");
    std::unique_lock lock{mutex_};
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
            dropped_.fetch_add(queue_.size());
            queue_.clear();
            return;
        }
        const std::string body = std::move(queue_.front());
        queue_.pop_front();
        const std::size_t attempts = std::max<std::size_t>(options_.max_attempts, 1);
        auto backoff = options_.initial_backoff;
        bool done = false;
        for (std::size_t attempt = 1; attempt <= attempts; ++attempt) {
            lock.unlock();
            const Status sent = sender_.post(body);
            lock.lock();
            if (sent) {
                delivered_.fetch_add(1);
                done = true;
                break;
            }
            failed_attempts_.fetch_add(1);
            spdlog::warn("webhook: attempt {} of {} failed: {}", attempt, attempts, sent.message());
            if (attempt == attempts ||
                wake_.wait_for(lock, backoff, [this] { return stopping_; })) {
                break;
            }
            backoff = std::min(backoff * 2, options_.max_backoff);
        }
        if (!done) {
            if (!stopping_) {
                spdlog::error("webhook: an alarm event was dropped after {} attempts", attempts);
            }
            dropped_.fetch_add(1);
        }
    }
}

}  // namespace loa::monitoring
