#pragma once

#include "loa/common/clock.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// An OASIS Common Alerting Protocol 1.2 message as plain data (CapParser makes these; see
// docs/alerts.md). Element names of the standard are given next to each field. Values are
// trimmed of surrounding white space; optional text elements that are absent are empty strings.
namespace loa::alerting {

// <status>: who the alert is for.
enum class AlertStatus { Actual, Exercise, System, Test, Draft };
// <msgType>
enum class MsgType { Alert, Update, Cancel, Ack, Error };
// <scope>
enum class Scope { Public, Restricted, Private };
// <info><category>
enum class Category {
    Geo,
    Met,
    Safety,
    Security,
    Rescue,
    Fire,
    Health,
    Env,
    Transport,
    Infra,
    CBRNE,
    Other
};
// <info><responseType>
enum class ResponseType {
    Shelter,
    Evacuate,
    Prepare,
    Execute,
    Avoid,
    Monitor,
    Assess,
    AllClear,
    None
};
// <info><urgency>, <severity>, <certainty>
enum class Urgency { Immediate, Expected, Future, Past, Unknown };
enum class Severity { Extreme, Severe, Moderate, Minor, Unknown };
enum class Certainty { Observed, Likely, Possible, Unlikely, Unknown };

// The CAP spelling of each value ("Actual", "AllClear", "CBRNE", ...).
std::string_view to_string(AlertStatus v);
std::string_view to_string(MsgType v);
std::string_view to_string(Scope v);
std::string_view to_string(Category v);
std::string_view to_string(ResponseType v);
std::string_view to_string(Urgency v);
std::string_view to_string(Severity v);
std::string_view to_string(Certainty v);

// <eventCode>, <parameter>, <geocode>: a <valueName>/<value> pair.
struct NamedValue {
    std::string name;
    std::string value;
    bool operator==(const NamedValue&) const = default;
};

// A WGS 84 point, degrees.
struct LatLon {
    double lat = 0;
    double lon = 0;
    bool operator==(const LatLon&) const = default;
};

// <circle> "lat,lon radius": radius in kilometres (0 is a point).
struct Circle {
    LatLon centre;
    double radius_km = 0;
    bool operator==(const Circle&) const = default;
};

// <references>: one "sender,identifier,sent" triple.
struct Reference {
    std::string sender;
    std::string identifier;
    TimePoint sent{};
    bool operator==(const Reference&) const = default;
};

// <resource>
struct Resource {
    std::string description;            // <resourceDesc>
    std::string mime_type;              // <mimeType>
    std::optional<std::uint64_t> size;  // <size>, bytes
    std::string uri;                    // <uri>
    std::vector<std::uint8_t> deref;    // <derefUri>, decoded from base64 (empty if absent)
    bool has_deref = false;             // <derefUri> was present
    std::string digest;                 // <digest>: SHA-1, 40 lower-case hex digits, or empty
};

// <area>: the union of its polygons, circles and geocodes.
struct Area {
    std::string description;                    // <areaDesc>
    std::vector<std::vector<LatLon>> polygons;  // <polygon>: closed rings, first == last
    std::vector<Circle> circles;                // <circle>
    std::vector<NamedValue> geocodes;           // <geocode>
    std::optional<double> altitude;             // <altitude>, feet
    std::optional<double> ceiling;              // <ceiling>, feet
};

// <info>: the alert in one language.
struct Info {
    std::string language = "en-US";  // <language>, RFC 3066; CAP's default when absent
    std::vector<Category> categories;
    std::string event;
    std::vector<ResponseType> response_types;
    Urgency urgency = Urgency::Unknown;
    Severity severity = Severity::Unknown;
    Certainty certainty = Certainty::Unknown;
    std::string audience;
    std::vector<NamedValue> event_codes;
    std::optional<TimePoint> effective;
    std::optional<TimePoint> onset;
    std::optional<TimePoint> expires;
    std::string sender_name;
    std::string headline;
    std::string description;
    std::string instruction;
    std::string web;
    std::string contact;
    std::vector<NamedValue> parameters;
    std::vector<Resource> resources;
    std::vector<Area> areas;
};

// <alert>
struct Alert {
    std::string identifier;
    std::string sender;
    TimePoint sent{};  // UTC
    AlertStatus status = AlertStatus::Actual;
    MsgType msg_type = MsgType::Alert;
    std::string source;
    Scope scope = Scope::Public;
    std::string restriction;
    std::string addresses;
    std::vector<std::string> codes;
    std::string note;
    std::vector<Reference> references;
    std::string incidents;
    std::vector<Info> infos;
};

// What a loudspeaker says for `info`: headline, description and instruction, those present, each
// ending in a full stop (unless it ends in other punctuation), joined by one space.
std::string spoken_text(const Info& info);

// True when `language` (RFC 3066, e.g. "vi-VN") is `wanted` ("vi") or a sub-tag of it; ASCII
// case is ignored.
bool language_matches(std::string_view language, std::string_view wanted);

}  // namespace loa::alerting
