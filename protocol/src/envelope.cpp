#include "loa/protocol/envelope.hpp"

#include <fmt/format.h>

namespace loa::protocol {

wire::Envelope make_envelope(std::uint64_t seq, TimePoint now) {
    wire::Envelope env;
    env.set_version(kProtocolVersion);
    env.set_seq(seq);
    env.set_sent_at_us(to_unix_us(now));
    return env;
}

std::string encode(const wire::Envelope& envelope) {
    return envelope.SerializeAsString();
}

Result<wire::Envelope> decode(std::span<const std::uint8_t> bytes) {
    if (bytes.size() > kMaxMessageBytes) {
        return Error{fmt::format("message of {} bytes is larger than the {} bytes allowed",
                                 bytes.size(), kMaxMessageBytes)};
    }
    wire::Envelope env;
    if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return Error{"message is not a Loa envelope (protobuf parse failed)"};
    }
    if (env.version() != kProtocolVersion) {
        return Error{fmt::format("protocol version {} is not supported (this side speaks {})",
                                 env.version(), kProtocolVersion)};
    }
    if (env.body_case() == wire::Envelope::BODY_NOT_SET) {
        return Error{"envelope has no body (unknown or missing message type)"};
    }
    return env;
}

std::string body_name(const wire::Envelope& envelope) {
    switch (envelope.body_case()) {
        case wire::Envelope::kHello:
            return "hello";
        case wire::Envelope::kWelcome:
            return "welcome";
        case wire::Envelope::kHeartbeat:
            return "heartbeat";
        case wire::Envelope::kTimelineUpdate:
            return "timeline_update";
        case wire::Envelope::kTimelineAck:
            return "timeline_ack";
        case wire::Envelope::kAssetRequest:
            return "asset_request";
        case wire::Envelope::kAssetChunk:
            return "asset_chunk";
        case wire::Envelope::kAsRunReport:
            return "as_run_report";
        case wire::Envelope::kAsRunAck:
            return "as_run_ack";
        case wire::Envelope::kRefusal:
            return "refusal";
        case wire::Envelope::kTimelineDelta:
            return "timeline_delta";
        case wire::Envelope::kTimeRequest:
            return "time_request";
        case wire::Envelope::kTimeResponse:
            return "time_response";
        case wire::Envelope::kStationEvents:
            return "station_events";
        case wire::Envelope::kStationEventAck:
            return "station_event_ack";
        case wire::Envelope::kLiveStart:
            return "live_start";
        case wire::Envelope::kLiveFrame:
            return "live_frame";
        case wire::Envelope::kLiveStop:
            return "live_stop";
        case wire::Envelope::BODY_NOT_SET:
            return "none";
        default:  // a body added to loa.proto after this list
            break;
    }
    return "body " + std::to_string(static_cast<int>(envelope.body_case()));
}

Result<wire::PriorityClass> parse_priority(std::string_view name) {
    if (name == "emergency") {
        return wire::EMERGENCY;
    }
    if (name == "province") {
        return wire::PROVINCE;
    }
    if (name == "district") {
        return wire::DISTRICT;
    }
    if (name == "commune") {
        return wire::COMMUNE;
    }
    if (name == "filler") {
        return wire::FILLER;
    }
    return Error{fmt::format(
        "unknown priority class '{}' (use emergency, province, district, commune or filler)",
        name)};
}

std::string priority_name(wire::PriorityClass priority) {
    switch (priority) {
        case wire::EMERGENCY:
            return "emergency";
        case wire::PROVINCE:
            return "province";
        case wire::DISTRICT:
            return "district";
        case wire::COMMUNE:
            return "commune";
        case wire::FILLER:
            return "filler";
        default:
            return "unspecified";
    }
}

std::string as_run_status_name(wire::AsRunStatus status) {
    switch (status) {
        case wire::COMPLETED:
            return "completed";
        case wire::FAILED:
            return "failed";
        case wire::INTERRUPTED:
            return "interrupted";
        default:
            return "unspecified";
    }
}

}  // namespace loa::protocol
