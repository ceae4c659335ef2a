// Coverage benchmark: the synthetic An Giang geography (168 stations, ~3,000 clusters, ~1,000
// hamlets). Prints the median (and worst) of repeated runs of: the full computation (engine
// build: checks, discs, STRtree, prepared hamlets, installed coverage), the working coverage
// from scratch, and the incremental recompute after one zone faults and after it clears.
#include "loa/coverage/coverage_engine.hpp"
#include "loa/coverage/demo_geography.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

namespace {

using Ms = std::chrono::duration<double, std::milli>;

double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Wall-clock time of fn; its CPU time (this thread) is added to `cpu` when given. The machine
// may be shared: the CPU time says what the work costs, the wall time what a caller waits.
template <class Fn>
double time_ms(Fn&& fn, std::vector<double>* cpu = nullptr) {
    const double cpu_start = thread_cpu_ms();
    const auto start = std::chrono::steady_clock::now();
    fn();
    const double wall = Ms{std::chrono::steady_clock::now() - start}.count();
    if (cpu != nullptr) {
        cpu->push_back(thread_cpu_ms() - cpu_start);
    }
    return wall;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double worst(const std::vector<double>& v) {
    return *std::max_element(v.begin(), v.end());
}

}  // namespace

int main() {
    std::ifstream in{LOA_SOURCE_DIR "/data/angiang-2019-admin-units.csv", std::ios::binary};
    std::stringstream text;
    text << in.rdbuf();
    auto units = loa::coverage::parse_demo_units(text.str());
    if (!units) {
        std::fprintf(stderr, "%s\n", units.error().message.c_str());
        return 1;
    }
    const loa::coverage::DemoOptions options;
    loa::coverage::DemoGeography geo;
    const double generate_ms = time_ms([&] {
        auto g = loa::coverage::make_demo_geography(*units, options);
        if (!g) {
            std::fprintf(stderr, "%s\n", g.error().message.c_str());
            std::exit(1);
        }
        geo = std::move(*g);
    });
    std::vector<std::string> stations;
    for (const auto& c : geo.clusters) {
        if (stations.empty() || stations.back() != c.station_id) {
            stations.push_back(c.station_id);
        }
    }
    std::sort(stations.begin(), stations.end());
    stations.erase(std::unique(stations.begin(), stations.end()), stations.end());
    fmt::print(
        "An Giang demo geography (synthetic, seed {}): {} stations with clusters, {} "
        "clusters, {} hamlets; generated and calibrated in {:.0f} ms\n",
        options.seed, stations.size(), geo.clusters.size(), geo.areas.size(), generate_ms);

    constexpr int kRuns = 9;
    std::vector<double> build_ms;
    std::vector<double> build_cpu;
    std::optional<loa::coverage::CoverageEngine> engine;
    for (int i = 0; i < kRuns; ++i) {
        build_ms.push_back(time_ms(
            [&] {
                auto e = loa::coverage::CoverageEngine::build(geo.clusters, geo.areas, geo.parents);
                if (!e) {
                    std::fprintf(stderr, "%s\n", e.error().message.c_str());
                    std::exit(1);
                }
                engine.emplace(std::move(*e));
            },
            &build_cpu));
    }
    std::vector<double> scratch_ms;
    std::vector<double> scratch_cpu;
    for (int i = 0; i < kRuns; ++i) {
        scratch_ms.push_back(time_ms([&] { engine->recompute_all(); }, &scratch_cpu));
    }

    // One zone faults, then clears, for every station in turn.
    std::vector<double> fault_ms;
    std::vector<double> fault_cpu;
    std::vector<double> clear_ms;
    std::vector<double> recomputed;
    const loa::coverage::CoverageFigures before = engine->unit("89");
    double worst_drop = 0.0;
    for (const std::string& station : stations) {
        loa::coverage::OperatingState faulty;
        faulty.faulty_zones.insert({station, "main"});
        std::size_t n = 0;
        fault_ms.push_back(time_ms([&] { n = engine->apply(faulty); }, &fault_cpu));
        recomputed.push_back(static_cast<double>(n));
        worst_drop =
            std::max(worst_drop, before.households_working - engine->unit("89").households_working);
        clear_ms.push_back(time_ms([&] { n = engine->apply({}); }));
    }

    fmt::print(
        "full province computation (build + installed coverage), {} runs: median {:.1f} ms, "
        "worst {:.1f} ms (CPU median {:.1f} ms)\n",
        kRuns, median(build_ms), worst(build_ms), median(build_cpu));
    fmt::print(
        "working coverage from scratch, {} runs: median {:.1f} ms, worst {:.1f} ms (CPU "
        "median {:.1f} ms)\n",
        kRuns, median(scratch_ms), worst(scratch_ms), median(scratch_cpu));
    fmt::print(
        "recompute after one zone fault, {} stations: median {:.3f} ms, worst {:.3f} ms "
        "(CPU worst {:.3f} ms; median {:.0f}, most {:.0f} hamlets recomputed; target < "
        "100 ms)\n",
        fault_ms.size(), median(fault_ms), worst(fault_ms), worst(fault_cpu), median(recomputed),
        worst(recomputed));
    fmt::print("recompute after the fault clears: median {:.3f} ms, worst {:.3f} ms\n",
               median(clear_ms), worst(clear_ms));
    fmt::print(
        "province household coverage, every station online: {:.2f} % installed, {:.2f} % "
        "working; worst single-zone drop {:.0f} households\n",
        before.installed().value_or(0) * 100, before.working().value_or(0) * 100, worst_drop);
    return 0;
}
