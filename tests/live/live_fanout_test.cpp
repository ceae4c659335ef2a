#include "live_fanout.hpp"

#include <gtest/gtest.h>

#include <poll.h>

#include <map>
#include <string>
#include <vector>

namespace loa::scheduler {
namespace {

bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

TEST(LiveFanout, FansOneMessageOutToEveryStationAndWakesTheLink) {
    LiveFanout fanout{10};
    EXPECT_FALSE(readable(fanout.fd()));
    fanout.publish({"s1", "s2", "s3"}, "frame-0");
    EXPECT_TRUE(readable(fanout.fd()));
    std::map<std::string, std::vector<std::string>> got;
    fanout.drain([&](const std::string& station, const std::string& bytes) {
        got[station].push_back(bytes);
        return true;
    });
    EXPECT_FALSE(readable(fanout.fd()));
    ASSERT_EQ(got.size(), 3U);
    for (const auto& [station, list] : got) {
        EXPECT_EQ(list, std::vector<std::string>{"frame-0"}) << station;
    }
    EXPECT_EQ(fanout.sent(), 3U);
    EXPECT_EQ(fanout.dropped(), 0U);
}

TEST(LiveFanout, ABackedUpStationLosesItsOldestFramesOnly) {
    LiveFanout fanout{3};
    for (int i = 0; i < 5; ++i) {
        fanout.publish({"slow"}, "f" + std::to_string(i));
    }
    fanout.publish({"fast"}, "f4");
    std::map<std::string, std::vector<std::string>> got;
    fanout.drain([&](const std::string& station, const std::string& bytes) {
        got[station].push_back(bytes);
        return station != "fast" || bytes != "f4" ? true : false;  // fast's pipe is full
    });
    EXPECT_EQ(got["slow"], (std::vector<std::string>{"f2", "f3", "f4"}));
    EXPECT_EQ(fanout.dropped(), 3U);  // f0 and f1 to slow, f4 not sent to fast
    EXPECT_EQ(fanout.sent(), 3U);
    EXPECT_EQ(fanout.queued(), 6U);
}

}  // namespace
}  // namespace loa::scheduler
