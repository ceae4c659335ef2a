#include "loa/audio/output_meter.hpp"

#include "loa/audio/frame_time.hpp"
#include "loa/audio/player.hpp"

#include <algorithm>
#include <cmath>

namespace loa::audio {

namespace {

constexpr std::int64_t kNsPerSecond = 1'000'000'000;

float to_dbfs(double linear) {
    if (linear <= 0.0) {
        return OutputMeter::kFloorDbfs;
    }
    return std::max(OutputMeter::kFloorDbfs, static_cast<float>(20.0 * std::log10(linear)));
}

// The start of the UTC second holding `t` (floor, also before the epoch).
TimePoint second_of(TimePoint t) {
    const std::int64_t ns = t.time_since_epoch().count();
    std::int64_t s = ns / kNsPerSecond;
    if (ns % kNsPerSecond < 0) {
        --s;
    }
    return TimePoint{Duration{s * kNsPerSecond}};
}

}  // namespace

OutputMeter::OutputMeter(Player& player, std::size_t queue_seconds)
    : inner_{player},
      player_{&player},
      queue_{std::make_unique<SecondLevel[]>(std::max<std::size_t>(queue_seconds, 1))},
      capacity_{std::max<std::size_t>(queue_seconds, 1)} {}

OutputMeter::OutputMeter(IRenderSource& inner, const std::atomic<bool>& active,
                         std::size_t queue_seconds)
    : inner_{inner},
      flag_{&active},
      queue_{std::make_unique<SecondLevel[]>(std::max<std::size_t>(queue_seconds, 1))},
      capacity_{std::max<std::size_t>(queue_seconds, 1)} {}

OutputMeter::~OutputMeter() = default;

bool OutputMeter::inner_active() const noexcept {
    if (player_ != nullptr) {
        return player_->active();
    }
    return flag_ != nullptr && flag_->load(std::memory_order_acquire);
}

void OutputMeter::render(std::span<float> out, TimePoint first_frame_time) noexcept {
    inner_.render(out, first_frame_time);
    const bool active = inner_active();
    std::size_t pos = 0;
    while (pos < out.size()) {
        const TimePoint t = first_frame_time + frames_to_duration(static_cast<std::int64_t>(pos));
        const TimePoint sec = second_of(t);
        if (!open_ || sec != second_) {
            if (open_) {
                publish();
            }
            open_ = true;
            second_ = sec;
            sum_squares_ = 0.0;
            peak_ = 0.0F;
            clipped_ = 0;
            frames_ = 0;
            active_ = false;
        }
        // Frames of this block before the next second begins: frame i is in this second while
        // first_frame_time + i / 48000 s < second_ + 1 s.
        const std::int64_t until_ns = (second_ + Duration{kNsPerSecond} - first_frame_time).count();
        const auto boundary =
            static_cast<std::size_t>(std::max<std::int64_t>(0, (until_ns * 3 + 62499) / 62500));
        const std::size_t end = std::clamp(boundary, pos + 1, out.size());
        accumulate(out.subspan(pos, end - pos));
        active_ = active_ || active;
        pos = end;
    }
}

void OutputMeter::accumulate(std::span<const float> frames) noexcept {
    for (const float x : frames) {
        const float a = std::fabs(x);
        sum_squares_ += static_cast<double>(x) * static_cast<double>(x);
        peak_ = std::max(peak_, a);
        if (a >= kClipLevel) {
            ++clipped_;
        }
    }
    frames_ += static_cast<std::uint32_t>(frames.size());
}

void OutputMeter::publish() noexcept {
    const std::size_t w = written_.load(std::memory_order_relaxed);
    if (w - read_.load(std::memory_order_acquire) >= capacity_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    SecondLevel& level = queue_[w % capacity_];
    level.start = second_;
    level.rms_dbfs = frames_ == 0 ? kFloorDbfs : to_dbfs(std::sqrt(sum_squares_ / frames_));
    level.peak_dbfs = to_dbfs(peak_);
    level.clipped = clipped_;
    level.frames = frames_;
    level.active = active_;
    written_.store(w + 1, std::memory_order_release);
}

std::optional<SecondLevel> OutputMeter::poll() {
    const std::size_t r = read_.load(std::memory_order_relaxed);
    if (r == written_.load(std::memory_order_acquire)) {
        return std::nullopt;
    }
    SecondLevel level = queue_[r % capacity_];
    read_.store(r + 1, std::memory_order_release);
    return level;
}

std::uint64_t OutputMeter::dropped() const {
    return dropped_.load(std::memory_order_relaxed);
}

}  // namespace loa::audio
