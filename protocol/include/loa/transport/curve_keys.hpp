#pragma once

#include "loa/common/result.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace loa::transport {

// A CurveZMQ key pair in Z85 text (40 characters each), as ZeroMQ's socket options take them.
struct CurveKeyPair {
    std::string public_key;
    std::string secret_key;

    static CurveKeyPair generate();
    // Derives the public key from a secret key; fails on a malformed key.
    static Result<CurveKeyPair> from_secret(std::string_view secret_z85);
};

// Checks that `key` is a 40-character Z85 CURVE key; the error names `what`.
Status check_curve_key(std::string_view key, std::string_view what);

// Decodes a Z85 CURVE key to its 32 bytes.
Result<std::array<std::uint8_t, 32>> decode_curve_key(std::string_view key_z85);
std::string encode_curve_key(std::span<const std::uint8_t, 32> key);

}  // namespace loa::transport
