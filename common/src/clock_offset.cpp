#include "loa/common/clock_offset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace loa {

namespace {

Duration abs(Duration d) {
    return d < Duration::zero() ? -d : d;
}

double ms(Duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

ClockOffsetEstimator::ClockOffsetEstimator(const IClock& local)
    : ClockOffsetEstimator(local, Options{}) {}

ClockOffsetEstimator::ClockOffsetEstimator(const IClock& local, Options options)
    : local_{local}, options_{options} {
    options_.window = std::max<std::size_t>(options_.window, 1);
    options_.best = std::clamp<std::size_t>(options_.best, 1, options_.window);
    options_.step_confirmations = std::max<std::size_t>(options_.step_confirmations, 1);
    options_.slew_rate = std::clamp(options_.slew_rate, 1e-9, 0.5);
}

Result<ClockSample> ClockOffsetEstimator::add_exchange(TimePoint t1, TimePoint t2, TimePoint t3,
                                                       TimePoint t4) {
    const auto refuse = [&](const std::string& why) -> Result<ClockSample> {
        const std::lock_guard lock{mu_};
        ++counters_.refused;
        return Error{"clock exchange refused: " + why};
    };
    if (t4 < t1) {
        return refuse("the reply arrived (t4) before the request was sent (t1)");
    }
    if (t3 < t2) {
        return refuse("the reference sent its reply (t3) before it received the request (t2)");
    }
    ClockSample sample;
    sample.offset = ((t2 - t1) + (t3 - t4)) / 2;
    sample.delay = (t4 - t1) - (t3 - t2);
    sample.at = t4;
    if (sample.delay < Duration::zero()) {
        return refuse(fmt::format("negative round-trip delay ({:.3f} ms)", ms(sample.delay)));
    }
    if (sample.delay > options_.max_delay) {
        return refuse(fmt::format("round-trip delay {:.3f} ms is above the limit of {:.3f} ms",
                                  ms(sample.delay), ms(options_.max_delay)));
    }

    const std::lock_guard lock{mu_};
    const auto now = local_.now();
    while (!window_.empty() && window_.front().at + options_.max_age < sample.at) {
        window_.pop_front();
    }
    bool spike = false;
    if (!window_.empty()) {
        const auto min_delay =
            std::min_element(window_.begin(), window_.end(), [](const auto& a, const auto& b) {
                return a.delay < b.delay;
            })->delay;
        const auto limit =
            std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::nano>(
                static_cast<double>(min_delay.count()) * options_.spike_factor)) +
            options_.spike_margin;
        spike = sample.delay > limit;
    }
    window_.push_back(sample);
    while (window_.size() > options_.window) {
        window_.pop_front();
    }
    ++counters_.accepted;
    if (spike) {
        ++counters_.spikes;
    }

    if (!synchronized_ || counters_.accepted <= options_.initial_samples) {
        refilter();
        step_to(estimate_, now);
        candidates_.clear();
        return sample;
    }

    refilter();
    const auto applied = applied_at(now);
    if (!spike) {
        if (abs(sample.offset - applied) > options_.step_threshold) {
            if (!candidates_.empty() &&
                abs(sample.offset - candidates_.front().offset) > options_.step_threshold) {
                candidates_.clear();  // not the same new offset: start counting again
            }
            candidates_.push_back(sample);
            if (candidates_.size() >= options_.step_confirmations) {
                window_ = std::move(candidates_);
                candidates_.clear();
                refilter();
                step_to(estimate_, now);
                return sample;
            }
        } else {
            candidates_.clear();
        }
    }
    if (abs(estimate_ - applied) <= options_.step_threshold) {
        slew_to(estimate_, now);
    }
    return sample;
}

void ClockOffsetEstimator::refilter() {
    if (window_.empty()) {
        return;
    }
    // Every sample bounds the true offset: offset - delay/2 <= true <= offset + delay/2.
    Duration lower = window_.front().offset - window_.front().delay / 2;
    Duration upper = window_.front().offset + window_.front().delay / 2;
    for (const auto& s : window_) {
        lower = std::max(lower, s.offset - s.delay / 2);
        upper = std::min(upper, s.offset + s.delay / 2);
    }
    if (lower <= upper) {
        consistent_ = true;
        estimate_ = lower + (upper - lower) / 2;
        jitter_ = (upper - lower) / 2;
        return;
    }
    // The bounds disagree (the offset changed within the window): the clock filter alone.
    consistent_ = false;
    std::vector<ClockSample> by_delay{window_.begin(), window_.end()};
    const auto k = std::min(options_.best, by_delay.size());
    std::partial_sort(by_delay.begin(), by_delay.begin() + static_cast<std::ptrdiff_t>(k),
                      by_delay.end(),
                      [](const auto& a, const auto& b) { return a.delay < b.delay; });
    std::vector<Duration> offsets;
    for (std::size_t i = 0; i < k; ++i) {
        offsets.push_back(by_delay[i].offset);
    }
    std::sort(offsets.begin(), offsets.end());
    estimate_ = k % 2 == 1 ? offsets[k / 2] : (offsets[k / 2 - 1] + offsets[k / 2]) / 2;
    double sum = 0;
    for (const auto o : offsets) {
        const double d = static_cast<double>((o - estimate_).count());
        sum += d * d;
    }
    jitter_ = Duration{static_cast<Duration::rep>(std::sqrt(sum / static_cast<double>(k)))};
}

Duration ClockOffsetEstimator::applied_at(TimePoint local) const {
    if (local <= anchor_local_) {
        return anchor_offset_;
    }
    const auto diff = target_ - anchor_offset_;
    const double max_move =
        static_cast<double>((local - anchor_local_).count()) * options_.slew_rate;
    if (static_cast<double>(abs(diff).count()) <= max_move) {
        return target_;
    }
    const auto move = Duration{static_cast<Duration::rep>(max_move)};
    return diff > Duration::zero() ? anchor_offset_ + move : anchor_offset_ - move;
}

TimePoint ClockOffsetEstimator::corrected_at(TimePoint local) const {
    if (!synchronized_) {
        return local;
    }
    return std::max(local + applied_at(local), floor_);
}

void ClockOffsetEstimator::step_to(Duration offset, TimePoint local) {
    const auto before = corrected_at(local);
    anchor_local_ = local;
    anchor_offset_ = offset;
    target_ = offset;
    if (local + offset < before) {
        floor_ = std::max(floor_, before);  // a step back: stand still until time catches up
    }
    synchronized_ = true;
    ++counters_.steps;
}

void ClockOffsetEstimator::slew_to(Duration offset, TimePoint local) {
    anchor_offset_ = applied_at(local);
    anchor_local_ = local;
    target_ = offset;
}

TimePoint ClockOffsetEstimator::now() const {
    const std::lock_guard lock{mu_};
    return corrected_at(local_.now());
}

TimePoint ClockOffsetEstimator::to_corrected(TimePoint local) const {
    const std::lock_guard lock{mu_};
    return corrected_at(local);
}

TimePoint ClockOffsetEstimator::to_local(TimePoint corrected) const {
    const std::lock_guard lock{mu_};
    if (!synchronized_) {
        return corrected;
    }
    const TimePoint at_anchor = anchor_local_ + anchor_offset_;
    if (corrected <= at_anchor) {
        return corrected - anchor_offset_;
    }
    const auto diff = target_ - anchor_offset_;
    if (diff == Duration::zero()) {
        return corrected - target_;
    }
    const auto slew_time = Duration{
        static_cast<Duration::rep>(static_cast<double>(abs(diff).count()) / options_.slew_rate)};
    const TimePoint slew_end = anchor_local_ + slew_time;
    if (corrected >= slew_end + target_) {
        return corrected - target_;
    }
    // Within the slew the corrected clock runs at 1 ± slew_rate.
    const double rate = diff > Duration::zero() ? 1 + options_.slew_rate : 1 - options_.slew_rate;
    const double since = static_cast<double>((corrected - at_anchor).count()) / rate;
    return anchor_local_ + Duration{static_cast<Duration::rep>(since)};
}

bool ClockOffsetEstimator::synchronized() const {
    const std::lock_guard lock{mu_};
    return synchronized_;
}

Duration ClockOffsetEstimator::offset() const {
    const std::lock_guard lock{mu_};
    return synchronized_ ? applied_at(local_.now()) : Duration::zero();
}

Duration ClockOffsetEstimator::estimate() const {
    const std::lock_guard lock{mu_};
    return estimate_;
}

bool ClockOffsetEstimator::consistent() const {
    const std::lock_guard lock{mu_};
    return consistent_;
}

Duration ClockOffsetEstimator::jitter() const {
    const std::lock_guard lock{mu_};
    return jitter_;
}

ClockOffsetEstimator::Counters ClockOffsetEstimator::counters() const {
    const std::lock_guard lock{mu_};
    return counters_;
}

}  // namespace loa
