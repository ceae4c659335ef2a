#include "loa/common/digest.hpp"

#include <sodium.h>

#include <array>
#include <fstream>
#include <stdexcept>

namespace loa {
namespace {

void ensure_sodium() {
    static const int rc = sodium_init();
    if (rc < 0) {
        throw std::runtime_error("libsodium failed to initialise");
    }
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const auto b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0xf]);
    }
    return out;
}

Result<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return Error{"hex text has an odd number of digits"};
    }
    const auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    };
    std::vector<std::uint8_t> out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = nibble(hex[i]);
        const int lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return Error{"hex text has a character that is not a hex digit"};
        }
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return out;
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
    ensure_sodium();
    std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), bytes.data(), bytes.size());
    return to_hex(digest);
}

Result<std::string> sha256_file_hex(const std::filesystem::path& path) {
    ensure_sodium();
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        return Error{"cannot open " + path.string()};
    }
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto n = in.gcount();
        if (n > 0) {
            crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buf.data()),
                                      static_cast<unsigned long long>(n));
        }
    }
    if (in.bad()) {
        return Error{"read error on " + path.string()};
    }
    std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256_final(&state, digest.data());
    return to_hex(digest);
}

bool is_sha256_hex(std::string_view s) {
    if (s.size() != 64) {
        return false;
    }
    for (const char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

std::string random_id() {
    ensure_sodium();
    std::array<std::uint8_t, 16> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    return to_hex(bytes);
}

}  // namespace loa
