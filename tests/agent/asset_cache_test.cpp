#include "loa/agent/asset_cache.hpp"

#include "loa/common/digest.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

using namespace loa;
using namespace loa::agent;
using loa::agent::test::pattern_bytes;
using loa::agent::test::read_bytes;
using loa::agent::test::TempDir;

namespace {

std::span<const std::uint8_t> slice(const std::vector<std::uint8_t>& v, std::size_t from,
                                    std::size_t n) {
    return std::span<const std::uint8_t>{v}.subspan(from, n);
}

std::size_t files_in(const std::filesystem::path& dir) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator{dir},
                                                  std::filesystem::directory_iterator{}));
}

}  // namespace

TEST(AssetCache, ResumesFromThePartAndVerifiesBeforeUse) {
    TempDir dir;
    const auto data = pattern_bytes(200'000, 1);
    const auto id = sha256_hex(data);
    {
        AssetCache cache{dir / "assets"};
        EXPECT_EQ(*cache.partial_size(id), 0U);
        ASSERT_TRUE(cache.append(id, 0, slice(data, 0, 65536)));
        ASSERT_TRUE(cache.append(id, 65536, slice(data, 65536, 34464)));
        EXPECT_FALSE(cache.has(id));
    }
    // A new process finds the part and goes on from its size.
    AssetCache cache{dir / "assets"};
    ASSERT_EQ(*cache.partial_size(id), 100'000U);
    // A chunk that does not follow the part is refused and changes nothing.
    const auto gap = cache.append(id, 150'000, slice(data, 150'000, 50'000));
    EXPECT_FALSE(gap);
    EXPECT_NE(gap.message().find("does not follow"), std::string::npos) << gap.message();
    EXPECT_EQ(*cache.partial_size(id), 100'000U);

    ASSERT_TRUE(cache.append(id, 100'000, slice(data, 100'000, 100'000)));
    ASSERT_TRUE(cache.finish(id));
    EXPECT_TRUE(cache.has(id));
    ASSERT_TRUE(cache.path_of(id).has_value());
    EXPECT_EQ(*cache.path_of(id), dir / "assets" / (id + ".opus"));
    EXPECT_EQ(read_bytes(*cache.path_of(id)), data);
    EXPECT_FALSE(std::filesystem::exists(dir / "assets" / (id + ".part")));
    EXPECT_EQ(*cache.partial_size(id), 0U);
}

TEST(AssetCache, ShaMismatchDeletesThePart) {
    TempDir dir;
    AssetCache cache{dir / "assets"};
    const auto data = pattern_bytes(70'000, 2);
    const auto id = sha256_hex(data);
    auto corrupted = data;
    corrupted[12'345] ^= 0x01;
    ASSERT_TRUE(cache.append(id, 0, corrupted));
    const auto st = cache.finish(id);
    ASSERT_FALSE(st);
    EXPECT_NE(st.message().find(sha256_hex(corrupted)), std::string::npos) << st.message();
    EXPECT_FALSE(cache.has(id));
    EXPECT_FALSE(std::filesystem::exists(dir / "assets" / (id + ".part")));
    EXPECT_FALSE(std::filesystem::exists(dir / "assets" / (id + ".opus")));
    EXPECT_EQ(*cache.partial_size(id), 0U);
    // The download starts again from 0 and succeeds with the right bytes.
    ASSERT_TRUE(cache.append(id, 0, data));
    ASSERT_TRUE(cache.finish(id));
    EXPECT_EQ(read_bytes(*cache.path_of(id)), data);
}

TEST(AssetCache, RefusesIdsThatAreNotSha256Hex) {
    TempDir dir;
    AssetCache cache{dir / "assets"};
    const auto data = pattern_bytes(100, 3);
    const std::vector<std::string> bad{
        "",
        "../../etc/passwd",
        "../" + std::string(61, 'a'),
        std::string(63, 'a'),
        std::string(65, 'a'),
        std::string(64, 'A'),  // upper case is not the id form
        std::string(63, 'a') + "/",
        std::string(63, 'a') + "g",
    };
    for (const auto& id : bad) {
        EXPECT_FALSE(cache.has(id)) << id;
        EXPECT_FALSE(cache.path_of(id).has_value()) << id;
        EXPECT_FALSE(cache.partial_size(id).ok()) << id;
        const auto st = cache.append(id, 0, data);
        EXPECT_FALSE(st) << id;
        EXPECT_NE(st.message().find("not an asset id"), std::string::npos) << st.message();
        EXPECT_FALSE(cache.finish(id)) << id;
        cache.discard_partial(id);
    }
    EXPECT_EQ(files_in(dir / "assets"), 0U);
    EXPECT_EQ(files_in(dir.path()), 1U);  // only assets/
}
