// Expression benchmark (issue targets): a pre-parsed reference path on a
// 1 KiB document under 200 ns; a full state pipeline (InputPath, Parameters
// with five ".$" keys, ResultPath, OutputPath) under 5 us.
#include <cstdio>

#include "bench/bench_util.h"
#include "engine/common/json_util.h"
#include "engine/expr/choice_rule.h"
#include "engine/expr/json_path.h"
#include "engine/expr/pipeline.h"

using stepflow::Json;
using namespace stepflow::expr;

namespace {

// About 1 KiB of JSON shaped like a typical order.
Json MakeDocument() {
  Json items = Json::array();
  for (int i = 0; i < 12; ++i) {
    items.push_back(
        {{"sku", "SKU-" + std::to_string(1000 + i)}, {"qty", i + 1}, {"price", 9.99 + i}});
  }
  return {
      {"order",
       {{"id", "ord-12345"},
        {"customer",
         {{"id", "cust-77"},
          {"name", "Ada Lovelace"},
          {"email", "ada@example.com"},
          {"address", {{"city", "London"}, {"zip", "N1 9GU"}}}}},
        {"items", items},
        {"currency", "EUR"},
        {"status", "NEW"}}},
      {"meta", {{"source", "web"}, {"trace", "0af7651916cd43dd8448eb211c80319c"}, {"attempt", 1}}},
      {"flags", {{"express", true}, {"gift", false}}}};
}

PathField Field(const char* text) {
  Json v = text;
  return *PathField::FromJson(&v);
}

}  // namespace

int main() {
  Json doc = MakeDocument();
  std::printf("document: %zu bytes of JSON\n", stepflow::DumpCompact(doc).size());
  EvalContext ctx;
  Json context = {{"Execution", {{"Id", "exec-1"}, {"Name", "run"}}}};
  ctx.context = &context;

  Path ref = *Path::Parse("$.order.customer.address.city");
  double find = stepflow::bench::MedianNanos(
      7, 2000000, [&] { stepflow::bench::DoNotOptimize(ref.Find(doc, ctx)); });
  double eval = stepflow::bench::MedianNanos(7, 500000, [&] {
    auto r = ref.Evaluate(doc, ctx);
    stepflow::bench::DoNotOptimize(r.ok());
  });

  StateIo io;
  io.input_path = Field("$.order");
  io.parameters = *PayloadTemplate::Compile(Json::parse(R"({
    "orderId.$": "$.id",
    "customer.$": "$.customer.name",
    "city.$": "$.customer.address.city",
    "firstSku.$": "$.items[0].sku",
    "execution.$": "$$.Execution.Id",
    "kind": "order"
  })"));
  io.result_path = Field("$.result");
  io.output_path = Field("$.result");
  Json result = {{"ok", true}, {"charged", 42.5}};
  double pipeline = stepflow::bench::MedianNanos(7, 100000, [&] {
    auto in = io.EffectiveInput(doc, ctx);
    auto out = io.Output(doc, result, ctx);
    stepflow::bench::DoNotOptimize(in.ok() && out.ok());
  });

  auto rule = *ChoiceRule::Compile(Json::parse(
      R"({"And": [{"Variable": "$.order.status", "StringEquals": "NEW"},
                  {"Variable": "$.order.items[0].qty", "NumericGreaterThanEquals": 1}]})"));
  double choice = stepflow::bench::MedianNanos(7, 500000, [&] {
    auto r = rule.Evaluate(doc, ctx);
    stepflow::bench::DoNotOptimize(r.ok());
  });

  stepflow::bench::Report("reference path Find (pre-parsed, 1 KiB doc)", find, "< 200 ns");
  stepflow::bench::Report("reference path Evaluate (copies the node)", eval, "-");
  stepflow::bench::Report("pipeline: InputPath+Parameters(5 .$)+ResultPath+OutputPath", pipeline,
                          "< 5 us");
  stepflow::bench::Report("choice rule: And(StringEquals, NumericGTE)", choice, "-");
  return 0;
}
