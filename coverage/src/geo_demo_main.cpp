// loa-geo-demo: writes the synthetic demo geography (clusters.csv, hamlets.csv, README.md) for
// an admin-unit CSV such as data/angiang-2019-admin-units.csv.
// CLI11's inlined string code trips GCC 12's -Wnull-dereference inside <string> (a false
// positive, reported where <string> is first included): off for this file, before any include.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "loa/coverage/demo_geography.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

int main(int argc, char** argv) {
    CLI::App app{
        "Writes a SYNTHETIC demo geography (hamlets and loudspeaker clusters) for the "
        "units of an admin-unit CSV"};
    std::string units_path;
    std::string out_dir;
    loa::coverage::DemoOptions options;
    app.add_option("--units", units_path, "admin-unit CSV (code,parent_code,level,name,...)")
        ->required();
    app.add_option("--out", out_dir, "directory to write clusters.csv, hamlets.csv, README.md")
        ->required();
    app.add_option("--seed", options.seed, "seed of the generator")->capture_default_str();
    app.add_option("--target", options.target_working,
                   "household coverage to calibrate for, every station online")
        ->check(CLI::Range(0.05, 0.99))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    std::ifstream in{units_path, std::ios::binary};
    if (!in) {
        std::fprintf(stderr, "loa-geo-demo: cannot read %s\n", units_path.c_str());
        return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto units = loa::coverage::parse_demo_units(text.str());
    if (!units) {
        std::fprintf(stderr, "loa-geo-demo: %s:\n%s\n", units_path.c_str(),
                     units.error().message.c_str());
        return 1;
    }
    auto geography = loa::coverage::make_demo_geography(*units, options);
    if (!geography) {
        std::fprintf(stderr, "loa-geo-demo: %s\n", geography.error().message.c_str());
        return 1;
    }
    if (auto s = loa::coverage::write_demo_geography(*geography, options, out_dir); !s) {
        std::fprintf(stderr, "loa-geo-demo: %s\n", s.message().c_str());
        return 1;
    }
    fmt::print(
        "{} hamlets, {} clusters; reach factor {:.4f}; household coverage {:.2f} % "
        "(synthetic, seed {}) -> {}\n",
        geography->areas.size(), geography->clusters.size(), geography->reach_scale,
        geography->working_coverage * 100.0, options.seed, out_dir);
    return 0;
}
