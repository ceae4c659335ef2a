#include "loa/alerting/cap_parser.hpp"

#include "angiang_fixture.hpp"
#include "loa/common/time_format.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace loa::alerting {
namespace {

using test::read_source_file;
using ::testing::HasSubstr;
using ::testing::Not;

// A valid alert to break in one place at a time.
const std::string kMinimal = R"(<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>AG-1</identifier>
  <sender>pctt@angiang.gov.vn</sender>
  <sent>2026-10-14T08:00:00+07:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi</language>
    <category>Met</category>
    <event>Lũ</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <headline>Cảnh báo lũ</headline>
    <area>
      <areaDesc>Long Xuyên</areaDesc>
      <geocode><valueName>GSO</valueName><value>883</value></geocode>
    </area>
  </info>
</alert>
)";

std::string with(std::string xml, const std::string& from, const std::string& to) {
    const auto pos = xml.find(from);
    if (pos == std::string::npos) {
        ADD_FAILURE() << "the template has no '" << from << "'";
        return xml;
    }
    return xml.replace(pos, from.size(), to);
}

std::string error_of(const std::string& xml, CapParser::Limits limits = {}) {
    const CapParser parser{limits};
    const auto r = parser.parse(xml);
    if (r.ok()) {
        ADD_FAILURE() << "parsed, but should have been refused";
        return {};
    }
    return r.error().message;
}

TEST(CapParser, MinimalAlertParses) {
    const auto r = CapParser{}.parse(kMinimal);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->identifier, "AG-1");
    EXPECT_EQ(format_utc(r->sent), "2026-10-14T01:00:00.000Z");
    ASSERT_EQ(r->infos.size(), 1U);
    EXPECT_EQ(r->infos[0].event, "Lũ");
    EXPECT_EQ(r->infos[0].areas[0].geocodes[0], (NamedValue{"GSO", "883"}));
}

TEST(CapParser, AppendixA2ThunderstormWithPolygonAndGeocodes) {
    const auto r =
        CapParser{}.parse(read_source_file("tests/alerting/data/cap-a2-thunderstorm.xml"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Alert& a = *r;
    EXPECT_EQ(a.identifier, "KSTO1055887203");
    EXPECT_EQ(a.sender, "KSTO@NWS.NOAA.GOV");
    EXPECT_EQ(format_utc(a.sent), "2003-06-17T21:57:00.000Z");
    EXPECT_EQ(a.status, AlertStatus::Actual);
    EXPECT_EQ(a.msg_type, MsgType::Alert);
    EXPECT_EQ(a.scope, Scope::Public);
    ASSERT_EQ(a.infos.size(), 1U);
    const Info& info = a.infos[0];
    EXPECT_EQ(info.language, "en-US");  // CAP's default
    EXPECT_EQ(info.categories, std::vector{Category::Met});
    EXPECT_EQ(info.response_types, std::vector{ResponseType::Shelter});
    EXPECT_EQ(info.urgency, Urgency::Immediate);
    EXPECT_EQ(info.severity, Severity::Severe);
    EXPECT_EQ(info.certainty, Certainty::Observed);
    EXPECT_EQ(info.event_codes, (std::vector<NamedValue>{{"SAME", "SVR"}}));
    ASSERT_TRUE(info.expires.has_value());
    EXPECT_EQ(format_utc(*info.expires), "2003-06-17T23:00:00.000Z");
    EXPECT_EQ(info.headline, "SEVERE THUNDERSTORM WARNING");
    EXPECT_THAT(info.description, HasSubstr("SOUTH CENTRAL ALPINE COUNTY"));
    EXPECT_EQ(info.instruction, "TAKE COVER IN A SUBSTANTIAL SHELTER UNTIL THE STORM PASSES.");
    ASSERT_EQ(info.areas.size(), 1U);
    const Area& area = info.areas[0];
    ASSERT_EQ(area.polygons.size(), 1U);
    ASSERT_EQ(area.polygons[0].size(), 5U);
    EXPECT_EQ(area.polygons[0][1], (LatLon{38.34, -119.95}));
    EXPECT_EQ(area.polygons[0].front(), area.polygons[0].back());
    EXPECT_EQ(area.geocodes, (std::vector<NamedValue>{
                                 {"SAME", "006109"}, {"SAME", "006009"}, {"SAME", "006003"}}));
}

TEST(CapParser, AppendixA3EarthquakeUpdateWithCircle) {
    const auto r =
        CapParser{}.parse(read_source_file("tests/alerting/data/cap-a3-earthquake-update.xml"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->msg_type, MsgType::Update);
    ASSERT_EQ(r->references.size(), 1U);
    EXPECT_EQ(r->references[0].sender, "trinet@caltech.edu");
    EXPECT_EQ(r->references[0].identifier, "TRI13970876.1");
    EXPECT_EQ(format_utc(r->references[0].sent), "2003-06-12T03:30:00.000Z");
    const Info& info = r->infos.at(0);
    EXPECT_EQ(info.urgency, Urgency::Past);
    EXPECT_EQ(info.severity, Severity::Minor);
    EXPECT_EQ(info.parameters.size(), 5U);
    EXPECT_EQ(info.parameters[2], (NamedValue{"Magnitude", "3.4 Ml"}));
    ASSERT_EQ(info.areas.at(0).circles.size(), 1U);
    EXPECT_EQ(info.areas[0].circles[0], (Circle{{32.9525, -115.5527}, 0}));
}

TEST(CapParser, AppendixA4AlertInTwoLanguages) {
    const auto r =
        CapParser{}.parse(read_source_file("tests/alerting/data/cap-a4-amber-two-languages.xml"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->source, "SW");
    ASSERT_EQ(r->infos.size(), 2U);
    EXPECT_EQ(r->infos[0].language, "en-US");
    EXPECT_EQ(r->infos[1].language, "es-US");
    EXPECT_EQ(r->infos[1].event, "Abducción de Niño");
    EXPECT_THAT(r->infos[0].description, HasSubstr("3'0\", 40 LBS."));
    EXPECT_EQ(r->infos[1].areas.at(0).geocodes.at(0), (NamedValue{"SAME", "006037"}));
}

TEST(CapParser, AnGiangAlertsParse) {
    for (const char* name :
         {"angiang-flood-district", "angiang-polygon", "angiang-exercise", "angiang-cancel"}) {
        const auto r = CapParser{}.parse(
            read_source_file(std::string{"tests/alerting/data/"} + name + ".xml"));
        EXPECT_TRUE(r.ok()) << name << ": " << r.error().message;
    }
}

TEST(CapParser, BadEnumerationIsNamedWithItsPathAndTheAllowedValues) {
    EXPECT_EQ(error_of(with(kMinimal, "<urgency>Immediate", "<urgency>Soon")),
              "info[1].urgency: 'Soon' is not one of Immediate, Expected, Future, Past, Unknown");
    EXPECT_EQ(error_of(with(kMinimal, "<status>Actual", "<status>Real")),
              "status: 'Real' is not one of Actual, Exercise, System, Test, Draft");
    EXPECT_THAT(error_of(with(kMinimal, "<category>Met", "<category>Weather")),
                HasSubstr("info[1].category[1]: 'Weather' is not one of Geo, Met,"));
    EXPECT_THAT(error_of(with(kMinimal, "<msgType>Alert", "<msgType>alert")),
                HasSubstr("msgType: 'alert' is not one of Alert, Update, Cancel, Ack, Error"));
}

TEST(CapParser, EveryProblemIsReported) {
    auto xml = with(kMinimal, "<identifier>AG-1</identifier>", "");
    xml = with(xml, "<severity>Severe", "<severity>Bad");
    xml = with(xml, "<certainty>Likely</certainty>", "");
    const auto error = error_of(xml);
    EXPECT_THAT(error, HasSubstr("identifier: missing"));
    EXPECT_THAT(error, HasSubstr("info[1].severity: 'Bad' is not one of"));
    EXPECT_THAT(error, HasSubstr("info[1].certainty: missing"));
}

TEST(CapParser, BillionLaughsIsRefusedBeforeAnyExpansion) {
    std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE alert [\n<!ENTITY lol \"lol\">\n";
    xml += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
    for (int i = 2; i <= 9; ++i) {
        xml += "<!ENTITY lol" + std::to_string(i) + " \"";
        for (int k = 0; k < 10; ++k) {
            xml += "&lol" + std::to_string(i - 1) + ";";
        }
        xml += "\">\n";
    }
    xml += "]>\n";
    xml +=
        with(kMinimal.substr(kMinimal.find("<alert")), "<headline>Cảnh báo lũ", "<headline>&lol9;");
    const auto error = error_of(xml);
    EXPECT_THAT(error, HasSubstr("DOCTYPE"));
    EXPECT_THAT(error, Not(HasSubstr("lollol")));
}

TEST(CapParser, ExternalEntityIsRefusedAndNothingIsRead) {
    std::string xml =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE alert [ <!ENTITY xxe SYSTEM "
        "\"file:///etc/passwd\"> ]>\n" +
        with(kMinimal.substr(kMinimal.find("<alert")), "<headline>Cảnh báo lũ", "<headline>&xxe;");
    const auto error = error_of(xml);
    EXPECT_THAT(error, HasSubstr("DOCTYPE"));
    EXPECT_THAT(error, Not(HasSubstr("root:")));
    // An external DTD alone is refused as well, without fetching it.
    EXPECT_THAT(error_of("<?xml version=\"1.0\"?>\n<!DOCTYPE alert SYSTEM "
                         "\"http://127.0.0.1:9/cap.dtd\">\n" +
                         kMinimal.substr(kMinimal.find("<alert"))),
                HasSubstr("DOCTYPE"));
}

TEST(CapParser, UndeclaredEntityIsAnXmlError) {
    EXPECT_THAT(error_of(with(kMinimal, "<headline>Cảnh báo lũ", "<headline>&xxe;")),
                HasSubstr("invalid XML at line"));
}

TEST(CapParser, MissingIdentifierIsNamed) {
    EXPECT_EQ(error_of(with(kMinimal, "<identifier>AG-1</identifier>", "")), "identifier: missing");
}

TEST(CapParser, OversizeDocumentIsRefusedBeforeParsing) {
    CapParser::Limits limits;
    limits.max_bytes = 1024;
    const std::string big =
        with(kMinimal, "<headline>Cảnh báo lũ", "<headline>" + std::string(2000, 'x'));
    EXPECT_THAT(error_of(big, limits), HasSubstr("more than the limit of 1024 bytes"));
    EXPECT_THAT(error_of(std::string(3 * 1024 * 1024, ' ')), HasSubstr("more than the limit"));
}

TEST(CapParser, NotWellFormedOrNotCapIsRefused) {
    EXPECT_THAT(error_of(""), HasSubstr("empty document"));
    EXPECT_THAT(error_of(with(kMinimal, "</scope>", "</scop>")), HasSubstr("invalid XML at line"));
    EXPECT_THAT(error_of("\x01\xff\xfe garbage"), HasSubstr("invalid XML"));
    EXPECT_THAT(error_of(with(kMinimal, "cap:1.2", "cap:1.1")),
                HasSubstr("not a CAP 1.2 alert: the root element is "
                          "{urn:oasis:names:tc:emergency:cap:1.1}alert"));
    EXPECT_THAT(error_of("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>"),
                HasSubstr("not a CAP 1.2 alert"));
}

TEST(CapParser, TimesNeedANumericOffset) {
    EXPECT_THAT(error_of(with(kMinimal, "2026-10-14T08:00:00+07:00", "2026-10-14T01:00:00Z")),
                HasSubstr("sent: '2026-10-14T01:00:00Z' is not a CAP date-time"));
    EXPECT_THAT(error_of(with(kMinimal, "2026-10-14T08:00:00+07:00", "2026-02-30T08:00:00+07:00")),
                HasSubstr("sent: invalid time"));
    const auto utc =
        CapParser{}.parse(with(kMinimal, "2026-10-14T08:00:00+07:00", "2026-10-14T01:00:00-00:00"));
    ASSERT_TRUE(utc.ok()) << utc.error().message;
    EXPECT_EQ(format_utc(utc->sent), "2026-10-14T01:00:00.000Z");
}

TEST(CapParser, IdentifierAndSenderMustBeTokens) {
    EXPECT_THAT(error_of(with(kMinimal, "<identifier>AG-1", "<identifier>AG 1")),
                HasSubstr("identifier: 'AG 1' must not contain spaces, commas"));
    EXPECT_THAT(error_of(with(kMinimal, "<sender>pctt@", "<sender>a,b@")),
                HasSubstr("sender: 'a,b@angiang.gov.vn' must not contain"));
    EXPECT_THAT(error_of(with(kMinimal, "<identifier>AG-1</identifier>",
                              "<identifier>AG-1</identifier><identifier>AG-2</identifier>")),
                HasSubstr("identifier: appears 2 times, at most once is allowed"));
}

TEST(CapParser, PolygonsMustBeClosedRingsOfFourPoints) {
    const auto area = [](const std::string& polygon) {
        return with(kMinimal, "<geocode>", "<polygon>" + polygon + "</polygon><geocode>");
    };
    EXPECT_THAT(error_of(area("10.1,105.1 10.2,105.1 10.2,105.2 10.1,105.2")),
                HasSubstr("info[1].area[1].polygon[1]: is not closed"));
    EXPECT_THAT(error_of(area("10.1,105.1 10.2,105.1 10.1,105.1")),
                HasSubstr("info[1].area[1].polygon[1]: has 3 points; a polygon needs at least 4"));
    EXPECT_THAT(error_of(area("95,105.1 10.2,105.1 10.2,105.2 95,105.1")),
                HasSubstr("'95,105.1' is out of range"));
    EXPECT_THAT(error_of(area("10.1;105.1 10.2,105.1 10.2,105.2 10.1;105.1")),
                HasSubstr("'10.1;105.1' is not a \"latitude,longitude\" pair"));
    const auto ok = CapParser{}.parse(
        with(kMinimal, "<geocode>",
             "<polygon>\n 10.1,105.1\n 10.2,105.1 10.2,105.2\t10.1,105.1 </polygon><geocode>"));
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->infos[0].areas[0].polygons[0].size(), 4U);
}

TEST(CapParser, CirclesNeedACentreAndARadius) {
    const auto area = [](const std::string& circle) {
        return with(kMinimal, "<geocode>", "<circle>" + circle + "</circle><geocode>");
    };
    EXPECT_THAT(error_of(area("10.1,105.1")), HasSubstr("info[1].area[1].circle[1]: '10.1,105.1' "
                                                        "is not \"latitude,longitude radius\""));
    EXPECT_THAT(error_of(area("10.1,105.1 -3")), HasSubstr("radius '-3' is not a number"));
    EXPECT_THAT(error_of(area("10.1,105.1 five")), HasSubstr("radius 'five'"));
}

TEST(CapParser, UpdateAndCancelNeedReferences) {
    EXPECT_THAT(error_of(with(kMinimal, "<msgType>Alert", "<msgType>Cancel")),
                HasSubstr("references: required for msgType Cancel"));
    EXPECT_THAT(error_of(with(kMinimal, "<msgType>Alert</msgType>",
                              "<msgType>Update</msgType><references>pctt@angiang.gov.vn,AG-0"
                              "</references>")),
                HasSubstr("references: 'pctt@angiang.gov.vn,AG-0' is not a "
                          "\"sender,identifier,sent\" triple"));
    const auto two = CapParser{}.parse(
        with(kMinimal, "<msgType>Alert</msgType>",
             "<msgType>Update</msgType><references>a@b,X-1,2026-10-14T07:00:00+07:00 "
             "a@b,X-2,2026-10-14T07:30:00+07:00</references>"));
    ASSERT_TRUE(two.ok()) << two.error().message;
    ASSERT_EQ(two->references.size(), 2U);
    EXPECT_EQ(two->references[1].identifier, "X-2");
}

TEST(CapParser, ScopeRulesAndUnknownElements) {
    EXPECT_THAT(error_of(with(kMinimal, "<scope>Public", "<scope>Restricted")),
                HasSubstr("restriction: required when scope is Restricted"));
    EXPECT_THAT(error_of(with(kMinimal, "<scope>Public", "<scope>Private")),
                HasSubstr("addresses: required when scope is Private"));
    EXPECT_THAT(error_of(with(kMinimal, "<event>", "<colour>red</colour><event>")),
                HasSubstr("info[1]: unknown element 'colour'"));
    EXPECT_THAT(error_of(with(kMinimal, "<event>Lũ</event>", "<event><b>Lũ</b></event>")),
                HasSubstr("info[1].event: must hold text, not elements"));
    // Elements of other namespaces are extensions, and ignored.
    const auto ext = CapParser{}.parse(
        with(kMinimal, "<scope>Public</scope>",
             "<scope>Public</scope><x:signature xmlns:x=\"urn:example\">abc</x:signature>"));
    EXPECT_TRUE(ext.ok()) << ext.error().message;
}

TEST(CapParser, ResourceDigestIsCheckedAgainstDerefUri) {
    // "Loa" in base64 is "TG9h"; its SHA-1 is computed by the library under test, so check it
    // against a known value as well.
    const std::vector<std::uint8_t> loa{'L', 'o', 'a'};
    ASSERT_EQ(sha1_hex(std::vector<std::uint8_t>{'a', 'b', 'c'}),
              "a9993e364706816aba3e25717850c26c9cd0d89d");  // FIPS 180 test vector
    const auto resource = [](const std::string& fields) {
        return with(kMinimal, "<area>",
                    "<resource><resourceDesc>audio</resourceDesc><mimeType>audio/ogg</mimeType>" +
                        fields + "</resource><area>");
    };
    const auto good = CapParser{}.parse(
        resource("<size>3</size><derefUri>TG9h</derefUri><digest>" + sha1_hex(loa) + "</digest>"));
    ASSERT_TRUE(good.ok()) << good.error().message;
    const Resource& r = good->infos[0].resources.at(0);
    EXPECT_EQ(r.deref, loa);
    EXPECT_TRUE(r.has_deref);
    EXPECT_EQ(r.size, 3U);

    EXPECT_THAT(error_of(resource("<derefUri>TG9h</derefUri><digest>" + std::string(40, '0') +
                                  "</digest>")),
                HasSubstr("info[1].resource[1].derefUri: the content's SHA-1 is"));
    EXPECT_THAT(error_of(resource("<derefUri>TG9h</derefUri><size>4</size>")),
                HasSubstr("the content is 3 bytes, <size> says 4"));
    EXPECT_THAT(error_of(resource("<derefUri>T*9h</derefUri>")),
                HasSubstr("info[1].resource[1].derefUri: is not valid base64"));
    EXPECT_THAT(error_of(resource("<digest>xyz</digest>")),
                HasSubstr("info[1].resource[1].digest: 'xyz' is not a SHA-1"));

    // Content fetched from <uri> later is checked the same way.
    EXPECT_TRUE(check_resource(r, loa).ok());
    const std::vector<std::uint8_t> other{'L', 'o', 'b'};
    EXPECT_FALSE(check_resource(r, other).ok());
}

TEST(CapParser, MutatedInputNeverCrashes) {
    // Flip, drop and duplicate bytes of valid alerts: every result is a value or a named error.
    std::mt19937 rng{42};
    const std::vector<std::string> seeds{
        kMinimal, read_source_file("tests/alerting/data/cap-a2-thunderstorm.xml"),
        read_source_file("tests/alerting/data/angiang-flood-district.xml")};
    const CapParser parser;
    int refused = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string xml = seeds[i % seeds.size()];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !xml.empty(); ++e) {
            const auto at = rng() % xml.size();
            switch (rng() % 3) {
                case 0:
                    xml[at] = static_cast<char>(rng() % 256);
                    break;
                case 1:
                    xml.erase(at, 1 + rng() % 8);
                    break;
                default:
                    xml.insert(at, xml.substr(at, 1 + rng() % 16));
                    break;
            }
        }
        const auto r = parser.parse(xml);
        if (!r.ok()) {
            ++refused;
            EXPECT_FALSE(r.error().message.empty());
        }
    }
    EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace loa::alerting
