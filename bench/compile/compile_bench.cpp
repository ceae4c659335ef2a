// Timeline compiler benchmark: 7 days of 40 recurring entries per province, compiled for the An
// Giang stations (from data/), then for generated national-scale trees of 1,000 and 10,000
// stations, and the incremental recompile after one commune's entry is edited. Prints medians.
//
// usage: bench_compile [RUNS]          (default 7; the An Giang dataset is read from the source
// tree)
//        bench_compile --show STATION [DAYS]  (the first days of an An Giang station's timeline)

#include "loa/common/clock.hpp"
#include "loa/common/time_format.hpp"
#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/station_csv.hpp"
#include "loa/scheduler/timeline_compiler.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace loa;
using namespace loa::scheduler;
using namespace std::chrono_literals;

namespace {

// 2026-11-27T00:00:00Z, a Friday.
const TimePoint kNow =
    TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / 27}.time_since_epoch()};

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

Recurrence rule(const char* text, int hour, int minute, std::vector<LocalDateTime> exdates = {}) {
    auto r = Recurrence::create(text, LocalDateTime{2026, 1, 5, hour, minute, 0, false},
                                kDefaultZone, std::move(exdates));
    if (!r.ok()) {
        std::fprintf(stderr, "bench_compile: %s\n", r.error().message.c_str());
        std::exit(1);
    }
    return *r;
}

// The 40 recurring entries of one province (2 news, 3 fillers, 1 emergency drill, one weekday
// programme per district, notices for 23 communes), as a province would plan a week.
void add_province_entries(const AdminUnitTree& tree, const AdminUnit& province, std::int64_t& id,
                          std::vector<ScheduleEntry>& out, std::vector<std::int64_t>& commune_ids) {
    auto make = [&](PriorityClass priority, const std::string& unit, Recurrence r, Duration d,
                    CutPolicy policy) {
        ScheduleEntry e;
        e.id = id++;
        e.title = "entry " + std::to_string(e.id);
        e.what = AssetContent{"asset-" + std::to_string(e.id), d};
        e.where.units = {unit};
        e.recurrence = std::move(r);
        e.priority = priority;
        e.cut_policy = policy;
        e.state = EntryState::approved;
        e.approved_at = kNow - 48h + std::chrono::seconds{e.id};
        out.push_back(std::move(e));
    };
    const auto& p = province.code;
    make(wire::PROVINCE, p, rule("FREQ=DAILY", 5, 30), 30min, CutPolicy::shorten);
    make(wire::PROVINCE, p, rule("FREQ=DAILY", 17, 30), 30min, CutPolicy::shorten);
    make(wire::FILLER, p, rule("FREQ=DAILY", 5, 0), 2h, CutPolicy::shorten);
    make(wire::FILLER, p, rule("FREQ=DAILY", 11, 0), 1h, CutPolicy::shorten);
    make(wire::FILLER, p, rule("FREQ=DAILY", 19, 0), 90min, CutPolicy::drop);
    make(wire::EMERGENCY, p, rule("FREQ=WEEKLY;BYDAY=SU", 7, 0), 5min, CutPolicy::drop);

    const auto districts = tree.children(p);
    for (std::size_t d = 0; d < districts.size() && d < 11; ++d) {
        make(wire::DISTRICT, districts[d]->code,
             rule("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", 18, static_cast<int>(d % 3) * 5), 20min,
             CutPolicy::move);
    }
    std::vector<const AdminUnit*> communes;
    for (const auto* d : districts) {
        for (const auto* c : tree.children(d->code)) {
            communes.push_back(c);
        }
    }
    const std::size_t notices = 40 - 6 - std::min<std::size_t>(districts.size(), 11);
    for (std::size_t n = 0; n < notices && !communes.empty(); ++n) {
        const auto& c = communes[n * communes.size() / notices]->code;
        commune_ids.push_back(id);
        switch (n % 4) {
            case 0:  // daily 06:15, inside the morning filler: the filler is cut
                make(wire::COMMUNE, c, rule("FREQ=DAILY", 6, 15), 10min, CutPolicy::move);
                break;
            case 1:  // Tuesday and Thursday 17:40, inside the news: moved after the programmes
                make(wire::COMMUNE, c, rule("FREQ=WEEKLY;BYDAY=TU,TH", 17, 40), 10min,
                     CutPolicy::move);
                break;
            case 2:  // Monday, Wednesday, Friday 11:30
                make(wire::COMMUNE, c, rule("FREQ=WEEKLY;BYDAY=MO,WE,FR", 11, 30), 15min,
                     CutPolicy::shorten);
                break;
            default:  // daily 19:15 except on a holiday
                make(wire::COMMUNE, c,
                     rule("FREQ=DAILY", 19, 15, {LocalDateTime{2026, 12, 1, 0, 0, 0, true}}), 10min,
                     CutPolicy::drop);
                break;
        }
    }
}

// A national-scale tree of exactly `stations` units: provinces of 11 districts of 14 communes.
AdminUnitTree national_tree(std::size_t stations) {
    std::vector<AdminUnit> units;
    for (int p = 0; units.size() < stations; ++p) {
        const std::string pc = "p" + std::to_string(p);
        units.push_back({pc, "", "province", "tỉnh", pc, "Tỉnh " + pc});
        for (int d = 0; d < 11 && units.size() < stations; ++d) {
            const std::string dc = pc + "d" + std::to_string(d);
            units.push_back({dc, pc, "district", "huyện", dc, "Huyện " + dc});
            for (int c = 0; c < 14 && units.size() < stations; ++c) {
                const std::string cc = dc + "c" + std::to_string(c);
                units.push_back({cc, dc, "commune", "xã", cc, "Xã " + cc});
            }
        }
    }
    AdminUnitTree tree;
    if (const auto errors = tree.merge(std::move(units)); !errors.empty()) {
        std::fprintf(stderr, "bench_compile: %s\n", join_errors(errors).c_str());
        std::exit(1);
    }
    return tree;
}

struct Figures {
    std::size_t stations = 0;
    std::size_t entries = 0;
    std::size_t items = 0;
    std::size_t conflicts = 0;
    double load_ms = 0;     // set_network + upsert_entry of every entry (expands recurrences)
    double compile_ms = 0;  // compile_all over 7 days
    double total_ms = 0;
    double steady_ms = 0;  // compile_all again, a minute later
    double edit_ms = 0;    // upsert_entry + recompile of one commune's entry
    std::size_t edit_stations = 0;
};

Figures measure(const AdminUnitTree& tree, int runs) {
    std::vector<ScheduleEntry> entries;
    std::vector<std::int64_t> commune_ids;
    std::int64_t id = 1;
    for (const auto* root : tree.roots()) {
        add_province_entries(tree, *root, id, entries, commune_ids);
    }
    const auto stations = default_stations(tree);

    Figures f;
    f.stations = stations.size();
    f.entries = entries.size();
    std::vector<double> load;
    std::vector<double> compile;
    std::vector<double> total;
    std::vector<double> steady;
    std::vector<double> edit;
    for (int run = 0; run < runs; ++run) {
        FakeClock clock{kNow};
        TimelineCompiler compiler{clock};
        const auto t0 = std::chrono::steady_clock::now();
        if (!compiler.set_network(tree, stations).ok()) {
            std::fprintf(stderr, "bench_compile: bad network\n");
            std::exit(1);
        }
        for (const auto& e : entries) {
            if (const auto s = compiler.upsert_entry(e); !s) {
                std::fprintf(stderr, "bench_compile: %s\n", s.message().c_str());
                std::exit(1);
            }
        }
        load.push_back(ms_since(t0));
        const auto t1 = std::chrono::steady_clock::now();
        const auto report = compiler.compile_all();
        compile.push_back(ms_since(t1));
        total.push_back(ms_since(t0));
        if (report.stations_compiled != stations.size() || !report.problems.empty()) {
            std::fprintf(stderr, "bench_compile: the compilation went wrong\n");
            std::exit(1);
        }
        if (run == 0) {
            for (const auto& p : compiler.plans()) {
                f.items += p.items.size();
                f.conflicts += p.conflicts.size();
            }
        }

        clock.advance(1min);
        const auto t2 = std::chrono::steady_clock::now();
        (void)compiler.compile_all();
        steady.push_back(ms_since(t2));

        // One commune's notice moves by 5 minutes, ten times.
        for (int k = 0; k < 10; ++k) {
            const auto edited_id = commune_ids[static_cast<std::size_t>(k) % commune_ids.size()];
            auto e = *compiler.entry(edited_id);
            const auto& r = *e.recurrence;
            auto start = r.start();
            start.minute = (start.minute + 5) % 60;
            e.recurrence = *Recurrence::create(r.rule(), start, r.zone(), r.exdates());
            const std::int64_t ids[] = {edited_id};
            const auto t3 = std::chrono::steady_clock::now();
            if (const auto s = compiler.upsert_entry(std::move(e)); !s) {
                std::fprintf(stderr, "bench_compile: %s\n", s.message().c_str());
                std::exit(1);
            }
            const auto rep = compiler.recompile(ids);
            edit.push_back(ms_since(t3));
            f.edit_stations = std::max(f.edit_stations, rep.stations_compiled);
        }
    }
    f.load_ms = median(load);
    f.compile_ms = median(compile);
    f.total_ms = median(total);
    f.steady_ms = median(steady);
    f.edit_ms = median(edit);
    return f;
}

std::string read_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void print(const char* name, const Figures& f) {
    std::printf("%-22s %8zu %7zu %8zu %9zu %9.2f %9.2f %9.2f %9.2f %8.3f %6zu\n", name, f.stations,
                f.entries, f.items, f.conflicts, f.load_ms, f.compile_ms, f.total_ms, f.steady_ms,
                f.edit_ms, f.edit_stations);
}

}  // namespace

// Prints the first days of one An Giang station's timeline and its conflicts.
int show_days = 1;
int show(const AdminUnitTree& tree, const std::string& station_id) {
    std::vector<ScheduleEntry> entries;
    std::vector<std::int64_t> commune_ids;
    std::int64_t id = 1;
    add_province_entries(tree, *tree.roots().front(), id, entries, commune_ids);
    FakeClock clock{kNow};
    TimelineCompiler compiler{clock};
    if (!compiler.set_network(tree, default_stations(tree)).ok()) {
        return 1;
    }
    for (const auto& e : entries) {
        if (!compiler.upsert_entry(e).ok()) {
            return 1;
        }
    }
    (void)compiler.compile_all();
    const auto* plan = compiler.plan(station_id);
    if (plan == nullptr) {
        std::fprintf(stderr, "bench_compile: no station %s\n", station_id.c_str());
        return 1;
    }
    for (const auto& item : plan->items) {
        if (item.start >= kNow + show_days * 24h) {
            break;
        }
        std::printf("%s  %4lld s  entry %-3lld %s\n",
                    format_local(item.start, kDefaultZone).c_str(),
                    static_cast<long long>(
                        std::chrono::duration_cast<std::chrono::seconds>(item.duration).count()),
                    static_cast<long long>(item.entry_id),
                    std::string{priority_class_name(item.priority)}.c_str());
    }
    for (const auto& c : plan->conflicts) {
        if (c.occurrence < kNow + show_days * 24h) {
            std::printf("%s\n", c.describe(station_id).c_str());
        }
    }
    return 0;
}

int main(int argc, char** argv) {
    AdminUnitTree an_giang;
    const auto csv = read_file(std::string{LOA_SOURCE_DIR} + "/data/angiang-2019-admin-units.csv");
    if (const auto errors = import_admin_unit_csv(csv, an_giang); !errors.empty()) {
        std::fprintf(stderr, "bench_compile: %s\n", join_errors(errors).c_str());
        return 1;
    }
    if (argc > 2 && std::string{argv[1]} == "--show") {
        show_days = argc > 3 ? std::clamp(std::atoi(argv[3]), 1, 7) : 1;
        return show(an_giang, argv[2]);
    }
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;

    std::printf("Timeline compiler, 7-day horizon, medians of %d runs (ms)\n", runs);
    std::printf("  load: set_network + upsert_entry (checks, expands RRULEs with libical)\n");
    std::printf(
        "  compile: compile_all; total: load + compile; steady: compile_all a minute "
        "later;\n  edit: one commune entry edited, upsert + recompile (stations: how "
        "many it recompiled)\n\n");
    std::printf("%-22s %8s %7s %8s %9s %9s %9s %9s %9s %8s %6s\n", "tree", "stations", "entries",
                "items", "conflicts", "load", "compile", "total", "steady", "edit", "st.");
    const auto ag = measure(an_giang, runs);
    print("An Giang 2019", ag);
    std::vector<Figures> scaled;
    for (const std::size_t n : {168UL, 1000UL, 10000UL}) {
        scaled.push_back(measure(national_tree(n), n >= 10000 ? std::max(3, runs / 2) : runs));
        print(("generated " + std::to_string(n)).c_str(), scaled.back());
    }

    std::printf("\nGrowth with stations (total, relative to 168 generated stations):\n");
    for (const auto& f : scaled) {
        std::printf("  %6zu stations: %9.2f ms  x%6.1f  (%.2f us per station)\n", f.stations,
                    f.total_ms, f.total_ms / scaled.front().total_ms,
                    1000.0 * f.total_ms / static_cast<double>(f.stations));
    }
    std::printf(
        "\nTargets: An Giang total %.2f ms (< 50: %s); 10,000 stations total %.1f ms "
        "(< 3000: %s); one commune edit %.3f ms on %zu station(s) (< 5: %s)\n",
        ag.total_ms, ag.total_ms < 50 ? "met" : "MISSED", scaled.back().total_ms,
        scaled.back().total_ms < 3000 ? "met" : "MISSED", ag.edit_ms, ag.edit_stations,
        ag.edit_ms < 5 && ag.edit_stations == 1 ? "met" : "MISSED");
    return 0;
}
