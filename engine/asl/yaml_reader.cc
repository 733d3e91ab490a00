// YAML definitions, read with yaml-cpp and converted to JSON with the YAML
// 1.2 core schema (so YAML is a superset of JSON), plus three ASL-specific
// rules: merge keys (<<) are merged, plain yes/no/on/off become booleans in
// ASL's boolean fields only, and alias expansion is bounded by
// ParseLimits::max_nodes so a "billion laughs" document ends in a diagnostic.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "engine/asl/document.h"
#include "engine/asl/reader_util.h"

namespace stepflow::asl {

namespace {

// ASL fields whose value is a boolean; only here are YAML 1.1 booleans
// (yes/no/on/off/y/n) read as booleans.
bool IsBooleanField(std::string_view key) {
  static const std::set<std::string, std::less<>> kFields = {
      "End",       "BooleanEquals", "IsNull",    "IsPresent",
      "IsNumeric", "IsString",      "IsBoolean", "IsTimestamp"};
  return kFields.count(key) != 0;
}

// ASL fields whose value is a string (a name, a version, text): a plain
// scalar there stays a string, so "Version: 1.0" or "Next: 2024" mean what
// a YAML author expects.
bool IsStringField(std::string_view key) {
  static const std::set<std::string, std::less<>> kFields = {
      "Version", "Comment", "StartAt",       "Next",  "Default", "Type",          "Resource",
      "Error",   "Cause",   "QueryLanguage", "Label", "Mode",    "ExecutionType", "JitterStrategy"};
  return kFields.count(key) != 0;
}

// Fields holding user data (payload templates, results): below them no key
// is an ASL field, so no boolean coercion applies.
bool IsPayloadField(std::string_view key) {
  static const std::set<std::string, std::less<>> kFields = {
      "Parameters", "Result", "ResultSelector", "ItemSelector", "Arguments",
      "Output",     "Assign", "BatchInput",     "Credentials"};
  return kFields.count(key) != 0;
}

std::optional<bool> Yaml11Boolean(const std::string& s) {
  static const std::set<std::string> kTrue = {"yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
  static const std::set<std::string> kFalse = {"no", "No", "NO", "off", "Off", "OFF", "n", "N"};
  if (kTrue.count(s)) return true;
  if (kFalse.count(s)) return false;
  return std::nullopt;
}

// Resolves a plain (unquoted, untagged) scalar per the YAML 1.2 core schema.
Json ResolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  // Octal and hex integers.
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    bool hex = s[1] == 'x';
    std::string digits = s.substr(2);
    bool ok = std::all_of(digits.begin(), digits.end(), [hex](char c) {
      return hex ? std::isxdigit(static_cast<unsigned char>(c)) : (c >= '0' && c <= '7');
    });
    if (ok && digits.size() <= 15)
      return static_cast<int64_t>(std::stoll(digits, nullptr, hex ? 16 : 8));
  }
  // Decimal numbers: YAML allows a leading '+' and forms like "1." and
  // ".5"; normalise them to JSON's grammar before reading.
  std::string t = s;
  if (!t.empty() && t[0] == '+') t.erase(0, 1);
  bool negative = !t.empty() && t[0] == '-';
  std::string body = negative ? t.substr(1) : t;
  if (!body.empty() && body[0] == '.' && body.size() > 1 &&
      std::isdigit(static_cast<unsigned char>(body[1]))) {
    body = "0" + body;
  }
  size_t dot = body.find('.');
  if (dot != std::string::npos &&
      (dot + 1 == body.size() || !std::isdigit(static_cast<unsigned char>(body[dot + 1])))) {
    body.insert(dot + 1, "0");
  }
  // Leading zeros ("007") are decimal integers in YAML 1.2.
  size_t nz = 0;
  while (nz + 1 < body.size() && body[nz] == '0' &&
         std::isdigit(static_cast<unsigned char>(body[nz + 1])))
    ++nz;
  body.erase(0, nz);
  if (auto number = internal::ParseNumberToken((negative ? "-" : "") + body)) return *number;
  return s;  // .inf, .nan and everything else stay strings
}

class YamlConverter {
 public:
  YamlConverter(const ParseLimits& limits, Document* doc, std::vector<Diagnostic>* diags)
      : limits_(limits), doc_(doc), diags_(diags) {}

  bool Convert(const YAML::Node& node, Json* out) {
    std::string pointer;
    return ConvertNode(node, out, &pointer, 0, /*payload=*/false, /*key=*/"");
  }

 private:
  static SourcePosition Pos(const YAML::Mark& m) { return {m.line + 1, m.column + 1}; }

  bool Fail(std::string code, const std::string& pointer, const YAML::Mark& mark,
            std::string message) {
    diags_->push_back(internal::MakeError(std::move(code), pointer, mark.line + 1, mark.column + 1,
                                          std::move(message)));
    return false;
  }

  bool ConvertNode(const YAML::Node& node, Json* out, std::string* pointer, int depth, bool payload,
                   std::string_view key) {
    if (++nodes_ > limits_.max_nodes) {
      return Fail("TOO_MANY_NODES", *pointer, node.Mark(),
                  "The definition expands to more than " + std::to_string(limits_.max_nodes) +
                      " values (YAML aliases are expanded): use fewer aliases");
    }
    if (depth > limits_.max_depth) {
      return Fail("TOO_DEEPLY_NESTED", *pointer, node.Mark(),
                  "The definition nests mappings and sequences more than " +
                      std::to_string(limits_.max_depth) + " levels deep: flatten it");
    }
    doc_->SetPosition(*pointer, Pos(node.Mark()));
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        *out = nullptr;
        return true;
      case YAML::NodeType::Scalar: {
        const std::string& tag = node.Tag();
        const std::string& value = node.Scalar();
        if (tag == "?") {
          if (!payload && IsBooleanField(key)) {
            if (auto b = Yaml11Boolean(value)) {
              *out = *b;
              return true;
            }
          }
          Json resolved = ResolvePlainScalar(value);
          if (!payload && IsStringField(key) && !resolved.is_null()) {
            *out = value;
            return true;
          }
          *out = std::move(resolved);
        } else if (tag == "!" || tag == "!!str" || tag == "tag:yaml.org,2002:str") {
          *out = value;
        } else if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
                   tag == "!!int" || tag == "!!float") {
          Json v = ResolvePlainScalar(value);
          if (!v.is_number()) {
            return Fail("SCHEMA_VALIDATION_FAILED", *pointer, node.Mark(),
                        "The value '" + value + "' is tagged as a number but is not one");
          }
          *out = std::move(v);
        } else if (tag == "tag:yaml.org,2002:bool" || tag == "!!bool") {
          Json v = ResolvePlainScalar(value);
          if (!v.is_boolean()) {
            return Fail("SCHEMA_VALIDATION_FAILED", *pointer, node.Mark(),
                        "The value '" + value + "' is tagged as a boolean but is not one");
          }
          *out = std::move(v);
        } else if (tag == "tag:yaml.org,2002:null" || tag == "!!null") {
          *out = nullptr;
        } else {
          *out = value;  // unknown tags: keep the text
        }
        return true;
      }
      case YAML::NodeType::Sequence: {
        *out = Json::array();
        const size_t base = pointer->size();
        size_t index = 0;
        for (const auto& item : node) {
          pointer->push_back('/');
          pointer->append(std::to_string(index++));
          Json value;
          if (!ConvertNode(item, &value, pointer, depth + 1, payload, "")) return false;
          out->push_back(std::move(value));
          pointer->resize(base);
        }
        return true;
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, out, pointer, depth, payload);
    }
    return true;
  }

  bool ConvertMap(const YAML::Node& node, Json* out, std::string* pointer, int depth,
                  bool payload) {
    *out = Json::object();
    const size_t base = pointer->size();
    std::vector<YAML::Node> merges;
    for (const auto& kv : node) {
      const YAML::Node& k = kv.first;
      if (!k.IsScalar()) {
        return Fail("SCHEMA_VALIDATION_FAILED", *pointer, k.Mark(),
                    "A mapping key is not a plain string: use a scalar key");
      }
      const std::string& key = k.Scalar();
      if (key == "<<" && k.Tag() == "?") {
        merges.push_back(kv.second);
        continue;
      }
      pointer->push_back('/');
      pointer->append(EscapePointerToken(key));
      doc_->SetKeyPosition(*pointer, Pos(k.Mark()));
      if (out->contains(key)) {
        bool state = !payload && pointer->size() > base && base >= 7 &&
                     pointer->compare(base - 7, 7, "/States") == 0;
        diags_->push_back(internal::MakeError(
            state ? "DUPLICATE_STATE_NAME" : "SCHEMA_VALIDATION_FAILED", *pointer,
            k.Mark().line + 1, k.Mark().column + 1,
            state
                ? "The state name '" + key + "' is defined twice in this States object: rename one"
                : "The key '" + key + "' appears twice in the same mapping: keep one"));
      }
      Json value;
      if (!ConvertNode(kv.second, &value, pointer, depth + 1, payload || IsPayloadField(key),
                       key)) {
        return false;
      }
      (*out)[key] = std::move(value);
      pointer->resize(base);
    }
    // Merge keys: explicit keys win, then earlier merged mappings.
    for (const auto& m : merges) {
      std::vector<YAML::Node> sources;
      if (m.IsMap()) {
        sources.push_back(m);
      } else if (m.IsSequence()) {
        for (const auto& s : m) sources.push_back(s);
      }
      for (const auto& src : sources) {
        if (!src.IsMap()) {
          return Fail("SCHEMA_VALIDATION_FAILED", *pointer, src.Mark(),
                      "A merge key (<<) must refer to a mapping or a list of mappings");
        }
        Json merged;
        std::string scratch = *pointer;
        if (!ConvertMap(src, &merged, &scratch, depth, payload)) return false;
        for (auto& [k, v] : merged.items()) {
          if (!out->contains(k)) (*out)[k] = v;
        }
      }
    }
    return true;
  }

  const ParseLimits& limits_;
  Document* doc_;
  std::vector<Diagnostic>* diags_;
  size_t nodes_ = 0;
};

}  // namespace

// Counts the documents in a YAML stream, stopping at `limit`. yaml-cpp
// 0.7's LoadAll() never ends on some malformed input (a stray ',' after a
// flow collection makes HandleNextDocument report an endless run of empty
// documents while allocating), so stepflow counts with a bound first and
// loads a single document only.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

ParseResult ParseYamlText(std::string_view text, const ParseLimits& limits) {
  ParseResult result;
  YAML::Node root_node;
  try {
    std::istringstream counting{std::string(text)};
    YAML::Parser parser(counting);
    DocumentCounter counter;
    int documents = 0;
    while (documents < 2 && parser.HandleNextDocument(counter)) ++documents;
    if (documents == 0) {
      result.diagnostics.push_back(internal::MakeError(
          "MISSING_DESCRIPTION", "", 0, 0, "The definition is empty: write a state machine"));
      return result;
    }
    if (documents > 1) {
      result.diagnostics.push_back(internal::MakeError(
          "INVALID_YAML_DESCRIPTION", "", 0, 0,
          "The YAML holds more than one document (a '---' separator or text after the end of "
          "the first one): a definition is exactly one document"));
      return result;
    }
    std::istringstream loading{std::string(text)};
    root_node = YAML::Load(loading);
  } catch (const YAML::DeepRecursion& e) {
    result.diagnostics.push_back(
        internal::MakeError("TOO_DEEPLY_NESTED", "", e.mark.line + 1, e.mark.column + 1,
                            "The definition nests mappings and sequences too deeply: flatten it"));
    return result;
  } catch (const YAML::Exception& e) {
    result.diagnostics.push_back(internal::MakeError("INVALID_YAML_DESCRIPTION", "",
                                                     e.mark.line + 1, e.mark.column + 1,
                                                     "The YAML cannot be read: " + e.msg));
    return result;
  } catch (const std::exception& e) {
    result.diagnostics.push_back(internal::MakeError(
        "INVALID_YAML_DESCRIPTION", "", 0, 0, std::string("The YAML cannot be read: ") + e.what()));
    return result;
  }
  Document doc(Json(), SourceFormat::kYaml);
  YamlConverter converter(limits, &doc, &result.diagnostics);
  Json root;
  try {
    if (!converter.Convert(root_node, &root)) return result;
  } catch (const std::exception& e) {
    result.diagnostics.push_back(internal::MakeError(
        "INVALID_YAML_DESCRIPTION", "", 0, 0, std::string("The YAML cannot be read: ") + e.what()));
    return result;
  }
  doc.set_root(std::move(root));
  result.document = std::move(doc);
  return result;
}

}  // namespace stepflow::asl
