#pragma once

#include "loa/alerting/alert.hpp"
#include "loa/common/result.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace loa::alerting {

// The CAP 1.2 namespace; the root element must be <alert> in it.
inline constexpr std::string_view kCap12Namespace = "urn:oasis:names:tc:emergency:cap:1.2";

// Reads and validates a CAP 1.2 message (OASIS Common Alerting Protocol 1.2).
//
// The XML is parsed by libxml2 hardened against hostile input: the size is checked before
// parsing, no network access, no DTD is loaded, no entity is substituted, and a document that
// has a DOCTYPE at all is refused as soon as the parser meets it (so "billion laughs" and
// external entities never get a chance). Then every element is checked against CAP 1.2:
// required elements present once, enumerations, date-times with a numeric offset, polygons
// (closed rings of at least 4 "lat,lon" pairs), circles ("lat,lon radius_km"), references
// ("sender,identifier,sent" triples, required for Update and Cancel), <derefUri> base64 whose
// SHA-1 must equal <digest> when both are present. Elements of other namespaces (extensions,
// signatures) are ignored; unknown elements of the CAP namespace are refused.
//
// Every problem found is reported, joined by "; ", each naming the element by its path
// ("info[1].urgency: 'Soon' is not one of Immediate, Expected, Future, Past, Unknown"; indices
// count from 1). Nothing is ever thrown for bad input.
//
// Thread-safe: parse() may be called from any number of threads at once.
class CapParser {
public:
    struct Limits {
        std::size_t max_bytes = 2 * 1024 * 1024;  // a document larger than this is refused
        std::size_t max_problems = 20;            // more are summarised as "and N more"
    };

    CapParser();
    explicit CapParser(Limits limits);

    Result<Alert> parse(std::string_view xml) const;

    const Limits& limits() const { return limits_; }

private:
    Limits limits_;
};

// SHA-1 of `bytes` as 40 lower-case hex digits: the <digest> of a CAP resource.
std::string sha1_hex(std::span<const std::uint8_t> bytes);

// Checks fetched resource content (from <uri>) against the resource's <digest> and <size>, when
// the alert gives them: an error names the mismatch.
Status check_resource(const Resource& resource, std::span<const std::uint8_t> content);

}  // namespace loa::alerting
