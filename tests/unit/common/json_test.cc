// The JSON seam: objects keep insertion order, look up large objects by
// hash, compare as sets of members; the canonical dump sorts.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "engine/common/json_util.h"

namespace stepflow {
namespace {

std::string Keys(const Json& object) {
  std::string out;
  for (const auto& [key, value] : object.items()) out += key + ",";
  return out;
}

TEST_CASE("objects keep their members in insertion order", "[json]") {
  Json parsed = Json::parse(R"({"zeta":1,"alpha":2,"mid":{"y":1,"b":2}})");
  CHECK(DumpCompact(parsed) == R"({"zeta":1,"alpha":2,"mid":{"y":1,"b":2}})");
  Json built;
  built["c"] = 1;
  built["a"] = 2;
  built["b"] = 3;
  CHECK(Keys(built) == "c,a,b,");
  built["a"] = "replaced";  // a replaced member stays where it was
  CHECK(DumpCompact(built) == R"({"c":1,"a":"replaced","b":3})");
  built.erase("c");
  built["c"] = 0;  // erased and added again: at the end
  CHECK(Keys(built) == "a,b,c,");
  Json update = Json::parse(R"({"d":4,"a":"again"})");
  built.update(update);
  CHECK(DumpCompact(built) == R"({"a":"again","b":3,"c":0,"d":4})");
}

TEST_CASE("equality ignores member order, ordering is consistent with it", "[json]") {
  Json a = Json::parse(R"({"x":{"p":1,"q":[1,{"m":1,"n":2}]},"y":2})");
  Json b = Json::parse(R"({"y":2,"x":{"q":[1,{"n":2,"m":1}],"p":1}})");
  CHECK(a == b);
  CHECK_FALSE(a != b);
  CHECK_FALSE(a < b);
  CHECK_FALSE(b < a);
  CHECK(a != Json::parse(R"({"y":2,"x":{"q":[{"n":2,"m":1},1],"p":1}})"));  // arrays keep order
  CHECK(Json::parse(R"({"a":1})") != Json::parse(R"({"a":1,"b":2})"));
  CHECK(Json::parse(R"({"a":1})") < Json::parse(R"({"a":2})"));
  std::set<Json> set{a, b, Json::parse(R"({"y":3})")};
  CHECK(set.size() == 2);
}

TEST_CASE("the canonical dump sorts every object and matches the dump of sorted objects",
          "[json]") {
  Json v = Json::parse(R"({"b":[{"z":1,"é":"\u00e9","a":"q\"\n"}],"a":null,"B":1.5,"_":true})");
  CHECK(DumpCanonical(v) == "{\"B\":1.5,\"_\":true,\"a\":null,\"b\":[{\"a\":\"q\\\"\\n\",\"z\":1,"
                            "\"é\":\"é\"}]}");
  CHECK(DumpCanonical(v) == DumpCanonical(Json::parse(DumpCompact(v))));
  CHECK(DumpCanonical(Json::parse(R"({"y":1,"x":2})")) == DumpCanonical(Json::parse(R"({"x":2,"y":1})")));
  CHECK(DumpCanonical(Json("bad \xff byte")) == DumpCompact(Json("bad \xff byte")));
}

TEST_CASE("large objects are found by hash and stay consistent through edits", "[json]") {
  Json big = Json::object();
  for (int i = 0; i < 5000; ++i) big["k" + std::to_string(4999 - i)] = i;
  CHECK(big.size() == 5000);
  CHECK(big.begin().key() == "k4999");  // insertion order, not sorted
  for (int i = 0; i < 5000; i += 7) CHECK(big.at("k" + std::to_string(i)) == 4999 - i);
  CHECK_FALSE(big.contains("k5000"));
  for (int i = 0; i < 5000; i += 2) big.erase("k" + std::to_string(i));
  CHECK(big.size() == 2500);
  for (int i = 0; i < 5000; ++i) CHECK(big.contains("k" + std::to_string(i)) == (i % 2 == 1));
  big["k0"] = "back";
  CHECK(std::prev(big.end()).key() == "k0");
  CHECK(big["k0"] == "back");
  Json copy = big;  // copies carry a working index
  copy["new"] = 1;
  CHECK(copy.contains("k1"));
  CHECK(copy.contains("new"));
  CHECK_FALSE(big.contains("new"));
  Json moved = std::move(copy);
  CHECK(moved.contains("k4999"));
  CHECK(moved.size() == 2502);
  std::vector<std::string> keys;
  for (auto it = moved.begin(); it != moved.end(); ++it) keys.push_back(it.key());
  Json reordered = Json::object();
  for (auto k = keys.rbegin(); k != keys.rend(); ++k) reordered[*k] = moved[*k];
  CHECK(reordered == moved);
  CHECK(DumpCompact(reordered) != DumpCompact(moved));
  CHECK(DumpCanonical(reordered) == DumpCanonical(moved));
  moved.clear();
  CHECK(moved.empty());
  CHECK_FALSE(moved.contains("k1"));
}

}  // namespace
}  // namespace stepflow
