#include "engine/asl/document.h"
#include "engine/asl/validator.h"

#include <catch2/catch.hpp>

using stepflow::Json;
using namespace stepflow::asl;

namespace {

Document MustParse(std::string_view text, std::string_view filename = {}) {
  auto r = ParseDefinition(text, filename);
  for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.code << " " << d.message);
  REQUIRE(r.document.has_value());
  return *r.document;
}

std::string FirstCode(std::string_view text, std::string_view filename = {}) {
  auto r = ParseDefinition(text, filename);
  REQUIRE_FALSE(r.diagnostics.empty());
  return r.diagnostics.front().code;
}

}  // namespace

TEST_CASE("JSON positions are recorded per pointer", "[parser]") {
  auto doc = MustParse("{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"End\": true}\n  }\n}");
  CHECK(doc.format() == SourceFormat::kJson);
  CHECK(doc.root()["StartAt"] == "A");
  const SourcePosition* p = doc.PositionOf("/StartAt");
  REQUIRE(p != nullptr);
  CHECK(p->line == 2);
  CHECK(p->column == 14);
  const SourcePosition* k = doc.KeyPositionOf("/States/A/Type");
  REQUIRE(k != nullptr);
  CHECK(k->line == 4);
  CHECK(k->column == 11);
  REQUIRE(doc.PositionOf("") != nullptr);
  CHECK(doc.PositionOf("")->line == 1);
}


TEST_CASE("JSON numbers: int64, uint64, double", "[parser]") {
  auto r = ParseDefinition(R"({"a": 9007199254740993, "b": 18446744073709551615, "c": 18446744073709551616, "d": -0.5e2})");
  REQUIRE(r.document);
  const Json& root = r.document->root();
  CHECK(root["a"].is_number_integer());
  CHECK(root["a"].get<int64_t>() == 9007199254740993LL);
  CHECK(root["b"].is_number_unsigned());
  CHECK(root["c"].is_number_float());
  CHECK(root["d"] == -50.0);
}

TEST_CASE("JSON string escapes and unicode", "[parser]") {
  auto doc = MustParse(R"({"s": "a\"b\\c\/d\n\u00e9\ud83d\ude00"})");
  CHECK(doc.root()["s"] == "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
}

TEST_CASE("JSON syntax errors name line and column", "[parser]") {
  auto r = ParseDefinition("{\n  \"StartAt\": \"A\",\n  \"States\": {,}\n}");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].code == "INVALID_JSON_DESCRIPTION");
  CHECK(r.diagnostics[0].line == 3);
  CHECK(r.diagnostics[0].column == 14);
  CHECK_FALSE(r.document);
  for (const char* bad : {"{", "{\"a\" 1}", "{\"a\": tru}", "{\"a\": 01}", "{\"a\": \"\x01\"}",
                          "{\"a\": \"\\x\"}", "{\"a\": 1,}", "[1 2]", "{\"a\": 1} x", "{\"a\": \"\\ud800\"}"}) {
    INFO(bad);
    CHECK(FirstCode(bad, "x.json") == "INVALID_JSON_DESCRIPTION");
  }
}

TEST_CASE("duplicate keys are reported", "[parser]") {
  auto r = ParseDefinition(R"({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}})");
  REQUIRE(r.document);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].code == "DUPLICATE_STATE_NAME");
  CHECK(r.diagnostics[0].pointer == "/States/A");

  auto y = ParseDefinition("StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n  A:\n    Type: Succeed\n");
  REQUIRE(y.document);
  REQUIRE(y.diagnostics.size() == 1);
  CHECK(y.diagnostics[0].code == "DUPLICATE_STATE_NAME");
  CHECK(y.diagnostics[0].line == 6);
}

TEST_CASE("YAML reads as JSON with positions", "[parser]") {
  auto doc = MustParse(
      "StartAt: First\n"
      "States:\n"
      "  First:\n"
      "    Type: Pass\n"
      "    Result: {count: 3, ok: yes, big: 12345678901234567890, f: 1.5, n: ~, s: '007'}\n"
      "    End: yes\n");
  CHECK(doc.format() == SourceFormat::kYaml);
  const Json& s = doc.root()["States"]["First"];
  CHECK(s["End"] == true);                 // boolean field: YAML 1.1 yes
  CHECK(s["Result"]["ok"] == "yes");       // payload: stays a string
  CHECK(s["Result"]["count"] == 3);
  CHECK(s["Result"]["big"].is_number_unsigned());
  CHECK(s["Result"]["f"] == 1.5);
  CHECK(s["Result"]["n"].is_null());
  CHECK(s["Result"]["s"] == "007");
  const SourcePosition* p = doc.PositionOf("/States/First/Type");
  REQUIRE(p != nullptr);
  CHECK(p->line == 4);
  CHECK(p->column == 11);
  const SourcePosition* k = doc.KeyPositionOf("/States/First/End");
  REQUIRE(k != nullptr);
  CHECK(k->line == 6);
  CHECK(k->column == 5);
}

TEST_CASE("YAML plain scalars stay strings in ASL's string fields", "[parser]") {
  auto doc = MustParse(
      "Version: 1.0\nComment: 42\nStartAt: 2024\nStates:\n"
      "  2024:\n    Type: Pass\n    Next: 2025\n    Result: {Version: 1.0, Next: 7}\n"
      "  2025:\n    Type: Succeed\n    Comment: ~\n");
  const Json& r = doc.root();
  CHECK(r["Version"] == "1.0");
  CHECK(r["Comment"] == "42");
  CHECK(r["StartAt"] == "2024");
  CHECK(r["States"]["2024"]["Next"] == "2025");
  CHECK(r["States"]["2024"]["Result"]["Version"] == 1.0);  // payload: YAML meaning
  CHECK(r["States"]["2024"]["Result"]["Next"] == 7);
  CHECK(r["States"]["2025"]["Comment"].is_null());
}

TEST_CASE("YAML core schema scalars", "[parser]") {
  auto doc = MustParse("a: on\nb: 0x1F\nc: 0o17\nd: .5\ne: -3\nf: +4\ng: .inf\nh: 'true'\ni: True\nj: 1e3\nk: 2.\nl: \"12\"\n");
  const Json& r = doc.root();
  CHECK(r["a"] == "on");
  CHECK(r["b"] == 31);
  CHECK(r["c"] == 15);
  CHECK(r["d"] == 0.5);
  CHECK(r["e"] == -3);
  CHECK(r["f"] == 4);
  CHECK(r["g"] == ".inf");
  CHECK(r["h"] == "true");
  CHECK(r["i"] == true);
  CHECK(r["j"] == 1000.0);
  CHECK(r["k"] == 2.0);
  CHECK(r["l"] == "12");
}

TEST_CASE("YAML anchors, aliases and merge keys", "[parser]") {
  auto doc = MustParse(
      "defaults: &retry\n"
      "  IntervalSeconds: 2\n"
      "  MaxAttempts: 3\n"
      "a:\n"
      "  <<: *retry\n"
      "  MaxAttempts: 5\n"
      "b: *retry\n"
      "c:\n"
      "  <<: [{x: 1}, {x: 2, y: 2}]\n");
  const Json& r = doc.root();
  CHECK(r["a"] == Json({{"IntervalSeconds", 2}, {"MaxAttempts", 5}}));
  CHECK(r["b"] == Json({{"IntervalSeconds", 2}, {"MaxAttempts", 3}}));
  CHECK(r["c"] == Json({{"x", 1}, {"y", 2}}));
}

TEST_CASE("JSON and YAML of the same definition are equal", "[parser]") {
  auto j = MustParse(R"({"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":5,"Next":"B"},"B":{"Type":"Succeed"}}})");
  auto y = MustParse("StartAt: A\nStates:\n  A: {Type: Wait, Seconds: 5, Next: B}\n  B:\n    Type: Succeed\n");
  CHECK(j.root() == y.root());
  // Format detection by extension wins over content.
  CHECK(MustParse("{\"a\": 1}", "x.yaml").format() == SourceFormat::kYaml);
}

TEST_CASE("bad input ends in a diagnostic", "[parser][limits]") {
  CHECK(FirstCode("") == "MISSING_DESCRIPTION");
  CHECK(FirstCode("   \n") == "MISSING_DESCRIPTION");
  CHECK(FirstCode(std::string(10000, '[') + std::string(10000, ']')) == "TOO_DEEPLY_NESTED");
  CHECK(FirstCode(std::string(10000, '[') + std::string(10000, ']'), "x.yaml") == "TOO_DEEPLY_NESTED");
  std::string nested_yaml;
  for (int i = 0; i < 300; ++i) nested_yaml += std::string(i * 2, ' ') + "k:\n";
  CHECK(FirstCode(nested_yaml) == "TOO_DEEPLY_NESTED");
  CHECK(FirstCode("{\"a\": \"\xff\xfe\"}") == "INVALID_ENCODING");
  CHECK(FirstCode("{\"a\": \"\xed\xa0\x80\"}") == "INVALID_ENCODING");  // surrogate
  CHECK(FirstCode(std::string(2 * 1024 * 1024, ' ') + "{}") == "DEFINITION_TOO_LARGE");
  CHECK(FirstCode("a: [1, 2\nb: {") == "INVALID_YAML_DESCRIPTION");
  CHECK(FirstCode("a: 1\n---\nb: 2\n") == "INVALID_YAML_DESCRIPTION");
  // Inputs on which yaml-cpp 0.7's LoadAll() never returns.
  CHECK(FirstCode("{},", "x.yaml") == "INVALID_YAML_DESCRIPTION");
  CHECK(FirstCode(",", "x.yaml") == "INVALID_YAML_DESCRIPTION");
  CHECK(FirstCode("{\"StartAt\": \"A\"\n   &  },\n  \"x\": 1\n}", "x.yaml") == "INVALID_YAML_DESCRIPTION");
  CHECK(FirstCode("{:", "x.yaml") == "INVALID_YAML_DESCRIPTION");
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>((i * 7919) % 127 + 1);
  auto r = ParseDefinition(binary);
  // Printable garbage may read as a YAML scalar; it is then no definition.
  if (r.document) {
    CHECK(HasErrors(Validate(*r.document)));
  } else {
    CHECK_FALSE(r.diagnostics.empty());
  }
}

TEST_CASE("YAML alias bombs are bounded", "[parser][limits]") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  auto r = ParseDefinition(bomb);
  REQUIRE_FALSE(r.diagnostics.empty());
  CHECK(r.diagnostics.front().code == "TOO_MANY_NODES");
  CHECK_FALSE(r.document);
}
