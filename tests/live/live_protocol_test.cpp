#include "loa/protocol/envelope.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>

namespace loa::protocol {
namespace {

wire::Envelope round_trip(const wire::Envelope& env) {
    const std::string bytes = encode(env);
    auto decoded = decode(std::span<const std::uint8_t>{
        reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    EXPECT_TRUE(decoded) << decoded.error().message;
    return decoded ? *decoded : wire::Envelope{};
}

TEST(LiveProtocol, StartRoundTrips) {
    auto env = make_envelope(3, from_unix_us(1'700'000'000'000'000));
    auto* m = env.mutable_live_start();
    m->set_session_id("L7");
    m->set_priority(wire::EMERGENCY);
    m->set_delay_ms(150);
    m->set_first_capture_us(1'700'000'000'123'456);
    m->set_title("Lũ khẩn cấp");
    const auto back = round_trip(env);
    ASSERT_EQ(back.body_case(), wire::Envelope::kLiveStart);
    EXPECT_EQ(body_name(back), "live_start");
    EXPECT_EQ(back.live_start().session_id(), "L7");
    EXPECT_EQ(back.live_start().priority(), wire::EMERGENCY);
    EXPECT_EQ(back.live_start().delay_ms(), 150U);
    EXPECT_EQ(back.live_start().first_capture_us(), 1'700'000'000'123'456);
    EXPECT_EQ(back.live_start().title(), "Lũ khẩn cấp");
}

TEST(LiveProtocol, FrameRoundTripsWithBinaryAudio) {
    auto env = make_envelope(9, from_unix_us(1));
    auto* m = env.mutable_live_frame();
    m->set_session_id("L1");
    m->set_index(4242);
    m->set_capture_us(1'700'000'084'840'000);
    const std::string opus{"\x00\xff\x7f\x80 bytes", 10};
    m->set_opus(opus);
    m->set_priority(wire::DISTRICT);
    m->set_delay_ms(500);
    m->set_first_capture_us(1'700'000'000'000'000);
    const auto back = round_trip(env);
    ASSERT_EQ(back.body_case(), wire::Envelope::kLiveFrame);
    EXPECT_EQ(body_name(back), "live_frame");
    EXPECT_EQ(back.live_frame().index(), 4242U);
    EXPECT_EQ(back.live_frame().capture_us(), 1'700'000'084'840'000);
    EXPECT_EQ(back.live_frame().opus(), opus);
    EXPECT_EQ(back.live_frame().delay_ms(), 500U);
    EXPECT_EQ(back.live_frame().first_capture_us(), 1'700'000'000'000'000);
}

TEST(LiveProtocol, StopRoundTrips) {
    auto env = make_envelope(1, from_unix_us(1));
    auto* m = env.mutable_live_stop();
    m->set_session_id("L1");
    m->set_last_index(229);
    m->set_reason("source ended");
    const auto back = round_trip(env);
    ASSERT_EQ(back.body_case(), wire::Envelope::kLiveStop);
    EXPECT_EQ(body_name(back), "live_stop");
    EXPECT_EQ(back.live_stop().last_index(), 229U);
    EXPECT_EQ(back.live_stop().reason(), "source ended");
}

}  // namespace
}  // namespace loa::protocol
