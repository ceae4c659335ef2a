#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/wire/loa.pb.h"

#include <cstdint>
#include <span>
#include <string>

namespace loa::protocol {

// The version this build speaks. A peer with another version is refused with a Refusal that
// names both versions.
inline constexpr std::uint32_t kProtocolVersion = 1;

// Largest message either side accepts (an asset chunk of 256 KiB plus headroom).
inline constexpr std::size_t kMaxMessageBytes = 512 * 1024;

// Largest asset chunk a request may ask for.
inline constexpr std::uint32_t kMaxChunkBytes = 256 * 1024;

// An envelope with version, sequence number and send time filled in; set one body on it.
wire::Envelope make_envelope(std::uint64_t seq, TimePoint now);

// Serialises an envelope. Never fails for a well-formed message.
std::string encode(const wire::Envelope& envelope);

// Parses bytes from the network. Fails, naming why, on: too large, not a protobuf Envelope,
// another protocol version, or no body.
Result<wire::Envelope> decode(std::span<const std::uint8_t> bytes);

// The name of the body's message type ("hello", "asset_chunk", ...), for logs.
std::string body_name(const wire::Envelope& envelope);

// Priority classes by name: "emergency", "province", "district", "commune", "filler".
Result<wire::PriorityClass> parse_priority(std::string_view name);
std::string priority_name(wire::PriorityClass priority);

std::string as_run_status_name(wire::AsRunStatus status);

}  // namespace loa::protocol
