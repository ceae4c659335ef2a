#pragma once

#include <string>
#include <utility>
#include <variant>

namespace loa {

// An expected failure: bad input, a missing file, a peer that went away. The message names the
// problem in words an operator can act on.
struct Error {
    std::string message;
};

// The value of an operation that can fail in an expected way (steady-state network, schedule and
// store code returns these instead of throwing).
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_{std::move(value)} {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_{std::move(error)} {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Success or an Error, with no value.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_{std::move(error.message)}, failed_{true} {}  // NOLINT

    static Status success() { return {}; }
    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const std::string& message() const { return error_; }

private:
    std::string error_;
    bool failed_ = false;
};

}  // namespace loa
