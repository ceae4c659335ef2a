#include "loa/scheduler/recurrence.hpp"

#include <libical/ical.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>

namespace loa::scheduler {

struct Recurrence::Parsed {
    std::string rule;
    LocalDateTime start;
    std::string zone;
    std::vector<LocalDateTime> exdates;  // sorted
    icalrecurrencetype recur{};
    icaltimezone* tz = nullptr;  // owned by libical (builtin zones live as long as the process)
    bool has_count = false;
    bool has_until = false;
};

namespace {

// libical's zone cache, error number and iterators are not safe to use from two threads at once.
std::mutex& ical_mutex() {
    static std::mutex m;
    return m;
}

bool leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
    static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

std::optional<int> parse_int(std::string_view s) {
    int v = 0;
    if (s.empty()) {
        return std::nullopt;
    }
    const auto* end = s.data() + s.size();
    const auto [p, ec] = std::from_chars(s.data() + (s.front() == '+' ? 1 : 0), end, v);
    if (ec != std::errc{} || p != end) {
        return std::nullopt;
    }
    return v;
}

std::string upper(std::string_view s) {
    std::string out{s};
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// Splits "a,b,c"; an empty item makes the list invalid (nullopt).
std::optional<std::vector<std::string_view>> split_list(std::string_view s) {
    std::vector<std::string_view> items;
    while (true) {
        const auto comma = s.find(',');
        const auto item = s.substr(0, comma);
        if (item.empty()) {
            return std::nullopt;
        }
        items.push_back(item);
        if (comma == std::string_view::npos) {
            return items;
        }
        s.remove_prefix(comma + 1);
    }
}

bool is_weekday(std::string_view s) {
    static constexpr std::array<std::string_view, 7> kDays{"MO", "TU", "WE", "TH",
                                                           "FR", "SA", "SU"};
    return std::find(kDays.begin(), kDays.end(), s) != kDays.end();
}

// Checks a BYxxx list of integers within ±[lo, hi] (signed) or [lo, hi].
std::optional<std::string> check_int_list(std::string_view name, std::string_view value, int lo,
                                          int hi, bool may_be_negative) {
    const auto items = split_list(value);
    if (!items) {
        return "RRULE: " + std::string{name} + " has an empty item";
    }
    for (const auto item : *items) {
        const auto v = parse_int(item);
        const bool in_range =
            v && ((*v >= lo && *v <= hi) || (may_be_negative && *v <= -lo && *v >= -hi && *v != 0));
        if (!in_range) {
            return "RRULE: " + std::string{name} + " value '" + std::string{item} + "' is not in " +
                   (may_be_negative ? "±" : "") + std::to_string(lo) + ".." + std::to_string(hi);
        }
    }
    return std::nullopt;
}

bool parse_digits(std::string_view s, int& out) {
    if (s.empty() ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
    }
    const auto v = parse_int(s);
    if (!v) {
        return false;
    }
    out = *v;
    return true;
}

bool valid_calendar(const LocalDateTime& t) {
    return t.year >= 1900 && t.year <= 9999 && t.month >= 1 && t.month <= 12 && t.day >= 1 &&
           t.day <= days_in_month(t.year, t.month) && t.hour >= 0 && t.hour <= 23 &&
           t.minute >= 0 && t.minute <= 59 && t.second >= 0 && t.second <= 59;
}

// Checks the rule part by part, so that an error names what is wrong; libical's parser only
// says "malformed".
std::optional<std::string> check_rule(std::string_view rule, bool& has_count, bool& has_until) {
    std::vector<std::string_view> seen;
    bool has_freq = false;
    while (!rule.empty()) {
        const auto semi = rule.find(';');
        const auto part = rule.substr(0, semi);
        rule = semi == std::string_view::npos ? std::string_view{} : rule.substr(semi + 1);
        if (part.empty()) {
            continue;
        }
        const auto eq = part.find('=');
        if (eq == std::string_view::npos) {
            return "RRULE: '" + std::string{part} + "' is not NAME=VALUE";
        }
        const auto name = part.substr(0, eq);
        const auto value = part.substr(eq + 1);
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            return "RRULE: " + std::string{name} + " appears twice";
        }
        seen.push_back(name);
        if (value.empty()) {
            return "RRULE: " + std::string{name} + " has no value";
        }
        if (name == "FREQ") {
            static constexpr std::array<std::string_view, 7> kFreqs{
                "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"};
            if (std::find(kFreqs.begin(), kFreqs.end(), value) == kFreqs.end()) {
                return "RRULE: unknown FREQ '" + std::string{value} + "'";
            }
            has_freq = true;
        } else if (name == "COUNT" || name == "INTERVAL") {
            int v = 0;
            if (!parse_digits(value, v) || v < 1) {
                return "RRULE: " + std::string{name} + " must be a whole number from 1, not '" +
                       std::string{value} + "'";
            }
            has_count = has_count || name == "COUNT";
        } else if (name == "UNTIL") {
            auto text = value;
            if (text.ends_with('Z')) {
                text.remove_suffix(1);
            }
            const auto t = parse_local_date_time(text);
            if (!t.ok() || (t->date_only && value.ends_with('Z'))) {
                return "RRULE: UNTIL '" + std::string{value} +
                       "' is not a date (19971224) or date-time (19971224T000000Z)";
            }
            has_until = true;
        } else if (name == "BYSECOND") {
            if (auto e = check_int_list(name, value, 0, 60, false)) {
                return e;
            }
        } else if (name == "BYMINUTE") {
            if (auto e = check_int_list(name, value, 0, 59, false)) {
                return e;
            }
        } else if (name == "BYHOUR") {
            if (auto e = check_int_list(name, value, 0, 23, false)) {
                return e;
            }
        } else if (name == "BYMONTHDAY") {
            if (auto e = check_int_list(name, value, 1, 31, true)) {
                return e;
            }
        } else if (name == "BYYEARDAY" || name == "BYSETPOS") {
            if (auto e = check_int_list(name, value, 1, 366, true)) {
                return e;
            }
        } else if (name == "BYWEEKNO") {
            if (auto e = check_int_list(name, value, 1, 53, true)) {
                return e;
            }
        } else if (name == "BYMONTH") {
            if (auto e = check_int_list(name, value, 1, 12, false)) {
                return e;
            }
        } else if (name == "BYDAY") {
            const auto items = split_list(value);
            if (!items) {
                return std::string{"RRULE: BYDAY has an empty item"};
            }
            for (const auto item : *items) {
                bool ok = item.size() >= 2 && is_weekday(item.substr(item.size() - 2));
                const auto ordinal = item.substr(0, item.size() - 2);
                if (ok && !ordinal.empty()) {
                    const auto n = parse_int(ordinal);
                    ok = n && *n != 0 && *n >= -53 && *n <= 53;
                }
                if (!ok) {
                    return "RRULE: BYDAY value '" + std::string{item} +
                           "' is not a weekday (MO..SU), optionally with a week number (1FR, -1SU)";
                }
            }
        } else if (name == "WKST") {
            if (!is_weekday(value)) {
                return "RRULE: WKST '" + std::string{value} + "' is not a weekday (MO..SU)";
            }
        } else {
            return "RRULE: unknown part '" + std::string{name} + "'";
        }
    }
    if (!has_freq) {
        return std::string{"RRULE: FREQ is missing"};
    }
    if (has_count && has_until) {
        return std::string{"RRULE: COUNT and UNTIL cannot both be given"};
    }
    return std::nullopt;
}

// Call with ical_mutex() held.
icaltimezone* find_zone(std::string_view zone) {
    if (zone == "UTC" || zone == "Etc/UTC" || zone == "Z") {
        return icaltimezone_get_utc_timezone();
    }
    return icaltimezone_get_builtin_timezone(std::string{zone}.c_str());
}

icaltimetype to_ical(const LocalDateTime& t, icaltimezone* tz) {
    icaltimetype v = icaltime_null_time();
    v.year = t.year;
    v.month = t.month;
    v.day = t.day;
    v.hour = t.hour;
    v.minute = t.minute;
    v.second = t.second;
    v.is_date = 0;
    return icaltime_set_timezone(&v, tz);
}

TimePoint from_time_t(std::time_t t) {
    return TimePoint{std::chrono::seconds{static_cast<std::int64_t>(t)}};
}

std::time_t to_time_t(TimePoint t) {
    return static_cast<std::time_t>(
        std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count());
}

bool excluded(const icaltimetype& t, const std::vector<LocalDateTime>& exdates) {
    if (exdates.empty()) {
        return false;
    }
    for (const auto& x : exdates) {
        if (x.year != t.year || x.month != t.month || x.day != t.day) {
            continue;
        }
        if (x.date_only || (x.hour == t.hour && x.minute == t.minute && x.second == t.second)) {
            return true;
        }
    }
    return false;
}

struct IteratorDeleter {
    void operator()(icalrecur_iterator* it) const { icalrecur_iterator_free(it); }
};

}  // namespace

std::string LocalDateTime::to_string() const {
    std::array<char, 32> buf{};
    if (date_only) {
        std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02d", year, month, day);
    } else {
        std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day,
                      hour, minute, second);
    }
    return buf.data();
}

Result<LocalDateTime> parse_local_date_time(std::string_view text) {
    const auto bad = [&] {
        return Error{"'" + std::string{text} +
                     "' is not a local date-time (1997-09-02T09:00:00 or 19970902T090000) or "
                     "date (1997-09-02)"};
    };
    const auto s = trim(text);
    LocalDateTime t;
    std::string_view date = s;
    std::string_view time;
    if (const auto tpos = s.find('T'); tpos != std::string_view::npos) {
        date = s.substr(0, tpos);
        time = s.substr(tpos + 1);
        if (time.empty()) {
            return bad();
        }
    } else {
        t.date_only = true;
    }
    if (date.size() == 10 && date[4] == '-' && date[7] == '-') {
        if (!parse_digits(date.substr(0, 4), t.year) || !parse_digits(date.substr(5, 2), t.month) ||
            !parse_digits(date.substr(8, 2), t.day)) {
            return bad();
        }
    } else if (date.size() == 8) {
        if (!parse_digits(date.substr(0, 4), t.year) || !parse_digits(date.substr(4, 2), t.month) ||
            !parse_digits(date.substr(6, 2), t.day)) {
            return bad();
        }
    } else {
        return bad();
    }
    if (!t.date_only) {
        bool ok = false;
        if (time.size() == 8 && time[2] == ':' && time[5] == ':') {
            ok = parse_digits(time.substr(0, 2), t.hour) &&
                 parse_digits(time.substr(3, 2), t.minute) &&
                 parse_digits(time.substr(6, 2), t.second);
        } else if (time.size() == 5 && time[2] == ':') {
            ok = parse_digits(time.substr(0, 2), t.hour) &&
                 parse_digits(time.substr(3, 2), t.minute);
        } else if (time.size() == 6) {
            ok = parse_digits(time.substr(0, 2), t.hour) &&
                 parse_digits(time.substr(2, 2), t.minute) &&
                 parse_digits(time.substr(4, 2), t.second);
        }
        if (!ok) {
            return bad();
        }
    }
    if (!valid_calendar(t)) {
        return Error{"'" + std::string{text} + "' is not a date on the calendar"};
    }
    return t;
}

Recurrence::Recurrence(std::shared_ptr<const Parsed> parsed) : parsed_{std::move(parsed)} {}

Result<Recurrence> Recurrence::create(std::string_view rule, const LocalDateTime& start,
                                      std::string_view zone, std::vector<LocalDateTime> exdates) {
    auto p = std::make_shared<Parsed>();
    p->rule = upper(trim(rule));
    if (p->rule.starts_with("RRULE:")) {
        p->rule.erase(0, 6);
    }
    while (p->rule.ends_with(';')) {
        p->rule.pop_back();
    }
    if (p->rule.empty()) {
        return Error{"RRULE: the rule is empty"};
    }
    if (auto e = check_rule(p->rule, p->has_count, p->has_until)) {
        return Error{*e};
    }
    if (start.date_only) {
        return Error{"DTSTART " + start.to_string() + " needs a time of day"};
    }
    if (!valid_calendar(start)) {
        return Error{"DTSTART " + start.to_string() + " is not a date on the calendar"};
    }
    for (const auto& x : exdates) {
        if (!valid_calendar(x)) {
            return Error{"EXDATE " + x.to_string() + " is not a date on the calendar"};
        }
    }
    std::sort(exdates.begin(), exdates.end());
    exdates.erase(std::unique(exdates.begin(), exdates.end()), exdates.end());
    p->start = start;
    p->zone = std::string{zone};
    p->exdates = std::move(exdates);

    const std::lock_guard lock{ical_mutex()};
    p->tz = find_zone(zone);
    if (p->tz == nullptr) {
        return Error{"unknown time zone '" + std::string{zone} + "'"};
    }
    icalerror_clear_errno();
    p->recur = icalrecurrencetype_from_string(p->rule.c_str());
    if (icalerrno != ICAL_NO_ERROR || p->recur.freq == ICAL_NO_RECURRENCE) {
        const std::string why = icalerror_strerror(icalerrno);
        icalerror_clear_errno();
        return Error{"RRULE: libical cannot read '" + p->rule + "' (" + why + ")"};
    }
    return Recurrence{std::move(p)};
}

Status Recurrence::expand(TimePoint from, TimePoint to, std::vector<TimePoint>& out) const {
    if (to <= from) {
        return Status::success();
    }
    const auto& p = *parsed_;
    const std::size_t first = out.size();
    const TimePoint stop = to + std::chrono::hours{26};  // local order vs UTC order across DST

    const std::lock_guard lock{ical_mutex()};
    const icaltimetype dtstart = to_ical(p.start, p.tz);
    std::unique_ptr<icalrecur_iterator, IteratorDeleter> it{
        icalrecur_iterator_new(p.recur, dtstart)};
    if (!it) {
        icalerror_clear_errno();
        return Error{"RRULE: libical cannot expand '" + p.rule + "'"};
    }
    // Skip ahead to a little before `from` when the rule allows it (not with COUNT, which must
    // count from DTSTART).
    if (!p.has_count) {
        icaltimetype skip = icaltime_from_timet_with_zone(to_time_t(from), 0, p.tz);
        icaltime_adjust(&skip, -2, 0, 0, 0);
        if (icaltime_compare(skip, dtstart) > 0 &&
            icalrecur_iterator_set_start(it.get(), skip) == 0) {
            // libical refused (past UNTIL, for one): walk from DTSTART instead.
            it.reset(icalrecur_iterator_new(p.recur, dtstart));
        }
    }
    std::size_t steps = 0;
    for (icaltimetype t = icalrecur_iterator_next(it.get()); !icaltime_is_null_time(t);
         t = icalrecur_iterator_next(it.get())) {
        if (++steps > kMaxSteps) {
            out.resize(first);
            return Error{"RRULE: '" + p.rule + "' needs more than " + std::to_string(kMaxSteps) +
                         " steps to reach " + format_utc(to)};
        }
        const TimePoint at = from_time_t(icaltime_as_timet_with_zone(t, p.tz));
        if (at >= stop) {
            break;
        }
        if (at < from || at >= to || excluded(t, p.exdates)) {
            continue;
        }
        if (out.size() - first >= kMaxOccurrences) {
            out.resize(first);
            return Error{"RRULE: '" + p.rule + "' has more than " +
                         std::to_string(kMaxOccurrences) + " occurrences between " +
                         format_utc(from) + " and " + format_utc(to)};
        }
        out.push_back(at);
    }
    icalerror_clear_errno();
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
    return Status::success();
}

Result<std::vector<TimePoint>> Recurrence::occurrences(TimePoint from, TimePoint to) const {
    std::vector<TimePoint> out;
    if (auto s = expand(from, to, out); !s) {
        return Error{s.message()};
    }
    return out;
}

const std::string& Recurrence::rule() const {
    return parsed_->rule;
}
const LocalDateTime& Recurrence::start() const {
    return parsed_->start;
}
const std::string& Recurrence::zone() const {
    return parsed_->zone;
}
const std::vector<LocalDateTime>& Recurrence::exdates() const {
    return parsed_->exdates;
}
bool Recurrence::unbounded() const {
    return !parsed_->has_count && !parsed_->has_until;
}

Result<TimePoint> Recurrence::to_utc(const LocalDateTime& local, std::string_view zone) {
    if (local.date_only || !valid_calendar(local)) {
        return Error{local.to_string() + " is not a date-time on the calendar"};
    }
    const std::lock_guard lock{ical_mutex()};
    auto* tz = find_zone(zone);
    if (tz == nullptr) {
        return Error{"unknown time zone '" + std::string{zone} + "'"};
    }
    return from_time_t(icaltime_as_timet_with_zone(to_ical(local, tz), tz));
}

}  // namespace loa::scheduler
