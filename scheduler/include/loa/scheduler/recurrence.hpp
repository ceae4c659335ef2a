#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/result.hpp"
#include "loa/common/time_format.hpp"

#include <compare>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loa::scheduler {

// A wall-clock date and time with no zone, as an operator writes it ("17:30 every day").
struct LocalDateTime {
    int year = 1970;
    int month = 1;  // 1–12
    int day = 1;    // 1–31
    int hour = 0;
    int minute = 0;
    int second = 0;
    bool date_only = false;  // a whole day ("1997-12-25"): hour, minute, second are 0

    auto operator<=>(const LocalDateTime&) const = default;  // NOLINT(modernize-use-nullptr)
    // "1997-09-02T09:00:00", or "1997-09-02" for a date.
    std::string to_string() const;
};

// Reads "1997-09-02T09:00:00", "1997-09-02T09:00", "19970902T090000" or, for a date,
// "1997-09-02" / "19970902". No zone or offset: the zone comes with the rule. Checks the calendar
// (no 30 February). Pure; any thread.
Result<LocalDateTime> parse_local_date_time(std::string_view text);

// A recurrence rule (RFC 5545 RRULE) anchored at DTSTART, a wall-clock time in an IANA zone,
// with EXDATEs, expanded by libical into UTC instants. Occurrences keep their wall-clock time
// across daylight-saving changes (09:00 in New York is 13:00Z in summer, 14:00Z in winter).
//
// How it reads the RFC:
// - An occurrence is a date-time the rule produces. As in libical, a DTSTART that does not match
//   the rule (a Tuesday for "first Friday of the month") is not itself an occurrence, and COUNT
//   counts the occurrences produced from DTSTART on.
// - UNTIL is inclusive; with a trailing Z it is a UTC instant, else a wall-clock time in the zone.
// - An EXDATE with a time removes the occurrence starting at exactly that wall-clock time; an
//   EXDATE that is a date removes every occurrence on that local date (a public holiday).
//
// A Recurrence is an immutable value: copies share the parsed rule. Any thread may call any
// method; the calls into libical are serialised inside (its zone cache is not thread-safe).
class Recurrence {
public:
    // At most this many occurrences come out of one expansion, and at most kMaxSteps rule
    // instances are walked to get there (a rule that could exceed them gets an error, not a hang).
    static constexpr std::size_t kMaxOccurrences = 100000;
    static constexpr std::size_t kMaxSteps = 2000000;

    // Parses and checks `rule` ("FREQ=DAILY;COUNT=10"; an "RRULE:" prefix is accepted; names are
    // case-insensitive), `start` (a date-time, not a date) and `zone` (an IANA name known to
    // libical, or "UTC"). Errors name the problem: "RRULE: unknown FREQ 'HOURLY2'",
    // "RRULE: COUNT and UNTIL cannot both be given", "unknown time zone 'Mars/Base'".
    static Result<Recurrence> create(std::string_view rule, const LocalDateTime& start,
                                     std::string_view zone = kDefaultZone,
                                     std::vector<LocalDateTime> exdates = {});

    // Appends to `out`, in increasing order, the occurrences whose start lies in [from, to).
    // Fails (appending nothing) only when the limits above would be passed.
    Status expand(TimePoint from, TimePoint to, std::vector<TimePoint>& out) const;
    // The same, as a new vector.
    Result<std::vector<TimePoint>> occurrences(TimePoint from, TimePoint to) const;

    // The rule in canonical form (upper case, no "RRULE:" prefix).
    const std::string& rule() const;
    const LocalDateTime& start() const;
    const std::string& zone() const;
    const std::vector<LocalDateTime>& exdates() const;
    // True when the rule has neither COUNT nor UNTIL.
    bool unbounded() const;

    // The instant of the wall-clock time `local` in `zone` (for one-off entries written in local
    // time). A time skipped by a daylight-saving change is read with the offset before it.
    static Result<TimePoint> to_utc(const LocalDateTime& local, std::string_view zone);

private:
    struct Parsed;  // libical's form, defined in recurrence.cpp
    explicit Recurrence(std::shared_ptr<const Parsed> parsed);
    std::shared_ptr<const Parsed> parsed_;
};

}  // namespace loa::scheduler
