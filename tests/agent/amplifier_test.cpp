#include "loa/agent/amplifier.hpp"
#include "loa/agent/amplifier_sequencer.hpp"
#include "loa/agent/command_amplifier.hpp"
#include "loa/agent/gpio_amplifier.hpp"
#include "loa/agent/simulated_amplifier.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace loa;
using namespace loa::agent;
using namespace std::chrono_literals;
using loa::agent::test::TempDir;

namespace {

const TimePoint kT0 = from_unix_us(1'795'000'000'000'000);

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST(SimulatedAmplifier, RecordsSwitchesAndFailsWhileFaulted) {
    FakeClock clock{kT0};
    SimulatedAmplifier amp{clock};
    EXPECT_EQ(amp.state(), (AmplifierState{false, false, ""}));
    ASSERT_TRUE(amp.power(true));
    clock.advance(5s);
    amp.inject_fault("fuse blown");
    const auto failed = amp.power(false);
    EXPECT_FALSE(failed);
    EXPECT_EQ(failed.message(), "fuse blown");
    EXPECT_EQ(amp.state(), (AmplifierState{true, true, "fuse blown"}));
    amp.clear_fault();
    ASSERT_TRUE(amp.power(false));
    const std::vector<SimulatedAmplifier::Switch> expected{{kT0, true}, {kT0 + 5s, false}};
    EXPECT_EQ(amp.switches(), expected);
}

TEST(CommandAmplifier, RunsTheProgramsAndReportsFailuresByName) {
    TempDir dir;
    const auto log = (dir / "relay.log").string();
    CommandAmplifier amp{{"/bin/sh", "-c", "echo on >> " + log},
                         {"/bin/sh", "-c", "echo off >> \"$0\"", log}};
    ASSERT_TRUE(amp.power(true));
    EXPECT_TRUE(amp.state().on);
    ASSERT_TRUE(amp.power(false));
    EXPECT_EQ(read_text(log), "on\noff\n");
    EXPECT_EQ(amp.describe(), "command /bin/sh");

    CommandAmplifier failing{{"/bin/sh", "-c", "exit 3"}, {"/bin/true"}};
    const auto st = failing.power(true);
    EXPECT_FALSE(st);
    EXPECT_EQ(st.message(), "command '/bin/sh -c exit 3' exited with status 3");
    EXPECT_EQ(failing.state(), (AmplifierState{false, true, st.message()}));
    ASSERT_TRUE(failing.power(false));  // a switch that works clears the fault
    EXPECT_FALSE(failing.state().faulted);

    CommandAmplifier missing{{"/nonexistent/amp", "on"}, {"/nonexistent/amp", "off"}};
    EXPECT_EQ(missing.power(true).message(),
              "command '/nonexistent/amp on' cannot be started: No such file or directory");
    EXPECT_TRUE(missing.state().faulted);
}

TEST(CommandAmplifier, AProgramThatHangsIsKilledAtTheTimeout) {
    CommandAmplifier amp{{"/bin/sleep", "30"}, {"/bin/true"}, 200ms};
    const auto before = std::chrono::steady_clock::now();
    const auto st = amp.power(true);
    const auto took = std::chrono::steady_clock::now() - before;
    EXPECT_FALSE(st);
    EXPECT_EQ(st.message(), "command '/bin/sleep 30' did not finish within 200 ms and was killed");
    EXPECT_LT(took, 5s);
    EXPECT_TRUE(amp.state().faulted);
}

TEST(GpioAmplifier, AChipThatCannotBeOpenedFaultsTheZoneWithAClearMessage) {
    GpioAmplifier amp{"loa-no-such-chip", 17, true};
    EXPECT_EQ(amp.describe(), "gpio loa-no-such-chip line 17 (active low)");
    const auto state = amp.state();
    EXPECT_FALSE(state.on);
    EXPECT_TRUE(state.faulted);
    EXPECT_EQ(state.fault.rfind("gpio loa-no-such-chip line 17: cannot open the chip: ", 0), 0U)
        << state.fault;
    const auto st = amp.power(true);  // tries again, fails again
    EXPECT_FALSE(st);
    EXPECT_EQ(st.message(), amp.state().fault);
}

TEST(Amplifier, ConfigPicksTheBackend) {
    FakeClock clock{kT0};
    config::ZoneConfig zone;
    EXPECT_EQ(make_amplifier(zone, clock)->describe(), "simulated");
    zone.amplifier = config::AmplifierKind::command;
    zone.power_on_command = {"/usr/local/bin/amp", "on"};
    zone.power_off_command = {"/usr/local/bin/amp", "off"};
    EXPECT_EQ(make_amplifier(zone, clock)->describe(), "command /usr/local/bin/amp");
    zone.amplifier = config::AmplifierKind::gpio;
    zone.gpio_chip = "loa-no-such-chip";
    zone.gpio_line = 4;
    const auto gpio = make_amplifier(zone, clock);
    EXPECT_EQ(gpio->describe(), "gpio loa-no-such-chip line 4");
    EXPECT_TRUE(gpio->state().faulted);
}

TEST(AmplifierSequencer, SwitchesByLeadAndHoldOnTheFakeClock) {
    FakeClock clock{kT0};
    SimulatedAmplifier amp{clock};
    AmplifierTiming timing;  // lead 3 s, hold 30 s, margin 250 ms
    AmplifierSequencer seq{"main", amp, clock, timing};
    const auto start = kT0 + 10s;

    seq.update({false, start});
    clock.set(start - 3251ms);
    seq.update({false, start});
    EXPECT_TRUE(amp.switches().empty());
    EXPECT_FALSE(seq.ready());
    EXPECT_EQ(seq.not_ready_reason(), "amplifier off");
    clock.set(start - 3250ms);
    seq.update({false, start});
    ASSERT_EQ(amp.switches().size(), 1U);
    EXPECT_EQ(amp.switches()[0], (SimulatedAmplifier::Switch{start - 3250ms, true}));
    EXPECT_TRUE(seq.ready());
    EXPECT_EQ(seq.on_since(), start - 3250ms);

    // Playing, then idle: off only after the hold.
    clock.set(start + 5s);
    seq.update({true, std::nullopt});
    clock.set(start + 6s);
    seq.update({false, std::nullopt});  // idle from here
    clock.set(start + 6s + 29999ms);
    seq.update({false, std::nullopt});
    EXPECT_EQ(amp.switches().size(), 1U);
    // An item coming within the lead keeps it on: the hold starts again after it.
    clock.set(start + 20s);
    seq.update({false, start + 22s});
    clock.set(start + 36s + 1ms);
    seq.update({false, std::nullopt});
    EXPECT_EQ(amp.switches().size(), 1U);
    clock.set(start + 66s + 1ms);
    seq.update({false, std::nullopt});
    ASSERT_EQ(amp.switches().size(), 2U);
    EXPECT_EQ(amp.switches()[1], (SimulatedAmplifier::Switch{start + 66s + 1ms, false}));
    EXPECT_FALSE(seq.on_since().has_value());
}

TEST(AmplifierSequencer, AFaultIsRetriedAtMostEveryRetryIntervalAndShutdownSwitchesOff) {
    FakeClock clock{kT0};
    SimulatedAmplifier amp{clock};
    AmplifierSequencer seq{"main", amp, clock};
    amp.inject_fault("no mains power");
    seq.update({true, std::nullopt});
    EXPECT_FALSE(seq.ready());
    EXPECT_EQ(seq.not_ready_reason(), "amplifier fault: no mains power");
    amp.clear_fault();
    // The fault is gone: the very next pass switches it on (no retry wait without a fault).
    seq.update({true, std::nullopt});
    EXPECT_TRUE(seq.ready());
    ASSERT_EQ(amp.switches().size(), 1U);

    amp.inject_fault("overheated");
    seq.update({true, std::nullopt});  // tried once: fails
    EXPECT_EQ(seq.not_ready_reason(), "amplifier fault: overheated");
    amp.clear_fault();
    amp.inject_fault("still overheated");
    clock.advance(4s);
    seq.update({true, std::nullopt});  // within the retry interval: not tried
    clock.advance(2s);
    amp.clear_fault();
    seq.update({true, std::nullopt});
    EXPECT_TRUE(seq.ready());
    seq.shutdown();
    EXPECT_FALSE(amp.state().on);
    EXPECT_FALSE(amp.switches().back().on);
}

TEST(SimulatedAmplifier, AFaultFileFaultsItWhileItExists) {
    TempDir dir;
    FakeClock clock{kT0};
    const auto file = dir / "amp-fault";
    SimulatedAmplifier amp{clock, file};
    ASSERT_TRUE(amp.power(true));
    std::ofstream{file} << "relay K2 welded\nmore text\n";
    EXPECT_EQ(amp.state(), (AmplifierState{true, true, "relay K2 welded"}));
    EXPECT_EQ(amp.power(false).message(), "relay K2 welded");
    std::filesystem::remove(file);
    EXPECT_FALSE(amp.state().faulted);
    ASSERT_TRUE(amp.power(false));
}
