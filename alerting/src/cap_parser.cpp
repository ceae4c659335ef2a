#include "loa/alerting/cap_parser.hpp"

#include "cap_names.hpp"
#include "loa/common/digest.hpp"
#include "loa/common/time_format.hpp"

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace loa::alerting {

namespace {

using namespace cap_names;

struct DocDeleter {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct ContextDeleter {
    void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};
struct XmlCharDeleter {
    void operator()(xmlChar* s) const { xmlFree(s); }
};

// Set by the SAX hook when the parser meets <!DOCTYPE ...>.
struct DoctypeGuard {
    bool seen = false;
};

// Called by libxml2 for <!DOCTYPE name ...> before it reads any declaration: stop right there.
void refuse_doctype(void* user, const xmlChar* /*name*/, const xmlChar* /*external_id*/,
                    const xmlChar* /*system_id*/) {
    auto* ctxt = static_cast<xmlParserCtxt*>(user);
    static_cast<DoctypeGuard*>(ctxt->_private)->seen = true;
    xmlStopParser(ctxt);
}

std::string_view as_view(const xmlChar* s) {
    return s == nullptr ? std::string_view{} : std::string_view{reinterpret_cast<const char*>(s)};
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t\r\n";
    const auto first = s.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::vector<std::string_view> split_space(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
            ++i;
        }
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
            ++i;
        }
        if (i > start) {
            out.push_back(s.substr(start, i - start));
        }
    }
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        const auto pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
        if (pos == std::string_view::npos) {
            return out;
        }
        start = pos + 1;
    }
}

std::optional<double> to_double(std::string_view s) {
    double v = 0;
    const auto* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (ec != std::errc{} || ptr != end || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

// Every problem found, each "path: what".
class Problems {
public:
    explicit Problems(std::size_t max) : max_{max} {}

    void add(std::string_view path, std::string_view what) {
        if (list_.size() < max_) {
            list_.push_back(path.empty() ? std::string{what} : fmt::format("{}: {}", path, what));
        } else {
            ++dropped_;
        }
    }
    bool empty() const { return list_.empty(); }
    std::string joined() const {
        std::string out = fmt::format("{}", fmt::join(list_, "; "));
        if (dropped_ > 0) {
            out += fmt::format("; and {} more", dropped_);
        }
        return out;
    }

private:
    std::size_t max_;
    std::vector<std::string> list_;
    std::size_t dropped_ = 0;
};

std::string child_path(std::string_view parent, std::string_view name) {
    return parent.empty() ? std::string{name} : fmt::format("{}.{}", parent, name);
}

bool in_cap_namespace(const xmlNode* node) {
    return node->ns != nullptr && as_view(node->ns->href) == kCap12Namespace;
}

// The children of one CAP element, by name; reports unknown CAP elements and text where only
// elements belong.
class Element {
public:
    Element(const xmlNode* node, std::string path, Problems& problems,
            std::initializer_list<std::string_view> allowed)
        : path_{std::move(path)}, problems_{problems} {
        for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
            if (c->type == XML_TEXT_NODE && !trim(as_view(c->content)).empty()) {
                problems_.add(path_.empty() ? "alert" : path_,
                              "text is not allowed here, only elements");
            }
            if (c->type != XML_ELEMENT_NODE || !in_cap_namespace(c)) {
                continue;  // comments, white space, extensions in other namespaces
            }
            const auto name = as_view(c->name);
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
                problems_.add(path_.empty() ? "alert" : path_,
                              fmt::format("unknown element '{}'", name));
                continue;
            }
            children_.emplace_back(name, c);
        }
    }

    const std::string& path() const { return path_; }

    // Every child called `name`, with its path ("info[2]"; "event" for a single one when
    // `indexed` is false).
    std::vector<std::pair<const xmlNode*, std::string>> all(std::string_view name,
                                                            bool indexed = true) const {
        std::vector<std::pair<const xmlNode*, std::string>> out;
        for (const auto& [n, node] : children_) {
            if (n == name) {
                out.emplace_back(
                    node, child_path(path_, indexed ? fmt::format("{}[{}]", name, out.size() + 1)
                                                    : std::string{name}));
            }
        }
        return out;
    }

    // The text of the one child `name`; a problem when it is repeated, or missing and required.
    std::optional<std::string> single(std::string_view name, bool required) const {
        const auto nodes = all(name, false);
        const auto path = child_path(path_, name);
        if (nodes.empty()) {
            if (required) {
                problems_.add(path, "missing");
            }
            return std::nullopt;
        }
        if (nodes.size() > 1) {
            problems_.add(path,
                          fmt::format("appears {} times, at most once is allowed", nodes.size()));
        }
        return text(nodes.front().first, path);
    }

    std::string single_or_empty(std::string_view name) const {
        return single(name, false).value_or(std::string{});
    }

    // The text of every child `name`.
    std::vector<std::pair<std::string, std::string>> texts(std::string_view name) const {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& [node, path] : all(name)) {
            out.emplace_back(text(node, path), path);
        }
        return out;
    }

    // The trimmed text content of a simple element.
    std::string text(const xmlNode* node, std::string_view path) const {
        for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                problems_.add(path, "must hold text, not elements");
                return {};
            }
        }
        const std::unique_ptr<xmlChar, XmlCharDeleter> content{xmlNodeGetContent(node)};
        return std::string{trim(as_view(content.get()))};
    }

private:
    std::string path_;
    Problems& problems_;
    std::vector<std::pair<std::string_view, const xmlNode*>> children_;
};

template <class E, std::size_t N>
std::optional<E> parse_enum(const Table<E, N>& table, std::string_view text, std::string_view path,
                            Problems& problems) {
    for (const auto& [name, value] : table) {
        if (name == text) {
            return value;
        }
    }
    std::vector<std::string_view> names;
    for (const auto& entry : table) {
        names.push_back(entry.first);
    }
    problems.add(path, fmt::format("'{}' is not one of {}", text, fmt::join(names, ", ")));
    return std::nullopt;
}

// A CAP date-time: "2026-10-14T08:00:00+07:00". CAP 1.2 requires a numeric offset ("-00:00"
// for UTC) and forbids "Z".
std::optional<TimePoint> parse_cap_time(std::string_view text, std::string_view path,
                                        Problems& problems) {
    const auto n = text.size();
    const bool has_offset =
        n > 6 && (text[n - 6] == '+' || text[n - 6] == '-') && text[n - 3] == ':';
    if (!has_offset) {
        problems.add(path, fmt::format("'{}' is not a CAP date-time with a numeric offset, "
                                       "like 2026-10-14T08:00:00+07:00",
                                       text));
        return std::nullopt;
    }
    auto t = parse_time(text, "UTC");
    if (!t) {
        problems.add(path, t.error().message);
        return std::nullopt;
    }
    return *t;
}

// <identifier>, <sender>: no spaces, commas or restricted characters.
void check_token(std::string_view value, std::string_view path, Problems& problems) {
    if (value.empty()) {
        problems.add(path, "is empty");
        return;
    }
    if (value.find_first_of(" \t\r\n,<&") != std::string_view::npos) {
        problems.add(path, fmt::format("'{}' must not contain spaces, commas, '<' or '&'", value));
    }
}

std::optional<LatLon> parse_point(std::string_view text, std::string_view path,
                                  Problems& problems) {
    const auto parts = split(text, ',');
    std::optional<double> lat;
    std::optional<double> lon;
    if (parts.size() == 2) {
        lat = to_double(parts[0]);
        lon = to_double(parts[1]);
    }
    if (!lat || !lon) {
        problems.add(path, fmt::format("'{}' is not a \"latitude,longitude\" pair", text));
        return std::nullopt;
    }
    if (*lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
        problems.add(path, fmt::format("'{}' is out of range (latitude -90..90, longitude "
                                       "-180..180)",
                                       text));
        return std::nullopt;
    }
    return LatLon{*lat, *lon};
}

std::optional<std::vector<LatLon>> parse_polygon(std::string_view text, std::string_view path,
                                                 Problems& problems) {
    const auto pairs = split_space(text);
    std::vector<LatLon> ring;
    bool ok = true;
    for (const auto pair : pairs) {
        const auto p = parse_point(pair, path, problems);
        ok = ok && p.has_value();
        if (p) {
            ring.push_back(*p);
        }
    }
    if (!ok) {
        return std::nullopt;
    }
    if (ring.size() < 4) {
        problems.add(path, fmt::format("has {} points; a polygon needs at least 4 (the first "
                                       "repeated at the end)",
                                       ring.size()));
        return std::nullopt;
    }
    if (!(ring.front() == ring.back())) {
        problems.add(path, "is not closed: the last point must equal the first");
        return std::nullopt;
    }
    return ring;
}

std::optional<Circle> parse_circle(std::string_view text, std::string_view path,
                                   Problems& problems) {
    const auto parts = split_space(text);
    if (parts.size() != 2) {
        problems.add(path, fmt::format("'{}' is not \"latitude,longitude radius\"", text));
        return std::nullopt;
    }
    const auto centre = parse_point(parts[0], path, problems);
    const auto radius = to_double(parts[1]);
    if (!radius || *radius < 0) {
        problems.add(path, fmt::format("radius '{}' is not a number of kilometres >= 0", parts[1]));
        return std::nullopt;
    }
    if (!centre) {
        return std::nullopt;
    }
    return Circle{*centre, *radius};
}

std::vector<NamedValue> parse_named_values(const Element& parent, std::string_view name,
                                           Problems& problems) {
    std::vector<NamedValue> out;
    for (const auto& [node, path] : parent.all(name)) {
        const Element e{node, path, problems, {"valueName", "value"}};
        auto value_name = e.single("valueName", true);
        auto value = e.single("value", true);
        if (value_name && value_name->empty()) {
            problems.add(child_path(path, "valueName"), "is empty");
        }
        out.push_back({value_name.value_or(""), value.value_or("")});
    }
    return out;
}

std::vector<Reference> parse_references(std::string_view text, std::string_view path,
                                        Problems& problems) {
    std::vector<Reference> out;
    for (const auto triple : split_space(text)) {
        const auto parts = split(triple, ',');
        if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
            problems.add(path,
                         fmt::format("'{}' is not a \"sender,identifier,sent\" triple", triple));
            continue;
        }
        const auto sent = parse_cap_time(parts[2], path, problems);
        if (sent) {
            out.push_back({std::string{parts[0]}, std::string{parts[1]}, *sent});
        }
    }
    if (out.empty() && split_space(text).empty()) {
        problems.add(path, "is empty");
    }
    return out;
}

bool is_language_tag(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (const auto tag : split(s, '-')) {
        if (tag.empty() || tag.size() > 8 || !std::all_of(tag.begin(), tag.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) != 0;
            })) {
            return false;
        }
    }
    return true;
}

Resource parse_resource(const xmlNode* node, const std::string& path, Problems& problems) {
    const Element e{
        node, path, problems, {"resourceDesc", "mimeType", "size", "uri", "derefUri", "digest"}};
    Resource r;
    r.description = e.single("resourceDesc", true).value_or("");
    r.mime_type = e.single("mimeType", true).value_or("");
    if (const auto size = e.single("size", false)) {
        std::uint64_t v = 0;
        const auto* end = size->data() + size->size();
        const auto [ptr, ec] = std::from_chars(size->data(), end, v);
        if (ec != std::errc{} || ptr != end) {
            problems.add(child_path(path, "size"),
                         fmt::format("'{}' is not a whole number of bytes", *size));
        } else {
            r.size = v;
        }
    }
    r.uri = e.single_or_empty("uri");
    if (const auto deref = e.single("derefUri", false)) {
        r.has_deref = true;
        r.deref.resize(deref->size() / 4 * 3 + 3);
        std::size_t length = 0;
        if (sodium_base642bin(r.deref.data(), r.deref.size(), deref->data(), deref->size(),
                              " \t\r\n", &length, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
            problems.add(child_path(path, "derefUri"), "is not valid base64");
            length = 0;
        }
        r.deref.resize(length);
    }
    if (const auto digest = e.single("digest", false)) {
        std::string lower = *digest;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower.size() != 40 || !from_hex(lower).ok()) {
            problems.add(child_path(path, "digest"),
                         fmt::format("'{}' is not a SHA-1 (40 hex digits)", *digest));
        } else {
            r.digest = std::move(lower);
        }
    }
    if (r.has_deref) {
        const auto content = check_resource(r, r.deref);
        if (!content.ok()) {
            problems.add(child_path(path, "derefUri"), content.message());
        }
    }
    return r;
}

Area parse_area(const xmlNode* node, const std::string& path, Problems& problems) {
    const Element e{
        node, path, problems, {"areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling"}};
    Area a;
    a.description = e.single("areaDesc", true).value_or("");
    for (const auto& [text, p] : e.texts("polygon")) {
        if (auto ring = parse_polygon(text, p, problems)) {
            a.polygons.push_back(std::move(*ring));
        }
    }
    for (const auto& [text, p] : e.texts("circle")) {
        if (auto circle = parse_circle(text, p, problems)) {
            a.circles.push_back(*circle);
        }
    }
    a.geocodes = parse_named_values(e, "geocode", problems);
    for (const auto* name : {"altitude", "ceiling"}) {
        if (const auto text = e.single(name, false)) {
            const auto v = to_double(*text);
            if (!v) {
                problems.add(child_path(path, name),
                             fmt::format("'{}' is not a number of feet", *text));
            } else {
                (std::string_view{name} == "altitude" ? a.altitude : a.ceiling) = *v;
            }
        }
    }
    if (a.ceiling && !a.altitude) {
        problems.add(child_path(path, "ceiling"), "is given without <altitude>");
    }
    return a;
}

Info parse_info(const xmlNode* node, const std::string& path, Problems& problems) {
    const Element e{node, path, problems, {"language",   "category",  "event",       "responseType",
                                           "urgency",    "severity",  "certainty",   "audience",
                                           "eventCode",  "effective", "onset",       "expires",
                                           "senderName", "headline",  "description", "instruction",
                                           "web",        "contact",   "parameter",   "resource",
                                           "area"}};
    Info info;
    if (auto language = e.single("language", false)) {
        if (!is_language_tag(*language)) {
            problems.add(child_path(path, "language"),
                         fmt::format("'{}' is not a language tag like vi or en-US", *language));
        } else {
            info.language = std::move(*language);
        }
    }
    const auto categories = e.texts("category");
    if (categories.empty()) {
        problems.add(child_path(path, "category"), "missing");
    }
    for (const auto& [text, p] : categories) {
        if (const auto c = parse_enum(kCategory, text, p, problems)) {
            info.categories.push_back(*c);
        }
    }
    info.event = e.single("event", true).value_or("");
    for (const auto& [text, p] : e.texts("responseType")) {
        if (const auto r = parse_enum(kResponseType, text, p, problems)) {
            info.response_types.push_back(*r);
        }
    }
    if (const auto t = e.single("urgency", true)) {
        info.urgency = parse_enum(kUrgency, *t, child_path(path, "urgency"), problems)
                           .value_or(Urgency::Unknown);
    }
    if (const auto t = e.single("severity", true)) {
        info.severity = parse_enum(kSeverity, *t, child_path(path, "severity"), problems)
                            .value_or(Severity::Unknown);
    }
    if (const auto t = e.single("certainty", true)) {
        info.certainty = parse_enum(kCertainty, *t, child_path(path, "certainty"), problems)
                             .value_or(Certainty::Unknown);
    }
    info.audience = e.single_or_empty("audience");
    info.event_codes = parse_named_values(e, "eventCode", problems);
    for (auto [name, field] :
         {std::pair{"effective", &info.effective}, std::pair{"onset", &info.onset},
          std::pair{"expires", &info.expires}}) {
        if (const auto t = e.single(name, false)) {
            *field = parse_cap_time(*t, child_path(path, name), problems);
        }
    }
    info.sender_name = e.single_or_empty("senderName");
    info.headline = e.single_or_empty("headline");
    info.description = e.single_or_empty("description");
    info.instruction = e.single_or_empty("instruction");
    info.web = e.single_or_empty("web");
    info.contact = e.single_or_empty("contact");
    info.parameters = parse_named_values(e, "parameter", problems);
    for (const auto& [n, p] : e.all("resource")) {
        info.resources.push_back(parse_resource(n, p, problems));
    }
    for (const auto& [n, p] : e.all("area")) {
        info.areas.push_back(parse_area(n, p, problems));
    }
    return info;
}

Alert parse_alert(const xmlNode* root, Problems& problems) {
    const Element e{
        root,
        "",
        problems,
        {"identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction",
         "addresses", "code", "note", "references", "incidents", "info"}};
    Alert alert;
    if (auto id = e.single("identifier", true)) {
        check_token(*id, "identifier", problems);
        alert.identifier = std::move(*id);
    }
    if (auto sender = e.single("sender", true)) {
        check_token(*sender, "sender", problems);
        alert.sender = std::move(*sender);
    }
    if (const auto sent = e.single("sent", true)) {
        alert.sent = parse_cap_time(*sent, "sent", problems).value_or(TimePoint{});
    }
    if (const auto status = e.single("status", true)) {
        alert.status = parse_enum(kStatus, *status, "status", problems).value_or(alert.status);
    }
    bool msg_type_known = false;
    if (const auto msg_type = e.single("msgType", true)) {
        const auto v = parse_enum(kMsgType, *msg_type, "msgType", problems);
        msg_type_known = v.has_value();
        alert.msg_type = v.value_or(alert.msg_type);
    }
    alert.source = e.single_or_empty("source");
    bool scope_known = false;
    if (const auto scope = e.single("scope", true)) {
        const auto v = parse_enum(kScope, *scope, "scope", problems);
        scope_known = v.has_value();
        alert.scope = v.value_or(alert.scope);
    }
    alert.restriction = e.single_or_empty("restriction");
    alert.addresses = e.single_or_empty("addresses");
    if (scope_known && alert.scope == Scope::Restricted && alert.restriction.empty()) {
        problems.add("restriction", "required when scope is Restricted");
    }
    if (scope_known && alert.scope == Scope::Private && alert.addresses.empty()) {
        problems.add("addresses", "required when scope is Private");
    }
    for (auto& [text, p] : e.texts("code")) {
        alert.codes.push_back(std::move(text));
    }
    alert.note = e.single_or_empty("note");
    const auto refs = e.single("references", false);
    if (refs) {
        alert.references = parse_references(*refs, "references", problems);
    }
    if (msg_type_known &&
        (alert.msg_type == MsgType::Update || alert.msg_type == MsgType::Cancel) && !refs) {
        problems.add("references",
                     fmt::format("required for msgType {} (which earlier alert "
                                 "does it {}?)",
                                 to_string(alert.msg_type),
                                 alert.msg_type == MsgType::Update ? "update" : "cancel"));
    }
    alert.incidents = e.single_or_empty("incidents");
    for (const auto& [n, p] : e.all("info")) {
        alert.infos.push_back(parse_info(n, p, problems));
    }
    return alert;
}

void init_libraries() {
    static std::once_flag once;
    std::call_once(once, [] {
        xmlInitParser();
        if (sodium_init() < 0) {
            throw std::runtime_error{"libsodium failed to initialise"};
        }
    });
}

}  // namespace

CapParser::CapParser() : CapParser(Limits{}) {}

CapParser::CapParser(Limits limits) : limits_{limits} {
    init_libraries();
}

Result<Alert> CapParser::parse(std::string_view xml) const {
    if (xml.empty()) {
        return Error{"empty document: expected a CAP 1.2 <alert>"};
    }
    if (xml.size() > limits_.max_bytes) {
        return Error{fmt::format("the alert is {} bytes, more than the limit of {} bytes",
                                 xml.size(), limits_.max_bytes)};
    }
    if (xml.size() > static_cast<std::size_t>(INT32_MAX)) {
        return Error{"the alert is too large"};
    }
    const std::unique_ptr<xmlParserCtxt, ContextDeleter> ctxt{xmlNewParserCtxt()};
    if (!ctxt) {
        return Error{"out of memory while parsing the alert"};
    }
    DoctypeGuard guard;
    ctxt->_private = &guard;
    ctxt->sax->internalSubset = &refuse_doctype;
    // No XML_PARSE_NOENT (entities stay unsubstituted), no DTDLOAD/DTDATTR/DTDVALID, no
    // XINCLUDE, no HUGE (libxml2's default depth and size limits stay on).
    constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    const std::unique_ptr<xmlDoc, DocDeleter> doc{xmlCtxtReadMemory(
        ctxt.get(), xml.data(), static_cast<int>(xml.size()), "alert.xml", nullptr, kOptions)};
    if (guard.seen || (doc && (doc->intSubset != nullptr || doc->extSubset != nullptr))) {
        return Error{
            "DOCTYPE: a document type declaration is not allowed in a CAP alert "
            "(DTDs and entities are refused)"};
    }
    if (!doc || ctxt->wellFormed == 0) {
        const xmlError* err = xmlCtxtGetLastError(ctxt.get());
        std::string what = err != nullptr && err->message != nullptr
                               ? std::string{trim(err->message)}
                               : std::string{"not well-formed"};
        return Error{
            fmt::format("invalid XML at line {}: {}", err != nullptr ? err->line : 0, what)};
    }
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    if (root == nullptr) {
        return Error{"empty document: expected a CAP 1.2 <alert>"};
    }
    if (as_view(root->name) != "alert" || !in_cap_namespace(root)) {
        const auto ns = root->ns != nullptr ? as_view(root->ns->href) : std::string_view{};
        return Error{
            fmt::format("not a CAP 1.2 alert: the root element is {{{}}}{}; expected "
                        "<alert xmlns=\"{}\">",
                        ns, as_view(root->name), kCap12Namespace)};
    }
    Problems problems{limits_.max_problems};
    Alert alert = parse_alert(root, problems);
    if (!problems.empty()) {
        return Error{problems.joined()};
    }
    return alert;
}

std::string sha1_hex(std::span<const std::uint8_t> bytes) {
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> md{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &length, EVP_sha1(), nullptr) != 1) {
        return {};
    }
    return to_hex(std::span{md.data(), length});
}

Status check_resource(const Resource& resource, std::span<const std::uint8_t> content) {
    if (resource.size && *resource.size != content.size()) {
        return Error{
            fmt::format("the content is {} bytes, <size> says {}", content.size(), *resource.size)};
    }
    if (!resource.digest.empty()) {
        const auto actual = sha1_hex(content);
        if (actual != resource.digest) {
            return Error{fmt::format("the content's SHA-1 is {}, <digest> says {}", actual,
                                     resource.digest)};
        }
    }
    return Status::success();
}

}  // namespace loa::alerting
