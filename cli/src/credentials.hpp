#pragma once

#include "loa/common/result.hpp"

#include <string>
#include <string_view>

// Where the CLI keeps and finds its bearer token, and how it reads secrets from files and the
// terminal. These read the environment (LOA_TOKEN, LOA_TOKEN_FILE, XDG_CONFIG_HOME, HOME): call
// them from the CLI's one thread.
namespace loa::cli {

// The file `loa login` writes and `loa logout` removes: `option` (--token-file) when given,
// else $LOA_TOKEN_FILE, else ${XDG_CONFIG_HOME:-~/.config}/loa/token.
std::string token_file_path(const std::string& option);

// The token to send: read from `option` (--token-file; the file must exist), else $LOA_TOKEN,
// else read from $LOA_TOKEN_FILE (must exist), else read from the default file (empty when that
// does not exist: the request goes without one and the scheduler says so).
Result<std::string> find_token(const std::string& option);

// Writes `token` to `path` (mode 0600, replacing it atomically); folders it has to create are
// made with mode 0700.
Status save_token(const std::string& path, std::string_view token);

// The first line of `path` (a password file), without its line ending; an empty line is an
// error naming the file.
Result<std::string> read_secret_file(const std::string& path);

// Asks `prompt` on the controlling terminal and reads a line; with `hidden`, typed characters
// are not echoed. An error when there is no terminal (naming `instead`, the option to use).
Result<std::string> ask_terminal(std::string_view prompt, bool hidden, std::string_view instead);

}  // namespace loa::cli
