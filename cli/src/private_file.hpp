#pragma once

#include <string>
#include <string_view>

namespace loa::cli {

// A file for a secret (an agent config with its secret key, a login token): created with mode
// 0600 and never over an existing file, and removed again unless its content was written in full.
// Not thread-safe: one thread uses it.
class PrivateFile {
public:
    explicit PrivateFile(std::string path);
    ~PrivateFile();
    PrivateFile(const PrivateFile&) = delete;
    PrivateFile& operator=(const PrivateFile&) = delete;

    // Creates the file (O_EXCL, 0600). What went wrong, or empty.
    std::string create();

    // Writes `content`, flushes it to disk (unless `sync` is false: the caller syncs a batch of
    // files at once) and keeps the file. What went wrong, or empty.
    std::string write(std::string_view content, bool sync = true);

    // Removes the file again, even when written (the step that needed it failed).
    void discard();

    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
    bool created_ = false;
    bool kept_ = false;
};

}  // namespace loa::cli
