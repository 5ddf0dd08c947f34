// The OCPP 1.6 JSON schema files, compiled into the binary at build time
// (ocpp/schemas/embed_schemas.cmake generates the definitions from v16/*.json).
// Consumers normally go through SchemaRegistry; this is its raw input.
#pragma once

#include <string_view>

namespace chargelock::ocpp::schemas {

struct EmbeddedSchema {
  // File name without ".json": "Authorize" (request), "AuthorizeResponse".
  std::string_view name;
  std::string_view json;  // the file's bytes, unmodified
};

// [begin, end) over every embedded schema, sorted by file name.
const EmbeddedSchema* embedded_ocpp16_schemas_begin();
const EmbeddedSchema* embedded_ocpp16_schemas_end();

}  // namespace chargelock::ocpp::schemas
