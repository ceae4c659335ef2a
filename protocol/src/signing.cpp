#include "loa/protocol/signing.hpp"

#include "loa/common/digest.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <stdexcept>

namespace loa::protocol {
namespace {

void ensure_sodium() {
    if (sodium_init() < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
}

}  // namespace

SigningKeyPair SigningKeyPair::generate() {
    ensure_sodium();
    std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pub{};
    std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> sec{};
    crypto_sign_keypair(pub.data(), sec.data());
    return SigningKeyPair{to_hex(pub), to_hex(sec)};
}

Result<SigningKeyPair> SigningKeyPair::from_secret(std::string_view secret_hex) {
    auto sec = from_hex(secret_hex);
    if (!sec || sec->size() != crypto_sign_SECRETKEYBYTES) {
        return Error{
            fmt::format("a signing secret key is {} hex digits", crypto_sign_SECRETKEYBYTES * 2)};
    }
    ensure_sodium();
    std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pub{};
    crypto_sign_ed25519_sk_to_pk(pub.data(), sec->data());
    return SigningKeyPair{to_hex(pub), std::string{secret_hex}};
}

Status check_signing_public_key(std::string_view key_hex, std::string_view what) {
    auto pub = from_hex(key_hex);
    if (!pub || pub->size() != crypto_sign_PUBLICKEYBYTES) {
        return Error{fmt::format("{}: a signing public key is {} hex digits", what,
                                 crypto_sign_PUBLICKEYBYTES * 2)};
    }
    return {};
}

std::string sign(std::string_view message, const SigningKeyPair& keys) {
    ensure_sodium();
    const auto sec = from_hex(keys.secret_key);
    if (!sec || sec->size() != crypto_sign_SECRETKEYBYTES) {
        throw std::invalid_argument("malformed signing secret key");
    }
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         sec->data());
    return sig;
}

bool verify(std::string_view message, std::string_view signature, std::string_view public_key_hex) {
    ensure_sodium();
    const auto pub = from_hex(public_key_hex);
    if (!pub || pub->size() != crypto_sign_PUBLICKEYBYTES ||
        signature.size() != crypto_sign_BYTES) {
        return false;
    }
    return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                       reinterpret_cast<const unsigned char*>(message.data()),
                                       message.size(), pub->data()) == 0;
}

}  // namespace loa::protocol
