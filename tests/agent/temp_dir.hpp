#pragma once

#include "loa/common/digest.hpp"
#include "loa/test/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace loa::agent::test {

using loa::test_support::TempDir;

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& file) {
    std::ifstream in{file, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

// Deterministic bytes that differ for each seed.
inline std::vector<std::uint8_t> pattern_bytes(std::size_t size, std::uint32_t seed) {
    std::vector<std::uint8_t> out(size);
    std::uint32_t x = seed * 2654435761U + 1;
    for (auto& b : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b = static_cast<std::uint8_t>(x);
    }
    return out;
}

}  // namespace loa::agent::test
