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

inline constexpr std::string_view kScheduleHelp =
    "Plan broadcasts: add, approve, retire and list entries, check conflicts and readiness";
inline constexpr std::string_view kScheduleAddHelp =
    "Schedule an asset or a programme on units, stations or zones, once or by a recurrence "
    "rule. Prints the entry and every conflict it causes or meets";
inline constexpr std::string_view kAssetIdHelp = "Asset id (64 hex digits, see `loa asset list`)";
inline constexpr std::string_view kAtHelp =
    "Air time: ISO 8601 with an offset (2026-11-27T17:00:00+07:00), without one (read in --tz), "
    "or from now: +30s, +5m, +2h, +1h30m";
inline constexpr std::string_view kStationsHelp =
    "Target stations, comma-separated: 30280,30281 (the same as --station for each)";
inline constexpr std::string_view kTitleHelp = "Title shown in lists and reports";
inline constexpr std::string_view kPriorityHelp =
    "Priority class: emergency, province, district, commune or filler (scheduler's default: "
    "commune); --priority is the same";
inline constexpr std::string_view kScheduleListHelp =
    "List schedule entries: state, class, when (start, or DTSTART and rule), targets";
inline constexpr std::string_view kProgrammeIdHelp =
    "Programme id (see `loa programme list`): air its playlist instead of one asset";
inline constexpr std::string_view kUnitTargetHelp =
    "Target unit by code, with every station of its subtree (repeatable): --unit 883";
inline constexpr std::string_view kStationTargetHelp = "Target station (repeatable)";
inline constexpr std::string_view kZoneTargetHelp =
    "Target one zone (amplifier output) of a station, STATION:ZONE (repeatable)";
inline constexpr std::string_view kRruleHelp =
    "RFC 5545 recurrence rule in local time, e.g. \"FREQ=DAILY;BYHOUR=6;BYMINUTE=0\" or "
    "\"FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=10\"; --at is then the first occurrence (DTSTART) and "
    "--tz the rule's zone";
inline constexpr std::string_view kExdateHelp =
    "A local date-time the rule skips, e.g. 2026-12-01T06:00 (repeatable; with --rrule)";
inline constexpr std::string_view kPolicyHelp =
    "What happens when a higher class cuts this entry: shorten, move (to the next free slot) "
    "or drop (scheduler's default: shorten)";
inline constexpr std::string_view kValidFromHelp = "No occurrence before this time (TIME as --at)";
inline constexpr std::string_view kValidUntilHelp = "No occurrence after this time (TIME as --at)";
inline constexpr std::string_view kDraftHelp =
    "Keep the entry a draft: it airs only once approved (`loa schedule approve ID`)";
inline constexpr std::string_view kEntryIdHelp = "Schedule entry id (see `loa schedule list`)";
inline constexpr std::string_view kScheduleApproveHelp =
    "Approve a draft entry: it enters the station timelines; prints the conflicts";
inline constexpr std::string_view kScheduleRetireHelp =
    "Retire an entry: it leaves the station timelines (an item on air is cut)";
inline constexpr std::string_view kScheduleCheckHelp =
    "List the conflicts of the compiled plan (exit code 0 when there are none, 1 when there are)";
inline constexpr std::string_view kCheckStationHelp = "Only this station's conflicts";
inline constexpr std::string_view kCheckUnitHelp = "Only the conflicts of this unit's subtree";
inline constexpr std::string_view kReadinessHelp =
    "Per upcoming item: how many target stations hold its timeline and every asset, and which do "
    "not";
inline constexpr std::string_view kHoursHelp = "Look N hours ahead (1 to 744; default 24)";

inline constexpr std::string_view kUnitHelp = "Import and list the admin-unit tree";
inline constexpr std::string_view kUnitImportHelp =
    "Import admin units from a CSV file (code, parent, level, type, name...); each unit gets a "
    "station unless --no-stations. A file with errors imports nothing and every bad line is "
    "listed";
inline constexpr std::string_view kUnitFileHelp = "CSV file (UTF-8)";
inline constexpr std::string_view kNoStationsHelp = "Make no station for the imported units";
inline constexpr std::string_view kUnitListHelp =
    "List units as an indented tree with their stations";
inline constexpr std::string_view kUnderHelp = "Only this unit and its subtree";
inline constexpr std::string_view kStationImportHelp =
    "Import stations (id, name, unit, zones) from a CSV file; a file with errors imports nothing "
    "and every bad line is listed";
inline constexpr std::string_view kStationProvisionHelp =
    "Give stations their keys: for each station make a CURVE key pair here, register its public "
    "key with the scheduler and write DIR/<id>.toml (mode 0600), the station's complete agent "
    "config with its secret key";
inline constexpr std::string_view kProvisionIdsHelp = "Station ids";
inline constexpr std::string_view kProvisionAllHelp = "Every station that has no key yet";
inline constexpr std::string_view kOutDirHelp =
    "Folder for the agent configs (made with mode 0700 if missing); no file is overwritten";
inline constexpr std::string_view kEndpointHelp =
    "The scheduler's link address the agents connect to (default: the scheduler's own [link] "
    "public endpoint)";

inline constexpr std::string_view kProgrammeHelp = "Make and list programmes (ordered playlists)";
inline constexpr std::string_view kProgrammeAddHelp =
    "Make a programme: the assets play one after the other, in the order given";
inline constexpr std::string_view kProgrammeTitleHelp = "Programme title";
inline constexpr std::string_view kProgrammeAssetsHelp = "Asset ids, in playing order";
inline constexpr std::string_view kProgrammeListHelp = "List programmes with their length";

inline constexpr std::string_view kTokenFileHelp =
    "File holding the API token (default: $LOA_TOKEN, else $LOA_TOKEN_FILE, else "
    "~/.config/loa/token, where `loa login` puts it)";
inline constexpr std::string_view kLoginHelp =
    "Log in: asks the scheduler for a token and keeps it (mode 0600) for the next commands";
inline constexpr std::string_view kLoginUserHelp = "User name (asked when not given)";
inline constexpr std::string_view kPasswordFileHelp =
    "Read the password from the first line of FILE instead of asking for it";
inline constexpr std::string_view kLogoutHelp = "End the session and remove the kept token";
inline constexpr std::string_view kUserHelp = "Manage users (admin)";
inline constexpr std::string_view kUserAddHelp =
    "Add a user; the password is asked twice unless --password-file";
inline constexpr std::string_view kUserNameHelp = "Login name: letters, digits, '.', '_', '-'";
inline constexpr std::string_view kRoleHelp =
    "Role: admin, district-operator, commune-operator or viewer";
inline constexpr std::string_view kScopeHelp =
    "Unit code the user works in, with its subtree (required except for admin)";
inline constexpr std::string_view kDisplayNameHelp = "Full name, e.g. \"Nguyễn Văn An\"";
inline constexpr std::string_view kUserListHelp = "List users with role, scope and state";
inline constexpr std::string_view kUserDisableHelp =
    "Disable a user: the user's sessions and tokens stop working";
inline constexpr std::string_view kTokenHelp = "Issue and revoke API tokens for scripts";
inline constexpr std::string_view kTokenIssueHelp =
    "Issue an API token (for scripts and the province demo); printed once, alone on stdout";
inline constexpr std::string_view kTokenUserHelp =
    "Whose token it is (default: the logged-in user); issuing for others needs admin";
inline constexpr std::string_view kLabelHelp = "What the token is for, e.g. \"province demo\"";
inline constexpr std::string_view kDaysHelp = "Days the token is valid (default: the scheduler's)";
inline constexpr std::string_view kTokenRevokeHelp = "Revoke an API token";
inline constexpr std::string_view kTokenIdHelp = "Token id";
inline constexpr std::string_view kAuditHelp =
    "Read the audit log: who changed what, when; newest first";
inline constexpr std::string_view kFromHelp = "Events at or after this time (TIME as --at)";
inline constexpr std::string_view kUntilHelp = "Events before this time (TIME as --at)";
inline constexpr std::string_view kAuditUserHelp = "Only this user's events";
inline constexpr std::string_view kAuditKindHelp =
    "Only changes to this kind of object: user, token, entry, station, unit, bulletin...";
inline constexpr std::string_view kAuditObjectHelp = "Only changes to this object id";
inline constexpr std::string_view kAuditLimitHelp = "At most N events";

inline constexpr std::string_view kBulletinHelp =
    "Bulletins from above (TT 39/2020): send them down, read a station's inbox, decide";
inline constexpr std::string_view kBulletinSendHelp =
    "Send a bulletin to the communes of units: normal (each commune decides whether and when it "
    "airs), priority (inserted at the next break), emergency (airs at once)";
inline constexpr std::string_view kKindHelp = "normal, priority or emergency";
inline constexpr std::string_view kBulletinTitleHelp = "Bulletin title";
inline constexpr std::string_view kBulletinUnitHelp =
    "Target unit by code; its communes receive the bulletin (repeatable)";
inline constexpr std::string_view kBulletinListHelp = "List bulletins";
inline constexpr std::string_view kBulletinShowHelp =
    "Show a bulletin and what each station decided, and when";
inline constexpr std::string_view kBulletinIdHelp = "Bulletin id";
inline constexpr std::string_view kInboxHelp = "List the bulletins delivered to a station";
inline constexpr std::string_view kInboxStationHelp = "Station id";
inline constexpr std::string_view kPendingHelp = "Only those still waiting for a decision";
inline constexpr std::string_view kBulletinAirHelp =
    "Decide to air a bulletin at a station at a time (schedules it)";
inline constexpr std::string_view kDeliveryStationHelp = "The receiving station";
inline constexpr std::string_view kBulletinDeclineHelp = "Decide not to air a bulletin, saying why";
inline constexpr std::string_view kNoteHelp = "Why it is declined";

inline constexpr std::string_view kAsrunHelp = "Read the as-run log: what aired where";
inline constexpr std::string_view kAsrunListHelp = "List as-run records, newest first";
inline constexpr std::string_view kAsrunStationHelp = "Only this station's records";
inline constexpr std::string_view kAsrunLimitHelp = "At most N records";

// --- validation of command-line values (usage errors) ---
inline constexpr std::string_view kBadServerUrl =
    "'{}' is not a scheduler address: use http://host:port or https://host:port";
inline constexpr std::string_view kEmptyStation = "names no station";
inline constexpr std::string_view kAssetOrProgramme = "give --asset ID or --programme ID";
inline constexpr std::string_view kNoTarget =
    "give at least one target: --unit, --station, --stations or --zone";
inline constexpr std::string_view kBadZoneTarget = "'{}' is not STATION:ZONE";
inline constexpr std::string_view kExdateWithoutRrule = "--exdate needs --rrule";
inline constexpr std::string_view kIdsOrAll = "give station ids or --all (not both)";
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
inline constexpr std::string_view kRunLogin = "{}; run 'loa login'";
inline constexpr std::string_view kCannotReadToken = "token file: {}";
inline constexpr std::string_view kBadTokenFile =
    "the token file {} holds no token (one line, no spaces): run 'loa login'";
inline constexpr std::string_view kCannotRemove = "cannot remove {}: {}";
inline constexpr std::string_view kEmptySecretFile = "{}: the first line is empty (no password)";
inline constexpr std::string_view kNoTerminal = "no terminal to ask on: use {} in scripts";
inline constexpr std::string_view kEmptyPassword = "the password is empty";
inline constexpr std::string_view kPasswordsDiffer =
    "the two passwords differ; nothing was changed";
inline constexpr std::string_view kBadStationId =
    "'{}' is not a station id (1 to 64 letters, digits, '-', '_' or '.')";
inline constexpr std::string_view kNotAFolder = "{} exists and is not a folder";
// done, total, why
inline constexpr std::string_view kProvisionStopped =
    "provisioned {} of {} stations, then stopped: {}";
inline constexpr std::string_view kStationFailed = "station {}: {}";
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

inline constexpr std::string_view kNoUnits = "No units.";
inline constexpr std::string_view kNoProgrammes = "No programmes.";
inline constexpr std::string_view kNoConflicts = "No conflicts.";
inline constexpr std::string_view kNothingUpcoming = "Nothing scheduled in that time.";
inline constexpr std::string_view kNoUsers = "No users.";
inline constexpr std::string_view kNoAuditEvents = "No audit events.";
inline constexpr std::string_view kNoBulletins = "No bulletins.";
inline constexpr std::string_view kNoDeliveries = "No deliveries.";
inline constexpr std::string_view kEmptyInbox = "The inbox is empty.";
inline constexpr std::string_view kNoPending = "No bulletin waits for a decision.";
// units, stations, new stations, station timelines changed
inline constexpr std::string_view kImported =
    "imported: {} units, {} stations ({} new); {} station timelines changed";
inline constexpr std::string_view kImportProblem = "  note: {}";
inline constexpr std::string_view kNothingToProvision = "Every station has a key already.";
// count, folder, endpoint
inline constexpr std::string_view kProvisioned =
    "provisioned {} stations: agent configs in {} (scheduler link {}); copy each to its station "
    "as /etc/loa/agent.toml and keep them private";
inline constexpr std::string_view kUnitsLabel = "units";
inline constexpr std::string_view kStationsLabel = "stations";
inline constexpr std::string_view kZonesLabel = "zones";
inline constexpr std::string_view kExceptDates = " except {} dates";
inline constexpr std::string_view kProgrammeContent = "programme {}";
inline constexpr std::string_view kTimelinesChanged = "{} station timelines changed";
inline constexpr std::string_view kConflictCount = "{} conflicts:";
inline constexpr std::string_view kConflictTotal = "{} conflicts";
inline constexpr std::string_view kLostTo = "entry {} ({})";  // winner id, class
inline constexpr std::string_view kMovedTo = "moved to {}";
inline constexpr std::string_view kShortenedTo = "shortened to {}";
inline constexpr std::string_view kAndMore = " and {} more";
inline constexpr std::string_view kUserPrompt = "user: ";
inline constexpr std::string_view kPasswordPrompt = "password: ";
inline constexpr std::string_view kPasswordAgain = "password again: ";
inline constexpr std::string_view kEveryUnit = "every unit";
inline constexpr std::string_view kScope = "scope {}";
// user, expiry, token file
inline constexpr std::string_view kLoggedIn = "logged in as {} until {}; token kept in {}";
inline constexpr std::string_view kLoggedOut = "logged out";
inline constexpr std::string_view kLoggedOutFile = "logged out; {} removed";
inline constexpr std::string_view kUserAdded = "user {} added";
inline constexpr std::string_view kUserDisabled = "user {} disabled";
// label, user, id, expiry
inline constexpr std::string_view kTokenIssued =
    "token '{}' for {} (id {}) issued, valid until {}: it is shown only this once";
inline constexpr std::string_view kNoExpiry = "revoked";
inline constexpr std::string_view kTokenRevoked = "token {} revoked";
// id, kind, stations
inline constexpr std::string_view kBulletinSent = "bulletin {} ({}) sent to {} stations";
// id, station, time
inline constexpr std::string_view kBulletinScheduled = "bulletin {} airs at station {} at {}";
inline constexpr std::string_view kBulletinDeclined = "bulletin {} declined at station {}";
inline constexpr std::string_view kShowKind = "kind";
inline constexpr std::string_view kShowTitle = "title";
inline constexpr std::string_view kShowAsset = "asset";
inline constexpr std::string_view kShowFrom = "from unit";
inline constexpr std::string_view kShowBy = "sent by";

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
inline constexpr std::string_view kColState = "STATE";
inline constexpr std::string_view kColClass = "CLASS";
inline constexpr std::string_view kColWhen = "WHEN";
inline constexpr std::string_view kColTargets = "TARGETS";
inline constexpr std::string_view kColContent = "CONTENT";
inline constexpr std::string_view kColEntry = "ENTRY";
inline constexpr std::string_view kColAt = "AT";
inline constexpr std::string_view kColLostTo = "LOST TO";
inline constexpr std::string_view kColOutcome = "OUTCOME";
inline constexpr std::string_view kColReady = "READY";
inline constexpr std::string_view kColNotReady = "NOT READY";
inline constexpr std::string_view kColUnit = "UNIT";
inline constexpr std::string_view kColCode = "CODE";
inline constexpr std::string_view kColType = "TYPE";
inline constexpr std::string_view kColItems = "ITEMS";
inline constexpr std::string_view kColAssets = "ASSETS";
inline constexpr std::string_view kColDisplayName = "DISPLAY NAME";
inline constexpr std::string_view kColRole = "ROLE";
inline constexpr std::string_view kColScope = "SCOPE";
inline constexpr std::string_view kColDisabled = "DISABLED";
inline constexpr std::string_view kColUser = "USER";
inline constexpr std::string_view kColAction = "ACTION";
inline constexpr std::string_view kColKind = "KIND";
inline constexpr std::string_view kColObject = "OBJECT";
inline constexpr std::string_view kColAirAt = "AIR AT";
inline constexpr std::string_view kColDecidedBy = "DECIDED BY";
inline constexpr std::string_view kColDecidedAt = "DECIDED AT";
inline constexpr std::string_view kColDecisionNote = "NOTE";
inline constexpr std::string_view kColFrom = "FROM";
inline constexpr std::string_view kColBy = "BY";
inline constexpr std::string_view kColBulletin = "BULLETIN";

}  // namespace loa::cli::text
