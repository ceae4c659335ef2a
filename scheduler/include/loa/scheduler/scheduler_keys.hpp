#pragma once

#include "loa/protocol/signing.hpp"
#include "loa/transport/curve_keys.hpp"

#include <filesystem>
#include <stdexcept>

namespace loa::scheduler {

// The scheduler's identity: the CURVE key pair of its link socket and the Ed25519 key pair that
// signs timelines. Kept in <state_dir>/scheduler-keys.toml (mode 0600).
struct SchedulerKeys {
    transport::CurveKeyPair curve;
    protocol::SigningKeyPair signing;

    static constexpr const char* kFileName = "scheduler-keys.toml";

    // Reads the key file in `state_dir`, or, when there is none, generates both key pairs and
    // writes the file atomically (temporary file, fsync, rename) with mode 0600. Start-up only:
    // throws std::runtime_error naming the file when it cannot be read, written or parsed, or
    // holds a key that is malformed or does not match its secret.
    static SchedulerKeys load_or_create(const std::filesystem::path& state_dir);
};

}  // namespace loa::scheduler
