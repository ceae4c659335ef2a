#include "loa/agent/agent_setup.hpp"

#include "loa/transport/curve_keys.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace loa;
using namespace loa::agent;
using loa::agent::test::TempDir;

TEST(AgentSetup, MakesTheKeyOnceWithMode0600AndKeepsIt) {
    TempDir dir;
    config::AgentConfig config;
    config.state_dir = dir / "state";
    const auto first = load_or_create_agent_key(config);
    EXPECT_TRUE(first.created);
    EXPECT_EQ(first.file, dir / "state" / "agent.key");
    struct stat st {};
    ASSERT_EQ(::stat(first.file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    // The public key is derived from the secret kept in the file.
    const auto derived = transport::CurveKeyPair::from_secret(first.keys.secret_key);
    ASSERT_TRUE(derived.ok());
    EXPECT_EQ(derived->public_key, first.keys.public_key);

    const auto second = load_or_create_agent_key(config);
    EXPECT_FALSE(second.created);
    EXPECT_EQ(second.keys.public_key, first.keys.public_key);
    EXPECT_EQ(second.keys.secret_key, first.keys.secret_key);
}

TEST(AgentSetup, ConfiguredSecretKeyWinsAndABadOneIsNamed) {
    TempDir dir;
    config::AgentConfig config;
    config.state_dir = dir / "state";
    const auto keys = transport::CurveKeyPair::generate();
    config.secret_key = keys.secret_key;
    const auto key = load_or_create_agent_key(config);
    EXPECT_EQ(key.keys.public_key, keys.public_key);
    EXPECT_FALSE(std::filesystem::exists(dir / "state" / "agent.key"));

    config.secret_key = "too short";
    try {
        (void)load_or_create_agent_key(config);
        FAIL() << "a malformed secret key was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find("[keys] secret_key"), std::string::npos) << e.what();
    }
}

TEST(AgentSetup, CorruptKeyFileIsNamed) {
    TempDir dir;
    config::AgentConfig config;
    config.state_dir = dir.path();
    {
        std::ofstream out{dir / "agent.key"};
        out << "not a key\n";
    }
    try {
        (void)load_or_create_agent_key(config);
        FAIL() << "a corrupt key file was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find("agent.key"), std::string::npos) << e.what();
    }
}

TEST(AgentSetup, MissingSchedulerSettingsNameTheFlagAndTheKey) {
    config::AgentConfig config;
    auto st = check_link_settings(config);
    ASSERT_FALSE(st);
    EXPECT_NE(st.message().find("--scheduler-key"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("[scheduler] public_key"), std::string::npos) << st.message();

    config.scheduler_public_key = transport::CurveKeyPair::generate().public_key;
    st = check_link_settings(config);
    ASSERT_FALSE(st);
    EXPECT_NE(st.message().find("--signing-key"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("[scheduler] signing_key"), std::string::npos) << st.message();

    config.scheduler_signing_key = "abcd";
    st = check_link_settings(config);
    ASSERT_FALSE(st);
    EXPECT_NE(st.message().find("signing_key"), std::string::npos) << st.message();

    config.scheduler_signing_key = std::string(64, 'a');
    EXPECT_TRUE(check_link_settings(config));

    config.scheduler_public_key = "short";
    st = check_link_settings(config);
    ASSERT_FALSE(st);
    EXPECT_NE(st.message().find("public_key"), std::string::npos) << st.message();
}
