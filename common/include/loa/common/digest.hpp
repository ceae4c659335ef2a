#pragma once

#include "loa/common/result.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace loa {

// Lower-case hexadecimal.
std::string to_hex(std::span<const std::uint8_t> bytes);
Result<std::vector<std::uint8_t>> from_hex(std::string_view hex);

// SHA-256 (libsodium) as 64 lower-case hex digits.
std::string sha256_hex(std::span<const std::uint8_t> bytes);
Result<std::string> sha256_file_hex(const std::filesystem::path& path);

// True for a string of exactly 64 lower-case hex digits: the form of an asset id.
bool is_sha256_hex(std::string_view s);

// 128 random bits as 32 hex digits: ids for records made at the edge (as-run records).
std::string random_id();

}  // namespace loa
