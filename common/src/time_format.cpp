#include "loa/common/time_format.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace loa {
namespace {

// The C library reads zones only through the TZ variable: every use goes through this lock.
std::mutex tz_mutex;

class ScopedZone {
public:
    explicit ScopedZone(std::string_view zone) : lock_{tz_mutex} {
        if (const char* old = std::getenv("TZ")) {
            old_ = old;
        }
        ::setenv("TZ", std::string{zone}.c_str(), 1);
        ::tzset();
    }
    ~ScopedZone() {
        if (old_) {
            ::setenv("TZ", old_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    ScopedZone(const ScopedZone&) = delete;
    ScopedZone& operator=(const ScopedZone&) = delete;

private:
    std::lock_guard<std::mutex> lock_;
    std::optional<std::string> old_;
};

bool known_zone(std::string_view zone) {
    if (zone == "UTC") {
        return true;
    }
    if (zone.empty() || zone.find("..") != std::string_view::npos || zone.front() == '/') {
        return false;
    }
    return std::filesystem::exists(std::filesystem::path{"/usr/share/zoneinfo"} / zone);
}

class Cursor {
public:
    explicit Cursor(std::string_view s) : s_{s} {}
    bool done() const { return i_ >= s_.size(); }
    char peek() const { return done() ? '\0' : s_[i_]; }
    bool eat(char c) {
        if (peek() == c) {
            ++i_;
            return true;
        }
        return false;
    }
    std::optional<int> digits(std::size_t n) {
        if (i_ + n > s_.size()) {
            return std::nullopt;
        }
        int v = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const char c = s_[i_ + k];
            if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
                return std::nullopt;
            }
            v = v * 10 + (c - '0');
        }
        i_ += n;
        return v;
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;
};

}  // namespace

std::string format_utc(TimePoint t) {
    const auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
    const std::time_t secs =
        std::chrono::floor<std::chrono::seconds>(ms).time_since_epoch().count();
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    const auto frac = ms.time_since_epoch().count() % 1000;
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       frac < 0 ? frac + 1000 : frac);
}

std::string format_local(TimePoint t, std::string_view zone, bool milliseconds) {
    const auto floored = std::chrono::floor<std::chrono::seconds>(t);
    const std::time_t secs = floored.time_since_epoch().count();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - floored).count();
    std::tm tm{};
    {
        ScopedZone z{known_zone(zone) ? zone : std::string_view{"UTC"}};
        ::localtime_r(&secs, &tm);
    }
    const long off = tm.tm_gmtoff;
    const char sign = off < 0 ? '-' : '+';
    const long a = off < 0 ? -off : off;
    const std::string fraction = milliseconds ? fmt::format(".{:03}", ms) : std::string{};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{}{:02}:{:02}", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction, sign,
                       a / 3600, (a % 3600) / 60);
}

Result<TimePoint> parse_time(std::string_view text, std::string_view zone) {
    const auto bad = [&](std::string_view why) {
        return Error{fmt::format("invalid time '{}': {} (expected e.g. 2026-11-27T17:00:00+07:00)",
                                 text, why)};
    };
    Cursor c{text};
    const auto year = c.digits(4);
    if (!year || !c.eat('-')) {
        return bad("no date");
    }
    const auto mon = c.digits(2);
    if (!mon || !c.eat('-')) {
        return bad("no month");
    }
    const auto day = c.digits(2);
    if (!day || !(c.eat('T') || c.eat(' '))) {
        return bad("no day or no 'T' before the time");
    }
    const auto hour = c.digits(2);
    if (!hour || !c.eat(':')) {
        return bad("no hour");
    }
    const auto minute = c.digits(2);
    if (!minute) {
        return bad("no minute");
    }
    int second = 0;
    long nanos = 0;
    if (c.eat(':')) {
        const auto s = c.digits(2);
        if (!s) {
            return bad("no second");
        }
        second = *s;
        if (c.eat('.') || c.eat(',')) {
            long scale = 100000000;
            bool any = false;
            while (std::isdigit(static_cast<unsigned char>(c.peek())) != 0) {
                nanos += (c.peek() - '0') * scale;
                scale /= 10;
                c.digits(1);
                any = true;
            }
            if (!any) {
                return bad("no digits after the decimal point");
            }
        }
    }
    if (*mon < 1 || *mon > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
        second > 60) {
        return bad("a field is out of range");
    }
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    if (*day > kDays[*mon - 1] || (*mon == 2 && *day == 29 && !leap)) {
        return bad("no such day in that month");
    }
    std::tm tm{};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *mon - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = second;

    std::time_t secs = 0;
    if (c.eat('Z') || c.eat('z')) {
        secs = ::timegm(&tm);
    } else if (c.peek() == '+' || c.peek() == '-') {
        const int sign = c.peek() == '-' ? -1 : 1;
        c.eat(c.peek());
        const auto oh = c.digits(2);
        c.eat(':');
        const auto om = c.digits(2);
        if (!oh || !om || *oh > 14 || *om > 59) {
            return bad("bad UTC offset");
        }
        secs = ::timegm(&tm) - sign * (*oh * 3600 + *om * 60);
    } else {
        if (!known_zone(zone)) {
            return Error{fmt::format("unknown time zone '{}'", zone)};
        }
        ScopedZone z{zone};
        tm.tm_isdst = -1;
        secs = ::mktime(&tm);
    }
    if (!c.done()) {
        return bad("unexpected text after the time");
    }
    return TimePoint{std::chrono::seconds{secs}} + Duration{nanos};
}

}  // namespace loa
