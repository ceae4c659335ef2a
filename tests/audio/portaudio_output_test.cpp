#include "loa/audio/portaudio_output.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using loa::audio::PortAudioOutput;
using ::testing::HasSubstr;

TEST(PortAudioOutput, MissingDeviceFailsListingTheDevices) {
    auto out = PortAudioOutput::open("no-such-loudspeaker", "", loa::SystemClock::instance());
    ASSERT_FALSE(out.ok());
    const std::string& message = out.error().message;
    EXPECT_THAT(message, HasSubstr("\"no-such-loudspeaker\""));
    const auto devices = PortAudioOutput::list_devices();
    if (devices.empty()) {
        EXPECT_THAT(message, HasSubstr("no output device"));
    }
    for (const auto& device : devices) {
        EXPECT_THAT(device, HasSubstr(" / "));
        EXPECT_THAT(message, HasSubstr(device));
    }
}

TEST(PortAudioOutput, MissingHostApiIsNamed) {
    auto out = PortAudioOutput::open("default", "No Such Host API", loa::SystemClock::instance());
    ASSERT_FALSE(out.ok());
    EXPECT_THAT(out.error().message, HasSubstr("\"No Such Host API\""));
}
