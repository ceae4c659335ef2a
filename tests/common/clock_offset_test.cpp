#include "loa/common/clock_offset.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace loa {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

Duration abs_d(Duration d) {
    return d < Duration::zero() ? -d : d;
}

// A local clock that is `true_offset` behind the reference, and a path between them whose two
// directions take their own time on every exchange.
class Link {
public:
    explicit Link(Duration true_offset, std::uint32_t seed = 1)
        : local{TimePoint{} + 1'700'000'000s}, true_offset_{true_offset}, rng_{seed} {}

    FakeClock local;

    void set_offset(Duration d) { true_offset_ = d; }
    Duration true_offset() const { return true_offset_; }
    TimePoint reference_now() const { return local.now() + true_offset_; }

    // One exchange with the given one-way delays; the local clock moves by the round trip.
    Result<ClockSample> exchange(ClockOffsetEstimator& est, Duration forward, Duration back,
                                 Duration processing = 200us) {
        const TimePoint t1 = local.now();
        const TimePoint t2 = t1 + true_offset_ + forward;
        const TimePoint t3 = t2 + processing;
        local.advance(forward + processing + back);
        return est.add_exchange(t1, t2, t3, local.now());
    }

    // An exchange over a path of 5 ms each way plus independent queueing on each direction,
    // exponentially distributed with a mean of 4 ms (tails of 20 ms and more): asymmetric on
    // every exchange, by several milliseconds of offset error on most.
    Result<ClockSample> jittery_exchange(ClockOffsetEstimator& est) {
        std::exponential_distribution<double> queueing_us{1.0 / 4000.0};
        const auto forward = std::chrono::microseconds{static_cast<long>(queueing_us(rng_))};
        const auto back = std::chrono::microseconds{static_cast<long>(queueing_us(rng_))};
        return exchange(est, 5ms + forward, 5ms + back);
    }

    std::mt19937& rng() { return rng_; }

private:
    Duration true_offset_;
    std::mt19937 rng_;
};

TEST(ClockOffset, SampleIsTheFourTimestampFormula) {
    Link link{2s};
    ClockOffsetEstimator est{link.local};
    // 10 ms out, 30 ms back: the offset seen is 10 ms too high (half the asymmetry).
    auto sample = link.exchange(est, 10ms, 30ms, 1ms);
    ASSERT_TRUE(sample.ok()) << sample.error().message;
    EXPECT_EQ(sample->delay, 40ms);
    EXPECT_EQ(sample->offset, 2s - 10ms);
    EXPECT_EQ(sample->at, link.local.now());
}

TEST(ClockOffset, UnsynchronizedClockShowsLocalTime) {
    FakeClock local{TimePoint{} + 1000s};
    ClockOffsetEstimator est{local};
    EXPECT_FALSE(est.synchronized());
    EXPECT_EQ(est.now(), local.now());
    EXPECT_EQ(est.offset(), Duration::zero());
}

TEST(ClockOffset, ConvergesWithin1msOfAConstantOffsetDespiteAsymmetricJitter) {
    for (const Duration offset : {Duration{2s}, Duration{-2s}, Duration{1500ms}}) {
        Link link{offset, 7};
        ClockOffsetEstimator est{link.local};
        Duration worst_late{};
        for (int i = 0; i < 150; ++i) {
            ASSERT_TRUE(link.jittery_exchange(est).ok());
            link.local.advance(1s);
            if (i >= 60) {
                worst_late = std::max(worst_late, abs_d(est.offset() - offset));
                // The corrected clock shows the reference's time.
                ASSERT_LT(abs_d(est.now() - link.reference_now()), 1ms) << "exchange " << i;
            }
        }
        EXPECT_LT(worst_late, 1ms) << "offset " << offset.count();
        EXPECT_TRUE(est.synchronized());
        EXPECT_GT(est.jitter(), Duration::zero());
    }
}

TEST(ClockOffset, LargeStepIsFollowedAtOnceAfterConfirmation) {
    Link link{2s, 3};
    ClockOffsetEstimator est{link.local};
    for (int i = 0; i < 60; ++i) {
        ASSERT_TRUE(link.jittery_exchange(est).ok());
        link.local.advance(1s);
    }
    ASSERT_LT(abs_d(est.offset() - 2s), 1ms);
    const auto steps_before = est.counters().steps;

    link.set_offset(2500ms);  // e.g. someone set the station's clock by hand
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(link.jittery_exchange(est).ok());
        link.local.advance(1s);
        EXPECT_LT(abs_d(est.offset() - 2s), 1ms) << "a single sample must not move the clock";
    }
    ASSERT_TRUE(link.jittery_exchange(est).ok());  // the third confirms the step
    EXPECT_EQ(est.counters().steps, steps_before + 1);
    EXPECT_LT(abs_d(est.offset() - 2500ms), 10ms);
    for (int i = 0; i < 60; ++i) {
        link.local.advance(1s);
        ASSERT_TRUE(link.jittery_exchange(est).ok());
    }
    EXPECT_LT(abs_d(est.offset() - 2500ms), 1ms);
}

TEST(ClockOffset, SmallStepIsSlewedNotStepped) {
    Link link{-2s, 5};
    ClockOffsetEstimator est{link.local};
    for (int i = 0; i < 60; ++i) {
        ASSERT_TRUE(link.jittery_exchange(est).ok());
        link.local.advance(1s);
    }
    const auto steps_before = est.counters().steps;
    link.set_offset(-2s + 40ms);
    Duration previous = est.offset();
    for (int i = 0; i < 150; ++i) {
        ASSERT_TRUE(link.jittery_exchange(est).ok());
        const auto before_wait = est.offset();
        link.local.advance(1s);
        // Never more than 500 ppm: 0.5 ms per second of local time (plus the exchange's own).
        EXPECT_LE(abs_d(est.offset() - before_wait), 510us);
        EXPECT_LE(abs_d(before_wait - previous), 600us);
        previous = est.offset();
    }
    EXPECT_EQ(est.counters().steps, steps_before);
    EXPECT_LT(abs_d(est.offset() - (-2s + 40ms)), 1ms);
}

TEST(ClockOffset, DelaySpikesAreIgnored) {
    Link link{1500ms, 11};
    ClockOffsetEstimator est{link.local};
    for (int i = 0; i < 60; ++i) {
        ASSERT_TRUE(link.jittery_exchange(est).ok());
        link.local.advance(1s);
    }
    const auto steps_before = est.counters().steps;
    const auto spikes_before = est.counters().spikes;
    // Every other exchange is stuck in a 3G queue one way for 300–900 ms: offset errors of
    // 150–450 ms, far beyond the step threshold.
    std::uniform_int_distribution<int> spike_ms{300, 900};
    for (int i = 0; i < 60; ++i) {
        if (i % 2 == 0) {
            const auto spike = std::chrono::milliseconds{spike_ms(link.rng())};
            ASSERT_TRUE((i % 4 == 0 ? link.exchange(est, 5ms + spike, 5ms)
                                    : link.exchange(est, 5ms, 5ms + spike))
                            .ok());
        } else {
            ASSERT_TRUE(link.jittery_exchange(est).ok());
        }
        link.local.advance(1s);
        ASSERT_LT(abs_d(est.offset() - 1500ms), 1ms) << "exchange " << i;
    }
    EXPECT_EQ(est.counters().steps, steps_before);
    // Every stuck exchange was seen as a spike (an exponential tail may add one more).
    EXPECT_GE(est.counters().spikes - spikes_before, 30U);
}

TEST(ClockOffset, CorrectedTimeNeverGoesBackwards) {
    Link link{2s, 13};
    ClockOffsetEstimator est{link.local};
    TimePoint last = est.now();
    std::uint64_t reads = 0;
    const auto run = [&](int exchanges) {
        for (int i = 0; i < exchanges; ++i) {
            ASSERT_TRUE(link.jittery_exchange(est).ok());
            for (int tick = 0; tick < 100; ++tick) {  // read the time every 10 ms
                const TimePoint t = est.now();
                ASSERT_GE(t, last) << "exchange " << i << " tick " << tick;
                last = t;
                ++reads;
                link.local.advance(10ms);
            }
        }
    };
    run(30);               // start-up steps and convergence
    link.set_offset(-1s);  // a 3 s step backwards
    run(10);
    const auto steps = est.counters().steps;
    EXPECT_LT(abs_d(est.offset() - (-1s)), 10ms);
    link.set_offset(-1s - 20ms);  // a slew backwards (40 s at 500 ppm)
    run(60);
    link.set_offset(-1s + 20ms);  // a slew forwards (80 s)
    run(100);
    EXPECT_EQ(est.counters().steps, steps);
    EXPECT_LT(abs_d(est.offset() - (-1s + 20ms)), 1ms);
    EXPECT_EQ(reads, 200U * 100U);
}

TEST(ClockOffset, StandsStillAfterAStepBackUntilTimeCatchesUp) {
    Link link{0s};
    ClockOffsetEstimator::Options options;
    options.initial_samples = 1;
    options.step_confirmations = 1;
    ClockOffsetEstimator est{link.local, options};
    ASSERT_TRUE(link.exchange(est, 5ms, 5ms, 0ms).ok());
    const TimePoint shown = est.now();
    link.set_offset(-2s);
    ASSERT_TRUE(link.exchange(est, 5ms, 5ms, 0ms).ok());
    EXPECT_EQ(est.offset(), -2s);
    EXPECT_EQ(est.now(), shown + 10ms);  // what it showed just before the step
    link.local.advance(1s);
    EXPECT_EQ(est.now(), shown + 10ms);
    link.local.advance(1010ms);  // two seconds after the step: moving again
    EXPECT_EQ(est.now(), link.reference_now());
}

TEST(ClockOffset, ToLocalInvertsToCorrectedDuringASlew) {
    Link link{500ms, 17};
    ClockOffsetEstimator est{link.local};
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(link.jittery_exchange(est).ok());
        link.local.advance(1s);
    }
    link.set_offset(500ms + 50ms);
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(link.jittery_exchange(est).ok());
        link.local.advance(1s);
    }
    ASSERT_NE(est.estimate(), est.offset()) << "the test wants a slew in progress";
    for (const Duration ahead : {Duration{0s}, Duration{1s}, Duration{30s}, Duration{500s}}) {
        const TimePoint local = link.local.now() + ahead;
        const TimePoint corrected = est.to_corrected(local);
        EXPECT_LT(abs_d(est.to_local(corrected) - local), 1us) << ahead.count();
    }
}

TEST(ClockOffset, RefusesImpossibleExchangesAndChangesNothing) {
    FakeClock local{TimePoint{} + 1000s};
    ClockOffsetEstimator est{local};
    const TimePoint t = local.now();
    auto r = est.add_exchange(t, t + 2s, t + 2s, t - 1ms);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("(t4) before"));
    r = est.add_exchange(t, t + 2s, t + 1s, t + 10ms);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("(t3) before"));
    r = est.add_exchange(t, t + 2s, t + 2s + 50ms, t + 10ms);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("negative round-trip delay"));
    r = est.add_exchange(t, t + 2s, t + 2s, t + 3s);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.error().message, HasSubstr("above the limit"));
    EXPECT_FALSE(est.synchronized());
    EXPECT_EQ(est.counters().refused, 4U);
    EXPECT_EQ(est.counters().accepted, 0U);
    EXPECT_EQ(est.now(), local.now());
}

}  // namespace
}  // namespace loa
