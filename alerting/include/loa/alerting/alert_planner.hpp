#pragma once

#include "loa/alerting/alert.hpp"
#include "loa/alerting/area_resolver.hpp"
#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace loa::alerting {

// What to do with a valid alert: where it airs and what it says.
struct AlertPlan {
    std::string identifier;
    std::string sender;
    AlertStatus status = AlertStatus::Actual;
    MsgType msg_type = MsgType::Alert;
    // Exercise or Test: it airs on the configured test stations only.
    bool exercise = false;
    // Stations in the alert's areas (what an Actual alert would reach).
    std::vector<std::string> area_stations;
    // Each area of the infos in force, in document order: what it selected and how (geocode,
    // polygon, circle).
    std::vector<AreaMatch> areas;
    // Stations it airs on, sorted: area_stations for Actual, the test stations for
    // Exercise/Test. For a Cancel, the stations in its own areas (often none): the store adds
    // those of the alerts it cancels.
    std::vector<std::string> stations;
    // Update/Cancel: the earlier alerts it refers to (sender, identifier, sent).
    std::vector<Reference> references;
    // The info chosen to air (in the preferred language if there is one, else the first that
    // has not expired); absent for a Cancel without infos.
    std::optional<std::size_t> info_index;
    std::string language;
    std::string spoken_text;  // spoken_text(info): headline, description, instruction
    // The chosen info's first audio resource (mimeType audio/*), to play instead of speech.
    std::optional<Resource> audio;
};

// Applies Loa's rules for CAP alerts (docs/alerts.md):
// - status Actual airs on the stations in its areas; Exercise and Test air on the configured
//   test stations only (an error when none are configured); System and Draft are refused;
// - msgType Alert and Update need an info that has not expired and an area holding a station
//   ("no station is in the area"); Cancel airs its own text, if any, and names what it cancels;
//   Ack and Error are refused (nothing to broadcast);
// - the info in the first preferred language that has one ("vi") is spoken, else the first.
//
// Immutable once built; any number of threads may call plan() at once.
class AlertPlanner {
public:
    struct Options {
        std::vector<std::string> test_stations;              // where Exercise/Test alerts air
        std::vector<std::string> preferred_languages{"vi"};  // in order of preference
    };

    AlertPlanner(const AreaResolver& areas, const IClock& clock, Options options);

    Result<AlertPlan> plan(const Alert& alert) const;

private:
    const AreaResolver& areas_;
    const IClock& clock_;
    Options options_;
};

}  // namespace loa::alerting
