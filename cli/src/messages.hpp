#pragma once

#include <string_view>

// Every text `loa` shows a person, in one place so that a Vietnamese translation can replace it.
// Placeholders are fmt's `{}`; their order is noted where there is more than one.
namespace loa::cli::text {

// --- the program and its global options ---
inline constexpr std::string_view kProgramHelp =
    "loa: the operator's command line for the Loa broadcast scheduler.\n"
    "Talks to loa-scheduler over its HTTP API.";
inline constexpr std::string_view kServerHelp =
    "Scheduler API address (http://host:port); the LOA_SERVER environment variable sets the "
    "default";
inline constexpr std::string_view kJsonHelp = "Print the scheduler's JSON answer instead of tables";
inline constexpr std::string_view kTzHelp =
    "IANA time zone for the times shown, and for times typed without an offset";
inline constexpr std::string_view kVersionHelp = "Print the version and exit";

// --- commands ---
inline constexpr std::string_view kStationHelp = "Register and list stations";
inline constexpr std::string_view kStationAddHelp =
    "Register a station. Without --public-key the scheduler makes the station's key pair and "
    "answers with a complete agent config: written to --agent-config FILE (mode 0600), or "
    "printed";
inline constexpr std::string_view kStationIdHelp =
    "Station id: 1 to 64 letters, digits, '-', '_' or '.' (e.g. the commune code 30280)";
inline constexpr std::string_view kStationNameHelp =
    "Station name, e.g. \"Mỹ Bình\" (default: the id)";
inline constexpr std::string_view kPublicKeyHelp =
    "The agent's own CURVE public key (40 Z85 characters), when it made its key pair itself";
inline constexpr std::string_view kAgentConfigHelp =
    "Write the new agent's config (it holds the agent's secret key) to FILE, created with mode "
    "0600; FILE must not exist yet";
inline constexpr std::string_view kStationListHelp =
    "List stations: online state, last heartbeat, timeline revision sent and acknowledged";

inline constexpr std::string_view kAssetHelp =
    "Upload, speak, list, show and listen to audio assets";
inline constexpr std::string_view kAssetAddHelp =
    "Upload audio files (MP3, AAC/M4A, WAV, FLAC, Ogg Vorbis/Opus, AMR); the scheduler decodes "
    "each, brings it to the configured loudness (EBU R128, -16 LUFS by default) and keeps it as "
    "Opus. Uploading the same content again gives the existing asset";
inline constexpr std::string_view kAssetFilesHelp = "Audio files to upload";
inline constexpr std::string_view kAssetListHelp = "List assets with their loudness";
inline constexpr std::string_view kAssetTtsHelp =
    "Make an asset of a typed notice: espeak-ng speaks it (Vietnamese by default), at the same "
    "loudness as the uploads";
inline constexpr std::string_view kTextHelp = "The notice's text (UTF-8)";
inline constexpr std::string_view kVoiceHelp =
    "espeak-ng voice: vi (Northern), vi-vn-x-central, vi-vn-x-south, en, ... (default: the "
    "scheduler's [ingest] tts_voice)";
inline constexpr std::string_view kAssetNameHelp = "Asset name (default: the start of the text)";
inline constexpr std::string_view kAssetShowHelp = "Show one asset: duration, loudness, source";
inline constexpr std::string_view kAssetPlayHelp =
    "Download an asset and play it on this computer's sound device";
inline constexpr std::string_view kDeviceHelp =
    "PortAudio output device name (default: the system's default output)";

inline constexpr std::string_view kScheduleHelp = "Schedule and list broadcasts";
inline constexpr std::string_view kScheduleAddHelp = "Schedule an asset to air on stations";
inline constexpr std::string_view kAssetIdHelp = "Asset id (64 hex digits, see `loa asset list`)";
inline constexpr std::string_view kAtHelp =
    "Air time: ISO 8601 with an offset (2026-11-27T17:00:00+07:00), without one (read in --tz), "
    "or from now: +30s, +5m, +2h, +1h30m";
inline constexpr std::string_view kStationsHelp = "Target stations, comma-separated: 30280,30281";
inline constexpr std::string_view kTitleHelp = "Title shown in lists and reports";
inline constexpr std::string_view kPriorityHelp =
    "Priority class: emergency, province, district, commune or filler (scheduler's default: "
    "commune)";
inline constexpr std::string_view kScheduleListHelp = "List schedule entries";

inline constexpr std::string_view kAsrunHelp = "Read the as-run log: what aired where";
inline constexpr std::string_view kAsrunListHelp = "List as-run records, newest first";
inline constexpr std::string_view kAsrunStationHelp = "Only this station's records";
inline constexpr std::string_view kAsrunLimitHelp = "At most N records";

// --- validation of command-line values (usage errors) ---
inline constexpr std::string_view kBadServerUrl =
    "'{}' is not a scheduler address: use http://host:port or https://host:port";
inline constexpr std::string_view kEmptyStation = "names no station";
inline constexpr std::string_view kBadZone =
    "unknown time zone '{}' (use an IANA name such as "
    "Asia/Ho_Chi_Minh)";

// --- errors (printed as "loa: <text>", exit code 1) ---
inline constexpr std::string_view kErrorPrefix = "loa: ";
inline constexpr std::string_view kCannotReach = "cannot reach the scheduler at {}: {}";
inline constexpr std::string_view kNoAnswer = "no answer from the scheduler at {}: {}";
inline constexpr std::string_view kConnectsNow = "the connection failed, but works now: try again";
inline constexpr std::string_view kReadFailed = "the connection broke while reading the answer";
inline constexpr std::string_view kWriteFailed = "the connection broke while sending the request";
inline constexpr std::string_view kTimedOut = "timed out";
inline constexpr std::string_view kTlsFailed = "the TLS connection failed";
inline constexpr std::string_view kOtherFailure = "the request failed";
inline constexpr std::string_view kHttpStatus = "the scheduler answered HTTP {} without saying why";
inline constexpr std::string_view kNotJson = "the scheduler's answer is not JSON: {}";
inline constexpr std::string_view kUnexpectedAnswer = "unexpected answer from the scheduler: {}";
inline constexpr std::string_view kCannotRead = "cannot read {}: {}";
inline constexpr std::string_view kCannotWrite = "cannot write {}: {}";
inline constexpr std::string_view kFileExists =
    "{} already exists; not overwriting it (it may hold another station's key)";
inline constexpr std::string_view kFileUpload = "{}: {}";  // file, error
inline constexpr std::string_view kNoAgentConfig =
    "station {} was added, but the scheduler sent no agent config to write to {}";
inline constexpr std::string_view kBadTime = "--at: {}";
inline constexpr std::string_view kBadRelativeTime =
    "invalid relative time '{}': use +N followed by s, m, h or d, e.g. +30s, +5m, +1h30m";

// --- results ---
inline constexpr std::string_view kStationAdded = "station {} ({}) added";
inline constexpr std::string_view kAgentConfigWritten =
    "agent config written to {}: copy it to the station as /etc/loa/agent.toml and keep it "
    "private (it holds the station's secret key)";
inline constexpr std::string_view kAgentConfigPrinted =
    "the agent config above holds the station's secret key: it is not stored anywhere else";
inline constexpr std::string_view kAssetExisting = "(already uploaded)";
// Written to the error stream while a file is sent and ingested: name, size.
inline constexpr std::string_view kIngesting = "ingesting {} ({})…";
// After it: seconds, x real time, input loudness, loudness.
inline constexpr std::string_view kIngested =
    "  ingested in {:.2f} s ({:.0f}x real time): {} LUFS → {} LUFS";
inline constexpr std::string_view kSpeaking = "speaking {} characters with voice {}…";
inline constexpr std::string_view kSpeakingDefault = "speaking {} characters…";
inline constexpr std::string_view kPlaying = "playing {} ({}) on {}…";  // name, duration, device
inline constexpr std::string_view kPlayed = "done";
inline constexpr std::string_view kUnitLufs = "{:.1f} LUFS";
inline constexpr std::string_view kUnitDbtp = "{:.1f} dBTP";
inline constexpr std::string_view kShowId = "id";
inline constexpr std::string_view kShowName = "name";
inline constexpr std::string_view kShowDuration = "duration";
inline constexpr std::string_view kShowLoudness = "loudness";
inline constexpr std::string_view kShowTruePeak = "true peak";
inline constexpr std::string_view kShowSource = "source";
inline constexpr std::string_view kShowSize = "size";
inline constexpr std::string_view kShowCreated = "created";
inline constexpr std::string_view kCannotPlay = "cannot play asset {}: {}";
inline constexpr std::string_view kNoStations = "No stations.";
inline constexpr std::string_view kNoAssets = "No assets.";
inline constexpr std::string_view kNoEntries = "No schedule entries.";
inline constexpr std::string_view kNoRecords = "No as-run records.";
inline constexpr std::string_view kYes = "yes";
inline constexpr std::string_view kNo = "no";
inline constexpr std::string_view kNever = "never";
inline constexpr std::string_view kNone = "-";

// --- table headers ---
inline constexpr std::string_view kColId = "ID";
inline constexpr std::string_view kColName = "NAME";
inline constexpr std::string_view kColOnline = "ONLINE";
inline constexpr std::string_view kColLastSeen = "LAST SEEN";
inline constexpr std::string_view kColRevision = "REVISION";
inline constexpr std::string_view kColAcked = "ACKED";
inline constexpr std::string_view kColVersion = "VERSION";
inline constexpr std::string_view kColDuration = "DURATION";
inline constexpr std::string_view kColSize = "SIZE";
inline constexpr std::string_view kColLoudness = "LOUDNESS";
inline constexpr std::string_view kColPeak = "PEAK";
inline constexpr std::string_view kColCreated = "CREATED";
inline constexpr std::string_view kColNote = "";
inline constexpr std::string_view kColStart = "START";
inline constexpr std::string_view kColPriority = "PRIORITY";
inline constexpr std::string_view kColTitle = "TITLE";
inline constexpr std::string_view kColStations = "STATIONS";
inline constexpr std::string_view kColAsset = "ASSET";
inline constexpr std::string_view kColScheduled = "SCHEDULED";
inline constexpr std::string_view kColStation = "STATION";
inline constexpr std::string_view kColStatus = "STATUS";
inline constexpr std::string_view kColStarted = "STARTED";
inline constexpr std::string_view kColStartError = "START ERROR";
inline constexpr std::string_view kColReason = "REASON";

}  // namespace loa::cli::text
