#include "loa/agent/live_frame_source.hpp"

#include "loa/audio/live_opus_decoder.hpp"
#include "loa/audio/live_opus_encoder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace loa::agent {

namespace {
constexpr Duration kFrameDuration = std::chrono::milliseconds{20};
}

LiveFrameSource::LiveFrameSource(const IClock& clock, LiveSourceOptions options)
    : clock_{clock},
      options_{options},
      last_arrival_{clock.now()},
      frame_(audio::kLiveFrameSamples),
      frame_pos_{audio::kLiveFrameSamples} {
    auto decoder = audio::LiveOpusDecoder::create();
    if (!decoder) {
        throw std::runtime_error(decoder.error().message);
    }
    decoder_ = std::move(decoder).value();
}

LiveFrameSource::~LiveFrameSource() = default;

bool LiveFrameSource::push(std::uint64_t index, std::string opus) {
    std::lock_guard lock{mu_};
    if (ended_now_ || (last_index_ && index > *last_index_)) {
        return false;
    }
    if (index < next_) {
        ++stats_.late;
        return false;
    }
    if (index >= next_ + options_.max_buffered) {
        ++stats_.too_early;
        return false;
    }
    if (!packets_.emplace(index, std::move(opus)).second) {
        ++stats_.duplicates;
        return false;
    }
    ++stats_.received;
    last_arrival_ = clock_.now();
    return true;
}

void LiveFrameSource::end_after(std::uint64_t last_index) {
    std::lock_guard lock{mu_};
    last_index_ = last_index;
}

void LiveFrameSource::end_now() {
    std::lock_guard lock{mu_};
    ended_now_ = true;
}

LiveSourceStats LiveFrameSource::stats() const {
    std::lock_guard lock{mu_};
    return stats_;
}

TimePoint LiveFrameSource::commit_time(std::uint64_t index) const {
    return options_.first_capture + options_.delay +
           kFrameDuration * static_cast<std::int64_t>(index) - options_.commit_lead;
}

void LiveFrameSource::produce(std::uint64_t index) {
    std::string packet;
    std::string next_packet;
    bool have = false;
    bool have_next = false;
    {
        std::lock_guard lock{mu_};
        if (auto it = packets_.find(index); it != packets_.end()) {
            packet = std::move(it->second);
            have = true;
        }
        if (auto it = packets_.find(index + 1); it != packets_.end()) {
            next_packet = it->second;
            have_next = true;
        }
        packets_.erase(packets_.begin(), packets_.upper_bound(index));
        next_ = index + 1;
    }
    enum class How { played, recovered, concealed, corrupt } how = How::concealed;
    if (have) {
        how = decoder_->decode(packet, frame_) ? How::played : How::corrupt;
    } else if (have_next) {
        how = decoder_->recover(next_packet, frame_) ? How::recovered : How::concealed;
    }
    if (how == How::corrupt || how == How::concealed) {
        if (!decoder_->conceal(frame_)) {
            std::fill(frame_.begin(), frame_.end(), 0.0F);
        }
    }
    frame_pos_ = 0;
    std::lock_guard lock{mu_};
    switch (how) {
        case How::played:
            ++stats_.played;
            break;
        case How::recovered:
            ++stats_.recovered;
            break;
        case How::concealed:
            ++stats_.concealed;
            break;
        case How::corrupt:
            ++stats_.corrupt;
            break;
    }
}

std::size_t LiveFrameSource::read(std::span<float> out) {
    pending_ = false;
    std::size_t written = 0;
    while (written < out.size() && !finished_) {
        if (frame_pos_ < frame_.size()) {
            const std::size_t n = std::min(out.size() - written, frame_.size() - frame_pos_);
            std::copy_n(frame_.begin() + static_cast<long>(frame_pos_), n,
                        out.begin() + static_cast<long>(written));
            frame_pos_ += n;
            written += n;
            continue;
        }
        const TimePoint now = clock_.now();
        std::uint64_t index = 0;
        {
            std::lock_guard lock{mu_};
            index = next_;
            if (ended_now_ || (last_index_ && index > *last_index_)) {
                finished_ = true;
                break;
            }
            if (now >= commit_time(index) && !packets_.contains(index) &&
                now - last_arrival_ > options_.feed_timeout) {
                error_ = fmt::format(
                    "live feed lost: no frame for {} ms",
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - last_arrival_)
                        .count());
                finished_ = true;
                break;
            }
        }
        if (now < commit_time(index)) {
            pending_ = written == 0;
            break;
        }
        produce(index);
    }
    return written;
}

}  // namespace loa::agent
