#include "loa/common/digest.hpp"

#include <gtest/gtest.h>

#include <fstream>

TEST(Digest, Sha256OfKnownInput) {
    const std::string abc = "abc";
    const std::span<const std::uint8_t> bytes{reinterpret_cast<const std::uint8_t*>(abc.data()),
                                              abc.size()};
    EXPECT_EQ(loa::sha256_hex(bytes),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, Sha256OfFileMatchesBytes) {
    const auto path = std::filesystem::temp_directory_path() / "loa-digest-test.bin";
    {
        std::ofstream out{path, std::ios::binary};
        out << "abc";
    }
    EXPECT_EQ(*loa::sha256_file_hex(path),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    std::filesystem::remove(path);
    EXPECT_FALSE(loa::sha256_file_hex(path).ok());
}

TEST(Digest, HexRoundTripAndRejects) {
    const std::vector<std::uint8_t> bytes{0x00, 0x7f, 0xff};
    EXPECT_EQ(loa::to_hex(bytes), "007fff");
    EXPECT_EQ(*loa::from_hex("007FFF"), bytes);
    EXPECT_FALSE(loa::from_hex("abc").ok());
    EXPECT_FALSE(loa::from_hex("zz").ok());
}

TEST(Digest, AssetIdShapeAndRandomIds) {
    EXPECT_TRUE(loa::is_sha256_hex(std::string(64, 'a')));
    EXPECT_FALSE(loa::is_sha256_hex(std::string(64, 'A')));
    EXPECT_FALSE(loa::is_sha256_hex("../../etc/passwd"));
    EXPECT_EQ(loa::random_id().size(), 32U);
    EXPECT_NE(loa::random_id(), loa::random_id());
}
