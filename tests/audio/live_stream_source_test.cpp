// Network streams as live sources: MP3 and AAC served by a cpp-httplib server on 127.0.0.1,
// decoded by GStreamer, paced in real time into Opus frames (decoded back here).
#include "loa/audio/live_stream_source.hpp"
#include "live_stream_test_util.hpp"
#include "loa/audio/gst_decoder.hpp"
#include "loa/audio/live_opus_decoder.hpp"
#include "loa/audio/live_opus_encoder.hpp"
#include "loa/audio/live_source.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace loa::audio {
namespace {

using namespace std::chrono_literals;
using test::TestStreamServer;

struct SourceRun {
    std::vector<EncodedLiveFrame> frames;
    std::vector<TimePoint> released;  // when poll() returned each frame
    std::string error;
    TimePoint ended{};
};

// Drives a source as the session thread does: poll, then wait until next_due().
SourceRun run_source(ILiveSource& source, const IClock& clock, Duration limit) {
    SourceRun run;
    const TimePoint end = clock.now() + limit;
    while (clock.now() < end) {
        auto got = source.poll(clock.now());
        if (!got) {
            run.error = got.error().message;
            break;
        }
        for (auto& f : *got) {
            run.released.push_back(clock.now());
            run.frames.push_back(std::move(f));
        }
        if (source.finished()) {
            break;
        }
        std::this_thread::sleep_until(source.next_due());  // the source's pacing contract
    }
    run.ended = clock.now();
    return run;
}

std::vector<float> decode_all(const std::vector<EncodedLiveFrame>& frames) {
    auto decoder = LiveOpusDecoder::create();
    EXPECT_TRUE(decoder);
    std::vector<float> pcm;
    std::vector<float> frame(kLiveFrameSamples);
    for (const auto& f : frames) {
        EXPECT_TRUE((*decoder)->decode(f.opus, frame));
        pcm.insert(pcm.end(), frame.begin(), frame.end());
    }
    return pcm;
}

// Frames numbered 0, 1, 2, ... stamped 20 ms apart from `first`, each released once its 20 ms
// had passed and soon after.
void expect_paced(const SourceRun& run, TimePoint first) {
    for (std::size_t i = 0; i < run.frames.size(); ++i) {
        const auto& f = run.frames[i];
        ASSERT_EQ(f.index, i);
        ASSERT_EQ(f.capture, first + 20ms * static_cast<int>(i));
        EXPECT_GE(run.released[i], f.capture + 20ms) << "frame " << i << " released early";
        EXPECT_LT(run.released[i], f.capture + 20ms + 40ms) << "frame " << i << " released late";
    }
}

void expect_tone(const SourceRun& run, double freq) {
    const auto pcm = decode_all(run.frames);
    ASSERT_GT(pcm.size(), 48000U / 2);
    // Past the decoders' start-up and before the encoders' padding at the end.
    const std::span<const float> middle{pcm.data() + 4800, pcm.size() - 9600};
    EXPECT_GT(test::tone_share(middle, freq), 0.9);
    EXPECT_LT(test::tone_share(middle, freq * 1.5), 0.01);
}

class LiveStreamSourceTest : public ::testing::Test {
protected:
    const IClock& clock_ = SystemClock::instance();
};

TEST_F(LiveStreamSourceTest, AnMp3StreamComesOutAsTheToneInFramesPacedInRealTime) {
    const std::string mp3 = test::encode_tone("lamemp3enc bitrate=64", 1.5);
    ASSERT_FALSE(mp3.empty());
    TestStreamServer server{mp3, "audio/mpeg"};
    auto source = LiveStreamSource::open(server.url("/stream"), clock_);
    ASSERT_TRUE(source) << source.error().message;
    EXPECT_NE((*source)->format().find("MP3"), std::string::npos) << (*source)->format();
    const TimePoint first = clock_.now();
    (*source)->set_first_capture(first);
    const auto run = run_source(**source, clock_, 5s);
    EXPECT_EQ(run.error, "");
    EXPECT_TRUE((*source)->finished());
    EXPECT_EQ((*source)->skipped_frames(), 0U);
    // 1.5 s of audio (plus the MP3 encoder's delay and padding) in 20 ms frames.
    EXPECT_GE(run.frames.size(), 75U);
    EXPECT_LE(run.frames.size(), 85U);
    expect_paced(run, first);
    // The whole file took as long to send as it lasts: never read faster than real time.
    EXPECT_GE(run.ended - first, 20ms * static_cast<int>(run.frames.size()));
    expect_tone(run, 1000.0);
}

TEST_F(LiveStreamSourceTest, AnAacStreamComesOutAsTheTone) {
    if (!gstreamer_has_element("avenc_aac") || !gstreamer_has_element("avdec_aac")) {
        GTEST_SKIP() << "no GStreamer AAC encoder and decoder (gstreamer1.0-libav)";
    }
    const std::string aac = test::encode_tone(
        "avenc_aac ! aacparse ! audio/mpeg,mpegversion=4,stream-format=adts", 1.0, 750);
    ASSERT_FALSE(aac.empty());
    TestStreamServer server{aac, "audio/aac"};
    auto source = open_live_source(server.url("/stream"), clock_);
    ASSERT_TRUE(source) << source.error().message;
    const TimePoint first = clock_.now();
    (*source)->set_first_capture(first);
    const auto run = run_source(**source, clock_, 5s);
    EXPECT_EQ(run.error, "");
    EXPECT_GE(run.frames.size(), 50U);
    EXPECT_LE(run.frames.size(), 60U);
    expect_paced(run, first);
    expect_tone(run, 750.0);
}

TEST_F(LiveStreamSourceTest, AServerThatStopsSendingEndsTheSessionAsStalled) {
    const std::string mp3 = test::encode_tone("lamemp3enc bitrate=64", 3.0);
    ASSERT_FALSE(mp3.empty());
    TestStreamServer server{mp3, "audio/mpeg", mp3.size() / 6};  // about 0.5 s, then silence
    LiveSourceOptions options;
    options.stall_timeout = 400ms;
    auto source = LiveStreamSource::open(server.url("/stall"), clock_, options);
    ASSERT_TRUE(source) << source.error().message;
    const TimePoint first = clock_.now();
    (*source)->set_first_capture(first);
    const auto run = run_source(**source, clock_, 5s);
    EXPECT_EQ(run.error, "source stalled 0.4 s");
    EXPECT_FALSE((*source)->finished());
    ASSERT_GE(run.frames.size(), 15U);
    EXPECT_LT(run.frames.size(), 40U);
    expect_paced(run, first);
    // It ended no sooner than the stall timeout after the last audio it had.
    EXPECT_GE(run.ended - run.released.back(), 400ms - 25ms);
    EXPECT_LT(run.ended - run.released.back(), 400ms + 300ms);
}

TEST_F(LiveStreamSourceTest, ANotFoundUrlFailsNamingTheUrlAndTheStatus) {
    TestStreamServer server{"", "audio/mpeg"};
    const std::string url = server.url("/missing");
    auto source = open_live_source(url, clock_);
    ASSERT_FALSE(source);
    EXPECT_NE(source.error().message.find(url), std::string::npos) << source.error().message;
    EXPECT_NE(source.error().message.find("Not Found"), std::string::npos)
        << source.error().message;
    EXPECT_NE(source.error().message.find("404"), std::string::npos) << source.error().message;
}

TEST_F(LiveStreamSourceTest, AnHtmlPageFailsAsNotAudio) {
    TestStreamServer server{"", "audio/mpeg"};
    auto source = open_live_source(server.url("/page"), clock_);
    ASSERT_FALSE(source);
    EXPECT_NE(source.error().message.find("not audio"), std::string::npos)
        << source.error().message;
    EXPECT_NE(source.error().message.find("text/html"), std::string::npos)
        << source.error().message;
    EXPECT_EQ(source.error().message,
              server.url("/page") + ": not audio: the server sent text/html");
}

// A port of 127.0.0.1 that was free a moment ago; with `listening`, a socket listens on it and
// never accepts (the kernel completes the connection, nobody answers) until closed.
class LocalPort {
public:
    explicit LocalPort(bool listening) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
        EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
        port_ = ntohs(addr.sin_port);
        if (listening) {
            EXPECT_EQ(::listen(fd_, 4), 0);
        } else {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~LocalPort() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    LocalPort(const LocalPort&) = delete;
    LocalPort& operator=(const LocalPort&) = delete;
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/live.mp3"; }

private:
    int fd_ = -1;
    int port_ = 0;
};

TEST_F(LiveStreamSourceTest, AServerThatIsNotThereFailsNamingTheUrl) {
    const LocalPort closed{false};
    const auto begin = clock_.now();
    auto source = open_live_source(closed.url(), clock_);
    ASSERT_FALSE(source);
    EXPECT_EQ(source.error().message.rfind(closed.url() + ": ", 0), 0U) << source.error().message;
    EXPECT_EQ(source.error().message,
              closed.url() + ": Could not establish connection to server: Connection refused");
    EXPECT_LT(clock_.now() - begin, 1s);
}

TEST_F(LiveStreamSourceTest, AServerThatDoesNotAnswerFailsAfterTheOpenTimeout) {
    const LocalPort silent{true};
    LiveSourceOptions options;
    options.open_timeout = 1s;
    const auto begin = clock_.now();
    auto source = open_live_source(silent.url(), clock_, options);
    ASSERT_FALSE(source);
    EXPECT_EQ(source.error().message, silent.url() + ": the server sent nothing within 1 s");
    EXPECT_GE(clock_.now() - begin, 1s);
    EXPECT_LT(clock_.now() - begin, 3s);
}

TEST(LiveSource, AnUnknownMicrophoneFailsListingTheInputDevices) {
    auto source = open_live_source("mic:No Such Microphone", SystemClock::instance());
    ASSERT_FALSE(source);
    const auto& message = source.error().message;
    EXPECT_NE(message.find("no input device \"No Such Microphone\""), std::string::npos) << message;
    EXPECT_TRUE(message.find("input devices: ") != std::string::npos ||
                message.find("PortAudio found no input device") != std::string::npos)
        << message;
}

TEST(LiveSource, AFileStillPlaysAsLive) {
    auto source = open_live_source("/nonexistent/bursts.wav", SystemClock::instance());
    ASSERT_FALSE(source);
    EXPECT_NE(source.error().message.find("/nonexistent/bursts.wav"), std::string::npos);
}

}  // namespace
}  // namespace loa::audio
