#include "loa/common/time_format.hpp"
#include "loa/monitoring/compliance_csv.hpp"
#include "loa/monitoring/monthly_report.hpp"

#include <gtest/gtest.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace loa::monitoring {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = *parse_time("2026-11-27T00:00:00Z");

// An RFC 4180 reader, for checking what a spreadsheet would see.
std::vector<std::vector<std::string>> read_csv(std::string_view text) {
    std::vector<std::vector<std::string>> rows{{}};
    std::string field;
    bool quoted = false;
    bool any = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(std::move(field));
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            rows.back().push_back(std::move(field));
            field.clear();
            rows.emplace_back();
            ++i;
        } else {
            field += c;
        }
        any = true;
    }
    if (any && rows.back().empty() && field.empty()) {
        rows.pop_back();
    }
    return rows;
}

TEST(Csv, QuotesAsRfc4180Says) {
    EXPECT_EQ(csv_field("plain"), "plain");
    EXPECT_EQ(csv_field(""), "");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
    EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
    EXPECT_EQ(csv_field(" padded "), "\" padded \"");
    EXPECT_EQ(csv_field("Bản tin"), "Bản tin");
}

TEST(Csv, ComplianceExportOpensInASpreadsheet) {
    ItemCompliance a;
    a.item = {"i1", "E1",   "Tin \"khẩn\", sáng", "Thời sự\nsáng", "province", kT0 + 1h,
              300s, "ST-A", {"z1", "z2"}};
    a.verdict = Verdict::partly_aired;
    a.reason = MissReason::preempted;
    a.scheduled_seconds = 300;
    a.aired_seconds = 120.5;
    a.detail = "preempted by emergency e7";
    ItemCompliance b;
    b.item = {"i2", "E2", "=HYPERLINK(\"x\")", "Nhạc", "commune", kT0 + 2h, 60s, "ST-B", {}};
    b.verdict = Verdict::aired;
    b.scheduled_seconds = 60;
    b.aired_seconds = 60;

    const std::string csv = compliance_csv({a, b});
    ASSERT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
    const auto rows = read_csv(std::string_view{csv}.substr(3));
    ASSERT_EQ(rows.size(), 3u);
    for (const auto& r : rows) {
        ASSERT_EQ(r.size(), 14u);
    }
    EXPECT_EQ(rows[0][0], "Trạm");
    EXPECT_EQ(rows[0][9], "Kết quả");
    EXPECT_EQ(rows[1][0], "ST-A");
    EXPECT_EQ(rows[1][3], "Thời sự\nsáng");
    EXPECT_EQ(rows[1][4], "Tin \"khẩn\", sáng");
    EXPECT_EQ(rows[1][6], "z1 z2");
    EXPECT_EQ(rows[1][7], "2026-11-27T08:00:00+07:00");
    EXPECT_EQ(rows[1][8], "300");
    EXPECT_EQ(rows[1][9], "Phát một phần");
    EXPECT_EQ(rows[1][10], "Bị chương trình ưu tiên cao hơn chen ngang");
    EXPECT_EQ(rows[1][11], "preempted");
    EXPECT_EQ(rows[1][12], "120.5");
    EXPECT_EQ(rows[1][13], "preempted by emergency e7");
    EXPECT_EQ(rows[2][4], "'=HYPERLINK(\"x\")");  // never a formula
    EXPECT_EQ(rows[2][9], "Đã phát");
    EXPECT_EQ(rows[2][10], "");

    const auto en = read_csv(std::string_view{compliance_csv({a}, Language::en, "UTC")}.substr(3));
    EXPECT_EQ(en[0][0], "Station");
    EXPECT_EQ(en[1][7], "2026-11-27T01:00:00+00:00");
    EXPECT_EQ(en[1][9], "Partly aired");
}

ComplianceTotals totals(std::size_t aired, std::size_t partly, std::size_t offline,
                        std::size_t amplifier, double scheduled_h, double aired_h) {
    ComplianceTotals t;
    t.aired = aired;
    t.partly_aired = partly;
    t.partly_by_reason[static_cast<std::size_t>(MissReason::preempted)] = partly;
    t.missed_by_reason[static_cast<std::size_t>(MissReason::offline)] = offline;
    t.missed_by_reason[static_cast<std::size_t>(MissReason::amplifier_fault)] = amplifier;
    t.missed = offline + amplifier;
    t.scheduled = aired + partly + t.missed;
    t.scheduled_seconds = scheduled_h * 3600;
    t.aired_seconds = aired_h * 3600;
    return t;
}

struct XmlDocDeleter {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct XPathContextDeleter {
    void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};
struct XPathObjectDeleter {
    void operator()(xmlXPathObject* o) const { xmlXPathFreeObject(o); }
};

int g_errors = 0;
void count_error(void* /*ctx*/, const xmlError* /*error*/) {
    ++g_errors;
}

class HtmlDoc {
public:
    explicit HtmlDoc(const std::string& html) {
        g_errors = 0;
        xmlSetStructuredErrorFunc(nullptr, [](void* ctx, xmlErrorPtr e) { count_error(ctx, e); });
        doc_.reset(htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8",
                                  HTML_PARSE_NONET));
        html_errors_ = g_errors;
        // Well-formed as XML too: every element closed, every entity known.
        g_errors = 0;
        std::unique_ptr<xmlDoc, XmlDocDeleter> xml{xmlReadMemory(
            html.data(), static_cast<int>(html.size()), nullptr, "UTF-8", XML_PARSE_NONET)};
        xml_ok_ = xml != nullptr && g_errors == 0;
        xmlSetStructuredErrorFunc(nullptr, nullptr);
        ctx_.reset(xmlXPathNewContext(doc_.get()));
    }

    bool ok() const { return doc_ != nullptr && html_errors_ == 0 && xml_ok_; }

    std::vector<std::string> texts(const std::string& xpath) const {
        std::unique_ptr<xmlXPathObject, XPathObjectDeleter> r{
            xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx_.get())};
        std::vector<std::string> out;
        if (!r || r->nodesetval == nullptr) {
            return out;
        }
        for (int i = 0; i < r->nodesetval->nodeNr; ++i) {
            xmlChar* s = xmlNodeGetContent(r->nodesetval->nodeTab[i]);
            out.emplace_back(reinterpret_cast<const char*>(s));
            xmlFree(s);
        }
        return out;
    }

    std::string text(const std::string& xpath) const {
        const auto t = texts(xpath);
        return t.size() == 1 ? t[0] : "<" + std::to_string(t.size()) + " matches>";
    }

private:
    std::unique_ptr<xmlDoc, XmlDocDeleter> doc_;
    std::unique_ptr<xmlXPathContext, XPathContextDeleter> ctx_;
    int html_errors_ = 0;
    bool xml_ok_ = false;
};

TEST(MonthlyReport, HtmlIsWellFormedAndMatchesTheInput) {
    MonthlyReportInput in;
    in.year = 2026;
    in.month = 11;
    in.generated_at = kT0;
    in.province = {"89", "Tỉnh An Giang", totals(90, 4, 5, 1, 100.0, 92.5), 0.864, 0.93, {}};
    UnitReport d1{"883", "Huyện Chợ Mới", totals(40, 4, 5, 0, 50.0, 45.3), 0.8, std::nullopt, {}};
    d1.incidents = {
        {kT0 + 3h, kT0 + 5h, "ST-A", "Trạm <Kiến An> mất kết nối & \"im lặng\""},
        {kT0 + 1h, std::nullopt, "ST-B", "Lỗi bộ khuếch đại"},
    };
    UnitReport d2{"884",        "Huyện Phú Tân", totals(50, 0, 0, 1, 50.0, 47.25),
                  std::nullopt, std::nullopt,    {}};
    in.districts = {d1, d2};

    const std::string html = monthly_report_html(in);
    const HtmlDoc doc{html};
    ASSERT_TRUE(doc.ok()) << html;

    EXPECT_EQ(doc.text("/html/head/title"), "Báo cáo tháng 11/2026 - Tỉnh An Giang");
    EXPECT_EQ(doc.texts("//div[contains(@class,'unit')]").size(), 3u);
    EXPECT_EQ(doc.texts("//div[contains(@class,'district')]").size(), 2u);
    EXPECT_EQ(doc.text("//div[@id='unit-89']/h1"), "Báo cáo tháng 11/2026");
    EXPECT_EQ(doc.text("//div[@id='unit-89']/h2"), "Toàn tỉnh: Tỉnh An Giang (mã 89)");
    EXPECT_EQ(doc.text("//div[@id='unit-883']/h2"), "Đơn vị: Huyện Chợ Mới (mã 883)");

    const auto cell = [&](const std::string& unit, const std::string& cls) {
        return doc.text("//div[@id='unit-" + unit + "']//td[contains(@class,'" + cls + "')]");
    };
    const auto label = [&](const std::string& unit, const std::string& cls) {
        return doc.text("//div[@id='unit-" + unit + "']//td[contains(@class,'" + cls + "')]/../th");
    };
    EXPECT_EQ(label("89", "n-scheduled"), "Số chương trình theo lịch");
    EXPECT_EQ(cell("89", "n-scheduled"), "100");
    EXPECT_EQ(cell("89", "n-aired"), "90");
    EXPECT_EQ(label("89", "n-aired"), "Đã phát");
    EXPECT_EQ(cell("89", "n-partly"), "4");
    EXPECT_EQ(cell("89", "n-missed"), "6");
    EXPECT_EQ(cell("89", "hours"), "92,5 / 100,0");
    EXPECT_EQ(cell("89", "aired-ratio"), "92,5 %");
    EXPECT_EQ(cell("89", "coverage-working"), "86,4 %");
    EXPECT_EQ(label("89", "coverage-working"), "Tỉ lệ phủ sóng (đang hoạt động)");
    EXPECT_EQ(cell("89", "coverage-installed"), "93,0 %");
    EXPECT_EQ(cell("883", "n-scheduled"), "49");
    EXPECT_EQ(cell("883", "hours"), "45,3 / 50,0");
    EXPECT_EQ(cell("883", "coverage-working"), "80,0 %");
    EXPECT_EQ(cell("883", "coverage-installed"), "<0 matches>");
    EXPECT_EQ(cell("884", "coverage-working"), "<0 matches>");
    EXPECT_EQ(cell("884", "n-missed"), "1");

    // Missed by reason: one row per reason, its label and counts.
    EXPECT_EQ(doc.texts("//div[@id='unit-883']//table[@class='reasons']/tbody/tr").size(), 8u);
    EXPECT_EQ(doc.text("//div[@id='unit-883']//tr[@class='reason-offline']/td[1]"),
              "Trạm mất kết nối");
    EXPECT_EQ(doc.text("//div[@id='unit-883']//tr[@class='reason-offline']/td[2]"), "5");
    EXPECT_EQ(doc.text("//div[@id='unit-883']//tr[@class='reason-preempted']/td[3]"), "4");
    EXPECT_EQ(doc.text("//div[@id='unit-884']//tr[@class='reason-amplifier_fault']/td[2]"), "1");

    // Incidents: sorted by start, local time, text escaped and read back intact.
    const auto rows = doc.texts("//div[@id='unit-883']//table[@class='incidents']/tbody/tr");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(doc.text("//div[@id='unit-883']//table[@class='incidents']/tbody/tr[1]/td[1]"),
              "2026-11-27 08:00");
    EXPECT_EQ(doc.text("//div[@id='unit-883']//table[@class='incidents']/tbody/tr[1]/td[2]"),
              "đang diễn ra");
    EXPECT_EQ(doc.text("//div[@id='unit-883']//table[@class='incidents']/tbody/tr[2]/td[2]"),
              "2026-11-27 12:00");
    EXPECT_EQ(doc.text("//div[@id='unit-883']//table[@class='incidents']/tbody/tr[2]/td[4]"),
              "Trạm <Kiến An> mất kết nối & \"im lặng\"");
    EXPECT_EQ(html.find("<Kiến An>"), std::string::npos);
    EXPECT_EQ(doc.text("//div[@id='unit-884']/p[@class='no-incidents']"), "Không có sự cố.");

    // Print CSS: A4 pages, a page break before each district.
    EXPECT_NE(html.find("size: A4"), std::string::npos);
    EXPECT_NE(html.find(".unit.district { page-break-before: always"), std::string::npos);
}

TEST(MonthlyReport, IncidentFromAnAlarm) {
    AlarmEvent e{AlarmEvent::Type::cleared,
                 {"offline/ST-A", AlarmKind::station_offline, Severity::major, "30001", "ST-A", "",
                  "Trạm ST-A mất kết nối", "Station ST-A offline", kT0},
                 kT0 + 1min,
                 kT0 + 2h};
    const Incident i = incident_from(e);
    EXPECT_EQ(i.began, kT0);
    EXPECT_EQ(i.ended, kT0 + 2h);
    EXPECT_EQ(i.station, "ST-A");
    EXPECT_EQ(i.text, "Trạm ST-A mất kết nối");
}

TEST(MonthlyReport, EscapesEverything) {
    EXPECT_EQ(html_escape("<a href=\"x\">Tom & 'Jerry'</a>"),
              "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
    MonthlyReportInput in;
    in.month = 2;
    in.province = {"89\"><script>", "<b>Tỉnh</b>", {}, std::nullopt, std::nullopt, {}};
    const std::string html = monthly_report_html(in);
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_EQ(html.find("<b>"), std::string::npos);
    const HtmlDoc doc{html};
    EXPECT_TRUE(doc.ok());
    EXPECT_EQ(doc.text("//h1"), "Báo cáo tháng 02/2026");
    EXPECT_EQ(doc.text("//td[@class='unit-name']"), "<b>Tỉnh</b>");
}

}  // namespace
}  // namespace loa::monitoring
