#pragma once

#include "loa/common/result.hpp"

#include <string>

namespace loa::monitoring {

// Delivers one body to the webhook. Called on the notifier's thread only.
class IWebhookSender {
public:
    virtual ~IWebhookSender() = default;
    // Success on a 2xx answer; an Error naming the failure otherwise.
    virtual Status post(const std::string& body) = 0;
};

}  // namespace loa::monitoring
