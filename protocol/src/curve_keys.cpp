#include "loa/transport/curve_keys.hpp"

#include <fmt/format.h>
#include <sodium.h>
#include <zmq.h>

#include <stdexcept>

namespace loa::transport {
namespace {

void ensure_sodium() {
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
}

}  // namespace

CurveKeyPair CurveKeyPair::generate() {
    ensure_sodium();
    std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> pub{};
    std::array<std::uint8_t, crypto_box_SECRETKEYBYTES> sec{};
    crypto_box_keypair(pub.data(), sec.data());
    return CurveKeyPair{encode_curve_key(pub), encode_curve_key(sec)};
}

Result<CurveKeyPair> CurveKeyPair::from_secret(std::string_view secret_z85) {
    auto sec = decode_curve_key(secret_z85);
    if (!sec) {
        return Error{"secret key: " + sec.error().message};
    }
    ensure_sodium();
    std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> pub{};
    crypto_scalarmult_base(pub.data(), sec->data());
    return CurveKeyPair{encode_curve_key(pub), std::string{secret_z85}};
}

Result<std::array<std::uint8_t, 32>> decode_curve_key(std::string_view key_z85) {
    if (key_z85.size() != 40) {
        return Error{
            fmt::format("a CURVE key is 40 Z85 characters, this one has {}", key_z85.size())};
    }
    std::array<std::uint8_t, 32> out{};
    const std::string text{key_z85};
    if (zmq_z85_decode(out.data(), text.c_str()) == nullptr) {
        return Error{"not a Z85-encoded CURVE key"};
    }
    return out;
}

std::string encode_curve_key(std::span<const std::uint8_t, 32> key) {
    std::array<char, 41> text{};
    zmq_z85_encode(text.data(), key.data(), key.size());
    return std::string{text.data(), 40};
}

Status check_curve_key(std::string_view key, std::string_view what) {
    if (auto decoded = decode_curve_key(key); !decoded) {
        return Error{fmt::format("{}: {}", what, decoded.error().message)};
    }
    return {};
}

}  // namespace loa::transport
