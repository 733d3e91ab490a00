// The field tables of ASL_NOTES §2: which fields each state type accepts in
// each query language.
#include <map>
#include <string>
#include <vector>

#include "engine/asl/validator.h"

namespace stepflow::asl {

namespace {

using FieldList = std::vector<std::string>;

FieldList Concat(std::initializer_list<FieldList> parts) {
  FieldList out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const FieldList kCommon = {"Type", "Comment", "QueryLanguage"};
const FieldList kIo = {"InputPath", "OutputPath"};
const FieldList kTransition = {"Next", "End"};
const FieldList kErrorHandling = {"Retry", "Catch"};

struct Tables {
  std::map<std::string, FieldList, std::less<>> jsonpath;
  std::map<std::string, FieldList, std::less<>> jsonata;
};

const Tables& GetTables() {
  static const Tables tables = [] {
    Tables t;
    const FieldList task_common = {"Resource", "TimeoutSeconds", "TimeoutSecondsPath",
                                   "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"};
    const FieldList map_common = {"ItemProcessor", "Iterator", "ItemReader", "ItemBatcher",
                                  "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath",
                                  "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
                                  "ToleratedFailureCount", "ToleratedFailureCountPath", "Label",
                                  "ItemSelector"};
    t.jsonpath["Task"] = Concat({kCommon, kIo, kTransition, kErrorHandling, task_common,
                                 {"Parameters", "ResultSelector", "ResultPath", "Assign"}});
    t.jsonpath["Parallel"] = Concat({kCommon, kIo, kTransition, kErrorHandling,
                                     {"Branches", "Parameters", "ResultSelector", "ResultPath",
                                      "Assign"}});
    t.jsonpath["Map"] = Concat({kCommon, kIo, kTransition, kErrorHandling, map_common,
                                {"ItemsPath", "Parameters", "ResultSelector", "ResultPath",
                                 "Assign"}});
    t.jsonpath["Pass"] = Concat({kCommon, kIo, kTransition,
                                 {"Parameters", "Result", "ResultPath", "Assign"}});
    t.jsonpath["Wait"] = Concat({kCommon, kIo, kTransition,
                                 {"Seconds", "SecondsPath", "Timestamp", "TimestampPath",
                                  "Assign"}});
    t.jsonpath["Choice"] = Concat({kCommon, kIo, {"Choices", "Default", "Assign"}});
    t.jsonpath["Succeed"] = Concat({kCommon, kIo});
    t.jsonpath["Fail"] = Concat({kCommon, {"Error", "ErrorPath", "Cause", "CausePath"}});

    // JSONata: no *Path fields; Output/Arguments/Assign instead.
    t.jsonata["Task"] = Concat({kCommon, kTransition, kErrorHandling,
                                {"Resource", "TimeoutSeconds", "HeartbeatSeconds", "Credentials",
                                 "Arguments", "Output", "Assign"}});
    t.jsonata["Parallel"] = Concat({kCommon, kTransition, kErrorHandling,
                                    {"Branches", "Arguments", "Output", "Assign"}});
    t.jsonata["Map"] = Concat({kCommon, kTransition, kErrorHandling,
                               {"ItemProcessor", "Iterator", "ItemReader", "ItemBatcher",
                                "ResultWriter", "MaxConcurrency", "ToleratedFailurePercentage",
                                "ToleratedFailureCount", "Label", "ItemSelector", "Items",
                                "Output", "Assign"}});
    t.jsonata["Pass"] = Concat({kCommon, kTransition, {"Output", "Assign"}});
    t.jsonata["Wait"] = Concat({kCommon, kTransition, {"Seconds", "Timestamp", "Output", "Assign"}});
    t.jsonata["Choice"] = Concat({kCommon, {"Choices", "Default", "Output", "Assign"}});
    t.jsonata["Succeed"] = Concat({kCommon, {"Output"}});
    t.jsonata["Fail"] = Concat({kCommon, {"Error", "Cause"}});
    return t;
  }();
  return tables;
}

}  // namespace

const std::vector<std::string>& AllowedStateFields(std::string_view type,
                                                   std::string_view query_language) {
  static const FieldList kNone;
  const auto& table = query_language == "JSONata" ? GetTables().jsonata : GetTables().jsonpath;
  auto it = table.find(type);
  return it == table.end() ? kNone : it->second;
}

const std::vector<std::string>& StateTypes() {
  static const FieldList kTypes = {"Task", "Parallel", "Map", "Pass",
                                   "Wait", "Choice", "Succeed", "Fail"};
  return kTypes;
}

}  // namespace stepflow::asl
