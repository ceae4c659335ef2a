#pragma once

#include "loa/common/result.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace loa::protocol {

// An Ed25519 key pair for content signatures, hex-encoded (public 64, secret 128 digits).
struct SigningKeyPair {
    std::string public_key;
    std::string secret_key;

    static SigningKeyPair generate();
    static Result<SigningKeyPair> from_secret(std::string_view secret_hex);
};

Status check_signing_public_key(std::string_view key_hex, std::string_view what);

// Detached Ed25519 signature (64 bytes) of `message`.
std::string sign(std::string_view message, const SigningKeyPair& keys);

// True only when `signature` is a valid signature of `message` by `public_key_hex`.
bool verify(std::string_view message, std::string_view signature, std::string_view public_key_hex);

}  // namespace loa::protocol
