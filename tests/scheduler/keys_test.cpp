#include "loa/scheduler/scheduler_keys.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace loa;
using namespace loa::scheduler;

TEST(SchedulerKeys, CreatedOnceWithMode0600AndReusedAfterwards) {
    test::TempDir dir;
    const auto first = SchedulerKeys::load_or_create(dir.path());
    const auto file = dir.path() / SchedulerKeys::kFileName;
    ASSERT_TRUE(std::filesystem::exists(file));
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    EXPECT_EQ(test::files_in(dir.path()), std::vector<std::string>{SchedulerKeys::kFileName});

    // The pairs are real: the public keys derive from the secrets.
    EXPECT_EQ(transport::CurveKeyPair::from_secret(first.curve.secret_key)->public_key,
              first.curve.public_key);
    const std::string message = "timeline";
    EXPECT_TRUE(protocol::verify(message, protocol::sign(message, first.signing),
                                 first.signing.public_key));

    const auto again = SchedulerKeys::load_or_create(dir.path());
    EXPECT_EQ(again.curve.public_key, first.curve.public_key);
    EXPECT_EQ(again.curve.secret_key, first.curve.secret_key);
    EXPECT_EQ(again.signing.public_key, first.signing.public_key);
    EXPECT_EQ(again.signing.secret_key, first.signing.secret_key);
}

TEST(SchedulerKeys, ACorruptFileIsAnErrorNamingIt) {
    test::TempDir dir;
    const auto file = dir.path() / SchedulerKeys::kFileName;
    test::write_file(file, "[curve]\npublic_key = \"x\"\nsecret_key = \"not a key\"\n");
    try {
        SchedulerKeys::load_or_create(dir.path());
        FAIL() << "a corrupt key file was accepted";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(file.string()), std::string::npos) << what;
        EXPECT_NE(what.find("curve.secret_key"), std::string::npos) << what;
    }
    // The bad file is left for the operator to look at, not replaced.
    EXPECT_NE(test::read_file(file).find("not a key"), std::string::npos);
}
