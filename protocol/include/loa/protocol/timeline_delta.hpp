#pragma once

#include "loa/common/result.hpp"
#include "loa/protocol/signing.hpp"
#include "loa/wire/loa.pb.h"

#include <string>
#include <string_view>

namespace loa::protocol {

// Timelines as the link carries them: whole and signed (TimelineUpdate), or as a signed change
// to a revision the agent holds (TimelineDeltaUpdate). The rule that turns a base and a delta
// into the next revision lives here, once, for both ends (docs/protocol.md, "Timeline deltas").
// Every function is pure: any thread.

// `timeline` serialized with protobuf's deterministic serialization: the bytes a digest and a
// signature are made over.
std::string serialize_timeline(const wire::Timeline& timeline);

// SHA-256 (64 lower-case hex digits) of serialize_timeline(timeline).
std::string timeline_sha256(const wire::Timeline& timeline);

// The delta that turns `base` into `target` (items removed, items new or changed), with
// result_sha256 set to the digest of what apply_delta() makes of it. Fails, and the caller
// sends `target` whole, when the two are not of the same station, target is not newer, or an
// item id is empty or appears twice in either (a delta names items by id).
Result<wire::TimelineDelta> make_delta(const wire::Timeline& base, const wire::Timeline& target);

// Applies `delta` to `base` (the rule in loa.proto) and checks result_sha256 against the result.
// Fails, naming the problem, on: another station, a base revision other than base.revision(), a
// revision not above it, a removed id the base does not hold, an upserted id that is empty or
// twice, or a digest that does not match.
Result<wire::Timeline> apply_delta(const wire::Timeline& base, const wire::TimelineDelta& delta);

// Serializes the delta and signs exactly those bytes.
wire::TimelineDeltaUpdate sign_delta(const wire::TimelineDelta& delta, const SigningKeyPair& keys);

// Verifies a TimelineDeltaUpdate's signature with the scheduler's signing key (hex) and parses
// the delta inside. Fails on a bad signature or bytes that are not a TimelineDelta.
Result<wire::TimelineDelta> open_signed_delta(std::string_view delta_bytes,
                                              std::string_view signature,
                                              std::string_view signing_key_hex);

}  // namespace loa::protocol
