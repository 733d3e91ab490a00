// Every example of the AWS Developer Guide page "Intrinsic functions" and of
// the ASL spec's Appendix B, with the exact output documented, plus outputs
// recorded against AWS by LocalStack's snapshot tests. Where the docs print a
// value that cannot be right (a typo), the test says so.
#include "engine/expr/intrinsics.h"

#include <catch2/catch.hpp>

#include "tests/unit/expr/intrinsic_test_util.h"

#include <regex>
#include <string>

namespace stepflow::expr {
namespace {

using testing::Eval;

TEST_CASE("spec: States.Format with an escaped apostrophe", "[intrinsics]") {
  // In the definition: "States.Format('Welcome to {} {}\\'s playlist.', ...)".
  Json input = Json::parse(R"({"firstName": "Ada", "lastName": "Lovelace"})");
  CHECK(Eval(R"(States.Format('Welcome to {} {}\'s playlist.', $.firstName, $.lastName))", input) ==
        "Welcome to Ada Lovelace's playlist.");
}

TEST_CASE("docs: States.Array", "[intrinsics]") {
  CHECK(Eval("States.Array($.Id)", Json::parse(R"({"Id": 123456})")) == Json::parse("[123456]"));
  Json spec = Json::parse(R"({"someJson": {"random": "abcdefg"}, "zebra": "stripe"})");
  CHECK(Eval("States.Array('Foo', 2020, $.someJson, null)", spec) ==
        Json::parse(R"(["Foo", 2020, {"random": "abcdefg"}, null])"));
  CHECK(Eval("States.Array()") == Json::array());
}

TEST_CASE("docs: States.ArrayPartition", "[intrinsics]") {
  Json input = Json::parse(R"({"inputArray": [1,2,3,4,5,6,7,8,9]})");
  CHECK(Eval("States.ArrayPartition($.inputArray,4)", input) ==
        Json::parse("[[1,2,3,4],[5,6,7,8],[9]]"));
}

TEST_CASE("docs: States.ArrayContains", "[intrinsics]") {
  Json input = Json::parse(R"({"inputArray": [1,2,3,4,5,6,7,8,9], "lookingFor": 5})");
  CHECK(Eval("States.ArrayContains($.inputArray, $.lookingFor)", input) == true);
}

TEST_CASE("docs: States.ArrayRange", "[intrinsics]") {
  CHECK(Eval("States.ArrayRange(1, 9, 2)") == Json::parse("[1,3,5,7,9]"));
  // Recorded against AWS (LocalStack test_array::test_array_range).
  CHECK(Eval("States.ArrayRange(0, 9, 3)") == Json::parse("[0,3,6,9]"));
  CHECK(Eval("States.ArrayRange(0, 10, 3)") == Json::parse("[0,3,6,9]"));
  CHECK(Eval("States.ArrayRange(1, 9, 9)") == Json::parse("[1]"));
}

TEST_CASE("docs: States.ArrayGetItem", "[intrinsics]") {
  Json input = Json::parse(R"({"inputArray": [1,2,3,4,5,6,7,8,9], "index": 5})");
  CHECK(Eval("States.ArrayGetItem($.inputArray, $.index)", input) == 6);
}

TEST_CASE("docs: States.ArrayLength", "[intrinsics]") {
  Json input = Json::parse(R"({"inputArray": [1,2,3,4,5,6,7,8,9]})");
  CHECK(Eval("States.ArrayLength($.inputArray)", input) == 9);
}

TEST_CASE("docs: States.ArrayUnique", "[intrinsics]") {
  Json input = Json::parse(R"({"inputArray": [1,2,3,3,3,3,3,3,4]})");
  CHECK(Eval("States.ArrayUnique($.inputArray)", input) == Json::parse("[1,2,3,4]"));
}

TEST_CASE("docs: States.Base64Encode and States.Base64Decode", "[intrinsics]") {
  CHECK(Eval("States.Base64Encode($.input)", Json::parse(R"({"input": "Data to encode"})")) ==
        "RGF0YSB0byBlbmNvZGU=");
  // The docs print "Decoded data" for this input, a typo: the text encoded
  // in the example above is what comes back.
  CHECK(Eval("States.Base64Decode($.base64)", Json::parse(R"({"base64": "RGF0YSB0byBlbmNvZGU="})")) ==
        "Data to encode");
}

TEST_CASE("docs: States.Hash", "[intrinsics]") {
  // The docs print 39 hex digits for SHA-1 of "input data" (one '4' lost);
  // the digest is the 40-digit value below.
  Json input = Json::parse(R"({"Data": "input data", "Algorithm": "SHA-1"})");
  CHECK(Eval("States.Hash($.Data, $.Algorithm)", input) == "aaff4a450a104cd177d28d18d74485e8cae074b7");
  // The other algorithms on the same data (LocalStack test_hash_calculations).
  CHECK(Eval("States.Hash('input data', 'MD5')") == "812f45842bc6d66ee14572ce20db8e86");
  CHECK(Eval("States.Hash('input data', 'SHA-256')") ==
        "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3");
  CHECK(Eval("States.Hash('input data', 'SHA-384')") ==
        "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562");
  CHECK(Eval("States.Hash('input data', 'SHA-512')") ==
        "6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4");
}

TEST_CASE("docs: States.JsonMerge", "[intrinsics]") {
  Json input = Json::parse(R"({
    "json1": {"a": {"a1": 1, "a2": 2}, "b": 2},
    "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}})");
  CHECK(Eval("States.JsonMerge($.json1, $.json2, false)", input) ==
        Json::parse(R"({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3})"));
  // Recorded against AWS (LocalStack test_json_manipulation::test_json_merge).
  Json recorded = Json::parse(R"({
    "fst": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3},
    "snd": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}})");
  CHECK(Eval("States.JsonMerge($.fst, $.snd, false)", recorded) ==
        Json::parse(R"({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3, "d": 4})"));
}

TEST_CASE("docs: States.MathRandom", "[intrinsics]") {
  Json input = Json::parse(R"({"start": 1, "end": 999})");
  for (int i = 0; i < 50; ++i) {
    int64_t v = Eval("States.MathRandom($.start, $.end)", input).get<int64_t>();
    CHECK(v >= 1);
    CHECK(v <= 999);
  }
  // "Each use of this function with the same seed value will produce the
  // same result."
  CHECK(Eval("States.MathRandom(0, 999, 3)") == Eval("States.MathRandom(0, 999, 3)"));
}

TEST_CASE("docs: States.MathAdd", "[intrinsics]") {
  Json input = Json::parse(R"({"value1": 111, "step": -1})");
  CHECK(Eval("States.MathAdd($.value1, $.step)", input) == 110);
  // Recorded against AWS (LocalStack test_math_operations::test_math_add):
  // non-integers are rounded as Java's Math.round does.
  CHECK(Eval("States.MathAdd(-9, 3)") == -6);
  CHECK(Eval("States.MathAdd(1.49, 1.50)") == 3);
  CHECK(Eval("States.MathAdd(1.50, 1.51)") == 4);
  CHECK(Eval("States.MathAdd(-1.49, -1.50)") == -2);
}

TEST_CASE("docs: States.StringSplit", "[intrinsics]") {
  Json input = Json::parse(R"({"inputString": "1,2,3,4,5", "splitter": ","})");
  CHECK(Eval("States.StringSplit($.inputString, $.splitter)", input) ==
        Json::parse(R"(["1","2","3","4","5"])"));
  Json several = Json::parse(R"({"inputString": "This.is+a,test=string", "splitter": ".+,="})");
  CHECK(Eval("States.StringSplit($.inputString, $.splitter)", several) ==
        Json::parse(R"(["This","is","a","test","string"])"));
  // Recorded against AWS (LocalStack test_generic::test_escape_sequence): a
  // newline written in the JSON string splits like any other character.
  CHECK(Eval("States.StringSplit('Hello\nWorld', '\n')") == Json::parse(R"(["Hello","World"])"));
}

TEST_CASE("docs: States.UUID", "[intrinsics]") {
  std::string uuid = Eval("States.UUID()").get<std::string>();
  static const std::regex kV4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  CHECK(std::regex_match(uuid, kV4));
  CHECK(std::regex_match(std::string("ca4c1140-dcc1-40cd-ad05-7b4aa23df4a8"), kV4));  // the docs' sample
}

TEST_CASE("docs: nested intrinsics (the myArn example)", "[intrinsics]") {
  Json input = Json::parse(
      R"({"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/x86-ubuntu-recipe/1.2.3"}})");
  CHECK(Eval("States.Format('{}.{}.{}', "
             "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), "
             "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1), "
             "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 2))",
             input) == "1.2.3");
}

}  // namespace
}  // namespace stepflow::expr
