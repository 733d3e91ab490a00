#include "engine/http/aws_api.h"

#include <cmath>
#include <cstdio>
#include <algorithm>
#include <map>
#include <unordered_map>

#include "engine/common/json_util.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/history.h"

namespace stepflow::http {
namespace {

constexpr std::string_view kTargetPrefix = "AWSStepFunctions.";
constexpr const char* kContentType = "application/x-amz-json-1.0";

// The error an answer carries: its name (the API's), HTTP status, message.
struct AwsError {
  std::string name;
  std::string message;
  int status = 400;
};

std::string ErrorType(const std::string& name) {
  if (name == "ValidationException") return "com.amazon.coral.validate#ValidationException";
  if (name == "UnknownOperationException" || name == "SerializationException" ||
      name == "InternalFailure" || name == "ServiceUnavailable" ||
      name == "ThrottlingException") {
    return "com.amazon.coral.service#" + name;
  }
  return "com.amazonaws.swf.service.v2.model#" + name;
}

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// A parsed ARN of this service.
struct Arn {
  std::string region;
  std::string account;
  std::string kind;       // "stateMachine", "execution", "activity"
  std::string name;       // machine or activity name
  std::string qualifier;  // version (stateMachine) or execution name
};

std::vector<std::string> SplitColons(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t colon = s.find(':', start);
    parts.push_back(s.substr(start, colon == std::string::npos ? colon : colon - start));
    if (colon == std::string::npos) return parts;
    start = colon + 1;
  }
}

std::optional<Arn> ParseArn(const std::string& text) {
  std::vector<std::string> p = SplitColons(text);
  // arn : partition : states : region : account : kind : name [: qualifier]
  if (p.size() < 7 || p.size() > 8 || p[0] != "arn" || p[1].rfind("aws", 0) != 0 ||
      p[2] != "states" || p[5].empty() || p[6].empty()) {
    return std::nullopt;
  }
  Arn arn{p[3], p[4], p[5], p[6], p.size() == 8 ? p[7] : ""};
  if (p.size() == 8 && arn.qualifier.empty()) return std::nullopt;
  return arn;
}


// What the API model says of each operation's members: the type, the
// length (characters) or range, the allowed values. Checked before the
// operation runs, so a request the model refuses changes nothing.
struct MemberRule {
  const char* name;
  char kind;  // 's' string, 'i' integer, 'b' boolean, 'o' structure, 'l' list
  bool required = false;
  int64_t min = 0;
  int64_t max = 0;  // 0 = no limit
  std::vector<std::string> values = {};
};

const std::unordered_map<std::string, std::vector<MemberRule>>& Rules() {
  static const auto* rules = [] {
    const MemberRule machine_arn{"stateMachineArn", 's', true, 1, 256};
    const MemberRule execution_arn{"executionArn", 's', true, 1, 256};
    const MemberRule activity_arn{"activityArn", 's', true, 1, 256};
    const MemberRule resource_arn{"resourceArn", 's', true, 1, 256};
    const MemberRule task_token{"taskToken", 's', true, 1, 2048};
    const MemberRule max_results{"maxResults", 'i', false, 0, 1000};
    const MemberRule next_token{"nextToken", 's', false, 1, 1024};
    const MemberRule long_token{"nextToken", 's', false, 1, 3096};
    const MemberRule included{"includedData", 's', false, 0, 0, {"ALL_DATA", "METADATA_ONLY"}};
    const MemberRule type{"type", 's', false, 0, 0, {"STANDARD", "EXPRESS"}};
    const MemberRule logging{"loggingConfiguration", 'o'};
    const MemberRule tracing{"tracingConfiguration", 'o'};
    const MemberRule encryption{"encryptionConfiguration", 'o'};
    const MemberRule error{"error", 's', false, 0, 256};
    const MemberRule cause{"cause", 's', false, 0, 32768};
    // Names: the core answers InvalidName for their length and characters.
    const MemberRule start_name{"name", 's', false, 1};
    const MemberRule input{"input", 's', false, 0, 262144};
    const MemberRule trace{"traceHeader", 's', false, 0, 256};
    return new std::unordered_map<std::string, std::vector<MemberRule>>{
        {"CreateStateMachine",
         {{"name", 's', true}, {"definition", 's', true, 1, 1048576},
          {"roleArn", 's', true, 1, 256}, type, logging, tracing, encryption,
          {"tags", 'l'}, {"publish", 'b'}, {"versionDescription", 's', false, 0, 256}}},
        {"DescribeStateMachine", {machine_arn, included}},
        {"ListStateMachines", {max_results, next_token}},
        {"UpdateStateMachine",
         {machine_arn, {"definition", 's', false, 1, 1048576}, {"roleArn", 's', false, 1, 256},
          logging, tracing, encryption, {"publish", 'b'},
          {"versionDescription", 's', false, 0, 256}}},
        {"DeleteStateMachine", {machine_arn}},
        {"ValidateStateMachineDefinition",
         {{"definition", 's', true, 1, 1048576}, type,
          {"severity", 's', false, 0, 0, {"ERROR", "WARNING"}},
          {"maxResults", 'i', false, 0, 100}}},
        {"PublishStateMachineVersion",
         {machine_arn, {"revisionId", 's'}, {"description", 's', false, 0, 256}}},
        {"ListStateMachineVersions", {machine_arn, max_results, next_token}},
        {"DescribeStateMachineForExecution", {execution_arn, included}},
        {"StartExecution", {machine_arn, start_name, input, trace}},
        {"StartSyncExecution", {machine_arn, start_name, input, trace, included}},
        {"DescribeExecution", {execution_arn, included}},
        {"ListExecutions",
         {{"stateMachineArn", 's', false, 1, 256},
          {"statusFilter", 's', false, 0, 0,
           {"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"}},
          max_results, long_token, {"mapRunArn", 's', false, 1, 2048},
          {"redriveFilter", 's', false, 0, 0, {"REDRIVEN", "NOT_REDRIVEN"}}}},
        {"StopExecution", {execution_arn, error, cause}},
        {"RedriveExecution", {execution_arn, {"clientToken", 's', false, 1, 64}}},
        {"GetExecutionHistory",
         {execution_arn, max_results, {"reverseOrder", 'b'}, long_token,
          {"includeExecutionData", 'b'}}},
        {"CreateActivity", {{"name", 's', true}, {"tags", 'l'}, encryption}},
        {"DescribeActivity", {activity_arn}},
        {"DeleteActivity", {activity_arn}},
        {"ListActivities", {max_results, next_token}},
        {"GetActivityTask", {activity_arn, {"workerName", 's', false, 1, 80}}},
        {"SendTaskSuccess", {task_token, {"output", 's', true, 0, 262144}}},
        {"SendTaskFailure", {task_token, error, cause}},
        {"SendTaskHeartbeat", {task_token}},
        {"TagResource", {resource_arn, {"tags", 'l', true}}},
        {"UntagResource", {resource_arn, {"tagKeys", 'l', true}}},
        {"ListTagsForResource", {resource_arn}},
    };
  }();
  return *rules;
}

// Characters, as the API counts lengths (UTF-8 continuation bytes do not count).
int64_t Characters(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A stable 64-bit FNV-1a digest (page tokens name their scope with it).
uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

struct AwsApi::Call {
  std::string operation;
  Json body;
  std::string region;
  std::string account;
  std::string request_id;
  Reply reply;
  std::string not_found = "ResourceNotFound";  // the operation's *DoesNotExist
  std::string arn;                             // the ARN the request names, for messages

  // ---------------------------------------------------------------- answers

  void Answer(const Json& out) const { AnswerText(DumpCompact(out)); }

  void AnswerText(std::string body) const {
    Response r;
    r.headers = {{"Content-Type", kContentType}, {"x-amzn-RequestId", request_id}};
    r.body = std::move(body);
    reply(std::move(r));
  }

  void Fail(const AwsError& e) const {
    Response r;
    r.status = e.status;
    r.headers = {{"Content-Type", kContentType},
                 {"x-amzn-RequestId", request_id},
                 {"X-Amzn-Errortype", e.name}};
    Json out = {{"__type", ErrorType(e.name)}, {"message", e.message}};
    r.body = DumpCompact(out);
    reply(std::move(r));
  }

  void Fail(const std::string& name, const std::string& message) const { Fail({name, message}); }

  // The Status of a core call as the API's error, mapped here once.
  void Fail(const Status& st) const {
    std::string name = st.reason();
    std::string message = st.message();
    int status = 400;
    switch (st.code()) {
      case StatusCode::kNotFound:
        if (name.empty()) name = not_found;
        break;
      case StatusCode::kInvalidArgument:
      case StatusCode::kResourceExhausted:
        if (name.empty()) name = "ValidationException";
        break;
      case StatusCode::kAlreadyExists:
      case StatusCode::kFailedPrecondition:
        if (name.empty()) name = "ConflictException";
        break;
      case StatusCode::kUnavailable:
        name = "ServiceUnavailable";
        status = 503;
        break;
      default:
        name = "InternalFailure";
        status = 500;
        break;
    }
    // The core names executions by id; this API's clients know ARNs.
    static const std::pair<const char*, const char*> kMissing[] = {
        {"ExecutionDoesNotExist", "Execution Does Not Exist: '"},
        {"StateMachineDoesNotExist", "State Machine Does Not Exist: '"},
        {"ActivityDoesNotExist", "Activity Does Not Exist: '"}};
    for (const auto& [type, words] : kMissing) {
      if (name == type && !arn.empty() && message.rfind(words, 0) == 0) {
        message = words + arn + "'";
      }
    }
    Fail({name, message, status});
  }

  // --------------------------------------------------------------- members

  // The members against the operation's rules; answers the error itself.
  bool CheckMembers() const {
    auto it = Rules().find(operation);
    if (it == Rules().end()) return true;
    for (const MemberRule& rule : it->second) {
      const Json* j = Member(rule.name);
      const std::string at = " at '" + std::string(rule.name) + "' failed to satisfy constraint: ";
      if (j == nullptr) {
        if (!rule.required) continue;
        Fail("ValidationException", "1 validation error detected: Value null" + at +
                                        "Member must not be null");
        return false;
      }
      const bool ok_type = rule.kind == 's'   ? j->is_string()
                           : rule.kind == 'i' ? j->is_number_integer()
                           : rule.kind == 'b' ? j->is_boolean()
                           : rule.kind == 'o' ? j->is_object()
                                              : j->is_array();
      if (!ok_type) {
        static const std::map<char, const char*> kKinds = {
            {'s', "a string"}, {'i', "an integer"}, {'b', "a boolean"},
            {'o', "a structure (JSON object)"}, {'l', "a list"}};
        Fail("SerializationException", "the member '" + std::string(rule.name) + "' must be " +
                                           kKinds.at(rule.kind) + ", not " + j->type_name());
        return false;
      }
      if (rule.kind == 's') {
        const std::string& v = j->get_ref<const std::string&>();
        const int64_t length = Characters(v);
        std::string shown = v.size() > 64 ? v.substr(0, 64) + "..." : v;
        if (length < rule.min) {
          Fail("ValidationException", "1 validation error detected: Value '" + shown + "'" + at +
                                          "Member must have length greater than or equal to " +
                                          std::to_string(rule.min));
          return false;
        }
        if (rule.max > 0 && length > rule.max) {
          Fail("ValidationException", "1 validation error detected: Value" + at +
                                          "Member must have length less than or equal to " +
                                          std::to_string(rule.max));
          return false;
        }
        if (!rule.values.empty() &&
            std::find(rule.values.begin(), rule.values.end(), v) == rule.values.end()) {
          std::string set;
          for (const std::string& value : rule.values) set += (set.empty() ? "" : ", ") + value;
          Fail("ValidationException", "1 validation error detected: Value '" + shown + "'" + at +
                                          "Member must satisfy enum value set: [" + set + "]");
          return false;
        }
      }
    }
    return true;
  }

  // Page tokens carry the scope they were given for (the operation and its
  // filters): "<digest of the scope>.<position>". A token of another scope,
  // or not one this server gave, is InvalidToken.
  std::string Token(const std::string& scope, const std::string& position) const {
    if (position.empty()) return "";
    char digest[17];
    std::snprintf(digest, sizeof digest, "%016llx",
                  static_cast<unsigned long long>(Fnv1a(scope)));
    return std::string(digest) + "." + position;
  }
  std::optional<std::string> Position(const std::string& scope, const std::string& token) const {
    if (token.empty()) return std::string();
    const std::string expected = Token(scope, "x");
    if (token.size() < 18 || token.compare(0, 17, expected, 0, 17) != 0) {
      Fail("InvalidToken", "Invalid Token: '" + token + "' was not given for this request");
      return std::nullopt;
    }
    return token.substr(17);
  }

  // A member of the request: absent (nullopt), or of the right type (the
  // wrong type throws nothing: it answers SerializationException).
  const Json* Member(const char* name) const {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return nullptr;
    return &*it;
  }

  bool String(const char* name, std::string* out, bool required) const {
    const Json* j = Member(name);
    if (j == nullptr) {
      if (required) {
        Fail("ValidationException", "1 validation error detected: Value null at '" +
                                        std::string(name) +
                                        "' failed to satisfy constraint: Member must not be null");
        return false;
      }
      return true;
    }
    if (!j->is_string()) {
      Fail("SerializationException",
           "the member '" + std::string(name) + "' must be a string, not " + j->type_name());
      return false;
    }
    *out = j->get<std::string>();
    return true;
  }

  bool Bool(const char* name, bool* out) const {
    const Json* j = Member(name);
    if (j == nullptr) return true;
    if (!j->is_boolean()) {
      Fail("SerializationException",
           "the member '" + std::string(name) + "' must be a boolean, not " + j->type_name());
      return false;
    }
    *out = j->get<bool>();
    return true;
  }

  bool Int(const char* name, int64_t* out, int64_t min, int64_t max) const {
    const Json* j = Member(name);
    if (j == nullptr) return true;
    if (!j->is_number_integer()) {
      Fail("SerializationException",
           "the member '" + std::string(name) + "' must be an integer, not " + j->type_name());
      return false;
    }
    int64_t v = j->get<int64_t>();
    if (v < min || v > max) {
      Fail("ValidationException", "1 validation error detected: Value '" + std::to_string(v) +
                                      "' at '" + name +
                                      "' failed to satisfy constraint: Member must have value "
                                      "between " +
                                      std::to_string(min) + " and " + std::to_string(max));
      return false;
    }
    *out = v;
    return true;
  }

  // maxResults and nextToken; the token, given for `scope`, becomes the
  // core's position.
  bool Page(const std::string& scope, api::PageRequest* page) const {
    int64_t max = 0;
    if (!Int("maxResults", &max, 0, 1000)) return false;
    page->max_results = static_cast<int32_t>(max);
    if (!String("nextToken", &page->next_token, false)) return false;
    auto position = Position(scope, page->next_token);
    if (!position) return false;
    page->next_token = *position;
    return true;
  }

  bool Tags(const char* name, std::vector<std::pair<std::string, std::string>>* out) const {
    const Json* j = Member(name);
    if (j == nullptr) return true;
    if (!j->is_array()) {
      Fail("SerializationException", "the member '" + std::string(name) + "' must be a list");
      return false;
    }
    for (const Json& tag : *j) {
      if (!tag.is_object() || !tag.contains("key") || !tag["key"].is_string() ||
          (tag.contains("value") && !tag["value"].is_string())) {
        Fail("SerializationException", "a tag is {\"key\": string, \"value\": string}");
        return false;
      }
      out->emplace_back(tag["key"].get<std::string>(),
                        tag.contains("value") ? tag["value"].get<std::string>() : "");
    }
    return true;
  }

  // ------------------------------------------------- kept attributes

  // A machine's roleArn and type as it was created (or updated).
  std::map<std::string, std::string> MachineAttributes(api::ControlPlane* plane,
                                                       const std::string& machine) const {
    auto kept = plane->Attributes(store::StateMachineTagResource(machine));
    std::map<std::string, std::string> out = kept.ok() ? *kept : std::map<std::string, std::string>{};
    out.try_emplace("roleArn", "arn:aws:iam::" + account + ":role/stepflow");
    out.try_emplace("type", "STANDARD");
    return out;
  }

  // -------------------------------------------------------------------- ARNs

  std::string Prefix() const { return "arn:aws:states:" + region + ":" + account + ":"; }
  std::string MachineArn(const std::string& name) const {
    return Prefix() + store::StateMachineTagResource(name);
  }
  std::string VersionArn(const std::string& name, int64_t version) const {
    return MachineArn(name) + ":" + std::to_string(version);
  }
  std::string ActivityArn(const std::string& name) const { return Prefix() + "activity:" + name; }
  // An execution id is "<machine>:<name>".
  std::string ExecutionArn(const std::string& id) const { return Prefix() + "execution:" + id; }

  // The ARN in member `name`, of kind `kind`; answers the error itself.
  std::optional<Arn> ArnOf(const char* member, const char* kind, const char* does_not_exist) {
    std::string text;
    if (!String(member, &text, true)) return std::nullopt;
    std::optional<Arn> arn = ParseArn(text);
    this->arn = text;
    if (!arn || arn->kind != kind || (std::string(kind) == "execution" && arn->qualifier.empty()) ||
        (std::string(kind) == "activity" && !arn->qualifier.empty())) {
      Fail("InvalidArn", "Invalid Arn: '" + text + "'");
      return std::nullopt;
    }
    if (!api::CheckName("a name", arn->name).ok() ||
        (std::string(kind) == "execution" && !api::CheckName("a name", arn->qualifier).ok())) {
      Fail("InvalidArn", "Invalid Arn: '" + text + "'");
      return std::nullopt;
    }
    if (arn->region != region || arn->account != account) {
      Fail(does_not_exist, std::string(does_not_exist == std::string("ExecutionDoesNotExist")
                                            ? "Execution Does Not Exist: '"
                                        : does_not_exist == std::string("ActivityDoesNotExist")
                                            ? "Activity Does Not Exist: '"
                                            : "State Machine Does Not Exist: '") +
                               text + "'");
      return std::nullopt;
    }
    return arn;
  }

  // A state machine ARN's version: 0 for the machine itself.
  std::optional<int64_t> VersionOf(const Arn& arn, const std::string& text) const {
    if (arn.qualifier.empty()) return 0;
    const std::string& q = arn.qualifier;
    if (q.size() > 18 || q.find_first_not_of("0123456789") != std::string::npos || q == "0") {
      Fail("StateMachineDoesNotExist",
           "State Machine Does Not Exist: '" + text + "' (stepflow has no aliases)");
      return std::nullopt;
    }
    return std::stoll(q);
  }
};

namespace {

using Call = AwsApi::Call;

Json ExecutionItem(const Call& call, const store::ExecutionRecord& r) {
  Json item = {{"executionArn", call.ExecutionArn(r.id)},
               {"stateMachineArn", call.MachineArn(r.machine)},
               {"name", r.name},
               {"status", r.status},
               {"startDate", Seconds(r.start_ms)}};
  if (r.stop_ms) item["stopDate"] = Seconds(*r.stop_ms);
  item["stateMachineVersionArn"] = call.VersionArn(r.machine, r.version);
  item["redriveCount"] = r.redrive_count;
  if (r.redrive_ms) item["redriveDate"] = Seconds(*r.redrive_ms);
  return item;
}

// An event as GetExecutionHistory shows it; without the execution's data
// (input, output) when `with_data` is false.
// What an event's details say as the API shows them, beyond what is stored.
struct EventContext {
  std::string role_arn;  // ExecutionStarted carries the machine's role
  std::string region;    // TaskScheduled's region
};

// Events whose stored details the API shows differently.
bool Rewritten(const std::string& type) {
  return type == "ExecutionStarted" || type == "TaskScheduled";
}

Json EventItem(const store::HistoryEvent& e, bool with_data, const EventContext& context) {
  Json item = {{"timestamp", Seconds(e.timestamp_ms)},
               {"type", e.type},
               {"id", e.id},
               {"previousEventId", e.previous_event_id}};
  Result<Json> details = ParseJsonData(e.details.empty() ? "{}" : e.details);
  Json d = details.ok() ? std::move(*details) : Json::object();
  if (!with_data && d.is_object()) {
    d.erase("input");
    d.erase("output");
  }
  if (d.is_object() && e.type == "ExecutionStarted") {
    d.erase("stateMachineArn");  // the engine's own; the API's shape has the role
    d["roleArn"] = context.role_arn;
  }
  if (d.is_object() && e.type == "TaskScheduled" && d.value("region", "") == "local") {
    d["region"] = context.region;
  }
  item[runtime::DetailsKey(e.type)] = std::move(d);
  return item;
}

// Epoch seconds with the milliseconds, as a JSON number: 1764816000.123.
void AppendSeconds(int64_t ms, std::string* out) {
  if (ms < 0) {
    *out += std::to_string(Seconds(ms));
    return;
  }
  *out += std::to_string(ms / 1000);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms % 1000));
  *out += frac;
}

// EventItem as text, with the stored details embedded as they are (they are
// a JSON object already): a history page is rendered without parsing them.
void AppendEvent(const store::HistoryEvent& e, const EventContext& context, std::string* out) {
  if (Rewritten(e.type)) {
    *out += DumpCompact(EventItem(e, true, context));
    return;
  }
  *out += "{\"timestamp\":";
  AppendSeconds(e.timestamp_ms, out);
  *out += ",\"type\":";
  runtime::AppendJsonString(e.type, out);
  *out += ",\"id\":" + std::to_string(e.id) +
          ",\"previousEventId\":" + std::to_string(e.previous_event_id) + ",\"";
  *out += runtime::DetailsKey(e.type);
  *out += "\":";
  *out += e.details.empty() ? "{}" : e.details;
  *out += '}';
}

// The region of a SigV4 Authorization header's credential scope
// (Credential=AKID/DATE/REGION/states/aws4_request), or "".
std::string ScopeRegion(std::string_view authorization) {
  auto at = authorization.find("Credential=");
  if (at == std::string_view::npos) return "";
  std::string_view scope = authorization.substr(at + 11);
  scope = scope.substr(0, scope.find_first_of(", "));
  std::string s(scope);
  std::vector<std::string> fields;
  size_t start = 0;
  while (start <= s.size()) {
    size_t slash = s.find('/', start);
    fields.push_back(s.substr(start, slash == std::string::npos ? slash : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (fields.size() < 3) return "";
  const std::string& region = fields[2];
  if (region.empty() || region.size() > 32 ||
      region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    return "";
  }
  return region;
}

}  // namespace

AwsApi::AwsApi(api::ControlPlane* plane, AwsOptions options)
    : plane_(plane), options_(std::move(options)), waiting_(options_.max_waiting) {}

AwsApi::~AwsApi() { Drain(); }

void AwsApi::Drain() { waiting_.Drain(); }

void AwsApi::Handle(Request&& request, Reply reply) {
  auto call = std::make_shared<Call>();
  call->reply = std::move(reply);
  call->request_id = runtime::NewUuid();
  call->account = options_.account;
  call->region = options_.region;
  if (call->region.empty()) call->region = ScopeRegion(request.Header("authorization"));
  if (call->region.empty()) call->region = "us-east-1";

  std::string_view target = request.Header("x-amz-target");
  if (target.substr(0, kTargetPrefix.size()) != kTargetPrefix) {
    call->Fail("UnknownOperationException",
               target.empty() ? "the request has no X-Amz-Target header; the Step Functions API "
                                "is POST / with X-Amz-Target: AWSStepFunctions.<Operation>"
                              : "unknown operation '" + std::string(target) + "'");
    return;
  }
  call->operation = std::string(target.substr(kTargetPrefix.size()));
  if (request.body.empty()) {
    call->body = Json::object();
  } else {
    Result<Json> parsed = ParseJsonData(request.body);
    if (!parsed.ok() || !parsed->is_object()) {
      call->Fail("SerializationException",
                 parsed.ok() ? "the request body must be a JSON object"
                             : "the request body is not JSON: " + parsed.status().message());
      return;
    }
    call->body = std::move(*parsed);
  }
  if (!call->CheckMembers()) return;
  Dispatch(call);
}

// Operations that answer later keep the call alive in their callbacks.
void AwsApi::Dispatch(const std::shared_ptr<Call>& call) {
  const std::string& op = call->operation;
  api::ControlPlane* plane = plane_;

  // ----------------------------------------------------------- state machines
  if (op == "CreateStateMachine") {
    call->not_found = "StateMachineDoesNotExist";
    std::string name, definition, role, type = "STANDARD";
    bool publish = false;
    std::vector<std::pair<std::string, std::string>> tags;
    if (!call->String("name", &name, true) || !call->String("definition", &definition, true) ||
        !call->String("roleArn", &role, true) || !call->String("type", &type, false) ||
        !call->Bool("publish", &publish) || !call->Tags("tags", &tags)) {
      return;
    }
    if (type != "STANDARD" && type != "EXPRESS") {
      return call->Fail("ValidationException",
                        "1 validation error detected: Value '" + type +
                            "' at 'type' failed to satisfy constraint: Member must satisfy enum "
                            "value set: [STANDARD, EXPRESS]");
    }
    if (Status st = plane->CheckTags(tags); !st.ok()) return call->Fail(st);
    auto ref = plane->CreateStateMachine(name, definition);
    if (!ref.ok()) return call->Fail(ref.status());
    const std::string resource = store::StateMachineTagResource(name);
    if (ref->unchanged) {
      // Idempotent only for the same definition and configuration.
      auto kept = call->MachineAttributes(plane, name);
      if (kept["roleArn"] != role || kept["type"] != type) {
        return call->Fail("StateMachineAlreadyExists",
                          "State Machine Already Exists: '" + call->MachineArn(name) +
                              "' (with another roleArn or type)");
      }
    } else if (Status st = plane->PutAttributes(resource, {{"roleArn", role}, {"type", type}});
               !st.ok()) {
      return call->Fail(st);
    }
    std::string description;
    if (publish && call->String("versionDescription", &description, false) &&
        !description.empty()) {
      (void)plane->PutAttributes(resource + ":" + std::to_string(ref->version),
                                 {{"description", description}});
    }
    if (!tags.empty()) {
      if (Status st = plane->TagResource(store::StateMachineTagResource(name), tags); !st.ok()) {
        return call->Fail(st);
      }
    }
    auto described = plane->DescribeStateMachine(name, 0);
    int64_t created = described.ok() && !described->versions.empty()
                          ? described->versions.front().created_ms
                          : ref->created_ms;
    Json out = {{"stateMachineArn", call->MachineArn(name)}, {"creationDate", Seconds(created)}};
    if (publish) out["stateMachineVersionArn"] = call->VersionArn(name, ref->version);
    return call->Answer(out);
  }
  if (op == "DescribeStateMachine") {
    std::string text;
    call->String("stateMachineArn", &text, false);
    auto arn = call->ArnOf("stateMachineArn", "stateMachine", "StateMachineDoesNotExist");
    if (!arn) return;
    auto version = call->VersionOf(*arn, text);
    if (!version) return;
    call->not_found = "StateMachineDoesNotExist";
    auto d = plane->DescribeStateMachine(arn->name, *version);
    if (!d.ok()) return call->Fail(d.status());
    const store::StateMachineVersion& v = d->described;
    auto kept = call->MachineAttributes(plane, v.machine);
    Json out = {{"stateMachineArn", *version > 0 ? call->VersionArn(v.machine, v.version)
                                                 : call->MachineArn(v.machine)},
                {"name", v.machine},
                {"status", "ACTIVE"},
                {"definition", v.definition},
                {"roleArn", kept["roleArn"]},
                {"type", kept["type"]},
                {"creationDate", Seconds(*version > 0 || d->versions.empty()
                                             ? v.created_ms
                                             : d->versions.front().created_ms)},
                {"loggingConfiguration", {{"level", "OFF"}, {"includeExecutionData", false}}},
                {"tracingConfiguration", {{"enabled", false}}},
                {"revisionId", v.sha256}};
    if (*version > 0) {
      auto about = plane->Attributes(store::StateMachineTagResource(v.machine) + ":" +
                                     std::to_string(v.version));
      if (about.ok() && about->count("description")) out["description"] = (*about)["description"];
    }
    return call->Answer(out);
  }
  if (op == "ListStateMachines") {
    api::PageRequest page;
    if (!call->Page("ListStateMachines", &page)) return;
    auto list = plane->ListStateMachines(page);
    if (!list.ok()) return call->Fail(list.status());
    Json items = Json::array();
    for (const api::MachineSummary& m : list->items) {
      items.push_back({{"stateMachineArn", call->MachineArn(m.name)},
                       {"name", m.name},
                       {"type", call->MachineAttributes(plane, m.name)["type"]},
                       {"creationDate", Seconds(m.created_ms)}});
    }
    Json out = {{"stateMachines", std::move(items)}};
    if (!list->next_token.empty()) {
      out["nextToken"] = call->Token("ListStateMachines", list->next_token);
    }
    return call->Answer(out);
  }
  if (op == "UpdateStateMachine") {
    std::string text, definition, role;
    bool publish = false;
    call->String("stateMachineArn", &text, false);
    auto arn = call->ArnOf("stateMachineArn", "stateMachine", "StateMachineDoesNotExist");
    if (!arn) return;
    if (!call->String("definition", &definition, false) || !call->String("roleArn", &role, false) ||
        !call->Bool("publish", &publish)) {
      return;
    }
    if (!arn->qualifier.empty()) {
      return call->Fail("ValidationException",
                        "a version is immutable: update '" + call->MachineArn(arn->name) + "'");
    }
    if (call->Member("definition") == nullptr && call->Member("roleArn") == nullptr &&
        call->Member("loggingConfiguration") == nullptr &&
        call->Member("tracingConfiguration") == nullptr) {
      return call->Fail("MissingRequiredParameter",
                        "Either the definition, the role ARN, the LoggingConfiguration, or the "
                        "TracingConfiguration must be specified");
    }
    call->not_found = "StateMachineDoesNotExist";
    Result<api::MachineVersionRef> ref = Status::Internal("unset");
    if (call->Member("definition") != nullptr) {
      ref = plane->UpdateStateMachine(arn->name, definition);
    } else {
      auto d = plane->DescribeStateMachine(arn->name, 0);
      if (!d.ok()) return call->Fail(d.status());
      ref = api::MachineVersionRef{arn->name, d->described.version, runtime::SystemNowMs(), true};
    }
    if (!ref.ok()) return call->Fail(ref.status());
    const std::string resource = store::StateMachineTagResource(arn->name);
    if (call->Member("roleArn") != nullptr) {
      if (Status st = plane->PutAttributes(resource, {{"roleArn", role}}); !st.ok()) {
        return call->Fail(st);
      }
    }
    std::string description;
    if (publish && call->String("versionDescription", &description, false) &&
        !description.empty()) {
      (void)plane->PutAttributes(resource + ":" + std::to_string(ref->version),
                                 {{"description", description}});
    }
    auto d = plane->DescribeStateMachine(arn->name, ref->version);
    Json out = {{"updateDate", Seconds(ref->unchanged ? runtime::SystemNowMs() : ref->created_ms)}};
    if (d.ok()) out["revisionId"] = d->described.sha256;
    if (publish) out["stateMachineVersionArn"] = call->VersionArn(arn->name, ref->version);
    return call->Answer(out);
  }
  if (op == "DeleteStateMachine") {
    auto arn = call->ArnOf("stateMachineArn", "stateMachine", "StateMachineDoesNotExist");
    if (!arn) return;
    if (!arn->qualifier.empty()) {
      return call->Fail("ValidationException",
                        "stepflow deletes a state machine with all its versions: use '" +
                            call->MachineArn(arn->name) + "'");
    }
    call->not_found = "StateMachineDoesNotExist";
    Status st = plane->DeleteStateMachine(arn->name);
    // As Step Functions: deleting a machine that is gone already succeeds.
    if (!st.ok() && st.code() != StatusCode::kNotFound) return call->Fail(st);
    return call->Answer(Json::object());
  }
  if (op == "ValidateStateMachineDefinition") {
    std::string definition, severity = "ERROR", type = "STANDARD";
    int64_t max_results = 100;
    if (!call->String("definition", &definition, true) ||
        !call->String("severity", &severity, false) || !call->String("type", &type, false) ||
        !call->Int("maxResults", &max_results, 0, 100)) {
      return;
    }
    if (severity != "ERROR" && severity != "WARNING") {
      return call->Fail("ValidationException", "severity must be ERROR or WARNING");
    }
    if (max_results == 0) max_results = 100;
    auto v = plane->ValidateDefinition(definition);
    if (!v.ok()) return call->Fail(v.status());
    Json diagnostics = Json::array();
    bool truncated = false;
    for (const asl::Diagnostic& d : v->diagnostics) {
      const bool error = d.severity == asl::Severity::kError;
      if (!error && severity == "ERROR") continue;
      if (static_cast<int64_t>(diagnostics.size()) == max_results) {
        truncated = true;
        break;
      }
      Json item = {{"severity", error ? "ERROR" : "WARNING"},
                   {"code", d.code},
                   {"message", d.message},
                   {"location", d.pointer.empty() ? "/" : d.pointer}};
      diagnostics.push_back(std::move(item));
    }
    return call->Answer({{"result", v->valid ? "OK" : "FAIL"},
                         {"diagnostics", std::move(diagnostics)},
                         {"truncated", truncated}});
  }
  if (op == "PublishStateMachineVersion") {
    std::string text, revision;
    call->String("stateMachineArn", &text, false);
    auto arn = call->ArnOf("stateMachineArn", "stateMachine", "StateMachineDoesNotExist");
    if (!arn) return;
    if (!call->String("revisionId", &revision, false)) return;
    if (!arn->qualifier.empty()) {
      return call->Fail("ValidationException", "publish the state machine, not a version");
    }
    call->not_found = "StateMachineDoesNotExist";
    auto d = plane->DescribeStateMachine(arn->name, 0);
    if (!d.ok()) return call->Fail(d.status());
    if (!revision.empty() && revision != d->described.sha256) {
      return call->Fail("ConflictException",
                        "revisionId '" + revision + "' is not the state machine's current "
                        "revision '" + d->described.sha256 + "'");
    }
    // Every definition stepflow stores is an immutable version already.
    std::string description;
    if (call->String("description", &description, false) && !description.empty()) {
      (void)plane->PutAttributes(store::StateMachineTagResource(arn->name) + ":" +
                                     std::to_string(d->described.version),
                                 {{"description", description}});
    }
    return call->Answer(
        {{"stateMachineVersionArn", call->VersionArn(arn->name, d->described.version)},
         {"creationDate", Seconds(d->described.created_ms)}});
  }
  if (op == "ListStateMachineVersions") {
    auto arn = call->ArnOf("stateMachineArn", "stateMachine", "StateMachineDoesNotExist");
    if (!arn) return;
    int64_t max_results = 0;
    if (!call->Int("maxResults", &max_results, 0, 1000)) return;
    call->not_found = "StateMachineDoesNotExist";
    auto d = plane->DescribeStateMachine(arn->name, 0);
    if (!d.ok()) return call->Fail(d.status());
    const std::string scope = "ListStateMachineVersions|" + arn->name;
    api::PageRequest page;
    if (!call->Page(scope, &page)) return;
    int64_t after = 0;
    if (!page.next_token.empty()) {
      if (page.next_token.find_first_not_of("0123456789") != std::string::npos ||
          page.next_token.size() > 18) {
        return call->Fail("InvalidToken", "Invalid Token: '" + page.next_token + "'");
      }
      after = std::stoll(page.next_token);
    }
    const size_t size = page.max_results <= 0 ? 100 : static_cast<size_t>(page.max_results);
    Json items = Json::array();
    std::string next;
    for (auto it = d->versions.rbegin(); it != d->versions.rend(); ++it) {  // newest first
      if (after > 0 && it->version >= after) continue;
      if (items.size() == size) {
        next = std::to_string(items.back()["__v"].get<int64_t>());
        break;
      }
      items.push_back({{"stateMachineVersionArn", call->VersionArn(arn->name, it->version)},
                       {"creationDate", Seconds(it->created_ms)},
                       {"__v", it->version}});
    }
    for (Json& item : items) item.erase("__v");
    Json out = {{"stateMachineVersions", std::move(items)}};
    if (!next.empty()) out["nextToken"] = call->Token(scope, next);
    return call->Answer(out);
  }
  if (op == "DescribeStateMachineForExecution") {
    auto arn = call->ArnOf("executionArn", "execution", "ExecutionDoesNotExist");
    if (!arn) return;
    call->not_found = "ExecutionDoesNotExist";
    auto e = plane->DescribeExecution(arn->name + ":" + arn->qualifier);
    if (!e.ok()) return call->Fail(e.status());
    call->not_found = "StateMachineDoesNotExist";
    auto d = plane->DescribeStateMachine(e->record.machine, e->record.version);
    if (!d.ok()) return call->Fail(d.status());
    return call->Answer({{"stateMachineArn", call->MachineArn(e->record.machine)},
                         {"name", e->record.machine},
                         {"definition", d->described.definition},
                         {"roleArn", call->MachineAttributes(plane, e->record.machine)["roleArn"]},
                         {"updateDate", Seconds(d->described.created_ms)},
                         {"revisionId", d->described.sha256}});
  }

  // --------------------------------------------------------------- executions
  if (op == "StartExecution" || op == "StartSyncExecution") {
    std::string text, name, input = "{}", trace;
    call->String("stateMachineArn", &text, false);
    auto arn = call->ArnOf("stateMachineArn", "stateMachine", "StateMachineDoesNotExist");
    if (!arn) return;
    if (!call->String("name", &name, false) || !call->String("input", &input, false) ||
        !call->String("traceHeader", &trace, false)) {
      return;
    }
    auto version = call->VersionOf(*arn, text);
    if (!version) return;
    if (input.empty()) {
      return call->Fail("InvalidExecutionInput",
                        "Invalid State Machine Execution Input: 'the input is empty; give a JSON "
                        "text (\"{}\" when there is nothing to pass)'");
    }
    call->not_found = "StateMachineDoesNotExist";
    api::StartRequest start{arn->name, *version, name, input};
    if (op == "StartExecution") {
      plane->StartExecution(start, [call](Result<api::Started> started) {
        if (!started.ok()) return call->Fail(started.status());
        call->Answer({{"executionArn", call->ExecutionArn(started->execution_id)},
                      {"startDate", Seconds(started->start_ms)}});
      });
      return;
    }
    const auto timeout = options_.sync_timeout;
    plane->StartExecution(start, [this, call, plane, timeout](Result<api::Started> started) {
      if (!started.ok()) return call->Fail(started.status());
      std::string id = started->execution_id;
      bool queued = waiting_.Run([call, plane, id, timeout] {
        auto end = plane->WaitForEnd(id, timeout, {});
        if (!end.ok()) return call->Fail(end.status());
        const store::ExecutionRecord& r = *end;
        Json out = {{"executionArn", call->ExecutionArn(r.id)},
                    {"stateMachineArn", call->MachineArn(r.machine)},
                    {"name", r.name},
                    {"startDate", Seconds(r.start_ms)},
                    {"input", r.input},
                    {"inputDetails", {{"included", true}}}};
        const int64_t stop = r.stop_ms.value_or(runtime::SystemNowMs());
        out["stopDate"] = Seconds(stop);
        if (r.status == store::kSucceeded) {
          out["status"] = "SUCCEEDED";
          out["output"] = r.output.value_or("null");
          out["outputDetails"] = {{"included", true}};
        } else if (r.status == store::kRunning) {
          // Past the wait: the durable execution goes on (DescribeExecution).
          out["status"] = "TIMED_OUT";
          out["error"] = "States.Timeout";
          out["cause"] = "the execution still runs after the synchronous wait; it goes on: "
                         "describe " + call->ExecutionArn(r.id);
        } else {
          out["status"] = r.status == store::kTimedOut ? "TIMED_OUT" : "FAILED";
          if (r.error) out["error"] = *r.error;
          if (r.cause) out["cause"] = *r.cause;
        }
        out["billingDetails"] = {{"billedMemoryUsedInMB", 64},
                                 {"billedDurationInMilliseconds", stop - r.start_ms}};
        call->Answer(out);
      });
      if (!queued) {
        call->Fail("ThrottlingException",
                   "too many synchronous starts and long polls wait at once; the execution "
                   "started: describe " + call->ExecutionArn(id));
      }
    });
    return;
  }
  if (op == "DescribeExecution") {
    auto arn = call->ArnOf("executionArn", "execution", "ExecutionDoesNotExist");
    if (!arn) return;
    call->not_found = "ExecutionDoesNotExist";
    auto e = plane->DescribeExecution(arn->name + ":" + arn->qualifier);
    if (!e.ok()) return call->Fail(e.status());
    const store::ExecutionRecord& r = e->record;
    Json out = ExecutionItem(*call, r);
    out["input"] = r.input;
    out["inputDetails"] = {{"included", true}};
    if (r.output) {
      out["output"] = *r.output;
      out["outputDetails"] = {{"included", true}};
    }
    if (r.error) out["error"] = *r.error;
    if (r.cause) out["cause"] = *r.cause;
    api::RedriveInfo redrive = api::RedriveStatusOf(r);
    out["redriveStatus"] = redrive.redrivable ? "REDRIVABLE" : "NOT_REDRIVABLE";
    if (!redrive.redrivable) out["redriveStatusReason"] = redrive.reason;
    return call->Answer(out);
  }
  if (op == "ListExecutions") {
    api::ExecutionQuery query;
    std::string text;
    if (call->Member("mapRunArn") != nullptr) {
      return call->Fail("ValidationException", "stepflow has no map runs: list by stateMachineArn");
    }
    if (call->Member("stateMachineArn") != nullptr) {
      call->String("stateMachineArn", &text, false);
      auto arn = call->ArnOf("stateMachineArn", "stateMachine", "StateMachineDoesNotExist");
      if (!arn) return;
      auto version = call->VersionOf(*arn, text);
      if (!version) return;
      query.machine = arn->name;
      query.version = *version;
      query.require_machine = true;
    }
    if (!call->String("statusFilter", &query.status, false) ||
        !call->String("redriveFilter", &query.redrive_filter, false)) {
      return;
    }
    const std::string scope = "ListExecutions|" + query.machine + "|" +
                              std::to_string(query.version) + "|" + query.status + "|" +
                              query.redrive_filter;
    if (!call->Page(scope, &query.page)) return;
    if (query.status == "PENDING_REDRIVE") {
      return call->Answer({{"executions", Json::array()}});  // redrives start at once here
    }
    call->not_found = "StateMachineDoesNotExist";
    auto list = plane->ListExecutions(query);
    if (!list.ok()) return call->Fail(list.status());
    Json items = Json::array();
    for (const store::ExecutionRecord& r : list->items) items.push_back(ExecutionItem(*call, r));
    Json out = {{"executions", std::move(items)}};
    if (!list->next_token.empty()) out["nextToken"] = call->Token(scope, list->next_token);
    return call->Answer(out);
  }
  if (op == "StopExecution") {
    auto arn = call->ArnOf("executionArn", "execution", "ExecutionDoesNotExist");
    if (!arn) return;
    std::string error, cause;
    if (!call->String("error", &error, false) || !call->String("cause", &cause, false)) return;
    std::optional<std::string> why;
    if (call->Member("cause") != nullptr) why = cause;
    call->not_found = "ExecutionDoesNotExist";
    const std::string id = arn->name + ":" + arn->qualifier;
    plane->StopExecution(id, error, why, [call, plane, id](Result<int64_t> stop_ms) {
      if (!stop_ms.ok() && stop_ms.status().reason() == "ExecutionNotRunning") {
        // As Step Functions: stopping a closed execution answers its stop time.
        auto e = plane->DescribeExecution(id);
        if (e.ok() && e->record.stop_ms) {
          return call->Answer({{"stopDate", Seconds(*e->record.stop_ms)}});
        }
      }
      if (!stop_ms.ok()) return call->Fail(stop_ms.status());
      call->Answer({{"stopDate", Seconds(*stop_ms)}});
    });
    return;
  }
  if (op == "RedriveExecution") {
    auto arn = call->ArnOf("executionArn", "execution", "ExecutionDoesNotExist");
    if (!arn) return;
    std::string token;
    if (!call->String("clientToken", &token, false)) return;
    call->not_found = "ExecutionDoesNotExist";
    plane->RedriveExecution(arn->name + ":" + arn->qualifier, token,
                            [call](Result<int64_t> redrive_ms) {
                              if (!redrive_ms.ok()) return call->Fail(redrive_ms.status());
                              call->Answer({{"redriveDate", Seconds(*redrive_ms)}});
                            });
    return;
  }
  if (op == "GetExecutionHistory") {
    auto arn = call->ArnOf("executionArn", "execution", "ExecutionDoesNotExist");
    if (!arn) return;
    api::HistoryQuery query;
    query.execution_id = arn->name + ":" + arn->qualifier;
    int64_t max = 0;
    bool reverse = false, with_data = true;
    if (!call->Int("maxResults", &max, 0, 1000) ||
        !call->String("nextToken", &query.next_token, false) ||
        !call->Bool("reverseOrder", &reverse) || !call->Bool("includeExecutionData", &with_data)) {
      return;
    }
    query.max_results = max == 0 ? 100 : static_cast<int32_t>(max);
    query.reverse = reverse;
    const std::string scope = "GetExecutionHistory|" + query.execution_id + "|" +
                              (reverse ? "reverse" : "forward");
    auto position = call->Position(scope, query.next_token);
    if (!position) return;
    query.next_token = *position;
    call->not_found = "ExecutionDoesNotExist";
    auto page = plane->GetHistory(query);
    if (!page.ok()) return call->Fail(page.status());
    EventContext context{call->MachineAttributes(plane, arn->name)["roleArn"], call->region};
    if (!with_data) {
      Json events = Json::array();
      for (const store::HistoryEvent& e : page->items) {
        events.push_back(EventItem(e, false, context));
      }
      Json out = {{"events", std::move(events)}};
      if (!page->next_token.empty()) out["nextToken"] = call->Token(scope, page->next_token);
      return call->Answer(out);
    }
    std::string text = "{\"events\":[";
    text.reserve(page->items.size() * 256);
    for (size_t i = 0; i < page->items.size(); ++i) {
      if (i > 0) text += ',';
      AppendEvent(page->items[i], context, &text);
    }
    text += ']';
    if (!page->next_token.empty()) {
      text += ",\"nextToken\":";
      runtime::AppendJsonString(call->Token(scope, page->next_token), &text);
    }
    text += '}';
    return call->AnswerText(std::move(text));
  }

  // ------------------------------------------------------ activities, tasks
  if (op == "CreateActivity") {
    std::string name;
    std::vector<std::pair<std::string, std::string>> tags;
    if (!call->String("name", &name, true) || !call->Tags("tags", &tags)) return;
    if (Status st = plane->CheckTags(tags); !st.ok()) return call->Fail(st);
    auto a = plane->CreateActivity(name);
    if (!a.ok()) return call->Fail(a.status());
    if (!tags.empty()) {
      if (Status st = plane->TagResource(store::ActivityTagResource(name), tags); !st.ok()) {
        return call->Fail(st);
      }
    }
    return call->Answer(
        {{"activityArn", call->ActivityArn(a->name)}, {"creationDate", Seconds(a->created_ms)}});
  }
  if (op == "DescribeActivity") {
    auto arn = call->ArnOf("activityArn", "activity", "ActivityDoesNotExist");
    if (!arn) return;
    call->not_found = "ActivityDoesNotExist";
    auto a = plane->DescribeActivity(arn->name);
    if (!a.ok()) return call->Fail(a.status());
    return call->Answer({{"activityArn", call->ActivityArn(a->name)},
                         {"name", a->name},
                         {"creationDate", Seconds(a->created_ms)}});
  }
  if (op == "ListActivities") {
    api::PageRequest page;
    if (!call->Page("ListActivities", &page)) return;
    auto list = plane->ListActivities(page);
    if (!list.ok()) return call->Fail(list.status());
    Json items = Json::array();
    for (const store::ActivityRecord& a : list->items) {
      items.push_back({{"activityArn", call->ActivityArn(a.name)},
                       {"name", a.name},
                       {"creationDate", Seconds(a.created_ms)}});
    }
    Json out = {{"activities", std::move(items)}};
    if (!list->next_token.empty()) {
      out["nextToken"] = call->Token("ListActivities", list->next_token);
    }
    return call->Answer(out);
  }
  if (op == "DeleteActivity") {
    auto arn = call->ArnOf("activityArn", "activity", "ActivityDoesNotExist");
    if (!arn) return;
    Status st = plane->DeleteActivity(arn->name);
    if (!st.ok()) return call->Fail(st);
    return call->Answer(Json::object());
  }
  if (op == "GetActivityTask") {
    auto arn = call->ArnOf("activityArn", "activity", "ActivityDoesNotExist");
    if (!arn) return;
    std::string worker;
    if (!call->String("workerName", &worker, false)) return;
    call->not_found = "ActivityDoesNotExist";
    auto a = plane->DescribeActivity(arn->name);
    if (!a.ok()) return call->Fail(a.status());
    const auto wait = options_.activity_poll;
    std::string name = arn->name;
    bool queued = waiting_.Run([call, plane, name, worker, wait] {
      auto task = plane->PollActivity(name, worker, wait, {});
      if (!task.ok()) return call->Fail(task.status());
      if (!task->has_value()) return call->Answer(Json::object());
      call->Answer({{"taskToken", (*task)->token}, {"input", (*task)->input_json}});
    });
    if (!queued) {
      call->Fail("ActivityWorkerLimitExceeded",
                 "too many long polls wait at once (" + std::to_string(options_.max_waiting) +
                     ")");
    }
    return;
  }
  if (op == "SendTaskSuccess" || op == "SendTaskFailure" || op == "SendTaskHeartbeat") {
    std::string token;
    if (!call->String("taskToken", &token, true)) return;
    call->not_found = "TaskDoesNotExist";
    auto answer = [call](const Status& st) {
      if (!st.ok()) return call->Fail(st);
      call->Answer(Json::object());
    };
    if (op == "SendTaskHeartbeat") return answer(plane->SendTaskHeartbeat(token));
    if (op == "SendTaskSuccess") {
      std::string output;
      if (!call->String("output", &output, true)) return;
      return plane->SendTaskSuccess(token, output, answer);
    }
    std::string error, cause;
    if (!call->String("error", &error, false) || !call->String("cause", &cause, false)) return;
    return plane->SendTaskFailure(token, error, cause, answer);
  }

  // --------------------------------------------------------------------- tags
  if (op == "TagResource" || op == "UntagResource" || op == "ListTagsForResource") {
    std::string text;
    if (!call->String("resourceArn", &text, true)) return;
    std::optional<Arn> arn = ParseArn(text);
    if (!arn || (arn->kind != "stateMachine" && arn->kind != "activity") ||
        !arn->qualifier.empty() || !api::CheckName("a name", arn->name).ok()) {
      return call->Fail("InvalidArn", "Invalid Arn: '" + text + "'");
    }
    if (arn->region != call->region || arn->account != call->account) {
      return call->Fail("ResourceNotFound", "Resource not found: '" + text + "'");
    }
    const std::string resource = arn->kind + ":" + arn->name;
    call->not_found = "ResourceNotFound";
    if (op == "TagResource") {
      std::vector<std::pair<std::string, std::string>> tags;
      if (call->Member("tags") == nullptr) {
        return call->Fail("ValidationException",
                          "1 validation error detected: Value null at 'tags' failed to satisfy "
                          "constraint: Member must not be null");
      }
      if (!call->Tags("tags", &tags)) return;
      Status st = plane->TagResource(resource, tags);
      if (!st.ok()) return call->Fail(st);
      return call->Answer(Json::object());
    }
    if (op == "UntagResource") {
      const Json* keys = call->Member("tagKeys");
      if (keys == nullptr) {
        return call->Fail("ValidationException",
                          "1 validation error detected: Value null at 'tagKeys' failed to "
                          "satisfy constraint: Member must not be null");
      }
      std::vector<std::string> names;
      if (!keys->is_array()) return call->Fail("SerializationException", "tagKeys is a list");
      for (const Json& k : *keys) {
        if (!k.is_string()) return call->Fail("SerializationException", "a tag key is a string");
        names.push_back(k.get<std::string>());
      }
      Status st = plane->UntagResource(resource, names);
      if (!st.ok()) return call->Fail(st);
      return call->Answer(Json::object());
    }
    auto tags = plane->ListTags(resource);
    if (!tags.ok()) return call->Fail(tags.status());
    Json items = Json::array();
    for (const auto& [key, value] : *tags) items.push_back({{"key", key}, {"value", value}});
    return call->Answer({{"tags", std::move(items)}});
  }

  call->Fail("UnknownOperationException",
             "stepflow does not implement the operation '" + op +
                 "' of the Step Functions API (see the README for the operations it serves)");
}

}  // namespace stepflow::http
