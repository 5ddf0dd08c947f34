#include "ocpp/schemas/schema_registry.h"

#include <fmt/format.h>
#include <rapidjson/error/en.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "base/time.h"
#include "ocpp/schemas/embedded_schemas.h"

namespace chargelock::ocpp {

namespace {

// Escapes one JSON pointer reference token (RFC 6901 §3).
std::string pointer_token(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string field_name(const std::string& pointer) {
  return pointer.empty() ? std::string("(payload)") : pointer;
}

std::string json_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string_view json_type_name(const rapidjson::Value& value) {
  if (value.IsNull()) return "null";
  if (value.IsBool()) return "boolean";
  if (value.IsObject()) return "object";
  if (value.IsArray()) return "array";
  if (value.IsString()) return "string";
  if (value.IsInt64() || value.IsUint64()) return "integer";
  return "number";
}

const rapidjson::Value* member(const rapidjson::Value* object, const char* name) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  auto it = object->FindMember(name);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

// Follows local "$ref": "#/definitions/..." links (the only kind the OCPP
// schemas use); gives up after a few hops rather than loop on a cycle.
const rapidjson::Value* resolve(const rapidjson::Value& root, const rapidjson::Value* schema) {
  for (int hops = 0; hops < 8 && schema != nullptr; ++hops) {
    const rapidjson::Value* ref = member(schema, "$ref");
    if (ref == nullptr || !ref->IsString()) return schema;
    schema = rapidjson::Pointer(ref->GetString(), ref->GetStringLength()).Get(root);
  }
  return schema;
}

// Keyword → OCPP-J error code (OCPP-J 1.6 §4.2.3). Documented in
// docs/ocpp-errors.md; keep both in step.
ErrorCode code_for_keyword(std::string_view keyword) {
  if (keyword == "required" || keyword == "minItems" || keyword == "maxItems" ||
      keyword == "minProperties" || keyword == "maxProperties" || keyword == "additionalItems" ||
      keyword == "dependencies")
    return ErrorCode::OccurenceConstraintViolation;
  if (keyword == "type") return ErrorCode::TypeConstraintViolation;
  if (keyword == "enum" || keyword == "maxLength" || keyword == "minLength" ||
      keyword == "minimum" || keyword == "maximum" || keyword == "exclusiveMinimum" ||
      keyword == "exclusiveMaximum" || keyword == "multipleOf" || keyword == "pattern" ||
      keyword == "uniqueItems")
    return ErrorCode::PropertyConstraintViolation;
  // additionalProperties (an unknown field: the payload does not conform to
  // the PDU structure) and anything structural we do not expect.
  return ErrorCode::FormationViolation;
}

// Tolerates the rounding of decimal steps: 7.3 / 0.1 is 72.99999999999999.
bool is_multiple_of(double value, double step) {
  const double quotient = value / step;
  return std::abs(quotient - std::round(quotient)) <= 1e-9 * std::max(1.0, std::abs(quotient));
}

}  // namespace

class SchemaRegistry::CompiledSchema {
 public:
  CompiledSchema(std::string_view name, std::string_view json) : name_(name) {
    source_.Parse(json.data(), json.size());
    if (source_.HasParseError())
      throw std::runtime_error(fmt::format(
          "OCPP schema {} is not valid JSON: {} at offset {}", name,
          rapidjson::GetParseError_En(source_.GetParseError()), source_.GetErrorOffset()));
    if (!source_.IsObject() || member(&source_, "type") == nullptr)
      throw std::runtime_error(fmt::format("OCPP schema {} is not an object schema", name));
    // RapidJSON 1.1.0 checks multipleOf with a floor() of a float division,
    // which rejects valid decimals (0.3 is "not a multiple of 0.1"). It is
    // compiled without multipleOf, which check_extras() applies instead.
    rapidjson::Document stripped;
    stripped.CopyFrom(source_, stripped.GetAllocator());
    strip_multiple_of(stripped);
    compiled_ = std::make_unique<rapidjson::SchemaDocument>(stripped);
  }

  std::optional<ValidationFailure> validate(const rapidjson::Value& payload,
                                            base::MissingOffset missing_offset) const {
    // A validator holds per-run state; the compiled schema is immutable and
    // shared, which is what makes concurrent validation safe.
    rapidjson::SchemaValidator validator(*compiled_);
    payload.Accept(validator);
    if (!validator.IsValid()) return explain(validator, payload);
    std::string pointer;
    return check_extras(&source_, payload, pointer, missing_offset);
  }

 private:
  ValidationFailure explain(const rapidjson::SchemaValidator& validator,
                            const rapidjson::Value& payload) const {
    const std::string keyword = validator.GetInvalidSchemaKeyword();
    rapidjson::StringBuffer buffer;
    validator.GetInvalidDocumentPointer().Stringify(buffer);
    std::string pointer(buffer.GetString(), buffer.GetSize());
    const rapidjson::Value* schema = validator.GetInvalidSchemaPointer().Get(source_);
    const rapidjson::Value* value = validator.GetInvalidDocumentPointer().Get(payload);
    const rapidjson::Value* rule = member(schema, keyword.c_str());
    const ErrorCode code = code_for_keyword(keyword);

    std::string detail;
    if (keyword == "required" && rule != nullptr && rule->IsArray() && value != nullptr &&
        value->IsObject()) {
      for (const auto& name : rule->GetArray()) {
        if (name.IsString() && !value->HasMember(name)) {
          pointer += "/" + pointer_token(name.GetString());
          break;
        }
      }
      detail = "required property missing";
    } else if (keyword == "additionalProperties" && value != nullptr && value->IsObject()) {
      const rapidjson::Value* properties = member(schema, "properties");
      for (const auto& m : value->GetObject()) {
        if (properties == nullptr || !properties->HasMember(m.name)) {
          pointer += "/" + pointer_token(m.name.GetString());
          break;
        }
      }
      detail = "property not allowed by the schema (additionalProperties)";
    } else if (keyword == "type" && rule != nullptr) {
      detail = fmt::format("expected type {}, got {}", json_text(*rule),
                           value ? json_type_name(*value) : "nothing");
    } else if (keyword == "enum" && rule != nullptr) {
      detail =
          fmt::format("value {} not in enum {}", value ? json_text(*value) : "", json_text(*rule));
    } else if (rule != nullptr) {
      detail = fmt::format("violates {} {}", keyword, json_text(*rule));
    } else {
      detail = fmt::format("violates {}", keyword);
    }
    return {code, fmt::format("{}: {}", field_name(pointer), detail)};
  }

  static void strip_multiple_of(rapidjson::Value& node) {
    if (node.IsObject()) {
      auto it = node.FindMember("multipleOf");
      // A number: the keyword. (An object would be a property so named.)
      if (it != node.MemberEnd() && it->value.IsNumber()) node.RemoveMember(it);
      for (auto& m : node.GetObject()) strip_multiple_of(m.value);
    } else if (node.IsArray()) {
      for (auto& element : node.GetArray()) strip_multiple_of(element);
    }
  }

  // What RapidJSON does not do (or not right): walk the already schema-valid
  // payload alongside its schema; check every "format":"date-time" string
  // and every "multipleOf" number.
  std::optional<ValidationFailure> check_extras(const rapidjson::Value* schema,
                                                const rapidjson::Value& value, std::string& pointer,
                                                base::MissingOffset missing_offset) const {
    schema = resolve(source_, schema);
    if (schema == nullptr) return std::nullopt;
    if (value.IsNumber()) {
      const rapidjson::Value* step = member(schema, "multipleOf");
      if (step != nullptr && step->IsNumber() && step->GetDouble() > 0 &&
          !is_multiple_of(value.GetDouble(), step->GetDouble()))
        return ValidationFailure{ErrorCode::PropertyConstraintViolation,
                                 fmt::format("{}: {} violates multipleOf {}", field_name(pointer),
                                             json_text(value), json_text(*step))};
    } else if (value.IsString()) {
      const rapidjson::Value* format = member(schema, "format");
      if (format != nullptr && format->IsString() &&
          std::string_view(format->GetString()) == "date-time" &&
          !base::is_rfc3339({value.GetString(), value.GetStringLength()}, missing_offset))
        return ValidationFailure{
            ErrorCode::PropertyConstraintViolation,
            fmt::format("{}: \"{}\" is not an RFC 3339 date-time (format date-time)",
                        field_name(pointer), value.GetString())};
    } else if (value.IsObject()) {
      const rapidjson::Value* properties = member(schema, "properties");
      if (properties == nullptr || !properties->IsObject()) return std::nullopt;
      for (const auto& m : value.GetObject()) {
        auto it = properties->FindMember(m.name);
        if (it == properties->MemberEnd()) continue;
        const std::size_t mark = pointer.size();
        pointer += "/" + pointer_token(m.name.GetString());
        if (auto failure = check_extras(&it->value, m.value, pointer, missing_offset))
          return failure;
        pointer.resize(mark);
      }
    } else if (value.IsArray()) {
      const rapidjson::Value* items = member(schema, "items");
      if (items == nullptr || !items->IsObject()) return std::nullopt;
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        const std::size_t mark = pointer.size();
        pointer += "/" + std::to_string(i);
        if (auto failure = check_extras(items, value[i], pointer, missing_offset)) return failure;
        pointer.resize(mark);
      }
    }
    return std::nullopt;
  }

  std::string name_;
  rapidjson::Document source_;
  std::unique_ptr<rapidjson::SchemaDocument> compiled_;
};

SchemaRegistry::SchemaRegistry(
    const std::vector<ActionInfo>& actions,
    const std::vector<std::pair<std::string_view, std::string_view>>& files) {
  std::map<std::string_view, std::string_view> by_name(files.begin(), files.end());
  std::set<std::string_view> used;
  auto compile = [&](const std::string& name) {
    auto it = by_name.find(name);
    if (it == by_name.end())
      throw std::runtime_error(fmt::format("OCPP schema {}.json is missing", name));
    used.insert(it->first);
    return std::make_unique<CompiledSchema>(name, it->second);
  };
  for (const ActionInfo& info : actions) {
    const std::string name(info.name);
    Entry entry{info, compile(name), compile(name + "Response")};
    entries_.emplace(name, std::move(entry));
  }
  // A schema file no action claims means the catalog and the files drifted.
  for (const auto& [name, json] : by_name)
    if (used.count(name) == 0)
      throw std::runtime_error(fmt::format("OCPP schema {}.json belongs to no known action", name));
}

SchemaRegistry::~SchemaRegistry() = default;

const SchemaRegistry& SchemaRegistry::ocpp16() {
  static const SchemaRegistry registry = [] {
    std::vector<std::pair<std::string_view, std::string_view>> files;
    for (auto* s = schemas::embedded_ocpp16_schemas_begin();
         s != schemas::embedded_ocpp16_schemas_end(); ++s)
      files.emplace_back(s->name, s->json);
    return SchemaRegistry(ocpp16_actions(), files);
  }();
  return registry;
}

const SchemaRegistry::Entry* SchemaRegistry::find(std::string_view action) const {
  auto it = entries_.find(action);
  return it == entries_.end() ? nullptr : &it->second;
}

bool SchemaRegistry::knows(std::string_view action) const { return find(action) != nullptr; }

std::optional<Initiator> SchemaRegistry::initiator(std::string_view action) const {
  const Entry* entry = find(action);
  if (entry == nullptr) return std::nullopt;
  return entry->info.initiator;
}

bool SchemaRegistry::charge_point_may_initiate(std::string_view action) const {
  auto who = initiator(action);
  return who && *who != Initiator::CentralSystem;
}

bool SchemaRegistry::central_system_may_initiate(std::string_view action) const {
  auto who = initiator(action);
  return who && *who != Initiator::ChargePoint;
}

std::vector<std::string> SchemaRegistry::actions() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries_) names.push_back(name);
  return names;
}

std::optional<ValidationFailure> SchemaRegistry::validate_request(
    std::string_view action, const rapidjson::Value& payload,
    base::MissingOffset missing_offset) const {
  const Entry* entry = find(action);
  if (entry == nullptr)
    return ValidationFailure{ErrorCode::NotImplemented, fmt::format("unknown action {}", action)};
  return entry->request->validate(payload, missing_offset);
}

std::optional<ValidationFailure> SchemaRegistry::validate_response(
    std::string_view action, const rapidjson::Value& payload,
    base::MissingOffset missing_offset) const {
  const Entry* entry = find(action);
  if (entry == nullptr)
    return ValidationFailure{ErrorCode::NotImplemented, fmt::format("unknown action {}", action)};
  return entry->response->validate(payload, missing_offset);
}

}  // namespace chargelock::ocpp
