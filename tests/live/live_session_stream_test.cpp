// LiveSessionManager with a network stream as its source: LiveStart, the frames and LiveStop go
// to the link, the stream served by a cpp-httplib server on 127.0.0.1.
#include "live_session_manager.hpp"
#include "live_stream_test_util.hpp"
#include "loa/audio/live_opus_decoder.hpp"
#include "loa/audio/live_opus_encoder.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace loa::scheduler {
namespace {

using namespace std::chrono_literals;
using audio::test::TestStreamServer;

// Records what the manager sends to the link; wait_for_stop() waits for the LiveStop.
class RecordingLink final : public ILinkEvents {
public:
    void station_registered(const std::string&, const std::string&) override {}
    void timelines_changed(const std::vector<std::string>&) override {}
    void send_live(const std::vector<std::string>& stations,
                   const wire::Envelope& envelope) override {
        const std::lock_guard lock{mutex_};
        stations_ = stations;
        sent_.push_back(envelope);
        if (envelope.has_live_stop()) {
            stopped_.notify_all();
        }
    }
    bool wait_for_stop(Duration timeout) {
        std::unique_lock lock{mutex_};
        return stopped_.wait_for(lock, timeout,
                                 [this] { return !sent_.empty() && sent_.back().has_live_stop(); });
    }
    std::vector<wire::Envelope> sent() const {
        const std::lock_guard lock{mutex_};
        return sent_;
    }
    std::vector<std::string> stations() const {
        const std::lock_guard lock{mutex_};
        return stations_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable stopped_;
    std::vector<wire::Envelope> sent_;
    std::vector<std::string> stations_;
};

LiveSessionRequest request_for(const std::string& source) {
    LiveSessionRequest r;
    r.source = source;
    r.stations = {"30280", "30283"};
    r.title = "Provincial news, relayed";
    r.started_by = "admin";
    return r;
}

TEST(LiveSessionStream, AStreamGoesOutAsLiveStartFramesAndLiveStop) {
    const std::string mp3 = audio::test::encode_tone("lamemp3enc bitrate=64", 1.0);
    ASSERT_FALSE(mp3.empty());
    TestStreamServer server{mp3, "audio/mpeg"};
    RecordingLink link;
    LiveSessionManager manager{link, SystemClock::instance()};
    auto started = manager.start(request_for(server.url("/stream")));
    ASSERT_TRUE(started) << started.error().message;
    EXPECT_EQ(started->state, "live");
    EXPECT_EQ(started->total_frames, 0U);  // a stream: unknown
    ASSERT_TRUE(link.wait_for_stop(10s));

    const auto sent = link.sent();
    EXPECT_EQ(link.stations(), (std::vector<std::string>{"30280", "30283"}));
    ASSERT_GE(sent.size(), 3U);
    ASSERT_TRUE(sent.front().has_live_start());
    const auto& start = sent.front().live_start();
    EXPECT_EQ(start.session_id(), started->id);
    EXPECT_EQ(start.first_capture_us(), started->first_capture_us);
    EXPECT_EQ(start.title(), "Provincial news, relayed");

    auto decoder = audio::LiveOpusDecoder::create();
    ASSERT_TRUE(decoder);
    std::vector<float> pcm;
    std::vector<float> frame(audio::kLiveFrameSamples);
    std::uint64_t frames = 0;
    for (std::size_t i = 1; i + 1 < sent.size(); ++i) {
        ASSERT_TRUE(sent[i].has_live_frame()) << i;
        const auto& f = sent[i].live_frame();
        EXPECT_EQ(f.session_id(), started->id);
        EXPECT_EQ(f.index(), frames);
        EXPECT_EQ(f.capture_us(),
                  start.first_capture_us() + 20'000 * static_cast<std::int64_t>(f.index()));
        ASSERT_TRUE((*decoder)->decode(f.opus(), frame));
        pcm.insert(pcm.end(), frame.begin(), frame.end());
        ++frames;
    }
    EXPECT_GE(frames, 50U);  // 1 s of audio and the encoder's padding
    EXPECT_LE(frames, 60U);
    const std::span<const float> middle{pcm.data() + 4800, pcm.size() - 9600};
    EXPECT_GT(audio::test::tone_share(middle, 1000.0), 0.9);

    ASSERT_TRUE(sent.back().has_live_stop());
    EXPECT_EQ(sent.back().live_stop().reason(), "source ended");
    EXPECT_EQ(sent.back().live_stop().last_index(), frames - 1);
    // stop() waits for the session's thread to be done; a session over is answered as it is.
    const auto info = manager.stop(started->id, "operator");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->state, "ended");
    EXPECT_EQ(info->stop_reason, "source ended");
    EXPECT_EQ(info->frames_sent, frames);
}

TEST(LiveSessionStream, AStalledStreamEndsTheSessionWithTheReason) {
    const std::string mp3 = audio::test::encode_tone("lamemp3enc bitrate=64", 3.0);
    ASSERT_FALSE(mp3.empty());
    TestStreamServer server{mp3, "audio/mpeg", mp3.size() / 5};  // 0.6 s, then nothing
    RecordingLink link;
    audio::LiveSourceOptions options;
    options.stall_timeout = 300ms;
    LiveSessionManager manager{link, SystemClock::instance(), options};
    auto started = manager.start(request_for(server.url("/stall")));
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_TRUE(link.wait_for_stop(10s));
    const auto sent = link.sent();
    ASSERT_TRUE(sent.back().has_live_stop());
    EXPECT_EQ(sent.back().live_stop().reason(), "source stalled 0.3 s");
    EXPECT_GE(sent.size(), 2U + 5U);  // LiveStart, some frames, LiveStop
    const auto info = manager.stop(started->id, "operator");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->state, "ended");
    EXPECT_EQ(info->stop_reason, "source stalled 0.3 s");
}

TEST(LiveSessionStream, AUrlThatIsNotAudioStartsNothing) {
    TestStreamServer server{"", "audio/mpeg"};
    RecordingLink link;
    LiveSessionManager manager{link, SystemClock::instance()};
    const std::string missing = server.url("/missing");
    auto started = manager.start(request_for(missing));
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().message, "source: " + missing + ": Not Found (404)");
    auto page = manager.start(request_for(server.url("/page")));
    ASSERT_FALSE(page);
    EXPECT_EQ(page.error().message.rfind("source: " + server.url("/page") +
                                             ": not audio: the "
                                             "server sent text/html",
                                         0),
              0U)
        << page.error().message;
    EXPECT_TRUE(manager.list().empty());
    EXPECT_TRUE(link.sent().empty());
}

}  // namespace
}  // namespace loa::scheduler
