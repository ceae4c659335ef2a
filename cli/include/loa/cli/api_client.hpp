#pragma once

#include "loa/common/result.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace httplib {
class Client;
class Result;
}  // namespace httplib

namespace loa::cli {

// The scheduler's answer to a request that succeeded (2xx).
struct ApiAnswer {
    int status = 0;
    nlohmann::json body;
};

// A client of the scheduler's HTTP API (docs/api.md). Every failure is an Error whose message is
// ready for the operator: the scheduler's own {"error"} text, or why the scheduler could not be
// reached. Not thread-safe: one thread uses it.
class ApiClient {
public:
    using Query = std::map<std::string, std::string>;

    // `base_url` is http://host[:port][/prefix] or https://...; nothing is sent yet.
    static Result<std::unique_ptr<ApiClient>> create(const std::string& base_url);

    // What is wrong with `base_url`, or nothing when create() would accept it.
    static std::optional<std::string> check_url(std::string_view base_url);

    ~ApiClient();
    ApiClient(const ApiClient&) = delete;
    ApiClient& operator=(const ApiClient&) = delete;

    // `path` starts with "/api/v1/".
    Result<ApiAnswer> get(std::string_view path, const Query& query = {});
    Result<ApiAnswer> post_json(std::string_view path, const nlohmann::json& body);
    Result<ApiAnswer> post_bytes(std::string_view path, const Query& query,
                                 const std::string& bytes, const std::string& content_type);
    Result<ApiAnswer> put_json(std::string_view path, const nlohmann::json& body);
    Result<ApiAnswer> patch_json(std::string_view path, const nlohmann::json& body);
    // DELETE; an empty answer body reads as null.
    Result<ApiAnswer> remove(std::string_view path);
    // The body of a GET that answers bytes (an asset's audio); errors as for get().
    Result<std::string> get_bytes(std::string_view path);

    const std::string& base_url() const { return base_url_; }

    // Sends `Authorization: Bearer <token>` with every request from now on (empty: no change).
    void set_token(const std::string& token);
    // Whether a 401 answer adds "run 'loa login'" to the scheduler's reason (default: yes; off
    // for the login request itself, where a 401 means a wrong password).
    void set_login_hint(bool hint) { login_hint_ = hint; }

private:
    ApiClient(std::string base_url, std::string host, std::string port, std::string prefix,
              std::unique_ptr<httplib::Client> http);
    std::string target(std::string_view path, const Query& query) const;
    Result<ApiAnswer> answer_of(const httplib::Result& result) const;

    std::string base_url_;
    std::string host_;
    std::string port_;
    std::string prefix_;
    std::unique_ptr<httplib::Client> http_;
    bool login_hint_ = true;
};

// Percent-encodes `text` for a URL query (UTF-8 bytes stay intact as %XX).
std::string url_encode(std::string_view text);

}  // namespace loa::cli
