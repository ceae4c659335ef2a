#pragma once

#include "loa/audio/live_opus_encoder.hpp"
#include "loa/audio/live_source.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace loa::audio {

// Turns 48 kHz mono audio into live frames paced in real time: frame n counts as captured at
// first_capture + 20 ms * n and is released once its 20 ms have passed (capture + 20 ms <= now),
// never earlier, so a file "plays as live". The last partial frame is padded with silence.
// The caller drives it with its clock (the product: a source thread waiting until next_due();
// tests: a FakeClock), which keeps the pacing testable.
// Threads: one thread at a time. The file source of ILiveSource (EncodedLiveFrame is declared
// there).
class LiveFramePump final : public ILiveSource {
public:
    LiveFramePump(std::vector<float> pcm, std::unique_ptr<LiveOpusEncoder> encoder,
                  TimePoint first_capture);
    // Decodes a file (anything GStreamer reads) and builds a pump over it; fails naming the
    // file and the problem.
    static Result<std::unique_ptr<LiveFramePump>> open_file(const std::filesystem::path& path,
                                                            TimePoint first_capture);

    // The frames due by `now` not yet returned, at most `max` (a late caller catches up in
    // bursts). Fails only on an encoder error.
    Result<std::vector<EncodedLiveFrame>> poll(TimePoint now, std::size_t max = 50) override;
    // When the next frame is due; meaningless once finished().
    TimePoint next_due() const override;
    bool finished() const override { return next_ >= total_; }
    std::uint64_t total_frames() const override { return total_; }
    TimePoint first_capture() const { return first_capture_; }
    // Moves the start (frame 0's capture time) before the first poll(): a source opened
    // (decoded) ahead of time starts when the session does.
    void set_first_capture(TimePoint first_capture) override { first_capture_ = first_capture; }

private:
    std::vector<float> pcm_;
    std::unique_ptr<LiveOpusEncoder> encoder_;
    TimePoint first_capture_;
    std::uint64_t next_ = 0;
    std::uint64_t total_ = 0;
    std::vector<float> frame_;
};

}  // namespace loa::audio
