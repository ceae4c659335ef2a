#include "loa/protocol/signing.hpp"
#include "loa/transport/curve_keys.hpp"

#include <gtest/gtest.h>

using namespace loa::protocol;

TEST(Signing, SignedBytesVerifyAndAnyChangeFails) {
    const auto keys = SigningKeyPair::generate();
    const std::string msg = "timeline revision 3";
    const std::string sig = sign(msg, keys);
    EXPECT_TRUE(verify(msg, sig, keys.public_key));
    EXPECT_FALSE(verify("timeline revision 4", sig, keys.public_key));
    std::string bad = sig;
    bad[0] = static_cast<char>(bad[0] ^ 1);
    EXPECT_FALSE(verify(msg, bad, keys.public_key));
    EXPECT_FALSE(verify(msg, sig, SigningKeyPair::generate().public_key));
    EXPECT_FALSE(verify(msg, "short", keys.public_key));
    EXPECT_FALSE(verify(msg, sig, "not hex"));
}

TEST(Signing, PublicKeyFromSecret) {
    const auto keys = SigningKeyPair::generate();
    EXPECT_EQ(SigningKeyPair::from_secret(keys.secret_key)->public_key, keys.public_key);
    EXPECT_FALSE(SigningKeyPair::from_secret("abcd").ok());
    EXPECT_TRUE(check_signing_public_key(keys.public_key, "k").ok());
    EXPECT_FALSE(check_signing_public_key("abcd", "k").ok());
}

TEST(CurveKeys, GenerateDeriveAndCheck) {
    const auto keys = loa::transport::CurveKeyPair::generate();
    EXPECT_EQ(keys.public_key.size(), 40U);
    EXPECT_EQ(loa::transport::CurveKeyPair::from_secret(keys.secret_key)->public_key,
              keys.public_key);
    EXPECT_TRUE(loa::transport::check_curve_key(keys.public_key, "k").ok());
    const auto bad = loa::transport::check_curve_key("short", "scheduler.public_key");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.message().find("scheduler.public_key"), std::string::npos);
}
